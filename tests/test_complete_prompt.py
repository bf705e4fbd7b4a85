"""`tthc complete` without --data on a terminal walks through the step's form (issue 5), end to end on a pty."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from engine.library import library_paths
from test_form_prompt import Terminal

ROOT = Path(__file__).resolve().parents[1]


def test_complete_on_a_terminal_prompts_for_the_reception_form_and_records_the_answers(cli):
    assert cli("deploy", *map(str, library_paths())).code == 0
    view = cli("start", "1.014881", "--applicant", "Công ty Ánh Dương", "--json", now="2026-03-02T08:00", user="lan").json()
    task_id = view["tasks"][0]["task_id"]
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUTF8="1", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from engine.cli.main import run; run(sys.argv[1:])",
         "--db", cli.db_url, "--now", "2026-03-02T09:00", "--as", "lan", "complete", task_id[:8]],
        cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    term = Terminal(master)
    try:
        term.expect("Họ và tên người nộp *: ")
        term.send("Công ty Ánh Dương")
        term.expect("Địa chỉ *: ")
        term.send("Phường Hợp Giang, Cao Bằng")
        term.expect("Số điện thoại: ")
        term.send("0912345678")
        term.expect("Thư điện tử: ")
        term.send("")
        term.expect("Đơn đề nghị (theo mẫu) (c/k) [k]: ")
        term.send("c")
        for answer in ("k", "k", "c", "k"):  # legal docs, capacity docs, issued certificate, trial plan
            term.expect("(c/k) [k]: ")
            term.send(answer)
        term.expect("Số bộ hồ sơ * (1–20) [1]: ")
        term.send("")
        term.expect("Hình thức nộp hồ sơ * (chọn 1–3) [Trực tiếp]: ")
        term.send("")
        term.expect("Hình thức nhận kết quả * (chọn 1–2) [Tại Bộ phận Một cửa]: ")
        term.send("")
        term.expect("Kết quả kiểm tra hồ sơ * (chọn 1–2) [Tiếp nhận]: ")
        term.send("")
        term.expect("Ghi chú: ")
        term.send("")
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    shown = cli("show", view["case_id"], "--json").json()
    assert [t["element_id"] for t in shown["tasks"]] == ["assign"]  # complete dossier → assignment
    completed = next(e for e in cli("history", view["case_id"], "--json").json()["events"] if e["type"] == "task_completed")
    assert completed["payload"]["data"]["applicant_address"] == "Phường Hợp Giang, Cao Bằng"
    assert completed["payload"]["data"]["has_issued_certificate"] is True
