"""`camunda:dueDate` / `camunda:followUpDate` on user tasks (issue 14, part 6), through the CLI with a fixed clock.

The diagram (tests/fixtures/external/due_dates_fixture.bpmn): one user task `review` with
`camunda:dueDate="${han_xu_ly}"`, `camunda:followUpDate="${ngay_nhac}"` and a non-interrupting boundary timer P2D (in
working days). Decision: the step's due time is the EARLIER of the two.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

NOW = "2026-03-02T09:00"  # a Monday
TIMER_DUE = datetime.fromisoformat("2026-03-04T09:00:00+07:00")  # P2D in working days


@pytest.fixture
def deployed(cli, fixtures):
    assert cli("deploy", str(fixtures / "external" / "due_dates_fixture.bpmn"), "--json", now=NOW).code == 0
    return cli


def _start(cli, data: dict) -> dict:
    result = cli("start", "due_dates_fixture", "--applicant", "Lê Văn Cường", "--data", json.dumps(data), "--json",
                 now=NOW, user="lan")
    assert result.code == 0, result.err
    return result.json()


def test_a_due_date_earlier_than_the_working_day_timer_becomes_the_step_due_time(deployed):
    case = _start(deployed, {"han_xu_ly": "2026-03-03T10:00:00+07:00", "ngay_nhac": "2026-03-03"})
    task = case["tasks"][0]
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat("2026-03-03T10:00:00+07:00")
    assert datetime.fromisoformat(task["follow_up_at"]) == datetime.fromisoformat("2026-03-03T00:00:00+07:00")
    listed = deployed("tasks", now=NOW)
    assert "Nhắc theo dõi bước Xem xét hồ sơ" in listed.out
    assert "Nhắc theo dõi" in deployed("show", case["case_id"], now=NOW).out
    created = [e for e in deployed("history", case["case_id"], "--json", now=NOW).json()["events"]
               if e["type"] == "task_created"][0]
    assert created["payload"]["follow_up_at"].startswith("2026-03-03T00:00")
    # Overdue after the due date, although the boundary timer has not fired; completed late.
    late = deployed("tasks", "--json", now="2026-03-03T11:00").json()[0]
    assert late["overdue"] is True
    done = deployed("complete", task["task_id"], "--data", "{}", "--json", now="2026-03-03T11:00", user="lan")
    assert done.code == 0, done.err
    steps = deployed("show", case["case_id"], "--json", now="2026-03-03T11:00").json()["steps"]
    assert steps[0]["timing"] == "late"
    assert deployed("verify", case["case_id"], now="2026-03-04T12:00").code == 0
    replay = deployed("replay", case["case_id"], "--json", now="2026-03-04T12:00")
    assert replay.json()["ok"], replay.out


def test_a_due_date_later_than_the_working_day_timer_does_not_loosen_the_limit(deployed):
    case = _start(deployed, {"han_xu_ly": "2026-03-20", "ngay_nhac": None})
    task = case["tasks"][0]
    assert datetime.fromisoformat(task["due_at"]) == TIMER_DUE
    assert "follow_up_at" not in task


def test_a_null_due_date_leaves_the_timer_due_time_as_camunda_sets_no_date(deployed):
    case = _start(deployed, {"han_xu_ly": None, "ngay_nhac": None})
    assert datetime.fromisoformat(case["tasks"][0]["due_at"]) == TIMER_DUE
    assert deployed("verify", case["case_id"], now="2026-03-02T10:00").code == 0


def test_a_due_date_variable_that_is_not_a_date_refuses_the_start_and_changes_nothing(deployed):
    result = deployed("start", "due_dates_fixture", "--applicant", "X", "--data",
                      '{"han_xu_ly": "ngày mai", "ngay_nhac": null}', "--json", now=NOW, user="lan")
    assert result.code == 4 and "ngày mai" in result.err_json()["message"]
    assert deployed("tasks", "--json", now=NOW).json() == []


@pytest.mark.parametrize("value", ["mai", "${a +}", "2026-13-01"])
def test_deploy_refuses_a_due_date_that_is_neither_iso_8601_nor_an_expression(cli, fixtures, tmp_path, value):
    text = (fixtures / "external" / "due_dates_fixture.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "due.bpmn"
    path.write_text(text.replace('camunda:dueDate="${han_xu_ly}"', f'camunda:dueDate="{value}"'), encoding="utf-8")
    result = cli("deploy", str(path), "--json", now=NOW)
    assert result.code == 4 and "'review'" in result.err_json()["message"]
    assert "camunda:dueDate" in result.err_json()["message"]
