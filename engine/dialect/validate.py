"""Deploy-time checks of a BPMN file, before SpiffWorkflow sees it.

Everything the engine cannot execute safely is refused here with the file, the element id and what to change,
so that nothing fails half-way through a citizen's case at run time: script tasks, service and send tasks that are
not external tasks (engine.dialect.external_task), message and signal throw events other than external ones, error
events (catch events: engine/dialect/messages.py, signals.py), cycle timers other than reminders (cycles.py), reserved
ids, conditions outside the `${...}` grammar, timer values that are not ISO 8601. The result, `BpmnInfo`, is plain
data (no SpiffWorkflow objects) for the catalog and the checks that need the forms and decision tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.dialect.call_activity import check_call_activities
from engine.dialect.decision_task import MAP_MODES
from engine.dialect.expressions import is_expression, parse_expression
from engine.dialect.extensions import Fate, verdicts
from engine.dialect.conditional import check_conditionals
from engine.dialect.cycles import check_cycles
from engine.dialect.error_events import check_error_events
from engine.dialect.escalation import check_escalations
from engine.dialect.event_subprocess import is_event_subprocess
from engine.dialect.links import check_links
from engine.dialect.messages import check_messages, check_start_events
from engine.dialect.signals import check_signals
from engine.dialect.external_task import (
    CAMUNDA, EXTERNAL_HOSTS, external_message, is_external, parse_retry_cycle, retry_cycle_text,
)
from engine.dialect.parser import form_ref_of
from engine.dialect.structure import check_multi_instance, check_structure
from engine.dialect.timers import check_time_date, is_working_duration
from engine.dialect.xml import NS, parse_xml
from engine.errors import InvalidInput

ALLOWED = {
    "startEvent", "endEvent", "userTask", "businessRuleTask", "task", "manualTask", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "intermediateCatchEvent", "boundaryEvent", "sequenceFlow", "laneSet",
    "lane", "flowNodeRef", "childLaneSet", "textAnnotation", "association", "documentation", "extensionElements",
    "conditionExpression", "timerEventDefinition", "timeDuration", "timeDate", "terminateEventDefinition",
    "incoming", "outgoing", "text",
    "messageEventDefinition", "receiveTask", "eventBasedGateway",  # engine/dialect/messages.py checks where and how
    "signalEventDefinition",  # engine/dialect/signals.py
    "intermediateThrowEvent", "linkEventDefinition",  # engine/dialect/links.py
    "timeCycle",  # engine/dialect/cycles.py
    "errorEventDefinition",  # engine/dialect/error_events.py checks where
    "conditionalEventDefinition", "condition",  # engine/dialect/conditional.py
    "callActivity",  # a child case (engine/dialect/call_activity.py checks its attributes and mappings)
    "subProcess",  # embedded sub-process (engine/dialect/structure.py checks what it may contain)
    "multiInstanceLoopCharacteristics", "loopCardinality", "completionCondition",  # on user tasks (structure.py)
    "escalationEventDefinition",  # engine/dialect/escalation.py checks where
}
REFUSED = {
    "scriptTask": "tác vụ mã lệnh (script task): hệ thống không chạy mã từ sơ đồ",
    "serviceTask": "tác vụ dịch vụ (service task) chỉ chạy được khi là tác vụ ngoài (external task): hãy đặt "
                   "camunda:type=\"external\" và camunda:topic cho nó",
    "sendTask": "tác vụ gửi (send task) chỉ chạy được khi là tác vụ ngoài (external task): hãy đặt "
                "camunda:type=\"external\" và camunda:topic cho nó",
    "transaction": "quy trình con giao dịch (transaction) không được hỗ trợ vì hệ thống không có cơ chế bù trừ "
                   "(compensation) để hoàn tác; hãy vẽ một quy trình con thường (sub-process)",
    "adHocSubProcess": "quy trình con tùy biến (ad-hoc) không được hỗ trợ, Camunda 7 cũng không thực thi nó; hãy vẽ "
                       "các bước với cổng song song hoặc cổng bao hàm",
    "complexGateway": "cổng phức hợp (complex gateway) không được hỗ trợ, Camunda 7 cũng không thực thi nó; hãy dùng "
                      "cổng bao hàm (inclusive gateway)",
    "compensateEventDefinition": "sự kiện bù trừ (compensation) không được hỗ trợ: hệ thống không tự hoàn tác một bước "
                                 "đã làm, hãy vẽ việc khắc phục thành một bước xử lý của cán bộ",
    "cancelEventDefinition": "sự kiện hủy (cancel) chỉ dùng trong quy trình con giao dịch (transaction), mà hệ thống "
                             "không hỗ trợ; hãy vẽ nhánh hủy bằng sự kiện thông điệp hoặc cổng rẽ nhánh",
    "standardLoopCharacteristics": "tác vụ lặp chuẩn (standard loop) không được hỗ trợ, như Camunda 7 cũng không "
                                   "thực thi nó; hãy vẽ cổng rẽ nhánh quay lại bước cần lặp, hoặc dùng tác vụ nhiều "
                                   "phiên bản (multi-instance)",
}
# Artifacts and data that change nothing at run time (engine.dialect.artifacts strips the data ones before the library
# sees them, so it never copies data objects in or out of a step).
ALLOWED |= {"dataObject", "dataObjectReference", "dataStoreReference", "dataInputAssociation", "dataOutputAssociation",
            "sourceRef", "targetRef", "property", "dataState", "group", "category", "categoryValue"}
# Service and send tasks pass only as external tasks, or to be refused with the reason their code never runs here.
ALLOWED |= {"serviceTask", "sendTask", "intermediateThrowEvent", "messageEventDefinition"}
RESERVED_IDS = {"Start", "End", "Root"}


@dataclass(frozen=True)
class UserTaskInfo:
    id: str
    name: str
    lane_id: str | None
    lane_name: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None
    form_ref: str | None
    properties: dict
    form_data: Any = None  # the generated form (`camunda:formData`, engine.forms.form_data), None without one


@dataclass(frozen=True)
class ConditionInfo:
    flow_id: str
    source: str
    variables: frozenset[str]


@dataclass(frozen=True)
class DecisionRefInfo:
    task_id: str
    decision_ref: str
    result_variable: str | None
    map_mode: str


@dataclass(frozen=True)
class ExternalTaskInfo:
    id: str
    name: str
    topic: str
    retry_cycle: str | None  # `R<n>/<duration>` as written, checked


@dataclass
class BpmnInfo:
    filename: str
    process_id: str
    name: str
    properties: dict = field(default_factory=dict)
    lanes: dict[str, str] = field(default_factory=dict)  # lane id -> name
    user_tasks: list[UserTaskInfo] = field(default_factory=list)
    conditions: list[ConditionInfo] = field(default_factory=list)
    decisions: list[DecisionRefInfo] = field(default_factory=list)
    timer_variables: set[str] = field(default_factory=set)
    external_tasks: list[ExternalTaskInfo] = field(default_factory=list)

    def user_task(self, element_id: str) -> UserTaskInfo | None:
        return next((t for t in self.user_tasks if t.id == element_id), None)


def _local(tag) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _fail(filename: str, element_id: str | None, reason: str, line: int | None = None) -> InvalidInput:
    where = f"phần tử '{element_id}'" if element_id else "tệp"
    at = f" (dòng {line})" if line else ""
    return InvalidInput(f"Tệp '{filename}', {where}{at}: {reason}.", file=filename, element=element_id, line=line)


def _properties(node) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS)
    }


def check_bpmn(content: bytes, filename: str) -> BpmnInfo:
    root = parse_xml(content, filename)
    if _local(root.tag) != "definitions" or root.nsmap.get(root.prefix) != NS["bpmn"] and root.tag != f"{{{NS['bpmn']}}}definitions":
        raise InvalidInput(f"Tệp '{filename}' không phải sơ đồ BPMN 2.0 (thiếu bpmn:definitions).", file=filename)
    _refuse_camunda8(root, filename)
    processes = [p for p in root.findall("bpmn:process", NS) if p.get("isExecutable") == "true"]
    if not processes:
        raise _fail(filename, None, 'không có quy trình nào được đánh dấu thực thi (isExecutable="true")')
    if len(processes) > 1:
        ids = ", ".join(p.get("id") for p in processes)
        raise _fail(filename, None, f"mỗi tệp chỉ được có một quy trình thực thi, tệp này có {len(processes)} ({ids})")
    process = processes[0]
    pid = process.get("id")
    info = BpmnInfo(filename=filename, process_id=pid, name=process.get("name") or pid, properties=_properties(process))

    seen: set[str] = set()
    for node in process.iter():
        if not isinstance(node.tag, str):
            continue
        local, ns = _local(node.tag), node.tag[1:].split("}")[0] if node.tag.startswith("{") else ""
        if ns != NS["bpmn"]:
            continue  # camunda: extension children and other namespaces are read where they matter
        node_id = node.get("id")
        if local in EXTERNAL_HOSTS and local != "businessRuleTask" and (is_external(node) or _runs_code(node)):
            pass  # an external task runs; one that runs code is refused below with why and what to draw instead
        elif local == "messageEventDefinition" and external_message(node.getparent()) is not None:
            pass  # a message throw event answered by a worker (an external task)
        elif (local == "intermediateThrowEvent" and external_message(node) is None
              and node.find("bpmn:messageEventDefinition", NS) is not None):
            # Link, signal and none throw events run (links.py, signals.py; a none event just passes, as in C7).
            raise _fail(filename, node_id, "sự kiện ném trung gian (intermediate throw event) chỉ chạy khi là thông "
                        "điệp gửi qua tác vụ ngoài: camunda:type=\"external\" và camunda:topic trên "
                        "messageEventDefinition", node.sourceline)
        elif local in REFUSED:
            parent_id = node.getparent().get("id") if node.getparent() is not None else None
            # An event definition is named by its event: the shape a designer clicks on.
            owner = (parent_id or node_id) if local.endswith("EventDefinition") else (node_id or parent_id)
            raise _fail(filename, owner, REFUSED[local], node.sourceline)
        if local not in ALLOWED and local != "process":
            raise _fail(filename, node_id, f"loại phần tử '{local}' không được hệ thống hỗ trợ", node.sourceline)
        if node_id:
            if node_id in RESERVED_IDS:
                raise _fail(
                    filename, node_id, f"mã phần tử '{node_id}' trùng tên dành riêng của bộ máy; hãy đặt mã khác",
                    node.sourceline,
                )
            if node_id in seen:
                raise _fail(filename, node_id, "mã phần tử bị trùng", node.sourceline)
            seen.add(node_id)

    # Every Camunda extension is run, refused here, or reported by lint as having no effect (engine/dialect/extensions.py).
    for verdict in verdicts(root):
        if verdict.fate is Fate.REFUSED:
            raise _fail(filename, verdict.element_id, verdict.message, verdict.line)

    for lane in process.iter(f"{{{NS['bpmn']}}}lane"):
        info.lanes[lane.get("id")] = lane.get("name") or lane.get("id")
    lane_of = {
        ref.text.strip(): lane.get("id")
        for lane in process.iter(f"{{{NS['bpmn']}}}lane")
        for ref in lane.findall("bpmn:flowNodeRef", NS)
        if ref.text
    }

    _check_flows(process, filename, info)
    _check_timers(process, filename, info)
    _check_tasks(process, filename, info, lane_of)
    _check_constructs(root, process, filename, info)
    return info


def _check_constructs(root, process, filename: str, info: BpmnInfo) -> None:
    """Each construct's own deploy checks (events, structure, external tasks), in the module that runs it."""
    check_start_events(process, filename)
    check_messages(root, process, filename)
    check_signals(root, process, filename)
    check_error_events(root, process, filename)
    check_escalations(root, process, filename)
    check_links(process, filename)
    check_conditionals(process, filename)
    check_cycles(process, filename)
    _check_external_tasks(process, filename, info)
    _check_io_mappings(process, filename)
    _check_events(process, filename)
    check_structure(process, filename)
    check_multi_instance(process, filename)
    check_call_activities(process, filename)


