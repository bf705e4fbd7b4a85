"""SpiffWorkflow lives here: compile definitions, start and restore workflows, apply one command, derive events.

Each command works on a workflow restored from its stored state and returns the facts it caused as plain event
dicts (`type`, `element_id`, payload …). Events are derived from a before/after diff of the task tree, because the
library's own hooks are lost on deserialization and read the wall clock. Task data never goes to the library's
loggers (they would write citizens' data to log files).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import assignment
from engine.dialect import conditional, messages, signals
from engine.dialect.artifacts import strip_inert
from engine.dialect.call_activity import CallActivityTask, call_events
from engine.dialect.decision_task import DecisionTask
from engine.dialect.error_events import CAUGHT, EngineErrorEventDefinition, raise_error
from engine.dialect.external_task import ExternalTask
from engine.dialect.links import rewrite_links
from engine.dialect import escalation
from engine.dialect.event_subprocess import is_wrapper, rewrite_event_subprocesses
from engine.dialect.parser import TthcParser
from engine.dialect.script_engine import SafeScriptEngine
from engine.dialect.timers import SUSPENDED, EngineTimeDateTimer, WorkingCycleTimer, WorkingDurationTimer
from engine.dialect.validate import BpmnInfo, check_bpmn
from engine.dialect.xml import parse_xml
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.policy import ProcedurePolicy, policy_of
from engine.state_codec import dump_state, load_state, mark_changed
from engine.workflow_cache import DEFINITIONS
from engine.history import EventType

# Event types bound once as plain tokens: looking an enum member up costs more than the comparison or the dict
# it feeds, on every event of every command (and plain strings take the fast path of `history.plain`).
DECISION_EVALUATED = EventType.DECISION_EVALUATED.value
END_REACHED = EventType.END_REACHED.value
CONDITION_MET = EventType.CONDITION_MET.value
STEP_OVERDUE = EventType.STEP_OVERDUE.value
TASK_CANCELLED = EventType.TASK_CANCELLED.value
TASK_COMPLETED = EventType.TASK_COMPLETED.value
TASK_CREATED = EventType.TASK_CREATED.value
TIMER_FIRED = EventType.TIMER_FIRED.value
WORKFLOW_COMPLETED = EventType.WORKFLOW_COMPLETED.value
EXTERNAL_TASK_CREATED = EventType.EXTERNAL_TASK_CREATED.value
EXTERNAL_TASK_COMPLETED = EventType.EXTERNAL_TASK_COMPLETED.value
EXTERNAL_TASK_CANCELLED = EventType.EXTERNAL_TASK_CANCELLED.value
ERROR_CAUGHT = EventType.ERROR_CAUGHT.value
MESSAGE_AWAITED = EventType.MESSAGE_AWAITED.value


if TYPE_CHECKING:
    from engine.calendar import BusinessCalendar, Clock
    from engine.projection import WorkflowChange

for _name in ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class Compiled:
    """A deployed BPMN definition, parsed once per process and shared by every case on it."""

    content_hash: str
    info: BpmnInfo
    spec: Any
    policy: ProcedurePolicy  # what the procedure's elements mean (outcomes, roles), from camunda:properties
    # The specs of embedded sub-processes by id (SpiffWorkflow runs each as a sub-workflow of the case).
    subprocess_specs: Mapping[str, Any] = field(default_factory=dict)

    def all_specs(self) -> list:
        """The process's spec and its sub-processes' specs: user tasks may sit in any of them."""
        return [self.spec, *self.subprocess_specs.values()]


_compiled = DEFINITIONS.compiled  # content hash -> Compiled (see engine.workflow_cache.DefinitionsCache)


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
        root = strip_inert(parse_xml(content, filename))  # artifacts change nothing (engine/dialect/artifacts.py)
        rewrite_links(root)  # link events as sequence flows (engine/dialect/links.py)
        rewrite_event_subprocesses(root)  # as boundary events of their scope (engine/dialect/event_subprocess.py)
        parser.add_bpmn_xml(root.getroottree(), filename=filename)
        spec = parser.get_spec(info.process_id)
        subprocess_specs = parser.get_subprocess_specs(info.process_id)
    except ValidationException as exc:
        element = getattr(exc, "id", None) or getattr(exc, "name", None)
        raise InvalidInput(
            f"Tệp '{filename}', phần tử '{element}': sơ đồ không thực thi được: {exc.args[0] if exc.args else exc}.",
            file=filename,
            element=element,
        ) from exc
    for one in (spec, *subprocess_specs.values()):
        assignment.check_definition(one, filename)
    compiled = Compiled(digest, info, spec, policy_of(content, filename), subprocess_specs)
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
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):  # an event-based gateway: the library's one waiting task
        return any(isinstance(d, (WorkingDurationTimer, EngineTimeDateTimer)) for d in definition.event_definitions)
    return isinstance(spec, CatchingEvent) and isinstance(definition, (WorkingDurationTimer, EngineTimeDateTimer,
                                                                       WorkingCycleTimer))


def _attached_to(task) -> Any:
    """The user task a boundary event belongs to (its sibling under the library's boundary-event parent)."""
    parent = task.parent
    if parent is None:
        return None
    for sibling in parent.children:
        if sibling is not task and isinstance(sibling.task_spec, (UserTask, SubWorkflowTask, MultiInstanceTask)):
            # The body of a scope with event sub-processes is drawn by nobody: a trigger on it is attached to nothing.
            return None if is_wrapper(sibling.task_spec.bpmn_id) else sibling
    return None


def _open_steps_inside(owner) -> list:
    """The ready user tasks inside the sub-process task `owner` (or inside each instance of a multi-instance
    sub-process) that have no boundary timer of their own, in creation order."""
    top = owner.workflow.top_workflow
    scopes = [owner] if isinstance(owner.task_spec, SubWorkflowTask) else [
        c for c in owner.children if isinstance(c.task_spec, SubWorkflowTask)]
    found = []
    for scope in scopes:
        sub = top.subprocesses.get(scope.id)
        if sub is None:
            continue
        for inner in sub.tasks.values():  # creation order: the same on replay
            if isinstance(inner.task_spec, SubWorkflowTask) and is_wrapper(inner.task_spec.bpmn_id):
                scopes.append(inner)  # the body of a scope with event sub-processes: its steps are the scope's
            if inner._state == TaskState.READY and isinstance(inner.task_spec, UserTask) and not any(
                    _is_timer(s.task_spec) for s in (inner.parent.children if inner.parent is not None else ())):
                found.append(inner)
    return found


def _scope(task) -> str | None:
    """The element id of the embedded sub-process a task runs in (None at the process's top level)."""
    parent_id = getattr(task.workflow, "parent_task_id", None)
    if parent_id is None:
        return None
    owner = task.workflow.top_workflow.get_task_from_id(parent_id)
    if owner is not None and is_wrapper(owner.task_spec.bpmn_id):
        return _scope(owner)  # the body wrapper of a scope with event sub-processes: the scope it stands for
    return owner.task_spec.bpmn_id if owner is not None else None


def _tree(workflow: BpmnWorkflow) -> Iterable:
    """Every task in the order of the library's `get_tasks()` (depth first, children in order, a sub-process's
    own tree before the sub-process task's children), walked directly: the library's iterator costs more than the
    rest of a command's bookkeeping."""
    subprocesses = workflow.subprocesses
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        yield task
        children = task._children
        if children:
            tasks = task.workflow.tasks
            stack.extend(child for child in map(tasks.get, reversed(children)) if child is not None)
        if subprocesses:
            sub = subprocesses.get(task.id)
            if sub is not None:
                stack.append(sub.task_tree)


def _all_tasks(workflow: BpmnWorkflow) -> Iterable:
    """Every task of the case, the top workflow's and every sub-process's (each keeps its own `tasks`)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def _inputs(task) -> None:
    """A step's `camunda:inputOutput` input parameters into its data, once, when it is created (engine.dialect.io_mapping)."""
    ext = task.task_spec.extensions or {}
    if ext.get("inputs") and task._get_internal_data("io_local") is None:
        from engine.dialect.io_mapping import apply_inputs

        task._set_internal_data(io_local=apply_inputs(ext, task.data))


def _outputs(task) -> None:
    """At completion: the output parameters onto the case, the step's local inputs dropped."""
    ext = task.task_spec.extensions or {}
    if ext.get("inputs") or ext.get("outputs"):
        from engine.dialect.io_mapping import apply_outputs

        apply_outputs(ext, task.data, task._get_internal_data("io_local") or [])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None



def _end_reached(spec) -> dict:
    return {"type": END_REACHED, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
            "terminate": isinstance(getattr(spec, "event_definition", None), TerminateEventDefinition)}

class Runtime:
    def __init__(self, clock: Clock, calendar: BusinessCalendar,
                 decide: Callable[[str, Mapping[str, Any], str], Any] | None = None) -> None:
        self.clock = clock
        self.calendar = calendar
        self.script_engine = SafeScriptEngine(clock, calendar, decide)

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self, compiled: Compiled, data: Mapping[str, Any]) -> tuple[BpmnWorkflow, list[dict]]:
        workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=self.script_engine)
        before = self._snapshot(workflow)
        start = workflow.get_tasks(state=TaskState.READY)
        for task in start:
            task.data.update(data)
        workflow.data.update({})
        _run_engine(workflow.do_engine_steps)
        return workflow, self._derive(workflow, before)

    def restore(self, compiled: Compiled, state: str) -> BpmnWorkflow:
        return load_state(state, compiled.spec, self.script_engine, compiled.subprocess_specs)

    def dump(self, workflow: BpmnWorkflow) -> str:
        return dump_state(workflow)

    # --- commands --------------------------------------------------------------------------------------------
    def ready_user_task(self, workflow: BpmnWorkflow, task_id: str) -> Any:
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
        changes = conditional.changes_of([task], data)
        task.data.update(data)
        _outputs(task)
        _run_engine(task.run, task.task_spec.bpmn_id)
        _run_engine(workflow.do_engine_steps)
        self._react(workflow, data, changes)
        return self._derive(workflow, before, completed={str(task.id): dict(data)})

    def ready_external_task(self, workflow: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None or not isinstance(task.task_spec, ExternalTask):
            raise NotFound(f"Không có tác vụ ngoài '{task_id}' trong hồ sơ này.", task=task_id)
        if task.state != TaskState.READY:
            raise Conflict(f"Tác vụ ngoài '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}' ({task_id}) không "
                           "còn chờ xử lý.", task=task_id)
        return task

    def complete_external(self, workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> list[dict]:
        """An external task completed by its worker with `data` (variables set on the case), the workflow run on."""
        task = self.ready_external_task(workflow, task_id)
        before = self._snapshot(workflow)
        changes = conditional.changes_of([task], data)
        task.data.update(data)
        _outputs(task)
        _run_engine(task.run, task.task_spec.bpmn_id)
        _run_engine(workflow.do_engine_steps)
        self._react(workflow, data, changes)
        return self._derive(workflow, before, completed={str(task.id): dict(data)})

    def _ready_step(self, workflow: BpmnWorkflow, task_id: str) -> Any:
        """A ready external task, or a ready user task: both may end with a BPMN error (Camunda 7's handleBpmnError)."""
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is not None and isinstance(task.task_spec, UserTask):
            return self.ready_user_task(workflow, task_id)
        return self.ready_external_task(workflow, task_id)

    def error_catcher(self, workflow: BpmnWorkflow, task_id: str, code: str) -> Any:
        """The waiting error boundary event that would catch `code` thrown by the external or user task: on the task
        itself, else on the nearest enclosing sub-process (by code first, then catch-all, as Camunda 7 chooses); None
        if nothing catches it."""
        return self._catcher(self._ready_step(workflow, task_id), code)

    @staticmethod
    def _catcher(scope: Any, code: str) -> Any:
        top = scope.workflow.top_workflow
        while scope is not None:
            waiting = [s for s in (scope.parent.children if scope.parent is not None else ())
                       if s is not scope and s.state == TaskState.WAITING
                       and isinstance(getattr(s.task_spec, "event_definition", None), EngineErrorEventDefinition)]
            for wanted in (code, None):
                found = next((s for s in waiting if s.task_spec.event_definition.code == wanted), None)
                if found is not None:
                    return found
            if scope.parent is not None and isinstance(scope.parent.task_spec, MultiInstanceTask):
                scope = scope.parent  # an instance: the boundary belongs to the multi-instance body
                continue
            parent_id = getattr(scope.workflow, "parent_task_id", None)
            scope = top.get_task_from_id(parent_id) if parent_id is not None else None
        return None

    def escalation_catcher(self, workflow: BpmnWorkflow, task_id: str, code: str) -> Any:
        """The escalation boundary event that would catch `code` raised on the user task, or None."""
        return escalation.catcher_on_step(self.ready_user_task(workflow, task_id), code)

    def escalate(self, workflow: BpmnWorkflow, task_id: str, code: str, data: Mapping[str, Any]) -> list[dict]:
        """An officer's escalation on a step (the caller checked a boundary catches it): `data` set on the step, the
        catching boundary fired (an interrupting one cancels what it is attached to), the workflow run on."""
        task = self.ready_user_task(workflow, task_id)
        before = self._snapshot(workflow)
        task.data.update(data)
        _run_engine(lambda: escalation.escalate_step(task, escalation.catcher_on_step(task, code), code),
                    task.task_spec.bpmn_id)
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before)

    def throw_external_error(self, workflow: BpmnWorkflow, task_id: str, code: str, message: str | None,
                             data: Mapping[str, Any]) -> list[dict]:
        """A worker's (or, on a user task, an officer's) BPMN error: `data` set on the task, the error thrown from it
        and caught by the boundary `error_catcher` finds (the caller checked there is one), the workflow run on."""
        task = self._ready_step(workflow, task_id)
        before = self._snapshot(workflow)
        task.data.update(data)
        raise_error(task, code, message, task.task_spec.bpmn_id, dict(task.data))
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before)

    # --- call activities (engine.usecases.call) ---------------------------------------------------------------
    def ready_call(self, workflow: BpmnWorkflow, task_id: str) -> Any:
        """The call activity waiting for its child case, or None when it is no longer waiting (or was dropped)."""
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError, SpiffWorkflowException):
            return None
        if task is None or not isinstance(task.task_spec, CallActivityTask) or task.state != TaskState.READY:
            return None
        return task

    def complete_call(self, workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> list[dict]:
        """The child case ended: its out variables set on the case, the call activity completed, the case run on."""
        task = self.ready_call(workflow, task_id)
        before = self._snapshot(workflow)
        task.data.update(data)
        _run_engine(task.run, task.task_spec.bpmn_id)
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before, completed={task_id: dict(data)})

    def call_catches(self, workflow: BpmnWorkflow, task_id: str, code: str) -> bool:
        """Whether an error boundary on the call activity (or an enclosing sub-process) catches `code`."""
        task = self.ready_call(workflow, task_id)
        return task is not None and self._catcher(task, code) is not None

    def throw_call_error(self, workflow: BpmnWorkflow, task_id: str, code: str, message: str | None) -> list[dict]:
        """The child case ended at an error end event: the error thrown from the call activity, caught by its
        boundary (the caller checked `call_catches`), the case run on."""
        task = self.ready_call(workflow, task_id)
        before = self._snapshot(workflow)
        raise_error(task, code, message, task.task_spec.bpmn_id, dict(task.data))
        _run_engine(workflow.do_engine_steps)
        return self._derive(workflow, before, completed={task_id: {}})

    def task_data(self, workflow: BpmnWorkflow, task_id: str) -> dict:
        """The variables a task sees (what a fetch hands the worker)."""
        return dict(workflow.get_task_from_id(UUID(task_id)).data)

    def fire_timers(self, workflow: BpmnWorkflow) -> list[dict]:
        before = self._snapshot(workflow)
        cycles = {t.id: t._get_internal_data("fired_due") for t in workflow.tasks.values()
                  if t._state == TaskState.WAITING and isinstance(getattr(t.task_spec, "event_definition", None),
                                                                  WorkingCycleTimer)}
        _run_engine(workflow.refresh_timers)
        _run_engine(workflow.do_engine_steps)
        # A reminder fires without changing its own state (it stays waiting for the next one): its `timer_fired`
        # comes first, before the steps its path opened.
        reminders = [self._reminder_event(workflow.tasks[i]) for i, due in cycles.items()
                     if i in workflow.tasks and workflow.tasks[i]._get_internal_data("fired_due") != due]
        for event in reminders:
            event["at"] = self.clock.now().isoformat()
        return reminders + self._derive(workflow, before)

    @staticmethod
    def _reminder_event(task) -> dict:
        owner = _attached_to(task)
        return {"type": TIMER_FIRED, "element_id": task.task_spec.bpmn_id, "name": task.task_spec.bpmn_name,
                "due_at": task._get_internal_data("fired_due"),
                "attached_to": owner.task_spec.bpmn_id if owner is not None else None,
                "task_id": str(owner.id) if owner is not None else None,
                "cycles_left": task._get_internal_data("cycles"), "next_due_at": task._get_internal_data("event_value")}

    # --- messages (engine/dialect/messages.py; correlated by engine/usecases/correlate.py) ----------------------
    def message_subscriptions(self, workflow: BpmnWorkflow, name: str) -> list[Any]:
        """The elements of this case waiting for message `name`, in the order of the task tree."""
        return messages.waiting(_tree(workflow), name)

    def waiting_messages(self, workflow: BpmnWorkflow) -> str | None:
        """The `cases.waiting_messages` value: the names this case waits for."""
        return messages.encode(n for t in messages.waiting(_all_tasks(workflow)) for n in messages.names(t.task_spec))

    def correlate(self, workflow: BpmnWorkflow, subscription: Any, name: str, data: Mapping[str, Any]) -> list[dict]:
        """Deliver message `name` to one waiting element: its variables become case data (Camunda sets them as
        process variables) and the workflow runs on."""
        from SpiffWorkflow.bpmn import BpmnEvent

        before = self._snapshot(workflow)
        changes = conditional.changes_of([subscription], data)
        definition = messages.message_definition(subscription.task_spec, name)
        _run_engine(lambda: workflow.catch(BpmnEvent(type(definition)(definition.name), dict(data))))
        self.update_case_data(workflow, data)
        _run_engine(workflow.do_engine_steps)
        messages.rearm([subscription])  # a non-interrupting boundary keeps listening (Camunda 7)
        self._react(workflow, data, changes)
        return self._derive(workflow, before)

    # --- signals (engine/dialect/signals.py; broadcast by engine/usecases/signal.py) -------------------------------
    def signal_subscriptions(self, workflow: BpmnWorkflow, name: str) -> list[Any]:
        return signals.waiting(_tree(workflow), name)

    def waiting_signals(self, workflow: BpmnWorkflow) -> str | None:
        return signals.encode_waiting(_all_tasks(workflow))

    def signal(self, workflow: BpmnWorkflow, name: str, data: Mapping[str, Any]) -> list[dict]:
        """Deliver signal `name` to every element of this case waiting for it (Camunda 7: a broadcast); its
        variables become case data."""
        from SpiffWorkflow.bpmn import BpmnEvent
        from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition

        before = self._snapshot(workflow)
        fired = signals.waiting(_tree(workflow), name)
        changes = conditional.changes_of(fired, data)
        _run_engine(lambda: workflow.catch(BpmnEvent(SignalEventDefinition(name), dict(data))))
        self.update_case_data(workflow, data)
        _run_engine(workflow.do_engine_steps)
        messages.rearm(fired)  # a non-interrupting boundary keeps listening (Camunda 7)
        self._react(workflow, data, changes)
        return self._derive(workflow, before)

    @staticmethod
    def _react(workflow: BpmnWorkflow, values: Mapping[str, Any], changes: Mapping[str, str]) -> None:
        """Conditional events waiting anywhere in the case re-evaluated after a command set `values` (Camunda 7:
        on every variable change, against the process variables); those that hold move the case on."""
        if not values:
            return
        waiting = conditional.waiting(_all_tasks(workflow))
        for task in waiting:
            conditional.remember(task, values)  # one set of case variables, as Camunda 7's process variables
        listening = [t for t in waiting if t.task_spec.event_definition.listens_to(changes)]
        for task in listening:
            _run_engine(lambda t=task: t.task_spec._update(t), task.task_spec.bpmn_id)
        if listening:
            _run_engine(workflow.do_engine_steps)

    def cancel(self, workflow: BpmnWorkflow) -> list[dict]:
        before = self._snapshot(workflow)
        workflow.cancel()
        return self._derive(workflow, before)

    def update_case_data(self, workflow: BpmnWorkflow, values: Mapping[str, Any]) -> None:
        """Case-level values (a restarted due time) into every task still to run, so later steps see them."""
        for task in _all_tasks(workflow):
            if task._state & TaskState.NOT_FINISHED_MASK:
                task.data.update(values)
        if workflow.last_task is not None:
            workflow.last_task.data.update(values)
            mark_changed(workflow, workflow.last_task)  # finished: the incremental dump would keep its old data

    def apply_changes(self, workflow: BpmnWorkflow, changes: Iterable[WorkflowChange]) -> None:
        """Make the case-level changes the projection asked for (`engine.projection.consequences`), in order."""
        for change in changes:
            if change.variables:
                self.update_case_data(workflow, change.variables)
            if change.timer_variable is not None:
                self.reset_timer_expression(workflow, change.timer_variable, change.timer_due)

    def reset_timer_expression(self, workflow: BpmnWorkflow, variable: str, due: datetime | None) -> int:
        """Move waiting `timeDate` timers whose expression reads `variable` (the apology timer reads `apology_at`)
        to `due`, or suspend them (`None`) until a later reset."""
        from engine.dialect.script_engine import compiled as compiled_expression
        from engine.dialect.expressions import is_expression

        moved = 0
        for task in _all_tasks(workflow):
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

    @staticmethod
    def _set_task_dates(task) -> str | None:
        """`camunda:dueDate`/`followUpDate` evaluated once, over the data the step is created with, and kept on the
        task (later data cannot move them). Returns the follow-up date (ISO) if any."""
        ext = task.task_spec.extensions or {}
        if not (ext.get("due_date") or ext.get("follow_up_date")):
            return None
        from engine.dialect.task_dates import task_date

        if task._get_internal_data("task_dates_set") is None:
            due = task_date(ext.get("due_date"), task.data, "Hạn của bước")
            follow_up = task_date(ext.get("follow_up_date"), task.data, "Ngày nhắc của bước")
            task._set_internal_data(task_dates_set=True, due_date=_iso(due), follow_up_date=_iso(follow_up))
        return task._get_internal_data("follow_up_date")

    def _step_due(self, task) -> datetime | None:
        """A step's due time is the due time of its boundary timer (the step's allotment in working time), or its
        `camunda:dueDate` when that is earlier (engine.dialect.task_dates); an instance of a multi-instance step has the
        timer of its multi-instance body (Camunda 7 attaches boundary events to the body)."""
        parent = task.parent
        if parent is None:
            return None
        if isinstance(parent.task_spec, MultiInstanceTask):
            task, parent = parent, parent.parent
            if parent is None:
                return None
        dues = []
        own = task._get_internal_data("due_date")
        if own:
            dues.append(datetime.fromisoformat(own))
        # The timer of an event sub-process (on a body wrapper) starts it; it is no step's deadline.
        for sibling in () if is_wrapper(task.task_spec.bpmn_id) else parent.children:
            if sibling is task or not _is_timer(sibling.task_spec) \
                    or isinstance(sibling.task_spec.event_definition, WorkingCycleTimer):  # a reminder, not a limit
                continue
            value = sibling._get_internal_data("event_value")
            if value and value != SUSPENDED:
                dues.append(datetime.fromisoformat(value))
        if not dues and task.workflow.parent_task_id is not None:
            # A step inside a sub-process without a timer of its own is due when the sub-process is.
            owner = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
            return self._step_due(owner) if owner is not None else None
        return min(dues) if dues else None

    def next_timer_at(self, workflow: BpmnWorkflow) -> datetime | None:
        dues = [
            datetime.fromisoformat(value)
            for t in _all_tasks(workflow)
            if t._state == TaskState.WAITING and _is_timer(t.task_spec) and not t._get_internal_data("event_fired")
            and (value := t._get_internal_data("event_value")) and value != SUSPENDED
        ]
        return min(dues) if dues else None

    # --- events ----------------------------------------------------------------------------------------------
    @staticmethod
    def _snapshot(workflow: BpmnWorkflow) -> dict[UUID, int]:
        if not workflow.subprocesses:
            return {task_id: task._state for task_id, task in workflow.tasks.items()}
        return {task.id: task._state for task in _all_tasks(workflow)}

    def _derive(self, workflow: BpmnWorkflow, before: Mapping[UUID, int], completed: Mapping[str, dict] | None = None) -> list[dict]:
        """The events of what changed since `before` (task states by id), in the order of the task tree."""
        completed = completed or {}
        events: list[dict] = []
        now = self.clock.now()
        changed = False
        for task in _tree(workflow):
            old = before.get(task.id)
            if old == task._state:
                continue
            changed = True
            events.extend(self._task_events(task, old, completed))
        if changed and workflow.is_completed():
            events.append({"type": WORKFLOW_COMPLETED})
        for event in events:
            event.setdefault("at", now.isoformat())
        return events

    def _task_events(self, task, old: int | None, completed: Mapping[str, dict]) -> list[dict]:
        events = self._plain_task_events(task, old, completed)
        if events and task.parent is not None and isinstance(task.parent.task_spec, MultiInstanceTask):
            # An instance of a multi-instance step: which one (Camunda's loopCounter, 0-based).
            for event in events:
                event["loop_counter"] = task.data.get("loopCounter")
        if events and task.workflow.parent_task_id is not None:
            # Inside an embedded sub-process: every event names it (only then, so other histories keep their payload).
            scope = _scope(task)
            for event in events:
                if scope is not None:  # None: in the body wrapper of the process (engine.dialect.event_subprocess)
                    event["sub_process"] = scope
        return events

    def _plain_task_events(self, task, old: int | None, completed: Mapping[str, dict]) -> list[dict]:
        spec = task.task_spec
        if isinstance(spec, UserTask):
            return self._user_task_events(task, old, completed)
        if isinstance(spec, ExternalTask):
            return self._external_task_events(task, old, completed)
        if isinstance(spec, CallActivityTask):
            return call_events(task, old, completed)
        if _is_timer(spec) and task.state == TaskState.COMPLETED and old is not None:
            return self._timer_events(task)
        if task.state == TaskState.WAITING and old != TaskState.WAITING and messages.awaits_applicant(spec):
            return [self._awaited_event(task)]
        if isinstance(spec, DecisionTask) and task.state == TaskState.COMPLETED:
            return [{
                "type": DECISION_EVALUATED,
                "element_id": spec.bpmn_id,
                "decision": spec.decision_ref,
                "result_variable": spec.result_variable,
                "result": task.data.get(spec.result_variable) if spec.result_variable else None,
            }]
        if escalation.is_caught(task):
            return [escalation.caught_event(task)]
        if (isinstance(getattr(spec, "event_definition", None), EngineErrorEventDefinition)
                and task.state == TaskState.COMPLETED and CAUGHT in task.internal_data):
            return [self._error_caught_event(task)]
        if isinstance(getattr(spec, "event_definition", None), conditional.EngineConditionalEventDefinition) \
                and task.state == TaskState.COMPLETED:
            return [{"type": CONDITION_MET, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
                     "condition": spec.event_definition.expression}]
        thrown = signals.thrown_event(task)
        if thrown is not None:  # a signal throw or end event: the broadcast beyond this case is the use case's
            return [thrown] + ([_end_reached(spec)] if isinstance(spec, EndEvent) else [])
        if isinstance(spec, EndEvent) and task.state == TaskState.COMPLETED and not is_wrapper(spec.bpmn_id):
            return [_end_reached(spec)]
        return []

    def _user_task_events(self, task, old: int | None, completed: Mapping[str, dict]) -> list[dict]:
        spec = task.task_spec
        if task.state == TaskState.READY:
            _inputs(task)
            follow_up = self._set_task_dates(task)
            view = self._open_task(task)
            # Evaluated once, here, over the data the task is created with; the event carries the result.
            assigned = assignment.resolve(view.element_id, spec.extensions or {}, task.data)
            created = {
                "type": TASK_CREATED,
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
            if follow_up is not None:
                created["follow_up_at"] = follow_up
            return [created]
        if task.state == TaskState.COMPLETED and str(task.id) in completed:
            return [{
                "type": TASK_COMPLETED,
                "element_id": spec.bpmn_id,
                "task_id": str(task.id),
                "name": spec.bpmn_name or spec.bpmn_id,
                "lane": spec.lane,
                "lane_id": (spec.extensions or {}).get("lane_id"),
                "data": completed[str(task.id)],
                "due_at": _iso(self._step_due(task)),
                "restart_deadline": (spec.extensions or {}).get("properties", {}).get("restart_deadline") == "true",
            }]
        if task.state == TaskState.CANCELLED and old == TaskState.READY:
            return [{"type": TASK_CANCELLED, "element_id": spec.bpmn_id, "task_id": str(task.id),
                     "name": spec.bpmn_name or spec.bpmn_id}]
        return []

    @staticmethod
    def _external_task_events(task, old: int | None, completed: Mapping[str, dict]) -> list[dict]:
        spec, task_id = task.task_spec, str(task.id)
        base = {"element_id": spec.bpmn_id, "task_id": task_id}
        if task.state == TaskState.READY:
            _inputs(task)
            return [{"type": EXTERNAL_TASK_CREATED, **base, "name": spec.bpmn_name or spec.bpmn_id,
                     "topic": spec.topic, "lane_id": (spec.extensions or {}).get("lane_id")}]
        if task.state == TaskState.COMPLETED and task_id in completed:
            done = [{"type": EXTERNAL_TASK_COMPLETED, **base, "data": completed[task_id]}]
            if isinstance(spec, EndEvent):  # a message end event answered by its worker ends its path
                done.append({"type": END_REACHED, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
                             "terminate": False})
            return done
        if task.state == TaskState.CANCELLED and old == TaskState.READY:
            return [{"type": EXTERNAL_TASK_CANCELLED, **base}]
        return []

    @staticmethod
    def _awaited_event(task) -> dict:
        """A message catch event marked `restart_deadline` started waiting (the applicant's supplement): recorded, so
        that the projection voids the limit from here (other message waits are shown by `show`, not recorded)."""
        spec = task.task_spec
        return {"type": MESSAGE_AWAITED, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
                "message": spec.event_definition.name, "lane": spec.lane,
                "lane_id": (spec.extensions or {}).get("lane_id"), "restart_deadline": True}

    @staticmethod
    def _error_caught_event(task) -> dict:
        """An error boundary event caught an error: what, from where, and the variables Camunda's
        errorCodeVariable / errorMessageVariable received."""
        spec, caught = task.task_spec, task.internal_data[CAUGHT]
        owner = next((s for s in (task.parent.children if task.parent is not None else ())
                      if s is not task and not isinstance(s.task_spec, CatchingEvent)), None)
        definition = spec.event_definition
        names = [n for n in (definition.code_variable, definition.message_variable) if n]
        return {
            "type": ERROR_CAUGHT, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
            "attached_to": owner.task_spec.bpmn_id if owner is not None else None,
            "code": caught.get("code"), "message": caught.get("message"), "thrown_by": caught.get("thrown_by"),
            "variables": {n: task.data.get(n) for n in names},
        }

    @staticmethod
    def _timer_events(task) -> list[dict]:
        """A fired timer, and the step it is attached to overdue if that step is still open."""
        spec, owner = task.task_spec, _attached_to(task)
        if isinstance(spec.event_definition, MultipleEventDefinition) and any(
                name in task.internal_data for name in messages.names(spec)):
            return []  # an event-based gateway that a message won (the library keeps its payload by name)
        events = [{
            "type": TIMER_FIRED,
            "element_id": spec.bpmn_id,
            "name": spec.bpmn_name,
            "due_at": task._get_internal_data("event_value"),
            "attached_to": owner.task_spec.bpmn_id if owner is not None else None,
            # A step's id; a sub-process is no step (its id is the library's, named by no other event).
            "task_id": str(owner.id) if owner is not None and isinstance(owner.task_spec, UserTask) else None,
        }]
        if owner is not None and (isinstance(owner.task_spec, SubWorkflowTask) or (
                isinstance(owner.task_spec, MultiInstanceTask)
                and any(isinstance(c.task_spec, SubWorkflowTask) for c in owner.children))):
            # A timer on a sub-process: the steps open inside it (every instance's, for a multi-instance one) are
            # overdue, unless they have a timer of their own.
            for inner in _open_steps_inside(owner):
                events.append({
                    "type": STEP_OVERDUE,
                    "element_id": inner.task_spec.bpmn_id,
                    "task_id": str(inner.id),
                    "name": inner.task_spec.bpmn_name,
                    "lane": inner.task_spec.lane,
                    "due_at": task._get_internal_data("event_value"),
                })
        elif owner is not None and isinstance(owner.task_spec, MultiInstanceTask):
            # Every instance still open is overdue (the body's timer is each instance's deadline).
            for instance in owner.children:
                if instance.state == TaskState.READY and isinstance(instance.task_spec, UserTask):
                    events.append({
                        "type": STEP_OVERDUE,
                        "element_id": instance.task_spec.bpmn_id,
                        "task_id": str(instance.id),
                        "name": instance.task_spec.bpmn_name,
                        "lane": instance.task_spec.lane,
                        "due_at": task._get_internal_data("event_value"),
                    })
        elif owner is not None and owner.state == TaskState.READY:
            events.append({
                "type": STEP_OVERDUE,
                "element_id": owner.task_spec.bpmn_id,
                "task_id": str(owner.id),
                "name": owner.task_spec.bpmn_name,
                "lane": owner.task_spec.lane,
                "due_at": task._get_internal_data("event_value"),
            })
        return events

    def final_data(self, workflow: BpmnWorkflow) -> dict:
        """The case data: what the last completed task saw (ends carry everything that flowed into them)."""
        last = workflow.last_task
        return dict(last.data) if last is not None else {}
