"""SpiffWorkflow lives here: compile definitions, start and restore workflows, apply one command, derive events.

Each command works on a workflow restored from its stored state and returns the facts it caused as plain event
dicts (`type`, `element_id`, payload …). Events are derived from a before/after diff of the task tree, because the
library's own hooks are lost on deserialization and read the wall clock. Task data never goes to the library's
loggers (they would write citizens' data to log files).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import assignment
from engine.dialect.decision_task import DecisionTask
from engine.dialect.parser import TthcParser
from engine.dialect.script_engine import SafeScriptEngine
from engine.dialect.timers import SUSPENDED, EngineTimeDateTimer, WorkingDurationTimer
from engine.dialect.validate import BpmnInfo, check_bpmn
from engine.dialect.xml import parse_xml
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.state_codec import dump_state, load_state, mark_changed

for _name in ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class Compiled:
    """A deployed BPMN definition, parsed once per process and shared by every case on it."""

    content_hash: str
    info: BpmnInfo
    spec: Any


_compiled: dict[str, Compiled] = {}


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def compile_bpmn(content: bytes, filename: str) -> Compiled:
    digest = content_hash(content)
    cached = _compiled.get(digest)
    if cached is not None:
        return cached
    info = check_bpmn(content, filename)
    parser = TthcParser()
    try:
        parser.add_bpmn_xml(parse_xml(content, filename).getroottree(), filename=filename)
        spec = parser.get_spec(info.process_id)
    except ValidationException as exc:
        element = getattr(exc, "id", None) or getattr(exc, "name", None)
        raise InvalidInput(
            f"Tệp '{filename}', phần tử '{element}': sơ đồ không thực thi được: {exc.args[0] if exc.args else exc}.",
            file=filename,
            element=element,
        ) from exc
    assignment.check_definition(spec, filename)
    compiled = Compiled(digest, info, spec)
    _compiled[digest] = compiled
    return compiled


def _unwrap(exc: BaseException) -> EngineError | None:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, EngineError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _run_engine(action: Callable[[], Any], element: str | None = None) -> Any:
    """Run a library call; our own errors raised deep inside it come back out unwrapped."""
    try:
        return action()
    except SpiffWorkflowException as exc:
        inner = _unwrap(exc)
        if inner is not None:
            raise inner from exc
        raise


@dataclass(frozen=True)
class OpenTask:
    task_id: str
    element_id: str
    name: str
    lane: str | None
    lane_id: str | None
    # As the diagram declares them, `${...}` unevaluated: engine.assignment resolves them when the task is created.
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None
    form_ref: str | None
    properties: dict
    due_at: datetime | None


def _is_timer(spec) -> bool:
    return isinstance(spec, CatchingEvent) and isinstance(
        getattr(spec, "event_definition", None), (WorkingDurationTimer, EngineTimeDateTimer)
    )


def _attached_to(task) -> Any:
    """The user task a boundary event belongs to (its sibling under the library's boundary-event parent)."""
    parent = task.parent
    if parent is None:
        return None
    for sibling in parent.children:
        if sibling is not task and isinstance(sibling.task_spec, UserTask):
            return sibling
    return None


def _tree(workflow: BpmnWorkflow) -> Iterable:
    """Every task in the order of the library's `get_tasks()` (depth first, children in order), walked directly:
    the library's iterator costs more than the rest of a command's bookkeeping. No subprocesses (deploy refuses
    them), so the top workflow's tree is the whole tree."""
    tasks = workflow.tasks
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        yield task
        children = task._children
        if children:
            stack.extend(child for child in map(tasks.get, reversed(children)) if child is not None)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class Runtime:
    def __init__(self, clock, calendar, decide: Callable[[str, Mapping[str, Any], str], Any] | None = None) -> None:
        self.clock = clock
        self.calendar = calendar
        self.script_engine = SafeScriptEngine(clock, calendar, decide)

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self, compiled: Compiled, data: Mapping[str, Any]) -> tuple[BpmnWorkflow, list[dict]]:
        workflow = BpmnWorkflow(compiled.spec, script_engine=self.script_engine)
        before = self._snapshot(workflow)
        start = workflow.get_tasks(state=TaskState.READY)
        for task in start:
            task.data.update(data)
        workflow.data.update({})
        _run_engine(workflow.do_engine_steps)
        return workflow, self._derive(workflow, before)

    def restore(self, compiled: Compiled, state: str) -> BpmnWorkflow:
        return load_state(state, compiled.spec, self.script_engine)

    def dump(self, workflow: BpmnWorkflow) -> str:
        return dump_state(workflow)

    # --- commands --------------------------------------------------------------------------------------------
    def ready_user_task(self, workflow: BpmnWorkflow, task_id: str):
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None or not isinstance(task.task_spec, UserTask):
            raise NotFound(f"Không có bước '{task_id}' trong hồ sơ này.", task=task_id)
        if task.state != TaskState.READY:
            raise Conflict(
                f"Bước '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}' ({task_id}) không còn chờ xử lý "
                f"(trạng thái: {TaskState.get_name(task.state)}).",
                task=task_id,
            )
        return task

    def complete(self, workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> list[dict]:
        task = self.ready_user_task(workflow, task_id)
        before = self._snapshot(workflow)
        task.data.update(data)
        _run_engine(task.run, task.task_spec.bpmn_id)
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before, completed={str(task.id): dict(data)})

    def fire_timers(self, workflow: BpmnWorkflow) -> list[dict]:
        before = self._snapshot(workflow)
        _run_engine(workflow.refresh_timers)
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before)

    def cancel(self, workflow: BpmnWorkflow) -> list[dict]:
        before = self._snapshot(workflow)
        workflow.cancel()
        return self._derive(workflow, before)

    def update_case_data(self, workflow: BpmnWorkflow, values: Mapping[str, Any]) -> None:
        """Case-level values (a restarted due time) into every task still to run, so later steps see them."""
        for task in workflow.tasks.values():
            if task._state & TaskState.NOT_FINISHED_MASK:
                task.data.update(values)
        if workflow.last_task is not None:
            workflow.last_task.data.update(values)
            mark_changed(workflow, workflow.last_task)  # finished: the incremental dump would keep its old data

    def reset_timer_expression(self, workflow: BpmnWorkflow, variable: str, due: datetime | None) -> int:
        """Move waiting `timeDate` timers whose expression reads `variable` (the apology timer reads `apology_at`)
        to `due`, or suspend them (`None`) until a later reset."""
        from engine.dialect.script_engine import compiled as compiled_expression
        from engine.dialect.expressions import is_expression

        moved = 0
        for task in workflow.tasks.values():
            if task._state != TaskState.WAITING:
                continue
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, EngineTimeDateTimer) and is_expression(definition.expression):
                if variable in compiled_expression(definition.expression).variables:
                    task._set_internal_data(event_value=due.isoformat() if due else SUSPENDED, event_fired=False)
                    moved += 1
        return moved

    # --- views -----------------------------------------------------------------------------------------------
    def open_tasks(self, workflow: BpmnWorkflow) -> list[OpenTask]:
        return [self._open_task(t) for t in _tree(workflow)
                if t._state == TaskState.READY and isinstance(t.task_spec, UserTask)]

    def _open_task(self, task) -> OpenTask:
        spec = task.task_spec
        ext = getattr(spec, "extensions", {}) or {}
        return OpenTask(
            task_id=str(task.id),
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            lane_id=ext.get("lane_id"),
            candidate_groups=tuple(ext.get("candidate_groups", ())),
            candidate_users=tuple(ext.get("candidate_users", ())),
            assignee=ext.get("assignee"),
            form_ref=ext.get("form_ref"),
            properties=dict(ext.get("properties", {})),
            due_at=self._step_due(task),
        )

    def _step_due(self, task) -> datetime | None:
        """A step's due time is the due time of its boundary timer (the step's allotment in working time)."""
        parent = task.parent
        if parent is None:
            return None
        dues = []
        for sibling in parent.children:
            if sibling is task or not _is_timer(sibling.task_spec):
                continue
            value = sibling._get_internal_data("event_value")
            if value and value != SUSPENDED:
                dues.append(datetime.fromisoformat(value))
        return min(dues) if dues else None

    def next_timer_at(self, workflow: BpmnWorkflow) -> datetime | None:
        dues = [
            datetime.fromisoformat(value)
            for t in workflow.tasks.values()
            if t._state == TaskState.WAITING and _is_timer(t.task_spec) and not t._get_internal_data("event_fired")
            and (value := t._get_internal_data("event_value")) and value != SUSPENDED
        ]
        return min(dues) if dues else None

    # --- events ----------------------------------------------------------------------------------------------
    @staticmethod
    def _snapshot(workflow: BpmnWorkflow) -> dict[UUID, int]:
        return {task_id: task._state for task_id, task in workflow.tasks.items()}

    def _derive(self, workflow: BpmnWorkflow, before: Mapping[UUID, int], completed: Mapping[str, dict] | None = None) -> list[dict]:
        completed = completed or {}
        events: list[dict] = []
        now = self.clock.now()
        changed = False
        for task in _tree(workflow):
            spec = task.task_spec
            old = before.get(task.id)
            if old == task._state:
                continue
            changed = True
            if isinstance(spec, UserTask):
                if task.state == TaskState.READY:
                    view = self._open_task(task)
                    # Evaluated once, here, over the data the task is created with; the event carries the result.
                    assigned = assignment.resolve(view.element_id, spec.extensions or {}, task.data)
                    created = {
                        "type": "task_created",
                        "element_id": view.element_id,
                        "task_id": view.task_id,
                        "name": view.name,
                        "lane": view.lane,
                        "lane_id": view.lane_id,
                        "groups": list(assigned.candidate_groups),
                        "step": view.properties.get("step"),
                        "allotted_working_days": view.properties.get("allotted_working_days"),
                        "restart_deadline": view.properties.get("restart_deadline") == "true",
                        "due_at": _iso(view.due_at),
                    }
                    # Only when there is one: histories of tasks assigned by group alone keep their exact payload.
                    if assigned.assignee is not None:
                        created["assignee"] = assigned.assignee
                    if assigned.candidate_users:
                        created["candidate_users"] = list(assigned.candidate_users)
                    events.append(created)
                elif task.state == TaskState.COMPLETED and str(task.id) in completed:
                    events.append({
                        "type": "task_completed",
                        "element_id": spec.bpmn_id,
                        "task_id": str(task.id),
                        "name": spec.bpmn_name or spec.bpmn_id,
                        "lane": spec.lane,
                        "lane_id": (spec.extensions or {}).get("lane_id"),
                        "data": completed[str(task.id)],
                        "due_at": _iso(self._step_due(task)),
                        "restart_deadline": (spec.extensions or {}).get("properties", {}).get("restart_deadline") == "true",
                    })
                elif task.state == TaskState.CANCELLED and old == TaskState.READY:
                    events.append({"type": "task_cancelled", "element_id": spec.bpmn_id, "task_id": str(task.id),
                                   "name": spec.bpmn_name or spec.bpmn_id})
            elif _is_timer(spec) and task.state == TaskState.COMPLETED and old is not None:
                owner = _attached_to(task)
                events.append({
                    "type": "timer_fired",
                    "element_id": spec.bpmn_id,
                    "name": spec.bpmn_name,
                    "due_at": task._get_internal_data("event_value"),
                    "attached_to": owner.task_spec.bpmn_id if owner is not None else None,
                    "task_id": str(owner.id) if owner is not None else None,
                })
                if owner is not None and owner.state == TaskState.READY:
                    events.append({
                        "type": "step_overdue",
                        "element_id": owner.task_spec.bpmn_id,
                        "task_id": str(owner.id),
                        "name": owner.task_spec.bpmn_name,
                        "lane": owner.task_spec.lane,
                        "due_at": task._get_internal_data("event_value"),
                    })
            elif isinstance(spec, DecisionTask) and task.state == TaskState.COMPLETED:
                events.append({
                    "type": "decision_evaluated",
                    "element_id": spec.bpmn_id,
                    "decision": spec.decision_ref,
                    "result_variable": spec.result_variable,
                    "result": task.data.get(spec.result_variable) if spec.result_variable else None,
                })
            elif isinstance(spec, EndEvent) and task.state == TaskState.COMPLETED:
                events.append({
                    "type": "end_reached",
                    "element_id": spec.bpmn_id,
                    "name": spec.bpmn_name,
                    "terminate": isinstance(getattr(spec, "event_definition", None), TerminateEventDefinition),
                })
        if changed and workflow.is_completed():
            events.append({"type": "workflow_completed"})
        for event in events:
            event.setdefault("at", now.isoformat())
        return events

    def final_data(self, workflow: BpmnWorkflow) -> dict:
        """The case data: what the last completed task saw (ends carry everything that flowed into them)."""
        last = workflow.last_task
        return dict(last.data) if last is not None else {}