ZEEBE = "http://camunda.org/schema/zeebe/1.0"


def _refuse_camunda8(root, filename: str) -> None:
    """A diagram saved for Camunda 8 says what it does in `zeebe:` extensions, which this engine never reads: its user
    tasks would deploy with no assignment and its service tasks with no worker. Refused, as a Camunda 8 form is."""
    platform = root.get(f"{{{NS['modeler']}}}executionPlatform")
    zeebe = next((n for n in root.iter() if isinstance(n.tag, str) and (n.tag.startswith(f"{{{ZEEBE}}}") or any(
        name.startswith(f"{{{ZEEBE}}}") for name in n.attrib))), None)
    if platform == "Camunda Cloud" or zeebe is not None:
        owner = next((n for n in ([zeebe, *zeebe.iterancestors()] if zeebe is not None else []) if n.get("id")), None)
        raise _fail(filename, owner.get("id") if owner is not None else None, f"sơ đồ được soạn cho nền tảng '{platform or 'Camunda 8'}' (Zeebe), mà hệ thống chỉ "
                    "chạy sơ đồ Camunda 7: các phần mở rộng zeebe: sẽ không có tác dụng; hãy tạo sơ đồ cho Camunda "
                    "Platform 7 trong Camunda Modeler", zeebe.sourceline if zeebe is not None else None)


