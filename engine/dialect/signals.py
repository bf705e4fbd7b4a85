"""Signal events as Camunda 7 runs them: a broadcast, by name, to every element waiting for it in every case
(`tthc signal`, engine/usecases/signal.py).

What runs: intermediate signal catch events and signal boundary events (interrupting or not) on a user task or a
receive task; intermediate signal throw events and signal end events, which broadcast synchronously, in the command
that reaches them (Camunda 7's default): the throwing case's own waiting elements catch it inside the library, every
other waiting case in the same transaction (engine.usecases.signal.deliver_thrown). The signal carries no variables
unless the throw event says which, as in Camunda 7: `camunda:in source/target`, `sourceExpression` (the `${}`
evaluator) or `variables="all"` inside the signalEventDefinition's extensionElements.
A signal start event (the process's only start event) opens a case of the latest version of its process for every
signal of that name, as Camunda 7 starts an instance of each process definition with a matching signal start event:
the case's applicant is the process's name, its start data the signal's variables (engine.usecases.signal).
Refused at deploy, with the reason: a signal start event beside other start events or inside a sub-process, and
`camunda:in businessKey` (a case opened by a signal is numbered by the engine; send identifying values as variables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from engine.dialect.expressions import ExpressionError, parse_expression
from engine.dialect.messages import ATTACHABLE, SEPARATOR, _fail, _local, encode
from engine.dialect.xml import NS
from engine.definitions import START_VARIABLES
from engine.history import EventType

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.specs.base import TaskSpec

CATCHING = ("intermediateCatchEvent", "boundaryEvent")
THROWING = ("intermediateThrowEvent", "endEvent")
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
IN_ATTRIBUTES = ("source", "sourceExpression", "target", "variables", "local")
RESERVED = START_VARIABLES  # what the engine keeps in every case: a signal must not overwrite it elsewhere


def check_signals(root: etree._Element, process: etree._Element, filename: str) -> None:
    signals = {s.get("id"): s for s in root.findall("bpmn:signal", NS)}
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for definition in process.iter(f"{{{NS['bpmn']}}}signalEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        in_event_subprocess = kind == "startEvent" and owner.getparent().get("triggeredByEvent") == "true"
        if kind == "startEvent" and not in_event_subprocess and (
                owner.getparent() is not process or len(process.findall("bpmn:startEvent", NS)) != 1):
            raise _fail(filename, owner_id, "sự kiện bắt đầu bằng tín hiệu phải là sự kiện bắt đầu duy nhất của quy "
                        "trình chính", definition.sourceline)
        if kind not in CATCHING and kind not in THROWING and kind != "startEvent":
            raise _fail(filename, owner_id, f"tín hiệu không dùng được trên phần tử loại '{kind}'", definition.sourceline)
        _check_in(definition, filename, owner_id, throwing=kind in THROWING)
        signal = signals.get(definition.get("signalRef") or "")
        name = (signal.get("name") or "").strip() if signal is not None else ""
        if not name or "${" in name or "#{" in name or SEPARATOR in name:
            raise _fail(filename, owner_id, f"tín hiệu '{definition.get('signalRef') or ''}' phải trỏ tới một "
                        "bpmn:signal có tên cố định (không phải biểu thức)", definition.sourceline)
        if kind == "boundaryEvent":
            attached = by_id.get(owner.get("attachedToRef"))
            if attached is None or _local(attached.tag) not in ATTACHABLE:
                raise _fail(filename, owner_id, "sự kiện biên tín hiệu chỉ gắn được vào tác vụ người dùng, tác vụ "
                            "nhận hoặc quy trình con", owner.sourceline)


def is_signal(spec: TaskSpec) -> bool:
    return isinstance(getattr(spec, "event_definition", None), SignalEventDefinition)


def waiting(tasks: Iterable[Any], name: str | None = None) -> list[Any]:
    return [t for t in tasks if t._state == TaskState.WAITING and is_signal(t.task_spec)
            and (name is None or t.task_spec.event_definition.name == name)]


def encode_waiting(tasks: Iterable[Any]) -> str | None:
    """The `cases.waiting_signals` value."""
    return encode(t.task_spec.event_definition.name for t in waiting(tasks))


def _check_in(definition: etree._Element, filename: str, owner_id: str, *, throwing: bool) -> None:
    """`camunda:in` on a signal: on a throw event, names and `${}` expressions only; nowhere else."""
    for mapping in definition.iterfind(f"bpmn:extensionElements/{{{CAMUNDA}}}in", NS):
        if not throwing:
            raise _fail(filename, owner_id, "camunda:in chỉ có nghĩa trên sự kiện phát tín hiệu", mapping.sourceline)
        if mapping.get("businessKey") is not None:
            raise _fail(filename, owner_id, "camunda:in businessKey không được hỗ trợ: hồ sơ do tín hiệu mở lấy số hồ sơ "
                        "của nó làm khóa nghiệp vụ; hãy gửi giá trị nhận diện thành biến (source/target)",
                        mapping.sourceline)
        if mapping.get("variables") is not None:
            if mapping.get("variables") != "all":
                raise _fail(filename, owner_id, "camunda:in variables chỉ nhận giá trị 'all'", mapping.sourceline)
            continue
        target, source, expression = mapping.get("target"), mapping.get("source"), mapping.get("sourceExpression")
        if not target or (source is None) == (expression is None):
            raise _fail(filename, owner_id, "camunda:in cần target và đúng một trong source, sourceExpression",
                        mapping.sourceline)
        if target in RESERVED:
            raise _fail(filename, owner_id, f"camunda:in không được đặt biến hệ thống '{target}'", mapping.sourceline)
        if expression is not None:
            try:
                parse_expression(expression)
            except ExpressionError as exc:
                raise _fail(filename, owner_id, f"camunda:in sourceExpression: {exc.message.rstrip('.')}",
                            mapping.sourceline) from exc


def in_mappings(node: etree._Element) -> dict:
    """A throw event's `camunda:in` in the plain form kept in the spec's extensions (checked at deploy), or {}."""
    definition = node.find("bpmn:signalEventDefinition", NS)
    if definition is None:
        return {}
    found = [{k: m.get(k) for k in IN_ATTRIBUTES if m.get(k) is not None}
             for m in definition.iterfind(f"bpmn:extensionElements/{{{CAMUNDA}}}in", NS)]
    return {"signal_in": found} if found else {}


def payload(mappings: Iterable[Mapping[str, str]], data: Mapping[str, Any]) -> dict:
    """The variables a thrown signal carries (Camunda 7's `camunda:in` on a signal throw event), in mapping order."""
    out: dict[str, Any] = {}
    for m in mappings:
        if m.get("variables") == "all":
            out.update({k: v for k, v in data.items() if k not in RESERVED and not k.startswith("_")})
        elif "sourceExpression" in m:
            out[m["target"]] = parse_expression(m["sourceExpression"]).evaluate(data)
        else:
            out[m["target"]] = data.get(m["source"])
    return out


def thrown_event(task: Any) -> dict | None:
    """The `signal_thrown` event of a completed signal throw or end event, or None for any other task."""
    spec = task.task_spec
    if task.state != TaskState.COMPLETED or not is_signal(spec) or isinstance(spec, CatchingEvent):
        return None
    return {"type": EventType.SIGNAL_THROWN.value, "element_id": spec.bpmn_id, "name": spec.bpmn_name,
            "signal": spec.event_definition.name,
            "data": payload((spec.extensions or {}).get("signal_in", ()), task.data)}
