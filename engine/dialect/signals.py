"""Signal events as Camunda 7 runs them: a broadcast, by name, to every element waiting for it in every case
(`tthc signal`, engine/usecases/signal.py).

What runs: intermediate signal catch events and signal boundary events (interrupting or not) on a user task or a
receive task. Refused at deploy, with the reason: signal throw and end events (a diagram would change every other
waiting case inside one officer's command; an operator sends the signal with `tthc signal` instead) and signal start
events (a case needs an applicant and a reception officer, which a broadcast does not have).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.dialect.messages import ATTACHABLE, SEPARATOR, _fail, _local, encode
from engine.dialect.xml import NS

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.specs.base import TaskSpec

CATCHING = ("intermediateCatchEvent", "boundaryEvent")


def check_signals(root: etree._Element, process: etree._Element, filename: str) -> None:
    signals = {s.get("id"): s for s in root.findall("bpmn:signal", NS)}
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for definition in process.iter(f"{{{NS['bpmn']}}}signalEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        in_event_subprocess = kind == "startEvent" and owner.getparent().get("triggeredByEvent") == "true"
        if kind == "startEvent" and not in_event_subprocess:
            raise _fail(filename, owner_id, "sự kiện bắt đầu bằng tín hiệu không được hỗ trợ: mỗi hồ sơ cần người nộp và "
                        "cán bộ tiếp nhận, mà một tín hiệu phát chung không có", definition.sourceline)
        if kind not in CATCHING and not in_event_subprocess:
            raise _fail(filename, owner_id, "sự kiện phát tín hiệu (signal throw/end) không được hỗ trợ: nó sẽ thay đổi "
                        "mọi hồ sơ khác đang chờ ngay trong lệnh của một cán bộ; hãy phát tín hiệu bằng `tthc signal`",
                        definition.sourceline)
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
