"""Error events (issue 14): an error end event inside an embedded sub-process caught by an interrupting error
boundary event on it, with Camunda's errorCodeVariable / errorMessageVariable, driven through the CLI on a fixed
clock; replay and verify exact."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn" / "errors"), "--json")
    assert result.code == 0, result.err
    return cli


def _only(view):
    assert len(view["tasks"]) == 1, view["tasks"]
    return view["tasks"][0]


def _complete(cli, task, data, user, now):
    result = cli("complete", task["task_id"], "--data", json.dumps(data), "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _checking(cli):
    view = cli("start", "registry_error_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START,
               user="lan")
    assert view.code == 0, view.err
    view = view.json()
    assert _only(view)["element_id"] == "compare"
    return view


def test_an_error_end_event_in_a_sub_process_leaves_it_by_the_error_boundary_with_code_and_message(deployed):
    view = _checking(deployed)
    view = _complete(deployed, _only(view), {"matched": False}, "mai", "2026-03-02T09:00")
    assert _only(view)["element_id"] == "notify_mismatch"
    events = deployed("history", view["case_id"], "--json").json()["events"]
    caught = [e for e in events if e["type"] == "error_caught"]
    assert len(caught) == 1
    assert caught[0]["element_id"] == "Error_caught"
    assert caught[0]["payload"]["code"] == "REGISTRY_MISMATCH"
    assert caught[0]["payload"]["thrown_by"] == "EndEvent_mismatch"
    assert caught[0]["payload"]["attached_to"] == "check"
    assert caught[0]["payload"]["variables"] == {"errorCode": "REGISTRY_MISMATCH",
                                                 "errorMessage": "Thông tin không khớp sổ đăng ký"}
    view = _complete(deployed, _only(view), {}, "mai", "2026-03-02T10:00")
    assert view["status"] == "completed" and view["tasks"] == []
    ends = [e["element_id"] for e in deployed("history", view["case_id"], "--json").json()["events"]
            if e["type"] == "end_reached"]
    assert "EndEvent_returned" in ends and "EndEvent_done" not in ends
    assert deployed("verify", view["case_id"], now="2026-03-02T15:00").code == 0
    assert deployed("replay", view["case_id"], now="2026-03-02T15:00").code == 0


def test_a_sub_process_that_ends_normally_throws_nothing_and_the_case_goes_on(deployed):
    view = _checking(deployed)
    view = _complete(deployed, _only(view), {"matched": True}, "mai", "2026-03-02T09:00")
    assert _only(view)["element_id"] == "approve"
    events = deployed("history", view["case_id"], "--json").json()["events"]
    assert not [e for e in events if e["type"] == "error_caught"]
    assert deployed("verify", view["case_id"], now="2026-03-02T15:00").code == 0
