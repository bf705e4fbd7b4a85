"""Escalation events as Camunda 7 runs them (Camunda 7 reference, "Escalation Events"; BPMN 2.0.2 where it is silent).

An escalation tells an enclosing scope that something needs attention without (necessarily) stopping the work:
a council member's opinion is overdue, the leader must step in. What runs:
- an intermediate escalation throw event (the path goes on) and an escalation end event (its path ends), each naming
  a `bpmn:escalation` with an `escalationCode`;
- an escalation boundary event on an embedded sub-process, interrupting (`cancelActivity="true"`, the default: the
  work inside is cancelled) or not (`cancelActivity="false"`: the boundary's path runs alongside), by code or as a
  catch-all (no `escalationRef`, or an escalation without a code); a boundary that names the code wins over a
  catch-all one on the same activity;
- the escalation start event of an event sub-process (engine/dialect/event_subprocess.py turns it into a boundary
  event of its scope, so the same lookup finds it);
- `camunda:escalationCodeVariable` on a catching definition receives the caught code.

The lookup walks up from the thrower's scope to the process, nearest scope first (Camunda 7 propagates an escalation
to the enclosing scopes until one catches it). An escalation nothing catches does nothing: Camunda 7 raises no
incident for it, unlike an error. A caught escalation carries the thrower's variables to the boundary's path
(Camunda 7's process variables are visible there).
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.serializer.default.event_definition import ErrorEscalationEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.dialect.external_task import CAMUNDA
from engine.dialect.messages import _fail, _local
from engine.dialect.xml import NS
from engine.history import EventType

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
    from SpiffWorkflow.task import Task

CAUGHT = "caught_escalation"  # the boundary task's internal data: what it caught (code, thrown_by)
THROWING = ("intermediateThrowEvent", "endEvent")


def check_escalations(root: etree._Element, process: etree._Element, filename: str) -> None:
    """A thrown escalation names a `bpmn:escalation` with a code; a catching one is a boundary event on a
    sub-process or the start event of an event sub-process; an `escalationRef` names an existing escalation."""
    escalations = {e.get("id"): e for e in root.findall("bpmn:escalation", NS)}
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for definition in process.iter(f"{{{NS['bpmn']}}}escalationEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        ref = definition.get("escalationRef")
        escalation = escalations.get(ref) if ref else None
        if ref and escalation is None:
            raise _fail(filename, owner_id, f"escalationRef '{ref}' không trỏ tới bpmn:escalation nào trong tệp",
                        definition.sourceline)
        code = (escalation.get("escalationCode") or "").strip() if escalation is not None else ""
        if "${" in code or "#{" in code:
            raise _fail(filename, owner_id, f"mã leo thang '{code}' phải là chữ cố định, không phải biểu thức",
                        definition.sourceline)
        if kind in THROWING:
            if not code:
                raise _fail(filename, owner_id, "sự kiện ném leo thang phải trỏ tới một bpmn:escalation có mã "
                            "(escalationCode) để sự kiện bắt được", definition.sourceline)
            continue
        if kind == "boundaryEvent":
            attached = by_id.get(owner.get("attachedToRef"))
            if attached is None or _local(attached.tag) not in ("subProcess", "userTask"):
                raise _fail(filename, owner_id, "sự kiện biên leo thang chỉ gắn được vào quy trình con (sub-process) "
                            "hoặc tác vụ người dùng (cán bộ báo leo thang bằng `tthc escalate`): chỉ ở đó mới có "
                            "leo thang được ném ra", owner.sourceline)
            continue
        parent = owner.getparent()
        if kind == "startEvent" and parent is not None and parent.get("triggeredByEvent") == "true":
            continue  # the start of an event sub-process (engine/dialect/event_subprocess.py)
        raise _fail(filename, owner_id, "sự kiện leo thang chỉ là sự kiện ném trung gian, sự kiện kết thúc, sự kiện "
                    "biên trên quy trình con hoặc sự kiện bắt đầu của quy trình con sự kiện", definition.sourceline)


# --- run time ----------------------------------------------------------------------------------------------------


class EngineEscalationEventDefinition(EscalationEventDefinition):
    """The library's escalation definition, thrown along the thrower's own scopes (the library's broadcast would let
    a boundary on an unrelated sub-process catch it) and with Camunda's `escalationCodeVariable`."""

    def __init__(self, name, code=None, code_variable=None, **kwargs):
        super().__init__(name, code, **kwargs)
        self.code_variable = code_variable

    def throw(self, my_task: Task) -> None:
        catcher = find_catcher(my_task, self.code)
        if catcher is None:
            return  # Camunda 7: an escalation nothing catches is no incident, the path goes on
        event = BpmnEvent(self, payload=deepcopy(my_task.data))
        event.thrown_by = my_task.task_spec.bpmn_id
        catcher.task_spec.catch(catcher, event)
        if getattr(catcher.task_spec, "cancel_activity", True):
            interrupt_between(my_task, catcher)
        catcher.task_spec._update(catcher)

    def catches(self, my_task: Task, event: BpmnEvent) -> bool:
        return False  # only `throw` delivers an escalation, to the one catcher it chose

    def catch(self, my_task: Task, event: BpmnEvent | None = None) -> None:
        super().catch(my_task, event)
        my_task.internal_data[CAUGHT] = {"code": event.event_definition.code,
                                         "thrown_by": getattr(event, "thrown_by", None)}

    def update_task_data(self, my_task: Task) -> None:
        super().update_task_data(my_task)
        if self.code_variable:
            my_task.set_data(**{self.code_variable: (my_task.internal_data.get(CAUGHT) or {}).get("code")})


