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
    # PT4H of working time from 08:00 Monday is 14:00 (the lunch break does not count), not 12:00.
    assert deployed("tick", "--json", now="2026-03-02T13:59").json()["fired"] == 0
    assert deployed("tick", "--json", now="2026-03-02T14:01").json()["fired"] == 1
    view = _show(deployed, view["case_id"])
    assert sorted(t["element_id"] for t in view["tasks"]) == ["appraise", "remind_leader"]
    events = _history(deployed, view["case_id"])
    [timer] = [e for e in events if e["type"] == "timer_fired"]
    assert timer["element_id"] == "Start_remind" and timer["payload"]["attached_to"] is None
    assert timer["payload"]["due_at"].startswith("2026-03-02T14:00")
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


# --- variants of the withdrawal diagram --------------------------------------------------------------------------
WITHDRAW = "withdraw_eventsub.bpmn"
MESSAGE_START = '<bpmn:messageEventDefinition id="MessageEventDefinition_withdraw" messageRef="Message_withdraw" />'


def _variant(tmp_path, fixtures, *replacements):
    text = (fixtures / "bpmn" / "eventsub" / WITHDRAW).read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / WITHDRAW
    path.write_text(text, encoding="utf-8")
    return path


def test_a_signal_started_event_sub_process_interrupts_when_the_signal_is_broadcast(cli, fixtures, tmp_path):
    path = _variant(tmp_path, fixtures,
                    (MESSAGE_START, '<bpmn:signalEventDefinition id="Sig_def" signalRef="Signal_stop" />'),
                    ('<bpmn:message id="Message_withdraw" name="rut_ho_so" />',
                     '<bpmn:signal id="Signal_stop" name="dung_tiep_nhan" />'))
    assert cli("deploy", str(path), "--json").code == 0
    view = _start(cli, "eventsub_withdraw_fixture")
    result = cli("signal", "dung_tiep_nhan", "--json", now="2026-03-02T09:00", user="hung")
    assert result.code == 0, result.err
    view = _show(cli, view["case_id"])
    assert [t["element_id"] for t in view["tasks"]] == ["close_file"]
    [received] = [e for e in _history(cli, view["case_id"]) if e["type"] == "signal_received"]
    assert received["payload"]["elements"] == ["Start_withdraw"]
    _verified(cli, view["case_id"])


def test_a_time_date_started_event_sub_process_fires_at_its_date(cli, fixtures, tmp_path):
    path = _variant(tmp_path, fixtures, ("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">PT4H</bpmn:timeDuration>",
                                         "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">2026-03-04T08:00:00+07:00"
                                         "</bpmn:timeDate>"))
    assert cli("deploy", str(path), "--json").code == 0
    view = _start(cli, "eventsub_withdraw_fixture")
    assert cli("tick", "--json", now="2026-03-04T08:00").json()["fired"] == 0
    assert cli("tick", "--json", now="2026-03-04T08:01").json()["fired"] == 1
    assert sorted(t["element_id"] for t in _show(cli, view["case_id"])["tasks"]) == ["appraise", "remind_leader"]
    _verified(cli, view["case_id"])


@pytest.mark.parametrize("replacements, needle", [
    ([("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">PT4H</bpmn:timeDuration>",
       "<bpmn:timeCycle xsi:type=\"bpmn:tFormalExpression\">R3/PT4H</bpmn:timeCycle>")], "timeCycle"),
    ([(MESSAGE_START, "")], "đúng một loại"),
    ([('<bpmn:userTask id="close_file"', '<bpmn:startEvent id="Start_second" /><bpmn:userTask id="close_file"')],
     "đúng một sự kiện bắt đầu"),
    ([('<bpmn:sequenceFlow id="Flow_2" sourceRef="appraise" targetRef="EndEvent_done" />',
       '<bpmn:sequenceFlow id="Flow_2" sourceRef="appraise" targetRef="Esp_withdraw" />')], "luồng vào"),
    ([('id="appraise"', 'id="EventScope_appraise"'), ('targetRef="appraise"', 'targetRef="EventScope_appraise"'),
      ('sourceRef="appraise"', 'sourceRef="EventScope_appraise"')], "dành riêng"),
    ([(MESSAGE_START, '<bpmn:errorEventDefinition id="Err_def" />'),
      ('name="Yêu cầu rút hồ sơ">', 'name="Yêu cầu rút hồ sơ" isInterrupting="false">')], "isInterrupting"),
])
def test_an_event_sub_process_camunda_7_would_not_run_is_refused_at_deploy(cli, fixtures, tmp_path, replacements,
                                                                          needle):
    result = cli("deploy", str(_variant(tmp_path, fixtures, *replacements)), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]


def test_each_instance_of_a_multi_instance_sub_process_has_its_own_event_sub_process(cli, fixtures, tmp_path):
    import shutil

    folder = tmp_path / "defs"
    shutil.copytree(fixtures / "bpmn", folder)
    path = folder / "eventsub" / "council_eventsub.bpmn"
    text = path.read_text(encoding="utf-8")
    old = '<bpmn:subProcess id="council" name="Hội đồng thẩm định">'
    assert text.count(old) == 1
    path.write_text(text.replace(old, old + "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2"
                                            "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"),
                    encoding="utf-8")
    assert cli("deploy", str(folder), "--json").code == 0
    view = _start(cli, "eventsub_council_fixture")
    reviews = [t for t in view["tasks"] if t["element_id"] == "review"]
    assert len(reviews) == 2
    view = _complete(cli, reviews[0], "2026-03-02T09:00", "mai", {"score": 8})
    assert sorted(t["element_id"] for t in view["tasks"]) == ["finalize", "leader_note", "review"]
    assert [t["task_id"] for t in view["tasks"] if t["element_id"] == "review"] == [reviews[1]["task_id"]]
    _verified(cli, view["case_id"])


def test_a_non_interrupting_message_event_sub_process_starts_again_for_each_message(cli, fixtures, tmp_path):
    path = _variant(tmp_path, fixtures, ('name="Yêu cầu rút hồ sơ">', 'name="Yêu cầu rút hồ sơ" isInterrupting="false">'))
    assert cli("deploy", str(path), "--json").code == 0
    view = _start(cli, "eventsub_withdraw_fixture")
    for hour in ("09", "10"):
        result = cli("correlate", "rut_ho_so", "--case", view["case_id"], "--json", now=f"2026-03-02T{hour}:00",
                     user="lan")
        assert result.code == 0, result.err
    view = _show(cli, view["case_id"])
    assert sorted(t["element_id"] for t in view["tasks"]) == ["appraise", "close_file", "close_file"]
    assert view["waiting_messages"] == ["rut_ho_so"]  # still listening while the process runs
    for task in [t for t in view["tasks"] if t["element_id"] == "close_file"]:
        _complete(cli, task, "2026-03-02T11:00", "mai")
    view = _complete(cli, _task(_show(cli, view["case_id"]), "appraise"), "2026-03-02T11:30", "mai")
    assert view["status"] == "completed" and view["waiting_messages"] == []
    result = cli("correlate", "rut_ho_so", "--case", view["case_id"], "--json", now="2026-03-02T12:00", user="lan")
    assert result.code == 3, result.out
    _verified(cli, view["case_id"])
