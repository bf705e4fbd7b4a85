"""Message events as Camunda 7 runs them: a waiting element subscribes to a message by its *name*, and a correlation
(`tthc correlate`, engine/usecases/correlate.py) delivers one message to exactly one subscription.

What runs: the message start event (the only start event of its process), the intermediate message catch event, the
receive task, and message boundary events (interrupting or not) on a user task or a receive task. Message throw and
end events and send tasks talk to other systems: they are external tasks (issue 14, another part), refused here until
then. A message is named by a `bpmn:message` with a literal `name`; Camunda's `${...}` names are refused (the name is
what an outside system sends, so it cannot depend on one case's data).

SpiffWorkflow's Camunda parser builds a message definition that copies the payload into one `<task>_Response`
variable; Camunda 7 sets the correlation's variables as process variables, so we build the library's plain
definition (payload merged into the task's data) and the runtime also sets them on every task still to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine.dialect.external_task import external_message
from engine.dialect.xml import NS
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
    from SpiffWorkflow.specs.base import TaskSpec

# Where a message event definition may stand, and the element kinds a message boundary event may be attached to.
CATCHING = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
ATTACHABLE = ("userTask", "receiveTask", "subProcess")
# Stored in `cases.waiting_messages` between separators, so that a LIKE finds a name exactly.
SEPARATOR = "\n"


def _fail(filename: str, element_id: str | None, reason: str, line: int | None) -> InvalidInput:
    at = f" (dòng {line})" if line else ""
    return InvalidInput(f"Tệp '{filename}', phần tử '{element_id}'{at}: {reason}.", file=filename, element=element_id,
                        line=line)


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if "}" in tag else tag


def check_messages(root: etree._Element, process: etree._Element, filename: str) -> None:
    """Refuse what the engine cannot correlate: a message definition on a throwing element, a missing or unnamed
    message, an expression as name, a boundary message on something else than a user or receive task, a message
    start event beside another start event."""
    messages = {m.get("id"): m for m in root.findall("bpmn:message", NS)}
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for definition in process.iter(f"{{{NS['bpmn']}}}messageEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        if len([c for c in owner if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]) > 1:
            raise _fail(filename, owner_id, "sự kiện nhiều loại (multiple) chưa được hỗ trợ: mỗi sự kiện chỉ chờ một "
                        "loại, thông điệp (message), tín hiệu (signal) hoặc hẹn giờ (timer); hãy dùng cổng sự kiện "
                        "(event-based gateway)",
                        owner.sourceline)
        if kind not in CATCHING and external_message(owner) is not None:
            continue  # a message a worker sends: an external task (engine.dialect.external_task)
        if kind not in CATCHING:
            raise _fail(filename, owner_id, "sự kiện gửi thông điệp (message throw/end) là việc của hệ thống khác, "
                        "chưa được hỗ trợ; hãy vẽ sự kiện chờ thông điệp ở phía nhận", definition.sourceline)
        _message_name(messages, definition.get("messageRef"), filename, owner_id, definition.sourceline)
        if kind == "boundaryEvent":
            attached = by_id.get(owner.get("attachedToRef"))
            if attached is None or _local(attached.tag) not in ATTACHABLE:
                raise _fail(filename, owner_id, "sự kiện biên thông điệp chỉ gắn được vào tác vụ người dùng, tác vụ "
                            "nhận hoặc quy trình con", owner.sourceline)
        if kind == "startEvent" and len(process.findall("bpmn:startEvent", NS)) > 1:
            raise _fail(filename, owner_id, "quy trình bắt đầu bằng thông điệp chỉ được có một sự kiện bắt đầu",
                        owner.sourceline)
    for task in process.iter(f"{{{NS['bpmn']}}}receiveTask"):  # inside sub-processes too
        _message_name(messages, task.get("messageRef"), filename, task.get("id"), task.sourceline)
    for gateway in process.iter(f"{{{NS['bpmn']}}}eventBasedGateway"):  # its flows are in its own scope
        _check_event_gateway(gateway.getparent(), gateway, by_id, filename)


def _check_event_gateway(process, gateway, by_id: dict, filename: str) -> None:
    """Camunda 7: an event-based gateway leads, without conditions, to at least two catching events (message or
    timer) or receive tasks, each with that gateway as its only way in; the first to happen wins, the others end."""
    gid = gateway.get("id")
    outgoing = [f for f in process.findall("bpmn:sequenceFlow", NS) if f.get("sourceRef") == gid]
    if len(outgoing) < 2:
        raise _fail(filename, gid, "cổng sự kiện phải dẫn tới ít nhất hai sự kiện chờ", gateway.sourceline)
    timers = [f for f in outgoing if by_id.get(f.get("targetRef")) is not None
              and by_id[f.get("targetRef")].find("bpmn:timerEventDefinition", NS) is not None]
    if len(timers) > 1:  # the library keeps one due time per waiting gateway
        raise _fail(filename, gid, "cổng sự kiện chỉ được chờ một hẹn giờ", gateway.sourceline)
    for flow in outgoing:
        target = by_id.get(flow.get("targetRef"))
        kind = _local(target.tag) if target is not None else None
        waits = kind == "receiveTask" or (kind == "intermediateCatchEvent" and (
            target.find("bpmn:messageEventDefinition", NS) is not None
            or target.find("bpmn:timerEventDefinition", NS) is not None))
        if flow.find("bpmn:conditionExpression", NS) is not None or not waits:
            raise _fail(filename, flow.get("id"), "sau cổng sự kiện chỉ được là sự kiện chờ thông điệp, hẹn giờ hoặc "
                        "tác vụ nhận, không có điều kiện", flow.sourceline)
        incoming = [f for f in process.findall("bpmn:sequenceFlow", NS) if f.get("targetRef") == target.get("id")]
        if len(incoming) != 1:
            raise _fail(filename, target.get("id"), "sự kiện sau cổng sự kiện chỉ được có một luồng vào",
                        target.sourceline)


def check_start_events(process: etree._Element, filename: str) -> None:
    """A timer start event runs as Camunda 7's, on a schedule (engine.dialect.timer_start checks it)."""
    from engine.dialect.timer_start import check_timer_start

    check_timer_start(process, filename)


