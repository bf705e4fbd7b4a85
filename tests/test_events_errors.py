"""Error events (issue 14): an error end event inside an embedded sub-process caught by an interrupting error
boundary event on it, with Camunda's errorCodeVariable / errorMessageVariable, driven through the CLI on a fixed
clock; replay and verify exact."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    # The fixture forms, then the diagrams (the folder's deploy picks errors/ up too).
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
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
    view = _complete(deployed, _only(view), {"score": 3}, "mai", "2026-03-02T09:00")
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
    view = _complete(deployed, _only(view), {"score": 7}, "mai", "2026-03-02T09:00")
    assert _only(view)["element_id"] == "approve"
    events = deployed("history", view["case_id"], "--json").json()["events"]
    assert not [e for e in events if e["type"] == "error_caught"]
    assert deployed("verify", view["case_id"], now="2026-03-02T15:00").code == 0


# --- a worker's BPMN error on an external task -----------------------------------------------------------------
def _looking_up(cli):
    view = cli("start", "external_error_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START,
               user="lan")
    assert view.code == 0, view.err
    fetched = cli("external", "fetch", "--topic", "registry", "--worker", "registry-1", "--json",
                  now="2026-03-02T08:05")
    assert fetched.code == 0, fetched.err
    [task] = fetched.json()
    return view.json()["case_id"], task["id"]


def _bpmn_error(cli, task_id, code, *extra):
    return cli("external", "bpmn-error", task_id, "--worker", "registry-1", "--code", code, *extra, "--json",
               now="2026-03-02T08:10")


def test_a_worker_bpmn_error_with_a_caught_code_leaves_the_external_task_by_that_boundary(deployed):
    case_id, task_id = _looking_up(deployed)
    answer = _bpmn_error(deployed, task_id, "NOT_FOUND", "--message", "Không tìm thấy số đăng ký",
                         "--data", '{"registryNo": "A-12"}')
    assert answer.code == 0, answer.err
    assert answer.json()["status"] == "cancelled"
    shown = deployed("show", case_id, "--json", now="2026-03-02T08:20").json()
    assert [t["element_id"] for t in shown["tasks"]] == ["request_supplement"]
    assert shown["external_tasks"] == []
    events = deployed("history", case_id, "--json").json()["events"]
    [answered] = [e for e in events if e["type"] == "external_task_bpmn_error"]
    assert answered["payload"]["code"] == "NOT_FOUND" and answered["actor"] == "worker:registry-1"
    [caught] = [e for e in events if e["type"] == "error_caught"]
    assert caught["element_id"] == "Error_not_found_caught" and caught["payload"]["attached_to"] == "lookup"
    assert caught["payload"]["thrown_by"] == "lookup"
    assert caught["payload"]["variables"] == {"errorCode": "NOT_FOUND", "errorMessage": "Không tìm thấy số đăng ký"}
    assert deployed("verify", case_id, now="2026-03-02T15:00").code == 0
    assert deployed("replay", case_id, now="2026-03-02T15:00").code == 0


def test_a_code_no_boundary_names_goes_to_the_catch_all_boundary(deployed):
    case_id, task_id = _looking_up(deployed)
    assert _bpmn_error(deployed, task_id, "TIMEOUT").code == 0
    shown = deployed("show", case_id, "--json", now="2026-03-02T08:20").json()
    assert [t["element_id"] for t in shown["tasks"]] == ["manual_check"]
    [caught] = [e for e in deployed("history", case_id, "--json").json()["events"] if e["type"] == "error_caught"]
    assert caught["element_id"] == "Error_any_caught" and caught["payload"]["variables"] == {"errorCode": "TIMEOUT"}
    view = _complete(deployed, shown["tasks"][0], {}, "mai", "2026-03-02T09:00")
    assert view["status"] == "completed"
    assert deployed("verify", case_id, now="2026-03-02T15:00").code == 0


def test_a_bpmn_error_on_an_external_task_without_an_error_boundary_is_refused_and_nothing_changes(deployed):
    case_id, task_id = _looking_up(deployed)
    completed = deployed("external", "complete", task_id, "--worker", "registry-1", "--json", now="2026-03-02T08:10")
    assert completed.code == 0, completed.err
    view = deployed("show", case_id, "--json", now="2026-03-02T08:20").json()
    _complete(deployed, view["tasks"][0], {}, "son", "2026-03-02T08:30")
    [sms] = deployed("external", "fetch", "--topic", "sms", "--worker", "sms-1", "--json",
                     now="2026-03-02T08:40").json()
    before = deployed("history", case_id, "--json").json()["events"]
    refused = deployed("external", "bpmn-error", sms["id"], "--worker", "sms-1", "--code", "NOT_FOUND", "--json",
                       now="2026-03-02T08:45")
    assert refused.code == 5
    assert "NOT_FOUND" in refused.err and "Gửi tin nhắn" in refused.err
    assert deployed("history", case_id, "--json").json()["events"] == before
    again = deployed("external", "complete", sms["id"], "--worker", "sms-1", "--json", now="2026-03-02T08:50")
    assert again.code == 0, again.err
    assert deployed("verify", case_id, now="2026-03-02T15:00").code == 0


def test_an_error_end_event_at_the_top_level_ends_the_case_with_the_outcome_its_policy_names(deployed):
    view = deployed("start", "top_level_error_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START,
                    user="lan")
    assert view.code == 0, view.err
    view = _complete(deployed, _only(view.json()), {}, "mai", "2026-03-02T09:00")
    assert view["status"] == "completed" and view["outcome"] == "refused" and view["tasks"] == []
    events = deployed("history", view["case_id"], "--json").json()["events"]
    assert [e["element_id"] for e in events if e["type"] == "end_reached"] == ["EndEvent_forged"]
    assert not [e for e in events if e["type"] == "error_caught"]
    assert deployed("verify", view["case_id"], now="2026-03-02T15:00").code == 0


@pytest.mark.parametrize(("change", "words"), [
    # an error boundary on a gateway: nothing there can throw one (a user task can: `tthc error`)
    (('attachedToRef="check"', 'attachedToRef="Gateway_match"'), "quy trình con"),
    (('errorRef="Error_registry" camunda:errorCodeVariable', 'errorRef="Error_missing" camunda:errorCodeVariable'),
     "Error_missing"),
    (('<bpmn:boundaryEvent id="Error_caught" name="Sai lệch"',
      '<bpmn:boundaryEvent id="Error_caught" name="Sai lệch" cancelActivity="false"'), "cancelActivity"),
    (('<bpmn:errorEventDefinition id="ErrorEventDefinition_throw" errorRef="Error_registry" />',
      '<bpmn:errorEventDefinition id="ErrorEventDefinition_throw" />'), "errorCode"),
])
def test_error_events_the_engine_cannot_run_are_refused_at_deploy_naming_the_element(cli, fixtures, tmp_path, change,
                                                                                     words):
    text = (fixtures / "bpmn" / "errors" / "registry_error.bpmn").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "registry_error.bpmn"
    path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    result = cli("deploy", str(path), "--json")
    assert result.code == 4, result.out
    assert words in result.err
