"""Camunda 7 generated task forms (`camunda:formData`, issue 14 part 5) validated like Camunda Forms, shown by
`tthc form`, prompted for by `tthc complete` on a terminal, and replayed. Diagram:
tests/fixtures/external/form_data_fixture.bpmn: user task `register` with ho_ten (string, required, 2–50 characters),
so_luong (long, 1–10, default 1), dong_y (boolean), ngay_hen (date), loai (enum ca_nhan/to_chuc, required),
ma_mau (string, readonly, default M01); then `${loai == "to_chuc"}` to EndEvent_org, else EndEvent_person.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from test_form_prompt import Terminal

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-03-02T09:00"


@pytest.fixture
def started(cli, fixtures):
    assert cli("deploy", str(fixtures / "external" / "form_data_fixture.bpmn"), "--json", now=NOW).code == 0
    case = cli("start", "form_data_fixture", "--applicant", "Đỗ Minh", "--json", now=NOW, user="lan").json()
    return cli, case["case_id"], case["tasks"][0]["task_id"]


def test_tthc_form_lists_the_generated_fields_with_types_labels_defaults_and_constraints(started):
    cli, _case_id, task_id = started
    form = cli("form", task_id, "--json", now=NOW, user="lan").json()
    fields = {f["key"]: f for f in form["form"]["fields"]}
    assert list(fields) == ["ho_ten", "so_luong", "dong_y", "ngay_hen", "loai", "ma_mau"]
    assert (fields["ho_ten"]["label"], fields["ho_ten"]["type"], fields["ho_ten"]["required"]) == \
        ("Họ và tên", "textfield", True)
    assert fields["so_luong"]["type"] == "number" and fields["so_luong"]["default"] == 1
    assert fields["dong_y"]["type"] == "checkbox" and fields["ngay_hen"]["type"] == "datetime"
    assert [v["value"] for v in fields["loai"]["values"]] == ["ca_nhan", "to_chuc"]
    assert fields["ma_mau"]["readonly"] is True


def test_every_broken_constraint_is_listed_and_nothing_changes(started):
    cli, case_id, task_id = started
    before = cli("history", case_id, "--json", now=NOW).json()
    result = cli("complete", task_id, "--data", '{"ho_ten": "A", "so_luong": 20, "loai": "x", "ma_mau": "M9", '
                 '"ngay_hen": "mai"}', "--json", now=NOW, user="lan")
    assert result.code == 4
    problems = {p["key"] for p in result.err_json()["details"]["problems"]}
    assert problems == {"ho_ten", "so_luong", "loai", "ma_mau", "ngay_hen"}
    assert cli("history", case_id, "--json", now=NOW).json() == before
    missing = cli("complete", task_id, "--data", "{}", "--json", now=NOW, user="lan")
    assert {p["key"] for p in missing.err_json()["details"]["problems"]} == {"ho_ten", "loai"}


def test_valid_data_is_typed_defaults_filled_and_the_gateway_routes_on_the_enum(started):
    cli, case_id, task_id = started
    done = cli("complete", task_id, "--data", '{"ho_ten": "Đỗ Minh", "loai": "to_chuc", "ngay_hen": "2026-03-05", '
               '"dong_y": true}', "--json", now=NOW, user="lan")
    assert done.code == 0, done.err
    data = done.json()["events"][0]["data"]
    assert data == {"ho_ten": "Đỗ Minh", "so_luong": 1, "dong_y": True, "ngay_hen": "2026-03-05", "loai": "to_chuc",
                    "ma_mau": "M01"}
    ends = [e["element_id"] for e in cli("history", case_id, "--json", now=NOW).json()["events"]
            if e["type"] == "end_reached"]
    assert ends == ["EndEvent_org"]
    assert cli("verify", case_id, now="2026-03-03T09:00").code == 0  # a read-only default replays too


def test_complete_on_a_terminal_prompts_for_the_generated_form(started):
    cli, case_id, task_id = started
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUTF8="1", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from engine.cli.main import run; run(sys.argv[1:])",
         "--db", cli.db_url, "--now", NOW, "--as", "lan", "complete", task_id[:8]],
        cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    term = Terminal(master)
    try:
        term.expect("Họ và tên *: ")
        term.send("Đỗ Minh")
        term.expect("Số bộ hồ sơ")
        term.send("")
        term.expect("Đồng ý công khai")
        term.send("c")
        term.expect("Ngày hẹn")
        term.send("")
        term.expect("Loại người nộp *")
        term.send("1")
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    completed = next(e for e in cli("history", case_id, "--json").json()["events"] if e["type"] == "task_completed")
    assert completed["payload"]["data"]["ho_ten"] == "Đỗ Minh"
    assert completed["payload"]["data"]["loai"] == "ca_nhan" and completed["payload"]["data"]["dong_y"] is True


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('type="boolean" />', 'type="file" />', "kiểu 'file'"),
    ('<camunda:constraint name="required" />\n              <camunda:constraint name="minlength"',
     '<camunda:constraint name="validator" config="vn.Check" />\n              <camunda:constraint name="minlength"',
     "validator"),
    ('defaultValue="1"', 'defaultValue="${x}"', "biểu thức"),
    ('defaultValue="1"', 'defaultValue="nhiều"', "không hợp lệ"),
])
def test_deploy_refuses_a_generated_form_it_cannot_check_naming_the_field(cli, fixtures, tmp_path, old, new, needle):
    text = (fixtures / "external" / "form_data_fixture.bpmn").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "f.bpmn"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = cli("deploy", str(path), "--json", now=NOW)
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    assert "camunda:formData" in message and "'register'" in message and needle in message


def test_lint_counts_a_generated_form_as_the_step_form(fixtures):
    from engine.lint.runner import lint_paths

    report = lint_paths([fixtures / "external" / "form_data_fixture.bpmn"], use_node=False)
    assert "user-task-form" not in [f.rule for f in report.files[0].findings]
