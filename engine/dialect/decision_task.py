"""`businessRuleTask` with `camunda:decisionRef`, evaluated by our DMN engine, not SpiffWorkflow's Python cells."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter

MAP_MODES = ("singleEntry", "singleResult", "collectEntries", "resultList")


class DecisionTask(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, decision_ref, result_variable, map_mode="resultList", **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref
        self.result_variable = result_variable
        self.map_mode = map_mode

    def _run_hook(self, my_task):
        engine = my_task.workflow.script_engine
        value = engine.decide(self.decision_ref, my_task.data, self.map_mode)
        # Camunda 7 without a resultVariable keeps the result only in the execution's history; we keep it the
        # same way (in the event log) and write no variable.
        if self.result_variable:
            my_task.data[self.result_variable] = value
        return True


class DecisionTaskConverter(TaskSpecConverter):
    def to_dict(self, spec: DecisionTask) -> dict:
        dct = self.get_default_attributes(spec)
        dct.update(decision_ref=spec.decision_ref, result_variable=spec.result_variable, map_mode=spec.map_mode)
        return dct

    def from_dict(self, dct: dict) -> DecisionTask:
        return self.task_spec_from_dict(dct)
