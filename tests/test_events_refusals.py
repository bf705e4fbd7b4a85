"""Events the engine ends or refuses (issue 14, events): a terminate end event ends the whole case; compensation,
cancel, cycle and cron timers and timer start events are refused at deploy with the element and the reason in one
sentence."""

from __future__ import annotations

import pytest

from tests.test_events_messages import EVENTS, _start, _types, _verified


def test_a_terminate_end_event_cancels_the_parallel_steps_and_ends_the_case(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / EVENTS), "--json").code == 0
    view = _start(cli, "ev_terminate")
    assert sorted(t["element_id"] for t in view["tasks"]) == ["ut_other", "ut_stop"]
    stop = next(t for t in view["tasks"] if t["element_id"] == "ut_stop")
    result = cli("complete", stop["task_id"], "--data", "{}", "--json", now="2026-03-02T09:00", user="mai")
    assert result.code == 0, result.err
    view = result.json()
    assert view["status"] == "completed" and view["tasks"] == []
    types = _types(cli, view["case_id"])
    assert ("task_cancelled", "ut_other") in types and ("end_reached", "end_stop") in types
    assert ("end_reached", "end_other") not in types
    ended = [e for e in cli("history", view["case_id"], "--json").json()["events"] if e["type"] == "end_reached"]
    assert [e["payload"]["terminate"] for e in ended] == [True]
    _verified(cli, view["case_id"])


TIMER = '<bpmn:timerEventDefinition id="t1"><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>'


@pytest.mark.parametrize(("old", "new", "needles"), [
    ('<bpmn:terminateEventDefinition id="ted_stop" />', '<bpmn:compensateEventDefinition id="c1" />',
     ("end_stop", "bù trừ", "bước xử lý")),
    ('<bpmn:terminateEventDefinition id="ted_stop" />', '<bpmn:cancelEventDefinition id="c1" />',
     ("end_stop", "giao dịch (transaction)")),
    # A timer start beside the reception's own start event (a timer start alone runs: test_events_timer_start.py).
    ('<bpmn:startEvent id="start_ev" name="Nhận hồ sơ">',
     '<bpmn:startEvent id="start_timer">' + TIMER + '</bpmn:startEvent><bpmn:startEvent id="start_ev" name="Nhận hồ sơ">',
     ("start_timer", "duy nhất")),
])
def test_what_the_engine_does_not_run_is_refused_at_deploy_with_the_reason(cli, fixtures, tmp_path, old, new,
                                                                           needles):
    text = (fixtures / "bpmn" / EVENTS / "terminate.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "r.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "r.bpmn"), "--json")
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    assert "\n" not in message and message.count(". ") == 0, message  # one sentence
    for needle in needles:
        assert needle in message, message


def test_a_link_throw_event_continues_at_the_link_catch_event_of_the_same_name(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / EVENTS), "--json").code == 0
    view = _start(cli, "ev_link")
    assert [t["element_id"] for t in view["tasks"]] == ["ut_first"]
    result = cli("complete", view["tasks"][0]["task_id"], "--data", "{}", "--json", now="2026-03-02T09:00", user="lan")
    assert result.code == 0, result.err
    assert [t["element_id"] for t in result.json()["tasks"]] == ["ut_second"]
    second = result.json()["tasks"][0]["task_id"]
    done = cli("complete", second, "--data", "{}", "--json", now="2026-03-02T10:00", user="mai").json()
    assert done["status"] == "completed"
    _verified(cli, view["case_id"])


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<bpmn:linkEventDefinition id="led_catch" name="trang_b" />',
     '<bpmn:linkEventDefinition id="led_catch" name="trang_c" />', "trang_b"),
    ('<bpmn:linkEventDefinition id="led_throw" name="trang_b" />', '<bpmn:linkEventDefinition id="led_throw" />',
     "tên"),
])
def test_a_link_without_its_pair_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    text = (fixtures / "bpmn" / EVENTS / "link.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "l.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "l.bpmn"), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]


def test_every_event_fixture_imports_and_lints_cleanly_in_camunda_modeler(fixtures):
    from tests.test_modeler_compat import run_checker

    paths = sorted((fixtures / "bpmn" / EVENTS).glob("*.bpmn"))
    assert len(paths) >= 8
    _, document = run_checker(*paths)
    assert {e["kind"] for e in document["files"]} == {"bpmn"}
    assert [(e["path"], e["problems"]) for e in document["files"] if e["problems"]] == []
    assert all("camunda-compat:7.22" in e["checks"] for e in document["files"])
