"""A crash mid-command loses nothing and leaves nothing half-written; concurrent completions conflict (issue 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = "2026-03-02T08:00"


def _prepared_case(cli, fixtures) -> tuple[str, str, int]:
    assert cli("deploy", str(fixtures / "bpmn")).code == 0
    view = cli("start", "review_fixture", "--applicant", "Công ty Ánh Dương", "--json", now=START, user="lan").json()
    events = cli("history", view["case_id"], "--json").json()["events"]
    return view["case_id"], view["tasks"][0]["task_id"], len(events)


def _python(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_process_killed_in_the_middle_of_a_command_leaves_the_case_exactly_as_before(cli, fixtures):
    case_id, task_id, n_events = _prepared_case(cli, fixtures)
    before = cli("show", case_id, "--json").json()
    # The child completes the task; right after the last write of the command (the new events, after the case row and
    # the task rows) and before the commit, it kills itself with SIGKILL: no exception handler, no rollback code of
    # ours runs — only the database's atomicity.
    child = _python("""
        import os, signal, sys
        from engine import store
        original = store.Tx.insert_events
        def insert_then_die(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return result
        store.Tx.insert_events = insert_then_die
        from engine.cli.main import run
        run(["--db", sys.argv[1], "--now", "2026-03-02T09:00", "--as", "lan", "complete", sys.argv[2], "--data", "{}"])
    """, cli.db_url, task_id)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert len(cli("history", case_id, "--json").json()["events"]) == n_events
    after = cli("show", case_id, "--json").json()
    assert after == before
    # Nothing is stuck: the same command now succeeds and is recorded once.
    assert cli("complete", task_id, "--data", "{}", now="2026-03-02T09:00", user="lan").code == 0
    completed = [e for e in cli("history", case_id, "--json").json()["events"] if e["type"] == "task_completed"]
    assert [e["payload"]["task_id"] for e in completed] == [task_id]


def test_two_operators_completing_the_same_task_at_once_exactly_one_succeeds(cli, fixtures, tmp_path):
    case_id, task_id, _ = _prepared_case(cli, fixtures)
    go = tmp_path / "go"
    code = """
        import sys, time
        from pathlib import Path
        from engine.cli.main import run
        from engine.cli.main import _click_command
        _click_command()  # imports done before the start line, so both really race
        while not Path(sys.argv[3]).exists():
            time.sleep(0.001)
        sys.exit(run(["--db", sys.argv[1], "--now", "2026-03-02T09:00", "--as", "lan", "complete", sys.argv[2],
                      "--data", "{}", "--json"]))
    """
    children = [_python(code, cli.db_url, task_id, str(go)) for _ in range(2)]
    time.sleep(1.5)
    go.touch()
    results = [(c.wait(timeout=60), c.communicate()) for c in children]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    loser_err = next(err for code, (out, err) in results if code == 5)
    assert "đã được xử lý" in loser_err or "vừa được người khác cập nhật" in loser_err
    completed = [e for e in cli("history", case_id, "--json").json()["events"] if e["type"] == "task_completed"]
    assert len(completed) == 1
