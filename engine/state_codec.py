"""The per-case state a store keeps: the workflow's task tree and data, without the process spec.

The library's serializer embeds the whole spec (about half of a case's JSON) and rebuilds it on every load. Our
definitions are stored once, content-hashed, and parsed once per process (`runtime.compile_bpmn`), so a case stores
only its instance state and is restored onto the shared spec object — the difference between ~3 ms and ~0.8 ms a load.
Typed values in task data (dates, times, decimals from forms) are registered so they round-trip exactly.
"""

from __future__ import annotations

import json
import os
from weakref import WeakKeyDictionary

from datetime import date, time
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter

from engine.dialect.decision_task import DecisionTask, DecisionTaskConverter
from engine.dialect.external_task import ExternalEndEvent, ExternalTask, ExternalTaskConverter
from engine.dialect.timers import EngineTimeDateTimer, WorkingDurationTimer
from engine.dialect.multi_instance import CamundaParallelMultiInstance, CamundaSequentialMultiInstance
from SpiffWorkflow.bpmn.serializer.default.task_spec import MultiInstanceTaskConverter
from typing import Any

STATE_FORMAT = "tthc-state-1"  # bump with a migration when the stored layout changes


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict, spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _register_values(registry) -> None:
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(time, lambda v: {"value": v.isoformat()}, lambda v: time.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))


def full_config() -> dict:
    """The library's Camunda configuration plus our spec classes: for the full (spec-embedding) serializer."""
    config = dict(CAMUNDA_CONFIG)
    config[DecisionTask] = DecisionTaskConverter
    config[ExternalTask] = ExternalTaskConverter
    config[ExternalEndEvent] = ExternalTaskConverter
    from engine.dialect.call_activity import CallActivityConverter, CallActivityTask

    config[CallActivityTask] = CallActivityConverter
    config[WorkingDurationTimer] = TimerConditionalEventDefinitionConverter
    config[EngineTimeDateTimer] = TimerConditionalEventDefinitionConverter
    from engine.dialect.timers import WorkingCycleTimer

    config[WorkingCycleTimer] = TimerConditionalEventDefinitionConverter
    # Our message events use the library's plain message definition (engine/dialect/messages.py), which the Camunda
    # configuration replaces with its own: an event-based gateway keeps the caught event in its task's data.
    from SpiffWorkflow.bpmn.serializer.default.event_definition import MessageEventDefinitionConverter
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

    config[MessageEventDefinition] = MessageEventDefinitionConverter
    config[CamundaParallelMultiInstance] = MultiInstanceTaskConverter
    config[CamundaSequentialMultiInstance] = MultiInstanceTaskConverter
    from engine.dialect.error_events import EngineErrorEventDefinition, EngineErrorEventDefinitionConverter

    config[EngineErrorEventDefinition] = EngineErrorEventDefinitionConverter
    from engine.dialect.escalation import EngineEscalationEventDefinition, EngineEscalationEventDefinitionConverter

    config[EngineEscalationEventDefinition] = EngineEscalationEventDefinitionConverter
    return config


def full_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(full_config())
    _register_values(registry)
    return BpmnWorkflowSerializer(registry)


_state_config = full_config()
_state_config[BpmnWorkflow] = StateOnlyWorkflowConverter
_registry = BpmnWorkflowSerializer.configure(_state_config)
_register_values(_registry)
# Every use of this registry here encodes (dumps go through the JSON encoder; restores never read the flag), so it is
# put in the library's encoder mode once, at import, and never flipped: no shared flag changes while threads run.
_registry._encoder_mode = True


_encoder = create_encoder(_registry)


def dump_state(workflow: BpmnWorkflow) -> str:
    """JSON text of the instance state. Encoder mode, as the library's own serializer does: task data is stored as
    deltas against the parent task, and only the JSON encoder converts the typed values inside them.

    A finished task never changes again, so its encoded JSON is kept on the workflow object and reused by the next
    dump of the same object (a long-running process keeps workflows between commands), and so is a predicted task's
    while it holds no data: only tasks that are new, ready or waiting, changed state, gained or lost children, were
    marked by `mark_changed`, or whose parent was re-encoded (their data is a delta against the parent's) are encoded
    again. The text is the same JSON document as
    `reference_dump_state` (key order aside); with TTHC_CHECK_STATE=1 (the test suite) every dump is compared with it.
    """
    text = _dump_incremental(workflow)
    if _CHECK:
        reference = reference_dump_state(workflow)
        ours, theirs = json.loads(text), json.loads(reference)
        if ours != theirs:
            diff = sorted(k for k in set(ours["tasks"]) | set(theirs["tasks"])
                          if ours["tasks"].get(k) != theirs["tasks"].get(k))
            top = sorted(k for k in set(ours) | set(theirs) if k != "tasks" and ours.get(k) != theirs.get(k))
            raise AssertionError(f"incremental state dump differs from the library serializer's: tasks {diff[:3]}"
                                 f" {[(ours['tasks'].get(k), theirs['tasks'].get(k)) for k in diff[:1]]}, fields {top}")
    return text