def _all(process, local: str) -> list:
    """Every `bpmn:<local>` of the process, inside embedded sub-processes too, in document order."""
    return list(process.iter(f"{{{NS['bpmn']}}}{local}"))


def _check_flows(process, filename: str, info: BpmnInfo) -> None:
    targets = {n.get("id") for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):  # inside sub-processes too
        fid = flow.get("id")
        for attr in ("sourceRef", "targetRef"):
            if flow.get(attr) not in targets:
                raise _fail(filename, fid, f"{attr} '{flow.get(attr)}' không trỏ tới phần tử nào", flow.sourceline)
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is None:
            continue
        text = (cond.text or "").strip()
        if not is_expression(text):
            raise _fail(filename, fid, f"điều kiện '{text}' phải viết theo cú pháp ${{...}} của Camunda", cond.sourceline)
        try:
            expr = parse_expression(text)
        except InvalidInput as exc:
            raise _fail(filename, fid, f"điều kiện {text} không hợp lệ: {exc.message}", cond.sourceline) from exc
        info.conditions.append(ConditionInfo(fid, text, frozenset(expr.variables)))
    for gateway in _all(process, "exclusiveGateway") + _all(process, "inclusiveGateway"):
        outgoing = [f for f in gateway.getparent().findall("bpmn:sequenceFlow", NS) if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if flow.find("bpmn:conditionExpression", NS) is None and flow.get("id") != gateway.get("default"):
                raise _fail(
                    filename, flow.get("id"),
                    f"nhánh ra từ cổng '{gateway.get('id')}' không có điều kiện và không phải nhánh mặc định",
                    flow.sourceline,
                )


def _check_timers(process, filename: str, info: BpmnInfo) -> None:
    for timer in process.iter(f"{{{NS['bpmn']}}}timerEventDefinition"):
        if timer.find("bpmn:timeCycle", NS) is not None:
            continue  # a reminder: engine/dialect/cycles.py
        owner = timer.getparent().get("id")
        values = [c for c in timer if isinstance(c.tag, str) and _local(c.tag) in ("timeDate", "timeDuration")]
        if len(values) != 1:
            raise _fail(filename, owner, "hẹn giờ phải có đúng một giá trị timeDuration hoặc timeDate", timer.sourceline)
        kind, text = _local(values[0].tag), (values[0].text or "").strip()
        if is_expression(text):
            try:
                info.timer_variables |= set(parse_expression(text).variables)
            except InvalidInput as exc:
                raise _fail(filename, owner, f"biểu thức hẹn giờ {text} không hợp lệ: {exc.message}") from exc
        elif kind == "timeDuration":
            if not is_working_duration(text):
                raise _fail(
                    filename, owner,
                    f"thời lượng '{text}' không phải ISO 8601 dạng ngày/giờ (ví dụ P0.25D, P1.5D, PT2H)",
                    values[0].sourceline,
                )
        else:
            try:
                check_time_date(text)
            except InvalidInput as exc:
                raise _fail(filename, owner, exc.message.rstrip("."), values[0].sourceline) from exc


_EXPRESSION_IN_TEXT = re.compile(r"[$#]\{[^}]*\}?")


def _check_attribute_expressions(task, filename: str, cns: str) -> None:
    """Every `${...}` inside an assignment attribute must be in the condition grammar; `#{...}` is refused."""
    for attr in ("assignee", "candidateUsers", "candidateGroups"):
        value = task.get(f"{{{cns}}}{attr}") or ""
        for match in _EXPRESSION_IN_TEXT.finditer(value):
            text = match.group(0)
            try:
                parse_expression("${" + text[2:]) if text.startswith("${") else parse_expression(text)
            except InvalidInput as exc:
                raise _fail(filename, task.get("id"), f"camunda:{attr}: {exc.message.rstrip('.')}",
                            task.sourceline) from exc


def _check_tasks(process, filename: str, info: BpmnInfo, lane_of: dict[str, str]) -> None:
    cns = NS["camunda"]
    for task in _all(process, "userTask"):
        tid = task.get("id")
        _check_attribute_expressions(task, filename, cns)
        _check_task_dates(task, filename, cns)
        lane_id = lane_of.get(tid)
        info.user_tasks.append(
            UserTaskInfo(
                id=tid,
                name=task.get("name") or tid,
                lane_id=lane_id,
                lane_name=info.lanes.get(lane_id) if lane_id else None,
                candidate_groups=tuple(g.strip() for g in (task.get(f"{{{cns}}}candidateGroups") or "").split(",") if g.strip()),
                candidate_users=tuple(u.strip() for u in (task.get(f"{{{cns}}}candidateUsers") or "").split(",") if u.strip()),
                assignee=task.get(f"{{{cns}}}assignee"),
                form_ref=form_ref_of(task, cns),
                properties=_properties(task),
                form_data=_form_data(task, filename),
            )
        )
    for task in _all(process, "businessRuleTask"):
        tid = task.get("id")
        ref = task.get(f"{{{cns}}}decisionRef")
        if not ref and is_external(task):
            continue  # answered by an outside worker (_check_external_tasks)
        if not ref:
            raise _fail(filename, tid, "tác vụ quy tắc nghiệp vụ thiếu camunda:decisionRef", task.sourceline)
        mode = task.get(f"{{{cns}}}mapDecisionResult") or "resultList"
        if mode not in MAP_MODES:
            raise _fail(filename, tid, f"camunda:mapDecisionResult '{mode}' không hợp lệ ({', '.join(MAP_MODES)})")
        info.decisions.append(DecisionRefInfo(tid, ref, task.get(f"{{{cns}}}resultVariable"), mode))


def _form_data(task, filename: str) -> Any:
    from engine.forms.form_data import form_of

    try:
        form = form_of(task, filename)
    except InvalidInput as exc:
        raise _fail(filename, task.get("id"), f"camunda:formData: {exc.message.rstrip('.')}", task.sourceline) from exc
    if form is not None and form_ref_of(task, NS["camunda"]):
        raise _fail(filename, task.get("id"), "bước vừa có camunda:formData vừa có biểu mẫu Camunda Form; hãy giữ một",
                    task.sourceline)
    return form


def _check_task_dates(task, filename: str, cns: str) -> None:
    from engine.dialect.task_dates import check_task_date

    for attr, what in (("dueDate", "Hạn của bước"), ("followUpDate", "Ngày nhắc của bước")):
        text = task.get(f"{{{cns}}}{attr}")
        if text is None:
            continue
        try:
            check_task_date(text, what)
        except InvalidInput as exc:
            raise _fail(filename, task.get("id"), f"camunda:{attr}: {exc.message.rstrip('.')}", task.sourceline) from exc


def _check_io_mappings(process, filename: str) -> None:
    """`camunda:inputOutput` runs on user tasks and external tasks (engine.dialect.io_mapping), with values the safe
    grammar can evaluate; elsewhere it is refused, as it would silently do nothing."""
    from engine.dialect.io_mapping import HOSTS, parameters_of

    for found in process.iter(f"{{{CAMUNDA}}}inputOutput"):
        owner = found.getparent().getparent()
        local = _local(owner.tag)
        if local not in HOSTS or (local == "businessRuleTask" and not is_external(owner)):
            raise _fail(filename, owner.get("id"), "camunda:inputOutput chỉ chạy trên tác vụ người dùng (user task) và "
                        "tác vụ ngoài (external task); hãy xóa nó hoặc chuyển sang một bước như vậy", found.sourceline)
        try:
            parameters_of(owner)
        except InvalidInput as exc:
            raise _fail(filename, owner.get("id"), f"camunda:inputOutput: {exc.message.rstrip('.')}",
                        found.sourceline) from exc


def _runs_code(node) -> bool:
    return any(node.get(f"{{{CAMUNDA}}}{name}") for name in ("class", "delegateExpression", "expression")) or \
        node.find(f"bpmn:extensionElements/{{{CAMUNDA}}}connector", NS) is not None


def _check_external_tasks(process, filename: str, info: BpmnInfo) -> None:
    """Camunda 7 needs a topic on every external task; a retry cycle is `R<n>/<duration>` and belongs to one."""
    for node in process.iter(f"{{{NS['bpmn']}}}*"):
        local = _local(node.tag)
        cycle = retry_cycle_text(node)
        message = external_message(node)
        if message is not None:
            topic = (message.get(f"{{{CAMUNDA}}}topic") or "").strip()
            if not topic:
                raise _fail(filename, node.get("id"), "thông điệp gửi qua tác vụ ngoài thiếu camunda:topic",
                            message.sourceline)
            if cycle is not None and parse_retry_cycle(cycle) is None:
                raise _fail(filename, node.get("id"), f"camunda:failedJobRetryTimeCycle '{cycle}' phải có dạng "
                            "R<số lần>/<thời lượng ISO 8601>, ví dụ R3/PT5M", node.sourceline)
            info.external_tasks.append(ExternalTaskInfo(node.get("id"), node.get("name") or node.get("id"), topic,
                                                        cycle))
        elif local in EXTERNAL_HOSTS and is_external(node):
            if node.get(f"{{{CAMUNDA}}}decisionRef"):
                raise _fail(filename, node.get("id"), "tác vụ ngoài không được có thêm camunda:decisionRef; hãy chọn "
                            "một trong hai", node.sourceline)
            topic = (node.get(f"{{{CAMUNDA}}}topic") or "").strip()
            if not topic:
                raise _fail(filename, node.get("id"), "tác vụ ngoài (camunda:type=\"external\") thiếu camunda:topic",
                            node.sourceline)
            if cycle is not None and parse_retry_cycle(cycle) is None:
                raise _fail(filename, node.get("id"), f"camunda:failedJobRetryTimeCycle '{cycle}' phải có dạng "
                            "R<số lần>/<thời lượng ISO 8601>, ví dụ R3/PT5M", node.sourceline)
            info.external_tasks.append(ExternalTaskInfo(node.get("id"), node.get("name") or node.get("id"), topic,
                                                        cycle))
        elif cycle is not None:
            raise _fail(filename, node.get("id"), "camunda:failedJobRetryTimeCycle chỉ có tác dụng trên tác vụ ngoài "
                        "(camunda:type=\"external\"); hãy xóa nó", node.sourceline)


def _check_events(process, filename: str) -> None:
    for kind in ("intermediateCatchEvent", "boundaryEvent"):
        for event in _all(process, kind):
            waits_for = ("timer", "message", "signal", "link", "error", "escalation", "conditional")
            if all(event.find(f"bpmn:{what}EventDefinition", NS) is None for what in waits_for):
                raise _fail(filename, event.get("id"), "sự kiện chờ/biên chỉ hỗ trợ loại hẹn giờ (timer), thông điệp "
                            "(message), tín hiệu (signal), lỗi, leo thang và điều kiện", event.sourceline)
    for event in _all(process, "startEvent"):
        kinds = [_local(c.tag) for c in event if isinstance(c.tag, str) and _local(c.tag).endswith("EventDefinition")]
        if is_event_subprocess(event.getparent()):
            continue  # engine/dialect/event_subprocess.py checks the start of an event sub-process
        if kinds and (kinds not in (["messageEventDefinition"], ["timerEventDefinition"], ["signalEventDefinition"])
                      or event.getparent() is not process):
            raise _fail(filename, event.get("id"), "sự kiện bắt đầu chỉ hỗ trợ loại thường (none start event), thông "
                        "điệp, hẹn giờ và tín hiệu (message, timer, signal start event) ở quy trình chính")
