"""`tthc worker` (issue 9): passes and rests, clean stops on signals, one worker per SQLite file, and on PostgreSQL
four workers (one killed mid-way) firing 2,000 due timers exactly once."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.calendar import parse_instant as parse
from engine.errors import InvalidInput, StoreUnavailable
from engine.worker import Worker, single_sqlite_worker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib.fleet import chain_is_intact, clone_case  # noqa: E402

RECEIVED = "2026-03-02T08:00"  # Monday; the reception step's timer (0.25 working day) is due at 10:00
AFTER_DUE = "2026-03-02T10:30"


# --- the pass loop, with a stand-in service ---------------------------------------------------------------------
class RecordingStop(threading.Event):
    """A stop flag whose waits return at once and are recorded; it sets itself after `rests` waits."""

    def __init__(self, rests: int) -> None:
        super().__init__()
        self.rests = rests
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.rests:
            self.set()
        return self.is_set()


class ScriptedService:
    """Returns the scripted outcome of each `fire_due_timers` call (a case count, or an error to raise)."""

    def __init__(self, outcomes, on_call=None) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[dict] = []
        self.on_call = on_call

    def fire_due_timers(self, *, batch: int, limit: int | None = None) -> dict:
        self.calls.append({"batch": batch, "limit": limit})
        if self.on_call:
            self.on_call()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return {"fired": outcome, "cases": outcome, "events": [], "at": None}


def test_full_passes_follow_each_other_and_a_drained_queue_rests_for_the_interval():
    stop = RecordingStop(rests=1)
    service = ScriptedService([20, 20, 7])
    log: list[str] = []
    stats = Worker(service, interval=3.0, batch=20, log=log.append, stop=stop).run()
    assert len(service.calls) == 3
    assert all(call == {"batch": 20, "limit": 20} for call in service.calls)  # one claiming transaction per pass
    assert stop.waits == [3.0]  # no rest between full batches, one after the short one
    assert (stats.fired, stats.cases, stats.passes) == (47, 47, 3)
    assert log[:3] == ["Đã kích hoạt 20 hẹn giờ ở 20 hồ sơ."] * 2 + ["Đã kích hoạt 7 hẹn giờ ở 7 hồ sơ."]
    assert log[-1].startswith("Đã dừng sau 3 lượt: kích hoạt 47 hẹn giờ ở 47 hồ sơ")


def test_a_stop_requested_during_a_pass_lets_that_pass_finish_and_starts_no_other():
    stop = threading.Event()
    service = ScriptedService([20, 20], on_call=stop.set)  # the signal arrives while the transaction runs
    log: list[str] = []
    stats = Worker(service, interval=3.0, batch=20, log=log.append, stop=stop).run()
    assert len(service.calls) == 1
    assert stats.fired == 20 and "Đã kích hoạt 20 hẹn giờ ở 20 hồ sơ." in log


def test_an_unavailable_store_is_logged_and_retried_after_the_interval():
    stop = RecordingStop(rests=2)
    down = StoreUnavailable("Không kết nối được cơ sở dữ liệu 'postgresql://db/tthc': connection refused.")
    service = ScriptedService([down, 3])
    log: list[str] = []
    stats = Worker(service, interval=2.0, batch=10, log=log.append, stop=stop).run()
    assert len(service.calls) == 2 and stop.waits == [2.0, 2.0]
    assert log[0] == ("Không kết nối được cơ sở dữ liệu 'postgresql://db/tthc': connection refused. "
                      "Thử lại sau 2 giây.")
    assert stats.failed_passes == 1 and stats.fired == 3


def test_a_batch_that_cannot_fire_is_logged_with_its_reason_and_does_not_spin():
    stop = RecordingStop(rests=1)
    broken = InvalidInput("Bảng quyết định 'appraisal_routing' không có quy tắc nào khớp với dữ liệu của hồ sơ.")
    service = ScriptedService([broken])
    log: list[str] = []
    Worker(service, interval=4.0, batch=10, log=log.append, stop=stop).run()
    assert stop.waits == [4.0]
    assert "'appraisal_routing'" in log[0] and "không hồ sơ nào thay đổi" in log[0]


def test_a_non_positive_interval_or_batch_is_refused_with_exit_4(cli):
    result = cli("worker", "--interval", "0")
    assert result.code == 4 and result.err.startswith("Lỗi: --interval phải lớn hơn 0 giây")
    result = cli("worker", "--batch", "0")
    assert result.code == 4 and result.err.startswith("Lỗi: --batch phải từ 1 trở lên")


# --- real worker processes --------------------------------------------------------------------------------------
def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _spawn(db_url: str, tmp_path: Path, *args: str, now: str = AFTER_DUE) -> subprocess.Popen:
    argv = [sys.executable, "-c", "from engine.cli.main import run; run()", "--db", db_url, "--now", now,
            "worker", *args]
    return subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=ROOT, env=_env(tmp_path))


class Logs:
    """Log lines of several worker processes, read as they come (no sleeping: select() wakes on each write). Pipes are
    read raw and split here, so no line can wait unseen in a file object's buffer while select() reports nothing."""

    def __init__(self, procs: list[subprocess.Popen]) -> None:
        self.selector = selectors.DefaultSelector()
        self.lines: dict[int, list[str]] = {i: [] for i in range(len(procs))}
        self._partial: dict[int, bytes] = {i: b"" for i in range(len(procs))}
        for i, proc in enumerate(procs):
            self.selector.register(proc.stderr.fileno(), selectors.EVENT_READ, i)

    def read(self, timeout: float) -> list[tuple[int, str]]:
        got = []
        for key, _ in self.selector.select(timeout):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                self.selector.unregister(key.fd)
                continue
            *complete, self._partial[key.data] = (self._partial[key.data] + chunk).split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8")
                self.lines[key.data].append(line)
                got.append((key.data, line))
        return got

    def until(self, index: int, fragment: str, timeout: float = 60.0) -> str:
        """The first line of worker `index` containing `fragment`, reading more lines until it comes."""
        while True:
            found = next((line for line in self.lines[index] if fragment in line), None)
            if found is not None:
                return found
            if not self.read(timeout):
                raise AssertionError(f"worker {index} never logged {fragment!r}: {self.lines[index][-5:]}")


