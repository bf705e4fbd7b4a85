"""Error events as Camunda 7 runs them (Camunda 7 reference, "Error Events"; BPMN 2.0.2 where it is silent).

What runs:
- an error end event inside an embedded sub-process: its scope ends and the error goes up to the nearest error
  boundary event on an enclosing sub-process that catches its code (by `errorRef` → `bpmn:error errorCode`), or to a
  catch-all one (no `errorRef`); the boundary is always interrupting, as BPMN says;
- an error end event at the top level of a process: nothing can catch it, the case ends there (the procedure's policy
  decides the outcome, engine.policy);
- an error boundary event on an external task (`camunda:type="external"`): a worker's `tthc external bpmn-error`
  with a code it catches (engine/usecases/external.py) leaves the task along the boundary's flow;
- `camunda:errorCodeVariable` / `camunda:errorMessageVariable` on a boundary's definition receive the caught code and
  message (the `bpmn:error`'s `camunda:errorMessage`, or the worker's message).

The error start event of an event sub-process runs as a boundary event of its scope (engine/dialect/event_subprocess.py).

Refused at deploy, with the reason: error start events outside event sub-processes, error boundary events
on anything but a sub-process or an external task (nothing else can throw one here), non-interrupting error boundary
events (BPMN forbids them), an `errorRef` that names no `bpmn:error`, and a thrown error without a code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from copy import deepcopy

from SpiffWorkflow.bpmn.serializer.default.event_definition import ErrorEscalationEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.dialect.external_task import CAMUNDA, is_external
from engine.dialect.messages import _fail, _local
from engine.dialect.xml import NS

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
    from SpiffWorkflow.task import Task


def check_error_events(root: etree._Element, process: etree._Element, filename: str) -> None:
    errors = {e.get("id"): e for e in root.findall("bpmn:error", NS)}
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for definition in process.iter(f"{{{NS['bpmn']}}}errorEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        ref = definition.get("errorRef")
        error = errors.get(ref) if ref else None
        if ref and error is None:
            raise _fail(filename, owner_id, f"errorRef '{ref}' không trỏ tới bpmn:error nào trong tệp",
                        definition.sourceline)
        if kind == "endEvent":
            if error is None or not (error.get("errorCode") or "").strip():
                raise _fail(filename, owner_id, "sự kiện kết thúc lỗi phải trỏ tới một bpmn:error có mã lỗi "
                            "(errorCode) để sự kiện biên bắt được", definition.sourceline)
            continue
        if kind == "startEvent" and owner.getparent().get("triggeredByEvent") == "true":
            continue  # the start of an event sub-process (engine/dialect/event_subprocess.py checks it)
        if kind != "boundaryEvent":
            raise _fail(filename, owner_id, "sự kiện lỗi chỉ hỗ trợ sự kiện kết thúc lỗi (error end event) và sự kiện "
                        "biên lỗi (error boundary event) và sự kiện bắt đầu của quy trình con sự kiện (event sub-process)",
                        definition.sourceline)
        if owner.get("cancelActivity") == "false":
            raise _fail(filename, owner_id, "sự kiện biên lỗi luôn ngắt bước nó gắn vào (BPMN không cho phép "
                        "cancelActivity=\"false\")", owner.sourceline)
        attached = by_id.get(owner.get("attachedToRef"))
        if attached is None or not (_local(attached.tag) in ("subProcess", "userTask", "callActivity")
                                    or is_external(attached)):
            raise _fail(filename, owner_id, "sự kiện biên lỗi chỉ gắn được vào quy trình con (sub-process), bước gọi "
                        "quy trình (call activity), tác vụ người dùng (cán bộ báo lỗi bằng `tthc error`) hoặc tác vụ "
                        "ngoài (camunda:type=\"external\"): chỉ ở đó mới có lỗi được ném ra", owner.sourceline)


# --- run time ----------------------------------------------------------------------------------------------------

CAUGHT = "caught_error"  # the boundary task's internal data: what it caught (code, message, thrown_by)


class EngineErrorEventDefinition(ErrorEventDefinition):
    """The library's error definition plus Camunda's `errorMessage` (of the thrown `bpmn:error`) and the boundary's
    `errorCodeVariable` / `errorMessageVariable`. A throw names its thrower, so the history says which end event
    (or which external task's worker) raised what the boundary caught."""

    def __init__(self, name, code=None, error_message=None, code_variable=None, message_variable=None, **kwargs):
        super().__init__(name, code, **kwargs)
        self.error_message = error_message
        self.code_variable = code_variable
        self.message_variable = message_variable

    def throw(self, my_task: Task) -> None:
        raise_error(my_task, self.code, self.error_message, my_task.task_spec.bpmn_id, deepcopy(my_task.data))

    def catches(self, my_task: Task, event: BpmnEvent) -> bool:
        """By code; a catch-all boundary only when no boundary on the same activity names the code (Camunda 7
        picks the one with the code)."""
        if not super().catches(my_task, event):
            return False
        if self.code is not None or my_task.parent is None:
            return True
        code = event.event_definition.code
        return not any(s is not my_task and s.state == TaskState.WAITING
                       and isinstance(getattr(s.task_spec, "event_definition", None), ErrorEventDefinition)
                       and s.task_spec.event_definition.code == code for s in my_task.parent.children)

    def catch(self, my_task: Task, event: BpmnEvent | None = None) -> None:
        super().catch(my_task, event)
        thrown = event.event_definition
        if getattr(event, "thrower", None) is not None:  # scopes between the thrower and the caught activity end
            from engine.dialect.escalation import interrupt_between

            interrupt_between(event.thrower, my_task)
        my_task.internal_data[CAUGHT] = {
            "code": thrown.code, "message": getattr(thrown, "error_message", None),
            "thrown_by": getattr(event, "thrown_by", None)}

    def update_task_data(self, my_task: Task) -> None:
        super().update_task_data(my_task)
        caught = my_task.internal_data.get(CAUGHT) or {}
        if self.code_variable:
            my_task.set_data(**{self.code_variable: caught.get("code")})
        if self.message_variable:
            my_task.set_data(**{self.message_variable: caught.get("message")})


def raise_error(my_task: Task, code: str | None, message: str | None, thrown_by: str | None, payload: Any,
                target: Any = None) -> None:
    """Throw an error from `my_task` up its scopes (the library's catch walks to the nearest boundary that catches)."""
    definition = EngineErrorEventDefinition(f"error {code}", code, error_message=message)
    event = BpmnEvent(definition, payload=payload, target=target if target is not None else my_task.workflow)
    event.thrown_by = thrown_by
    event.thrower = my_task  # not kept: only the catch that follows reads it
    my_task.workflow.top_workflow.catch(event)


class EngineErrorEventDefinitionConverter(ErrorEscalationEventDefinitionConverter):
    def to_dict(self, event_definition: EngineErrorEventDefinition) -> dict:
        dct = super().to_dict(event_definition)
        dct.update(error_message=event_definition.error_message, code_variable=event_definition.code_variable,
                   message_variable=event_definition.message_variable)
        return dct


def parse_error_definition(parser: TaskParser, node: etree._Element) -> EngineErrorEventDefinition:
    """What the event parsers return for an `errorEventDefinition` (engine.dialect.parser)."""
    ref = node.get("errorRef")
    error = parser.doc_xpath(f".//bpmn:error[@id='{ref}']") if ref else []
    error = error[0] if error else None
    code = (error.get("errorCode") or "").strip() or None if error is not None else None
    message = error.get(f"{{{CAMUNDA}}}errorMessage") if error is not None else None
    name = (error.get("name") if error is not None else None) or (f"error {code}" if code else "any error")
    return EngineErrorEventDefinition(
        name, code, error_message=message,
        code_variable=(node.get(f"{{{CAMUNDA}}}errorCodeVariable") or "").strip() or None,
        message_variable=(node.get(f"{{{CAMUNDA}}}errorMessageVariable") or "").strip() or None,
        description=parser.get_event_description(node))