def _message_name(messages: dict, ref: str | None, filename: str, owner_id: str | None, line: int | None) -> str:
    message = messages.get(ref) if ref else None
    if message is None:
        raise _fail(filename, owner_id, f"thông điệp '{ref or ''}' không có trong sơ đồ (thiếu messageRef tới một "
                    "bpmn:message)", line)
    name = (message.get("name") or "").strip()
    if not name:
        raise _fail(filename, owner_id, f"thông điệp '{ref}' chưa có tên (name): hệ thống tương quan theo tên", line)
    if "${" in name or "#{" in name or SEPARATOR in name:
        raise _fail(filename, owner_id, f"tên thông điệp '{name}' phải là chữ cố định, không phải biểu thức", line)
    return name


class MessageParserMixin:
    """The library's plain message definition (payload merged into the task's data), named by the message's name."""

    def parse_message_event(self, message_event: etree._Element) -> MessageEventDefinition:
        return EventDefinitionParser.parse_message_event(self, message_event)


def is_message(spec: TaskSpec) -> bool:
    return isinstance(getattr(spec, "event_definition", None), MessageEventDefinition)


def awaits_applicant(spec: TaskSpec) -> bool:
    """An intermediate message catch event marked `restart_deadline=true` (engine.policy): while it waits, the case's
    limit is void (the applicant's supplement). Not a boundary event (its step is open) nor a receive task (the library
    parser keeps no extension properties on it)."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent

    return is_message(spec) and isinstance(spec, IntermediateCatchEvent) \
        and (getattr(spec, "extensions", None) or {}).get("properties", {}).get("restart_deadline") == "true"


def names(spec: TaskSpec) -> list[str]:
    """The messages an element waits for: its own, or those of the events after an event-based gateway (the library
    moves them onto the gateway, which then waits for all of them)."""
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MessageEventDefinition):
        return [definition.name]
    if isinstance(definition, MultipleEventDefinition):
        return [d.name for d in definition.event_definitions if isinstance(d, MessageEventDefinition)]
    return []


def waiting(tasks: Iterable[Any], name: str | None = None) -> list[Any]:
    """The tasks waiting for a message (for `name` only, when given), in the order given."""
    return [t for t in tasks if t._state == TaskState.WAITING and (names(t.task_spec) if name is None
                                                                   else name in names(t.task_spec))]


def message_definition(spec: TaskSpec, name: str) -> MessageEventDefinition:
    return next(d for d in ([spec.event_definition] + list(getattr(spec.event_definition, "event_definitions", [])))
                if isinstance(d, MessageEventDefinition) and d.name == name)


def encode(names: Iterable[str]) -> str | None:
    """The `cases.waiting_messages` value: each distinct name between separators (None when waiting for none)."""
    unique = sorted(set(names))
    return SEPARATOR + SEPARATOR.join(unique) + SEPARATOR if unique else None


def start_message(spec: BpmnProcessSpec) -> str | None:
    """The message a process starts with, or None when it starts plainly."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and is_message(task_spec):
            return task_spec.event_definition.name
    return None


def catches_messages(spec: BpmnProcessSpec) -> bool:
    """Whether any element of the process waits for a message."""
    return any(names(task_spec) for task_spec in spec.task_specs.values())


def rearm(fired: Iterable[Any]) -> None:
    """Camunda 7 keeps the subscription of a non-interrupting boundary event (and of a non-interrupting event
    sub-process's message or signal start) while its activity runs: each one that has just fired waits again, as a
    new task beside it, for the next message or signal. An interrupting one, or one whose activity has ended, does
    not."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

    for task in fired:
        spec, split = task.task_spec, task.parent
        if not isinstance(spec, BoundaryEvent) or spec.cancel_activity or split is None \
                or task.state != TaskState.COMPLETED:
            continue
        activity = next((s for s in split.children if not isinstance(s.task_spec, BoundaryEvent)), None)
        if activity is None or activity.has_state(TaskState.FINISHED_MASK):
            continue
        again = split._add_child(spec, TaskState.FUTURE)
        spec._predict_hook(again)  # its path, as the library lays it out for the first one
        spec._update(again)