def _deployed(cli):
    result = cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json")
    assert result.code == 0, result.err
    return cli


def _start(cli) -> str:
    result = cli("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=RECEIVED, user="lan")
    assert result.code == 0, result.err
    return result.json()["case_id"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_worker_cleanly_with_exit_0_after_it_fired_the_due_timer(cli, db_url, tmp_path, sig):
    case_id = _start(_deployed(cli))
    proc = _spawn(db_url, tmp_path, "--interval", "30", "--batch", "5")
    logs = Logs([proc])
    try:
        logs.until(0, "Bắt đầu")
        logs.until(0, "Đã kích hoạt 1 hẹn giờ ở 1 hồ sơ.")
        proc.send_signal(sig)  # the worker is resting for 30 s: the signal must wake it, not wait the rest out
        logs.until(0, "Đã dừng sau")
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
    assert any(line.endswith(f"Nhận {name}: giao dịch đang chạy đã xong, dừng lại.") for line in logs.lines[0])
    history = cli("history", case_id, "--json").json()["events"]
    assert [e["element_id"] for e in history if e["type"] == "timer_fired"] == ["Timer_receive"]


def test_a_second_worker_on_the_same_sqlite_file_is_refused_with_exit_5_naming_the_first(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    first = _spawn(url, tmp_path, "--interval", "30")
    logs = Logs([first])
    try:
        logs.until(0, "Bắt đầu")
        second = type(cli)(url)("worker", now=AFTER_DUE)
        assert second.code == 5
        assert second.err.startswith(f"Lỗi: Đã có một worker (tiến trình {first.pid}) đang chạy trên cơ sở dữ liệu "
                                     f"SQLite '{tmp_path / 'one.db'}'; SQLite chỉ cho phép một worker")
        assert first.poll() is None  # the running worker is untouched
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    finally:
        first.kill()
        first.wait()


def test_the_sqlite_worker_slot_is_free_again_once_its_holder_releases_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'slot.db'}"
    with single_sqlite_worker(url) as lock:
        assert lock == tmp_path / "slot.db.worker.lock"
        assert lock.read_text().strip() == str(os.getpid())
    with single_sqlite_worker(url):
        pass  # would raise Conflict if the first holder had leaked the lock


def test_an_in_memory_sqlite_database_needs_no_worker_lock():
    with single_sqlite_worker("sqlite://") as lock:
        assert lock is None


def _wait_draining(procs: list[subprocess.Popen], logs: Logs, store, timeout: float) -> list[int]:
    """Exit codes of `procs`, reading their logs meanwhile (a worker blocked on a full stderr pipe never exits). A
    worker still running after `timeout` fails the test with its last lines and what each PostgreSQL session waits on."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    while any(proc.poll() is None for proc in procs) and time.monotonic() < deadline:
        logs.read(timeout=0.2)
    stuck = [i for i, proc in enumerate(procs) if proc.poll() is None]
    if stuck:
        with store.transaction() as tx:
            sessions = [dict(r) for r in tx.conn.execute(text(
                "SELECT pid, state, wait_event_type, wait_event, left(query, 120) AS query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).mappings()]
        pytest.fail(f"workers {stuck} did not stop within {timeout:g} s of SIGTERM; last lines "
                    f"{ {i: logs.lines[i][-5:] for i in stuck} }; sessions {sessions}")
    return [proc.returncode for proc in procs]


@pytest.mark.skipif(not os.environ.get("TTHC_TEST_PG"), reason="needs PostgreSQL (TTHC_TEST_PG): SQLite has one worker")
def test_four_workers_one_killed_mid_way_fire_two_thousand_due_timers_exactly_once(cli, db_url, tmp_path):
    from engine.schema import cases, events
    from engine.store import Store

    source = _start(_deployed(cli))
    store = Store.open(db_url)
    ids = [source] + clone_case(store, source, 1999)
    now = parse(AFTER_DUE)

    def due_left() -> int:
        # A plain count, not the workers' SKIP LOCKED claim: a case being fired right now still counts as due.
        with store.transaction() as tx:
            return tx.conn.execute(select(func.count()).select_from(cases).where(cases.c.next_timer_at < now)).scalar()

    assert due_left() == 2000
    procs = [_spawn(db_url, tmp_path, "--batch", "20", "--interval", "0.2") for _ in range(4)]
    logs = Logs(procs)
    fired_by = Counter()
    killed_after = None
    try:
        quiet = 0  # consecutive 10-second reads without a log line while cases are still due
        while quiet < 3:
            lines = logs.read(timeout=10)
            quiet = 0 if lines else quiet + 1
            for index, line in lines:
                if line.split("] ", 1)[-1].startswith("Đã kích hoạt "):
                    fired_by[index] += int(line.split("Đã kích hoạt ", 1)[1].split(" ", 1)[0])
            if killed_after is None and sum(fired_by.values()) >= 400:
                procs[0].kill()  # SIGKILL: no handler runs, its open transaction dies with the connection
                killed_after = sum(fired_by.values())
            if killed_after is not None and due_left() == 0:
                break
        for proc in procs[1:]:
            proc.send_signal(signal.SIGTERM)
        codes = _wait_draining(procs, logs, store, timeout=60)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert codes == [-signal.SIGKILL, 0, 0, 0], [logs.lines[i][-3:] for i in range(4)]
    assert killed_after is not None and killed_after < 2000
    assert all(fired_by[i] > 0 for i in range(1, 4)), fired_by  # the survivors shared the work
    assert due_left() == 0
    with store.transaction() as tx:
        per_case = dict(tx.conn.execute(
            select(events.c.case_id, func.count()).where(events.c.type == "timer_fired").group_by(events.c.case_id)).all())
        versions = Counter(tx.conn.execute(select(cases.c.version)).scalars())
        rows = [dict(r) for r in tx.conn.execute(select(events).order_by(events.c.case_id, events.c.seq)).mappings()]
        heads = {r["id"]: dict(r) for r in tx.conn.execute(select(cases.c.id, cases.c.event_hash)).mappings()}
    assert per_case == {case_id: 1 for case_id in ids}  # every timer fired, none twice
    assert versions == Counter({2: 2000})  # started (1), fired once (2): no second commit on any case
    by_case: dict[str, list[dict]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    broken = [case_id for case_id in ids if not chain_is_intact(heads[case_id], by_case[case_id])]
    assert broken == []
    assert [e["type"] for e in by_case[ids[-1]]] == ["case_started", "task_created", "timer_fired", "step_overdue", "end_reached"]
    store.dispose()



RECEPTION = {"applicant_name": "Công ty TNHH Ánh Dương", "applicant_address": "Số 1, Cao Bằng",
             "applicant_phone": "0912345678", "has_application": True, "has_issued_certificate": True, "sets": 1,
             "channel": "direct", "delivery": "counter", "reception_decision": "receive"}


def _service(db_url: str, now: str):
    from engine.calendar import BusinessCalendar, FixedClock
    from engine.config import load_settings
    from engine.service import Service

    return Service.open(load_settings(None, db_url), clock=FixedClock(parse(now)), calendar=BusinessCalendar.default())


@pytest.mark.skipif(not os.environ.get("TTHC_TEST_PG"), reason="needs PostgreSQL (TTHC_TEST_PG) to see a waiting lock")
def test_completing_a_step_while_a_worker_fires_the_same_case_waits_for_it_and_succeeds(cli, db_url, monkeypatch):
    from sqlalchemy import text

    from engine.runtime import Runtime

    case_id = _start(_deployed(cli))
    worker, operator = _service(db_url, AFTER_DUE), _service(db_url, AFTER_DUE)
    claimed, release = threading.Event(), threading.Event()
    fire_timers = Runtime.fire_timers

    def paused_fire_timers(self, workflow):
        derived = fire_timers(self, workflow)
        claimed.set()  # the worker holds the case row and has fired, but has not committed yet
        assert release.wait(60)
        return derived

    monkeypatch.setattr(Runtime, "fire_timers", paused_fire_timers)
    outcome: dict = {}
    worker_thread = threading.Thread(target=lambda: outcome.update(worker=worker.fire_due_timers(batch=5, limit=5)))
    worker_thread.start()
    assert claimed.wait(60)
    task_id = operator.show_case(case_id)["tasks"][0]["task_id"]

    def complete() -> None:
        try:
            outcome["operator"] = operator.complete_task(task_id, RECEPTION, actor="lan")
        except Exception as exc:  # handed to the main thread, which asserts on it
            outcome["error"] = exc

    operator_thread = threading.Thread(target=complete)
    operator_thread.start()
    with worker.store.engine.connect() as conn:  # wait until the operator's transaction is blocked on a row lock
        waiting = 0
        while waiting == 0 and operator_thread.is_alive():
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
    release.set()
    worker_thread.join(60)
    operator_thread.join(60)
    assert waiting == 1
    assert "error" not in outcome, outcome.get("error")
    assert outcome["worker"]["fired"] == 1
    kinds = [e["type"] for e in cli("history", case_id, "--json").json()["events"]]
    assert kinds[:6] == ["case_started", "task_created", "timer_fired", "step_overdue", "end_reached",
                         "task_completed"]
    assert cli("show", case_id, "--json").json()["version"] == 3
    worker.store.dispose()
    operator.store.dispose()


@pytest.mark.skipif(not os.environ.get("TTHC_TEST_PG"), reason="needs PostgreSQL (TTHC_TEST_PG) to see a waiting lock")
def test_an_operator_who_waited_for_the_case_lock_sees_the_step_the_other_one_just_completed(cli, db_url, monkeypatch):
    """Two operators complete the same step; the second read the step before the first committed, then waited for the
    case lock. It must judge the step by what was committed (already done), not by the row it read before waiting."""
    from sqlalchemy import text

    from engine.errors import Conflict
    from engine.runtime import Runtime

    case_id = _start(_deployed(cli))
    first, second = _service(db_url, RECEIVED), _service(db_url, RECEIVED)
    task_id = first.show_case(case_id)["tasks"][0]["task_id"]
    in_command, release = threading.Event(), threading.Event()
    complete = Runtime.complete

    def paused_complete(self, workflow, task_id, data):
        derived = complete(self, workflow, task_id, data)
        if threading.current_thread().name == "first":
            in_command.set()  # the first operator holds the case row and has completed, but has not committed yet
            assert release.wait(60)
        return derived

    monkeypatch.setattr(Runtime, "complete", paused_complete)
    outcome: dict = {}

    def run(name: str, service) -> None:
        try:
            outcome[name] = service.complete_task(task_id, RECEPTION, actor="lan")
        except Exception as exc:  # handed to the main thread, which asserts on it
            outcome[name] = exc

    first_thread = threading.Thread(target=run, args=("first", first), name="first")
    first_thread.start()
    assert in_command.wait(60)
    second_thread = threading.Thread(target=run, args=("second", second), name="second")
    second_thread.start()
    with first.store.engine.connect() as conn:  # the second operator read the open step and now waits for the lock
        waiting = 0
        while waiting == 0 and second_thread.is_alive():
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
    release.set()
    first_thread.join(60)
    second_thread.join(60)
    assert waiting == 1
    assert isinstance(outcome["first"], dict), outcome["first"]
    assert isinstance(outcome["second"], Conflict)
    assert "đã được xử lý rồi" in outcome["second"].message
    completed = [e for e in cli("history", case_id, "--json").json()["events"] if e["type"] == "task_completed"]
    assert [e["payload"]["task_id"] for e in completed] == [task_id]
    first.store.dispose()
    second.store.dispose()
