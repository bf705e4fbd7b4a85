"""Event sub-processes (issue 14), Camunda 7's semantics: a message-started interrupting one cancels the process's
open work and ends the case when it ends; a timer-started non-interrupting one runs alongside after its working-time
duration; an error start catches an error end event thrown in a sub-process; an escalation start inside a sub-process
runs alongside the sub-process. Driven through the CLI on a fixed clock; history checked; replay and verify exact."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _start(cli, process, data=None):
    args = ["start", process, "--applicant", "Nguyễn Văn An", "--json"]
    if data is not None:
        args += ["--data", json.dumps(data)]
    result = cli(*args, now=START, user="lan")
    assert result.code == 0, result.err
    return result.json()


def _task(view, element_id):
    found = [t for t in view["tasks"] if t["element_id"] == element_id]
    assert len(found) == 1, view["tasks"]
    return found[0]


def _complete(cli, task, now, user, data=None):
    result = cli("complete", task["task_id"], "--data", json.dumps(data or {}), "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _show(cli, case_id):
    result = cli("show", case_id, "--json")
    assert result.code == 0, result.err
    return result.json()


def _history(cli, case_id):
    result = cli("history", case_id, "--json")
    assert result.code == 0, result.err
    return result.json()["events"]


def _verified(cli, case_id):
    result = cli("verify", case_id, "--json", now="2026-03-09T08:00")
    assert result.code == 0, result.out + result.err
    replay = cli("replay", case_id, "--json", now="2026-03-09T08:00")
    assert replay.code == 0, replay.out + replay.err
    assert replay.json()["differences"] == []


def test_an_interrupting_message_event_sub_process_cancels_the_open_step_and_ends_the_case(deployed):
    view = _start(deployed, "eventsub_withdraw_fixture")
    appraise = _task(view, "appraise")
    result = deployed("correlate", "rut_ho_so", "--case", view["case_id"], "--data", '{"ly_do": "nộp nhầm"}', "--json",
                      now="2026-03-02T09:00", user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert [t["element_id"] for t in view["tasks"]] == ["close_file"]
    events = _history(deployed, view["case_id"])
    [correlated] = [e for e in events if e["type"] == "message_correlated"]
    assert correlated["element_id"] == "Start_withdraw"
    [cancelled] = [e for e in events if e["type"] == "task_cancelled"]
    assert cancelled["payload"]["task_id"] == appraise["task_id"]
    [created] = [e for e in events if e["type"] == "task_created" and e["element_id"] == "close_file"]
    assert created["payload"]["sub_process"] == "Esp_withdraw"
    assert "sub_process" not in [e for e in events if e["element_id"] == "appraise"][0]["payload"]
    # The reminder's timer went with the interrupted scope: nothing fires later.
    assert deployed("tick", "--json", now="2026-03-03T09:00").json()["fired"] == 0
    view = _complete(deployed, view["tasks"][0], "2026-03-03T10:00", "mai")
    assert view["status"] == "completed"
    ends = [e["element_id"] for e in _history(deployed, view["case_id"]) if e["type"] == "end_reached"]
    assert ends == ["EndEvent_withdrawn"]
    _verified(deployed, view["case_id"])


def test_a_message_no_event_sub_process_waits_for_any_more_is_not_found(deployed):
    view = _start(deployed, "eventsub_withdraw_fixture")
    _complete(deployed, _task(view, "appraise"), "2026-03-02T09:00", "mai")
    assert _show(deployed, view["case_id"])["status"] == "completed"
    result = deployed("correlate", "rut_ho_so", "--case", view["case_id"], "--json", now="2026-03-02T10:00", user="lan")
    assert result.code == 3, result.out


def test_a_non_interrupting_timer_event_sub_process_runs_alongside_after_working_hours(deployed):
    view = _start(deployed, "eventsub_withdraw_fixture")
    assert deployed("tick", "--json", now="2026-03-02T11:59").json()["fired"] == 0
    # PT4H of working time from 08:00 Monday, with the lunch break: 13:00 + … (the calendar decides), not 12:00.
    fired = deployed("tick", "--json", now="2026-03-02T17:00").json()
    assert fired["fired"] == 1
    view = _show(deployed, view["case_id"])
    assert sorted(t["element_id"] for t in view["tasks"]) == ["appraise", "remind_leader"]
    events = _history(deployed, view["case_id"])
    [timer] = [e for e in events if e["type"] == "timer_fired"]
    assert timer["element_id"] == "Start_remind" and timer["payload"]["attached_to"] is None
    assert not [e for e in events if e["type"] == "step_overdue"]  # a trigger, not a deadline of the open step
    appraise = _task(view, "appraise")
    assert appraise.get("due_at") is None
    view = _complete(deployed, appraise, "2026-03-03T08:30", "mai")
    assert view["status"] == "active"  # the event sub-process still runs
    view = _complete(deployed, _task(view, "remind_leader"), "2026-03-03T09:00", "hung")
    assert view["status"] == "completed"
    _verified(deployed, view["case_id"])


def test_an_error_start_event_sub_process_catches_the_error_thrown_in_a_sub_process(deployed):
    view = _start(deployed, "eventsub_council_fixture")
    view = _complete(deployed, _task(view, "review"), "2026-03-02T09:00", "mai", {"score": 2})
    assert [t["element_id"] for t in view["tasks"]] == ["notify_reject"]
    events = _history(deployed, view["case_id"])
    [caught] = [e for e in events if e["type"] == "error_caught"]
    assert caught["element_id"] == "Start_rejected"
    assert caught["payload"]["code"] == "REJECTED" and caught["payload"]["thrown_by"] == "EndEvent_reject"
    assert caught["payload"]["variables"] == {"errorCode": "REJECTED",
                                              "errorMessage": "Hội đồng không thông qua hồ sơ"}
    view = _complete(deployed, view["tasks"][0], "2026-03-02T10:00", "mai")
    assert view["status"] == "completed"
    ends = [e["element_id"] for e in _history(deployed, view["case_id"]) if e["type"] == "end_reached"]
    assert "EndEvent_rejected" in ends and "EndEvent_done" not in ends
    _verified(deployed, view["case_id"])


def test_a_non_interrupting_escalation_event_sub_process_inside_a_sub_process_runs_alongside(deployed):
    view = _start(deployed, "eventsub_council_fixture")
    view = _complete(deployed, _task(view, "review"), "2026-03-02T09:00", "mai", {"score": 8})
    assert sorted(t["element_id"] for t in view["tasks"]) == ["finalize", "leader_note"]
    events = _history(deployed, view["case_id"])
    [caught] = [e for e in events if e["type"] == "escalation_caught"]
    assert caught["element_id"] == "Start_leader"
    assert caught["payload"]["code"] == "NEED_LEADER" and caught["payload"]["thrown_by"] == "Throw_leader"
    assert caught["payload"]["interrupting"] is False
    assert caught["payload"]["variables"] == {"escalationCode": "NEED_LEADER"}
    leader = [e for e in events if e["type"] == "task_created" and e["element_id"] == "leader_note"][0]
    assert leader["payload"]["sub_process"] == "Esp_leader"
    finalize = [e for e in events if e["type"] == "task_created" and e["element_id"] == "finalize"][0]
    assert finalize["payload"]["sub_process"] == "council"
    view = _complete(deployed, _task(view, "finalize"), "2026-03-02T10:00", "mai")
    assert [t["element_id"] for t in view["tasks"]] == ["leader_note"]  # the sub-process waits for it
    view = _complete(deployed, _task(view, "leader_note"), "2026-03-02T11:00", "hung")
    assert view["status"] == "completed"
    _verified(deployed, view["case_id"])
