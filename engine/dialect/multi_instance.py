"""Multi-instance user tasks with Camunda 7's semantics (issue 14).

SpiffWorkflow's Camunda multi-instance classes rewrite the shared task spec while a case runs (the same spec serves
every case) and use the input collection as the output; its BPMN classes evaluate the completion condition over the
last instance's data alone. Here, as Camunda 7 documents it:
- `camunda:collection` names the input list (a variable, `units` or `${units}`), `camunda:elementVariable` the
  variable each instance gets its item in; `loopCardinality` (`${n}` or `3`) makes that many instances instead.
- Each instance has the local variables `loopCounter` (0-based) and the element variable, so
  `camunda:candidateGroups="${unit}"` / `camunda:assignee="${officer}"` resolve per instance; locals do not flow back
  into the case when an instance completes (what the officer submits does, the last submission winning, as C7's
  process-instance variables).
- `completionCondition` is evaluated by the safe `${}` evaluator after each instance completes, over the case data
  plus `nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances` (and the instance's locals); when true the
  other open instances are cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.task import TaskState

if TYPE_CHECKING:  # annotations only
    from typing import Iterable
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
    from SpiffWorkflow.specs.base import TaskSpec
    from SpiffWorkflow.task import Task

LOOP_COUNTER = "loopCounter"


def _locals(spec) -> set[str]:
    names = {LOOP_COUNTER}
    if spec.input_item is not None:
        names.add(spec.input_item.bpmn_id)
    return names


def counters(spec: TaskSpec, my_task: Task) -> dict[str, int]:
    instances = list(spec._instances(my_task))
    completed = len(my_task.internal_data.get("merged", []))
    active = sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))
    total = len(instances)
    if isinstance(spec, SequentialMultiInstanceTask):
        # Camunda 7: a sequential body knows all its instances from the start; one is active at a time.
        total = completed + active + len(my_task.internal_data.get("remaining", []))
        if my_task.internal_data.get("cardinality") is not None:
            total = my_task.internal_data["cardinality"]
    return {"nrOfInstances": total, "nrOfCompletedInstances": completed, "nrOfActiveInstances": active}


MAX_INSTANCES = 1000  # a bound on one body's instances: a runaway list would open that many tasks in one command


def _refuse(my_task, reason: str):
    from engine.errors import InvalidInput

    spec = my_task.task_spec
    inner = my_task.workflow.spec.task_specs.get(spec.task_spec)  # the instances' spec carries the name
    name = getattr(inner, "bpmn_name", None) or spec.bpmn_name or spec.bpmn_id
    return InvalidInput(f"Bước nhiều phiên bản '{name}' ({spec.bpmn_id}): {reason}; hồ sơ không thay đổi.",
                        element=spec.bpmn_id)


class _CamundaMultiInstance:
    def _update_hook(self, my_task):
        # Camunda 7 fails the command when the collection is missing or not a collection; so do we, with the reason
        # (the library would iterate a text character by character, or crash on a missing one).
        if my_task.state != TaskState.STARTED:
            # Before the library's hook the body has not yet taken its parent's data: look at both.
            data = {**(my_task.parent.data if my_task.parent is not None else {}), **my_task.data}
            if self.data_input is not None:
                name = self.data_input.bpmn_id
                if name not in data:
                    raise _refuse(my_task, f"biến danh sách '{name}' chưa có trong dữ liệu hồ sơ")
                items = data[name]
                if not isinstance(items, (list, tuple)):
                    raise _refuse(my_task, f"biến '{name}' phải là một danh sách, đang là {type(items).__name__}")
                count = len(items)
            else:
                count = my_task.workflow.script_engine.evaluate(my_task.parent or my_task, self.cardinality)
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise _refuse(my_task, f"loopCardinality phải là số nguyên không âm, đang là {count!r}")
            if count > MAX_INSTANCES:
                raise _refuse(my_task, f"{count} phiên bản vượt giới hạn {MAX_INSTANCES}")
        return super()._update_hook(my_task)

    def create_child(self, my_task, item, key_or_index=None):
        before = set(my_task._children)
        super().create_child(my_task, item, key_or_index)
        child = next(c for c in my_task.children if c.id not in before)
        # The instance's loopCounter: its position among the instances (the library's index, or its count so far).
        child.data[LOOP_COUNTER] = len(list(self._instances(my_task))) - 1

    def merge_child(self, workflow, child):
        # Locals stay in the instance (Camunda 7): they are taken out of what merges back into the body.
        saved = {k: child.data.pop(k) for k in _locals(self) if k in child.data}
        try:
            super().merge_child(workflow, child)
        finally:
            child.data.update(saved)

    def check_completion_condition(self, my_task):
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        last = next(c for c in my_task.children if str(c.id) == merged[-1])
        return bool(my_task.workflow.script_engine.evaluate(last, self.condition, counters(self, my_task)))


class CamundaParallelMultiInstance(_CamundaMultiInstance, ParallelMultiInstanceTask):
    pass


class CamundaSequentialMultiInstance(_CamundaMultiInstance, SequentialMultiInstanceTask):
    pass


def local_variables(specs: Iterable[BpmnProcessSpec]) -> set[str]:
    """The variables multi-instance bodies give their instances (for the deploy check of `${unit}` assignments)."""
    names: set[str] = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, _CamundaMultiInstance):
                names |= _locals(task_spec)
    return names
