"""An officer ends a step with a BPMN error (issue 14; Camunda 7's `TaskService.handleBpmnError`, REST
`POST /task/{id}/bpmnError`): `tthc error TASK --code CODE` — the error boundary event on the step catches it, the step
is cancelled, the case goes on along the boundary; a code nothing catches, or an officer who may not complete the step,
is refused and nothing changes; replay and verify are exact."""

from __future__ import annotations

import pytest

from tests.test_events_messages import _history, _types, _verified

START = "2026-03-02T08:00"


@pytest.fixture
def checking(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / "errors" / "user_task_error.bpmn"), "--json").code == 0
    view = cli("start", "err_user_task", "--applicant", "Nguyễn Văn An", "--json", now=START, user="lan").json()
    [task] = view["tasks"]
    assert task["element_id"] == "ut_check"
    return cli, view["case_id"], task["task_id"]


def test_an_officers_error_is_caught_by_the_boundary_event_of_the_step(checking):
    cli, case_id, task_id = checking
    result = cli("error", task_id, "--code", "HO_SO_GIA", "--message", "Con dấu giả", "--data",
                 '{"so_bien_ban": "BB-12"}', "--json", now="2026-03-02T10:00", user="mai")
    assert result.code == 0, result.err
    assert [t["element_id"] for t in result.json()["tasks"]] == ["ut_report"]
    types = _types(cli, case_id)
    assert types[types.index(("task_bpmn_error", "ut_check")):][:3] == [
        ("task_bpmn_error", "ut_check"), ("task_cancelled", "ut_check"), ("error_caught", "b_forged")]
    caught = next(e for e in _history(cli, case_id) if e["type"] == "error_caught")
    assert caught["payload"]["variables"] == {"ma_loi": "HO_SO_GIA", "thong_bao_loi": "Con dấu giả"}
    error = next(e for e in _history(cli, case_id) if e["type"] == "task_bpmn_error")
    assert error["actor"] == "mai" and error["payload"]["data"] == {"so_bien_ban": "BB-12"}
    _verified(cli, case_id)


@pytest.mark.parametrize(("code", "user", "exit_code"), [("KHAC", "mai", 5), ("HO_SO_GIA", "son", 5)])
def test_an_error_nothing_catches_or_from_the_wrong_officer_changes_nothing(checking, code, user, exit_code):
    cli, case_id, task_id = checking
    before = _types(cli, case_id)
    result = cli("error", task_id, "--code", code, "--json", now="2026-03-02T10:00", user=user)
    assert result.code == exit_code, result.out + result.err
    assert _types(cli, case_id) == before
    assert [t["task_id"] for t in cli("show", case_id, "--json").json()["tasks"]] == [task_id]


@pytest.fixture
def escalating(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / "errors" / "user_task_escalation.bpmn"), "--json").code == 0
    view = cli("start", "esc_user_task", "--applicant", "Nguyễn Văn An", "--json", now=START, user="lan").json()
    return cli, view["case_id"], view["tasks"][0]["task_id"]


def test_an_officers_escalation_runs_the_non_interrupting_boundary_beside_the_step(escalating):
    """Camunda 7's handleEscalation (`tthc escalate`, `POST /task/{id}/bpmnEscalation`)."""
    cli, case_id, task_id = escalating
    result = cli("escalate", task_id, "--code", "KHAN", "--data", '{"ly_do": "Hồ sơ phức tạp"}', "--json",
                 now="2026-03-02T10:00", user="mai")
    assert result.code == 0, result.err
    assert sorted(t["element_id"] for t in result.json()["tasks"]) == ["ut_check", "ut_report"]
    caught = next(e for e in _history(cli, case_id) if e["type"] == "escalation_caught")
    assert caught["element_id"] == "b_urgent" and caught["payload"]["variables"] == {"ma_leo_thang": "KHAN"}
    assert ("task_escalated", "ut_check") in _types(cli, case_id)
    assert cli("escalate", task_id, "--code", "KHAC", now="2026-03-02T11:00", user="mai").code == 5
    _verified(cli, case_id)


def test_an_interrupting_escalation_boundary_ends_the_step(cli, fixtures, tmp_path):
    text = (fixtures / "bpmn" / "errors" / "user_task_escalation.bpmn").read_text(encoding="utf-8")
    (tmp_path / "e.bpmn").write_text(text.replace(' cancelActivity="false"', ""), encoding="utf-8")
    assert cli("deploy", str(tmp_path / "e.bpmn")).code == 0
    view = cli("start", "esc_user_task", "--applicant", "Nguyễn Văn An", "--json", now=START, user="lan").json()
    result = cli("escalate", view["tasks"][0]["task_id"], "--code", "KHAN", "--json", now="2026-03-02T10:00",
                 user="mai")
    assert result.code == 0, result.err
    assert [t["element_id"] for t in result.json()["tasks"]] == ["ut_report"]
    assert ("task_cancelled", "ut_check") in _types(cli, view["case_id"])
    _verified(cli, view["case_id"])