def _owner(task: Task) -> Any:
    """The sub-process task whose sub-workflow `task` runs in (the multi-instance body for an instance), or None."""
    parent_id = getattr(task.workflow, "parent_task_id", None)
    if parent_id is None:
        return None
    owner = task.workflow.top_workflow.get_task_from_id(parent_id)
    if owner is not None and owner.parent is not None and isinstance(owner.parent.task_spec, MultiInstanceTask):
        return owner.parent  # Camunda 7 attaches boundary events to the multi-instance body
    return owner


def interrupt_between(thrower: Task, catcher: Any) -> None:
    """An interrupting catch several scopes above the thrower: the scope inside the caught activity that holds the
    thrower is cancelled now, before the library lets it complete and flow on (Camunda 7: an error or an
    interrupting escalation ends every scope it passes through); the caught activity itself is cancelled by the
    boundary as usual, after the instances of a multi-instance one."""
    attached = next((s for s in (catcher.parent.children if catcher.parent is not None else ())
                     if s is not catcher and not isinstance(s.task_spec, BoundaryEvent)), None)
    inner, scope = None, _owner(thrower)
    while scope is not None and scope is not attached:
        inner, scope = scope, _owner(scope)
    if scope is attached and inner is not None:
        inner.cancel()
    if attached is not None and isinstance(attached.task_spec, MultiInstanceTask):
        # The library's cancel of a multi-instance body drops its open instances without ending their
        # sub-processes: each instance is cancelled first (its open steps: `task_cancelled`).
        for instance in list(attached.children):
            if not instance.has_state(TaskState.FINISHED_MASK):
                instance.cancel()


def catcher_on_step(task: Task, code: str) -> Any:
    """The escalation boundary event catching `code` raised by an officer on a user task: one on the step itself (by
    code, else catch-all), else the nearest enclosing scope's (Camunda 7's `TaskService.handleEscalation`)."""
    waiting = [s for s in (task.parent.children if task.parent is not None else ())
               if s is not task and s.state == TaskState.WAITING
               and isinstance(getattr(s.task_spec, "event_definition", None), EngineEscalationEventDefinition)]
    for wanted in (code, None):
        found = next((s for s in waiting if s.task_spec.event_definition.code == wanted), None)
        if found is not None:
            return found
    return find_catcher(task, code)


def escalate_step(task: Task, catcher: Any, code: str) -> None:
    """Deliver an officer's escalation from `task` to `catcher` (found by `catcher_on_step`), as a thrown one."""
    event = BpmnEvent(EngineEscalationEventDefinition(code, code), payload=deepcopy(task.data))
    event.thrown_by = task.task_spec.bpmn_id
    catcher.task_spec.catch(catcher, event)
    if getattr(catcher.task_spec, "cancel_activity", True):
        interrupt_between(task, catcher)
    catcher.task_spec._update(catcher)


def find_catcher(thrower: Task, code: str | None) -> Any:
    """The waiting escalation boundary event nearest to `thrower` that catches `code`: on the enclosing sub-process
    (the one naming the code, else a catch-all), else on the next scope out; None when none does."""
    scope = _owner(thrower)
    while scope is not None:
        waiting = [s for s in (scope.parent.children if scope.parent is not None else ())
                   if s is not scope and s.state == TaskState.WAITING
                   and isinstance(getattr(s.task_spec, "event_definition", None), EngineEscalationEventDefinition)]
        for wanted in (code, None):
            found = next((s for s in waiting if s.task_spec.event_definition.code == wanted), None)
            if found is not None:
                return found
        scope = _owner(scope)
    return None


def caught_event(task: Task) -> dict:
    """The history's `escalation_caught`: the catching element, the code, the thrower and the variable set."""
    spec, caught = task.task_spec, task.internal_data[CAUGHT]
    definition = spec.event_definition
    return {"type": EventType.ESCALATION_CAUGHT.value, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
            "code": caught.get("code"), "thrown_by": caught.get("thrown_by"),
            "interrupting": bool(getattr(spec, "cancel_activity", True)),
            "variables": {definition.code_variable: task.data.get(definition.code_variable)}
            if definition.code_variable else {}}


def is_caught(task: Task) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), EngineEscalationEventDefinition) \
        and CAUGHT in task.internal_data and task.state == TaskState.COMPLETED


class EngineEscalationEventDefinitionConverter(ErrorEscalationEventDefinitionConverter):
    def to_dict(self, event_definition: EngineEscalationEventDefinition) -> dict:
        dct = super().to_dict(event_definition)
        dct.update(code_variable=event_definition.code_variable)
        return dct


def parse_escalation_definition(parser: TaskParser, node: etree._Element) -> EngineEscalationEventDefinition:
    """What the event parsers return for an `escalationEventDefinition` (engine.dialect.parser)."""
    ref = node.get("escalationRef")
    found = parser.doc_xpath(f".//bpmn:escalation[@id='{ref}']") if ref else []
    escalation = found[0] if found else None
    code = ((escalation.get("escalationCode") or "").strip() or None) if escalation is not None else None
    name = (escalation.get("name") if escalation is not None else None) or \
        (f"escalation {code}" if code else "any escalation")
    return EngineEscalationEventDefinition(
        name, code, code_variable=(node.get(f"{{{CAMUNDA}}}escalationCodeVariable") or "").strip() or None,
        description=parser.get_event_description(node))
