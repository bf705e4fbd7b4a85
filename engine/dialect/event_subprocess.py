"""Event sub-processes as Camunda 7 runs them (Camunda 7 reference, "Event Subprocess").

An event sub-process (`bpmn:subProcess triggeredByEvent="true"`) sits inside a scope (the process, or an embedded
sub-process) and starts when its start event's trigger happens while that scope is active: a timer (`timeDuration`
counted in working time from when the scope starts, or `timeDate`), a message (`tthc correlate`), a signal
(`tthc signal`), an error (by code, or catch-all) or an escalation (by code, or catch-all) thrown inside the scope.
Interrupting (`isInterrupting="true"`, the default) cancels the scope's open work and the scope ends when the event
sub-process ends; non-interrupting runs alongside, and the scope ends when both are done.

SpiffWorkflow 3.2.0 runs none/timer-started event sub-processes as a parallel branch that holds the process open and
knows nothing of interrupting, so, as for link events, the engine rewrites the diagram before the library parses it
(the stored diagram is unchanged, the rewrite depends only on it, so every compile and every replay agree):

    scope: [body …] + event sub-process E (start S with definition D, isInterrupting I)
    →  scope: start → EventScope_<scope> (a sub-process holding the body) → end
              boundary event S (definition D, cancelActivity = I) on EventScope_<scope> → E (plain, none start) → end

Camunda 7's semantics are exactly those of a boundary event on the scope's body, so the engine's boundary events
(timers in working time, messages, signals, errors, escalations) run them; the body wrapper is invisible in the history
(`sub_process` names the real scopes only, a timer of an event sub-process makes no step overdue). The history names
the event sub-process's start event as the element that caught the trigger (`timer_fired`, `message_correlated`,
`error_caught`, `escalation_caught`, `signal_received`), and the steps inside it carry `"sub_process": "<E's id>"`.

A non-interrupting one started by a message or a signal starts again for each further one while its scope runs
(engine.dialect.messages.rearm), as Camunda 7 does. Not run: cycle timer starts are refused (a reminder belongs on a
step); a conditional start is refused with the other conditional events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.dialect.messages import _fail, _local
from engine.dialect.xml import NS

if TYPE_CHECKING:  # annotations only
    from lxml import etree

_BPMN = NS["bpmn"]
_CAMUNDA = NS["camunda"]
WRAPPER = "EventScope_"  # the body wrapper's id prefix; deploy refuses diagram ids that start with it
TRIGGERS = ("timerEventDefinition", "messageEventDefinition", "signalEventDefinition", "errorEventDefinition",
            "escalationEventDefinition")
# Children of a scope that stay with it rather than move into the body wrapper.
_STAYS = ("laneSet", "extensionElements", "documentation", "incoming", "outgoing", "multiInstanceLoopCharacteristics",
          "standardLoopCharacteristics", "ioSpecification", "property")


def is_event_subprocess(node: etree._Element) -> bool:
    return _local(node.tag) == "subProcess" and node.get("triggeredByEvent") == "true"


def is_wrapper(bpmn_id: str | None) -> bool:
    """Whether an element id is a body wrapper the rewrite made (not drawn, never named in the history)."""
    return bool(bpmn_id) and bpmn_id.startswith(WRAPPER)


def check_event_subprocesses(process: etree._Element, filename: str) -> None:
    """One start event with one trigger (Camunda 7 allows no none start here), no flow in or out, no boundary event
    or loop on the event sub-process itself; an error start always interrupts; a timer start is a duration or date."""
    ids = {n.get("id") for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for node_id in ids:
        if is_wrapper(node_id):
            raise _fail(filename, node_id, f"mã phần tử bắt đầu bằng '{WRAPPER}' được dành riêng cho bộ máy; hãy đặt "
                        "mã khác", None)
    if any(is_event_subprocess(c) for c in process if isinstance(c.tag, str)) and any(
            s.find("bpmn:messageEventDefinition", NS) is not None for s in process.findall("bpmn:startEvent", NS)):
        raise _fail(filename, process.get("id"), "quy trình bắt đầu bằng thông điệp chưa chứa được quy trình con sự "
                    "kiện ở cấp quy trình; hãy đặt nó trong một quy trình con", None)
    attached = {b.get("attachedToRef") for b in process.iter(f"{{{_BPMN}}}boundaryEvent")}
    flows = list(process.iter(f"{{{_BPMN}}}sequenceFlow"))
    for sub in process.iter(f"{{{_BPMN}}}subProcess"):
        if not is_event_subprocess(sub):
            continue
        sid, line = sub.get("id"), sub.sourceline
        if any(f.get("sourceRef") == sid or f.get("targetRef") == sid for f in flows):
            raise _fail(filename, sid, "quy trình con sự kiện (event sub-process) không có luồng vào hay luồng ra: nó "
                        "bắt đầu khi sự kiện bắt đầu của nó xảy ra", line)
        if sid in attached or sub.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
            raise _fail(filename, sid, "quy trình con sự kiện (event sub-process) không mang sự kiện biên hay vòng lặp "
                        "nhiều phiên bản", line)
        starts = sub.findall("bpmn:startEvent", NS)
        if len(starts) != 1:
            raise _fail(filename, sid, f"quy trình con sự kiện phải có đúng một sự kiện bắt đầu, đang có {len(starts)}",
                        line)
        _check_start(starts[0], filename)


def _check_start(start: etree._Element, filename: str) -> None:
    sid, line = start.get("id"), start.sourceline
    kinds = [_local(c.tag) for c in start if isinstance(c.tag, str) and _local(c.tag).endswith("EventDefinition")]
    if len(kinds) != 1 or kinds[0] not in TRIGGERS:
        raise _fail(filename, sid, "sự kiện bắt đầu của quy trình con sự kiện phải có đúng một loại: hẹn giờ (timer), "
                    "thông điệp (message), tín hiệu (signal), lỗi (error) hoặc leo thang (escalation)", line)
    if kinds[0] == "errorEventDefinition" and start.get("isInterrupting") == "false":
        raise _fail(filename, sid, "sự kiện bắt đầu lỗi luôn ngắt phạm vi của nó (Camunda 7 không cho "
                    "isInterrupting=\"false\")", line)
    timer = start.find("bpmn:timerEventDefinition", NS)
    if timer is not None and timer.find("bpmn:timeCycle", NS) is not None:
        raise _fail(filename, sid, "quy trình con sự kiện chưa bắt đầu theo chu kỳ (timeCycle): nó chỉ chạy một lần "
                    "mỗi khi phạm vi của nó chạy; hãy dùng timeDuration hoặc timeDate, hoặc đặt lời nhắc chu kỳ trên "
                    "một bước", line)


# --- the rewrite (before the library parses the diagram) -----------------------------------------------------------


def _element(parent: etree._Element, local: str, **attributes: str) -> etree._Element:
    node = parent.makeelement(f"{{{_BPMN}}}{local}", {k: v for k, v in attributes.items() if v is not None})
    parent.append(node)
    return node


def _flow(scope: etree._Element, flow_id: str, source: etree._Element, target: etree._Element) -> None:
    _element(scope, "sequenceFlow", id=flow_id, sourceRef=source.get("id"), targetRef=target.get("id"))
    for node, tag in ((source, "outgoing"), (target, "incoming")):
        ref = node.makeelement(f"{{{_BPMN}}}{tag}", {})
        ref.text = flow_id
        node.insert(0, ref)


def rewrite_event_subprocesses(root: etree._Element) -> None:
    """Every scope with event sub-processes as body wrapper + boundary events (in place; see the module doc)."""
    for process in root.findall("bpmn:process", NS):
        scopes = [process] + [s for s in process.iter(f"{{{_BPMN}}}subProcess")]
        for scope in scopes:
            handlers = [c for c in scope if isinstance(c.tag, str) and is_event_subprocess(c)]
            if handlers:
                _rewrite_scope(scope, handlers)


def _rewrite_scope(scope: etree._Element, handlers: list) -> None:
    scope_id = scope.get("id")
    body = scope.makeelement(f"{{{_BPMN}}}subProcess", {"id": f"{WRAPPER}{scope_id}"})
    for child in list(scope):
        if isinstance(child.tag, str) and child not in handlers and _local(child.tag) not in _STAYS:
            body.append(child)  # moves it
    scope.append(body)
    start = _element(scope, "startEvent", id=f"{WRAPPER}{scope_id}_start")
    drawn = body.find("bpmn:startEvent", NS)
    initiator = drawn.get(f"{{{_CAMUNDA}}}initiator") if drawn is not None else None
    if initiator:  # `camunda:initiator` is read on the process's start event (engine.dialect.parser)
        start.set(f"{{{_CAMUNDA}}}initiator", initiator)
    end = _element(scope, "endEvent", id=f"{WRAPPER}{scope_id}_end")
    _flow(scope, f"{WRAPPER}{scope_id}_in", start, body)
    _flow(scope, f"{WRAPPER}{scope_id}_out", body, end)
    for handler in handlers:
        _handler_as_boundary(scope, body, handler)


def _handler_as_boundary(scope: etree._Element, body: etree._Element, handler: etree._Element) -> None:
    """The event sub-process's start event becomes a boundary event (same id) on the body; the event sub-process a
    plain one started by a none start event, after it."""
    hid = handler.get("id")
    trigger = handler.find("bpmn:startEvent", NS)
    trigger_id = trigger.get("id")
    interrupting = trigger.get("isInterrupting") != "false"
    boundary = _element(scope, "boundaryEvent", id=trigger_id, name=trigger.get("name"),
                        attachedToRef=body.get("id"), cancelActivity="true" if interrupting else "false")
    for child in list(trigger):
        if isinstance(child.tag, str) and _local(child.tag).endswith("EventDefinition"):
            boundary.append(child)
        elif isinstance(child.tag, str) and _local(child.tag) == "extensionElements":
            boundary.append(child)
    inner_start = f"{WRAPPER}{trigger_id}_start"
    trigger.set("id", inner_start)
    for attribute in ("isInterrupting", "name"):
        trigger.attrib.pop(attribute, None)
    for flow in handler.findall("bpmn:sequenceFlow", NS):
        if flow.get("sourceRef") == trigger_id:
            flow.set("sourceRef", inner_start)
    del handler.attrib["triggeredByEvent"]
    end = _element(scope, "endEvent", id=f"{WRAPPER}{hid}_end")
    _flow(scope, f"{WRAPPER}{hid}_in", boundary, handler)
    _flow(scope, f"{WRAPPER}{hid}_out", handler, end)