def mark_changed(workflow: BpmnWorkflow, task: Any) -> None:
    """Tell the next dump that `task` (finished, so normally cached) had its data changed in place."""
    _changed.setdefault(workflow, set()).add(task.id)


# Beside each workflow object, never inside it (the library's object stays the library's): the encoded JSON of its
# tasks from the last dump, and the finished tasks changed in place since. Weak keys: an entry goes with its workflow.
_fragments: "WeakKeyDictionary[BpmnWorkflow, dict]" = WeakKeyDictionary()
_changed: "WeakKeyDictionary[BpmnWorkflow, set]" = WeakKeyDictionary()
_CHECK = os.environ.get("TTHC_CHECK_STATE") == "1"


def _dump_incremental(workflow: BpmnWorkflow) -> str:
    cache: dict = _fragments.get(workflow) or {}
    changed: set = set(_changed.pop(workflow, ()))
    fresh: dict = {}
    parts: list[str] = []
    run: dict[str, dict] = {}  # consecutive tasks to encode in one call (unfinished ones, never kept)

    def flush() -> None:
        if run:
            parts.append(json.dumps(run, cls=_encoder, separators=(",", ":"), ensure_ascii=False)[1:-1])
            run.clear()

    finished = TaskState.FINISHED_MASK
    # workflow.tasks is in creation order, so a parent is always looked at before its children, and the text keeps
    # that order (restoring a task merges its data delta into its parent's data).
    for task_id, task in workflow.tasks.items():
        state = task._state
        # Kept JSON is valid for a finished task, and for a predicted one that holds no data of its own yet (its JSON
        # then depends only on what the signature below and its parent's data say). A task with data that can still
        # change in place (ready, waiting) is encoded every time.
        keepable = state & finished or not (task.data or task.internal_data)
        if not keepable:
            run[str(task_id)] = _registry.convert(task)
            changed.add(task_id)
            continue
        entry = cache.get(task_id)
        same = (entry is not None and entry[0] == state and entry[1] == task.last_state_change
                and entry[2] == task._children and entry[3] == task.triggered and task_id not in changed)
        if not same:
            changed.add(task_id)  # its data may be new: its children's deltas must be encoded again too
        if same and task._parent not in changed:
            part = entry[4]
        else:
            part = f'"{task_id}":' + json.dumps(_registry.convert(task), cls=_encoder, separators=(",", ":"),
                                                ensure_ascii=False)
        flush()
        fresh[task_id] = (state, task.last_state_change, list(task._children), task.triggered, part)
        parts.append(part)
    flush()
    _fragments[workflow] = fresh
    top = {
        "typename": _registry.typenames[workflow.__class__],
        "format": STATE_FORMAT,
        "data": _registry.convert(_registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "root": str(workflow.task_tree.id),
        "subprocesses": {str(k): _registry.convert(v) for k, v in workflow.subprocesses.items()},
        "bpmn_events": _registry.convert(workflow.bpmn_events),
    }
    head = json.dumps(top, cls=_encoder, separators=(",", ":"), ensure_ascii=False)
    return head[:-1] + ',"tasks":{' + ",".join(parts) + "}}"


def reference_dump_state(workflow: BpmnWorkflow) -> str:
    """The same state through the library's converter, every task encoded (the definition `dump_state` is held to)."""
    state = _registry.convert(workflow)
    state["format"] = STATE_FORMAT
    return json.dumps(state, cls=_encoder, separators=(",", ":"), ensure_ascii=False)


def load_state(text: str, spec: Any, script_engine: Any, subprocess_specs: Any = None) -> BpmnWorkflow:
    dct = json.loads(text)
    fmt = dct.pop("format", None)
    if fmt != STATE_FORMAT:
        raise ValueError(f"unknown state format {fmt!r}")
    # Embedded sub-processes are restored onto their shared specs (by id), as the top workflow is onto its own.
    workflow = _registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    return workflow
