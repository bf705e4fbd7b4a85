"""Conditional events as Camunda 7 runs them (issue 14, everything a Modeler can save): an intermediate catch event
waits until its `${}` condition holds and passes at once when it already does; a boundary event leaves its step when
its condition starts to hold; both are re-evaluated after every command that sets variables, filtered by
`camunda:variableName`/`variableEvents`; conditional start events are refused at deploy with the reason."""

from __future__ import annotations

import pytest

from engine.dialect.conditional import EngineConditionalEventDefinition
from tests.test_events_messages import EVENTS, _history, _start, _types, _verified, deployed  # noqa: F401 (fixture)


def _open(cli, case_id):
    return sorted(t["element_id"] for t in cli("show", case_id, "--json").json()["tasks"])


def _complete(cli, case_id, element_id, data, now, user):
    task = next(t for t in cli("show", case_id, "--json").json()["tasks"] if t["element_id"] == element_id)
    result = cli("complete", task["task_id"], "--data", data, "--json", now=now, user=user)
    assert result.code == 0, result.err


def test_a_catch_event_waits_until_another_step_sets_its_condition_true(deployed):
    case_id = _start(deployed, "ev_conditional")["case_id"]
    assert _open(deployed, case_id) == ["ut_collect", "ut_monitor"]  # a missing variable: not met, waiting
    _complete(deployed, case_id, "ut_monitor", '{"du_y_kien": false}', "2026-03-02T09:00", "hung")
    assert _open(deployed, case_id) == ["ut_collect"]
    _complete(deployed, case_id, "ut_collect", '{"du_y_kien": true}', "2026-03-02T10:00", "mai")
    assert _open(deployed, case_id) == ["ut_decide"]
    met = [e for e in _history(deployed, case_id) if e["type"] == "condition_met"]
    assert [(e["element_id"], e["payload"]["condition"]) for e in met] == [("catch_ready", "${du_y_kien == true}")]
    _verified(deployed, case_id)


def test_a_catch_event_whose_condition_already_holds_passes_at_once(deployed):
    view = _start(deployed, "ev_conditional", data='{"du_y_kien": true}')
    assert sorted(t["element_id"] for t in view["tasks"]) == ["ut_collect", "ut_decide", "ut_monitor"]
    _verified(deployed, view["case_id"])


def test_a_boundary_condition_interrupts_its_step_when_a_later_command_makes_it_hold(deployed):
    case_id = _start(deployed, "ev_conditional", data='{"du_y_kien": true}')["case_id"]
    _complete(deployed, case_id, "ut_collect", '{"so_ngay_tre": 2}', "2026-03-02T09:00", "mai")
    assert "ut_decide" in _open(deployed, case_id)  # 2 > 3 is false
    _complete(deployed, case_id, "ut_monitor", '{"so_ngay_tre": 5}', "2026-03-02T10:00", "hung")
    assert _open(deployed, case_id) == []
    types = _types(deployed, case_id)
    assert types.index(("condition_met", "b_late")) < types.index(("end_reached", "end_late"))
    assert ("task_cancelled", "ut_decide") in types and ("task_completed", "ut_decide") not in types
    assert deployed("show", case_id, "--json").json()["status"] == "completed"
    _verified(deployed, case_id)


def test_the_variable_filter_decides_which_changes_are_re_evaluated():
    late = EngineConditionalEventDefinition("${so_ngay_tre > 3}", variable_names=("so_ngay_tre",))
    assert late.listens_to({"so_ngay_tre": "update"}) and not late.listens_to({"ghi_chu": "create"})
    created_only = EngineConditionalEventDefinition("${x}", variable_events=("create",))
    assert created_only.listens_to({"x": "create"}) and not created_only.listens_to({"x": "update"})
    anything = EngineConditionalEventDefinition("${x}")
    assert anything.listens_to({"y": "update"}) and not anything.listens_to({})


def test_a_change_the_filter_ignores_does_not_fire_the_boundary_event(deployed):
    # The boundary's condition is `so_ngay_tre > 3 || huy == true`, but it listens to so_ngay_tre only: setting huy
    # alone leaves it waiting; the next change of so_ngay_tre re-evaluates it, and huy makes it hold.
    case_id = _start(deployed, "ev_conditional", data='{"du_y_kien": true, "so_ngay_tre": 1}')["case_id"]
    _complete(deployed, case_id, "ut_monitor", '{"huy": true}', "2026-03-02T09:00", "hung")
    assert "ut_decide" in _open(deployed, case_id)
    assert ("condition_met", "b_late") not in _types(deployed, case_id)
    _complete(deployed, case_id, "ut_collect", '{"so_ngay_tre": 0}', "2026-03-02T10:00", "mai")
    assert _open(deployed, case_id) == []
    assert ("condition_met", "b_late") in _types(deployed, case_id)
    _verified(deployed, case_id)


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<bpmn:startEvent id="start_cd" name="Nhận hồ sơ">',
     '<bpmn:startEvent id="start_cd" name="Nhận hồ sơ"><bpmn:conditionalEventDefinition id="x">'
     '<bpmn:condition>${a == 1}</bpmn:condition></bpmn:conditionalEventDefinition>', "bắt đầu theo điều kiện"),
    ("${du_y_kien == true}", "du_y_kien == true", "${"),
    ('camunda:variableName="so_ngay_tre"', 'camunda:variableName="so_ngay_tre" camunda:variableEvents="rename"',
     "variableEvents"),
])
def test_what_the_engine_cannot_evaluate_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    text = (fixtures / "bpmn" / EVENTS / "conditional.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "c.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "c.bpmn"))
    assert result.code == 4 and needle in result.err, result.err
