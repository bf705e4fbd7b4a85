"""Embedded sub-process (issue 14): a council appraisal as a sub-process with lanes inside and a non-interrupting
boundary timer in working time on it, driven through the CLI on a fixed clock."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day
DIAGRAM = "structure/council_subprocess.bpmn"


@pytest.fixture
def deployed(cli, fixtures):
    # The fixture forms, then the diagram (the folder's own deploy also picks the structure/ diagrams up).
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


def _into_council(cli):
    view = cli("start", "council_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START, user="lan")
    assert view.code == 0, view.err
    view = view.json()
    view = _complete(cli, _only(view), {}, "lan", "2026-03-02T09:00")
    return view


def test_completing_the_step_before_a_sub_process_opens_the_sub_process_first_task_in_its_own_lane(deployed):
    view = _into_council(deployed)
    task = _only(view)
    assert task["element_id"] == "appraise"
    assert task["lane"] == "Công chức thụ lý" and task["candidate_groups"] == ["staff"]
    # The next step inside the sub-process goes to another lane, as drawn.
    view = _complete(deployed, task, {"score": 7}, "mai", "2026-03-02T10:00")
    task = _only(view)
    assert task["element_id"] == "conclude" and task["lane"] == "Lãnh đạo Sở"


def test_task_events_inside_a_sub_process_name_it_and_events_outside_do_not(deployed):
    view = _into_council(deployed)
    view = _complete(deployed, _only(view), {"score": 7}, "mai", "2026-03-02T10:00")
    events = deployed("history", view["case_id"], "--json").json()["events"]
    scoped = {(e["type"], e["element_id"]): e["payload"].get("sub_process") for e in events
              if e["type"] in ("task_created", "task_completed")}
    assert scoped[("task_created", "receive")] is None
    assert scoped[("task_completed", "receive")] is None
    assert scoped[("task_created", "appraise")] == "council"
    assert scoped[("task_completed", "appraise")] == "council"
    assert scoped[("task_created", "conclude")] == "council"
    completed = next(e for e in events if e["type"] == "task_completed" and e["element_id"] == "appraise")
    assert completed["payload"]["data"]["score"] == 7


def test_the_sub_process_end_leads_on_to_the_next_step_and_the_case_completes(deployed):
    view = _into_council(deployed)
    view = _complete(deployed, _only(view), {"score": 7}, "mai", "2026-03-02T10:00")
    view = _complete(deployed, _only(view), {"decision": "approve"}, "son", "2026-03-02T11:00")
    assert _only(view)["element_id"] == "approve"
    events = deployed("history", view["case_id"], "--json").json()["events"]
    ends = [(e["element_id"], e["payload"].get("sub_process")) for e in events if e["type"] == "end_reached"]
    assert ends == [("EndEvent_council", "council")]
    view = _complete(deployed, _only(view), {"decision": "approve"}, "son", "2026-03-02T14:00")
    assert view["status"] == "completed" and view["tasks"] == []
    shown = deployed("show", view["case_id"], "--json", now="2026-03-02T15:00").json()
    assert shown["status"] == "completed"
    assert deployed("verify", view["case_id"], now="2026-03-02T15:00").code == 0
    replayed = deployed("replay", view["case_id"], "--json", now="2026-03-02T15:00")
    assert replayed.code == 0 and replayed.json()["ok"] is True, replayed.out


def test_a_non_interrupting_timer_on_the_sub_process_fires_in_working_time_and_the_work_inside_goes_on(deployed):
    view = _into_council(deployed)
    case_id = view["case_id"]
    # Entered Monday 09:00; 2 working days = 16 working hours: Monday 09:00-17:30 less lunch (6.5 h) + Tuesday (8 h)
    # + Wednesday 07:30-09:00 (1.5 h) → Wednesday 09:00. A weekend-free calendar count, not 48 clock hours.
    assert deployed("tick", "--json", now="2026-03-04T09:00:00").json()["fired"] == 0
    late = deployed("tick", "--json", now="2026-03-04T09:00:01").json()
    assert late["fired"] == 1
    fired = next(e for e in late["events"] if e["type"] == "timer_fired")
    assert fired["element_id"] == "Timer_council" and fired["attached_to"] == "council"
    assert fired["due_at"] == "2026-03-04T09:00:00+07:00"
    # The step open inside the sub-process (no timer of its own) is overdue, and shows the sub-process's due time.
    overdue = [(e["element_id"], e["task_id"]) for e in late["events"] if e["type"] == "step_overdue"]
    assert overdue == [("appraise", view["tasks"][0]["task_id"])]
    assert view["tasks"][0]["due_at"] == "2026-03-04T09:00:00+07:00"
    # Non-interrupting: the task inside is still open, and the timer does not fire again.
    shown = deployed("show", case_id, "--json", now="2026-03-04T09:01").json()
    assert _only(shown)["element_id"] == "appraise" and shown["status"] == "active"
    assert _only(shown)["overdue"] is True and [t["element_id"] for t in shown["overdue_steps"]] == ["appraise"]
    assert deployed("tick", "--json", now="2026-03-05T09:00").json()["fired"] == 0
    view = _complete(deployed, _only(shown), {"score": 8}, "mai", "2026-03-04T10:00")
    view = _complete(deployed, _only(view), {"decision": "approve"}, "son", "2026-03-04T11:00")
    view = _complete(deployed, _only(view), {"decision": "approve"}, "son", "2026-03-04T14:00")
    assert view["status"] == "completed"
    assert deployed("verify", case_id, now="2026-03-05T15:00").code == 0
    replayed = deployed("replay", case_id, "--json", now="2026-03-05T15:00")
    assert replayed.code == 0 and replayed.json()["ok"] is True, replayed.out


def test_the_timer_on_a_sub_process_is_cancelled_when_the_sub_process_ends_in_time(deployed):
    view = _into_council(deployed)
    view = _complete(deployed, _only(view), {"score": 7}, "mai", "2026-03-02T10:00")
    view = _complete(deployed, _only(view), {"decision": "approve"}, "son", "2026-03-02T11:00")
    assert deployed("tick", "--json", now="2026-03-10T09:00").json()["fired"] == 0


def test_a_sub_process_without_a_start_event_or_an_event_sub_process_is_refused_at_deploy(deployed, fixtures, tmp_path):
    text = (fixtures / "bpmn" / DIAGRAM).read_text(encoding="utf-8")
    no_start = tmp_path / "no_start.bpmn"
    no_start.write_text(text.replace('<bpmn:startEvent id="StartEvent_council" name="Họp hội đồng">',
                                     '<bpmn:intermediateThrowEvent id="StartEvent_council" name="Họp hội đồng">')
                        .replace('</bpmn:startEvent>\n      <bpmn:userTask id="appraise"',
                                 '</bpmn:intermediateThrowEvent>\n      <bpmn:userTask id="appraise"'), encoding="utf-8")
    event_sub = tmp_path / "event_sub.bpmn"
    event_sub.write_text(text.replace('<bpmn:subProcess id="council" name="Hội đồng thẩm định">',
                                      '<bpmn:subProcess id="council" name="Hội đồng thẩm định" triggeredByEvent="true">'),
                         encoding="utf-8")
    transaction = tmp_path / "transaction.bpmn"
    transaction.write_text(text.replace("bpmn:subProcess", "bpmn:transaction"), encoding="utf-8")
    for path, element, words in ((event_sub, "council", "quy trình con sự kiện"),
                                 (transaction, "council", "giao dịch (transaction)")):
        result = deployed("deploy", str(path), "--json")
        assert result.code == 4, result.out
        assert f"'{element}'" in result.err and words in result.err and path.name in result.err, result.err
    assert deployed("deploy", str(no_start), "--json").code == 4
