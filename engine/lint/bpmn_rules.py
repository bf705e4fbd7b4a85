"""The project's own rules for BPMN diagrams: what Camunda Modeler's stock linting does not catch.

Each rule is a function from a parsed diagram to findings; `RULES` maps its stable token to it. The lane rules follow
bpmn-js: a shape belongs to the lane that contains its centre.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from engine.durations import working_days_duration
from engine.lint.header import check_platform
from engine.lint.report import Finding
from engine.lint.timer_values import CHECKS, EXAMPLES, is_valid_timer_value

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC}

FLOW_NODES = frozenset(
    {
        "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask", "manualTask",
        "callActivity", "subProcess", "transaction", "adHocSubProcess",
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
    }
)
# SpiffWorkflow names its own task specs Start, End and Root; a BPMN element with such an id breaks the spec.
RESERVED_IDS = ("Start", "End", "Root")


def _bpmn(local: str) -> str:
    return f"{{{BPMN}}}{local}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def contains(self, point: tuple[float, float]) -> bool:
        px, py = point
        return self.x <= px <= self.x + self.width and self.y <= py <= self.y + self.height


class BpmnDocument:
    """A parsed diagram with the lookups the rules share."""

    def __init__(self, root: etree._Element, filename: str) -> None:
        self.root = root
        self.filename = filename
        self.processes = root.findall("bpmn:process", NS)
        self.drawn: set[str] = set()
        self.bounds: dict[str, Bounds] = {}
        for di in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
            ref = di.get("bpmnElement")
            if not ref:
                continue
            self.drawn.add(ref)
            box = di.find("dc:Bounds", NS)
            if box is not None:
                bounds = _bounds(box)
                if bounds is not None:
                    self.bounds[ref] = bounds

    def flow_nodes(self, process: etree._Element) -> list[etree._Element]:
        """Flow nodes that lanes partition: the process's own, not those inside sub-processes."""
        return [child for child in process if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN}}}")
                and _local(child) in FLOW_NODES]

    def draws_inside(self, lane: etree._Element, shape: Bounds) -> bool:
        lane_bounds = self.bounds.get(lane.get("id"))
        return lane_bounds is not None and lane_bounds.contains(shape.centre)

    def leaf_lanes(self, process: etree._Element) -> list[etree._Element]:
        lanes = process.findall("bpmn:laneSet//bpmn:lane", NS)
        return [lane for lane in lanes if lane.find("bpmn:childLaneSet/bpmn:lane", NS) is None]


def _bounds(box: etree._Element) -> Bounds | None:
    try:
        return Bounds(*(float(box.get(name, "")) for name in ("x", "y", "width", "height")))
    except ValueError:
        return None


def _refs(lane: etree._Element) -> list[str]:
    return [(ref.text or "").strip() for ref in lane.findall("bpmn:flowNodeRef", NS)]


def _lane_label(lane: etree._Element) -> str:
    name = lane.get("name")
    return f"'{lane.get('id')}' ({name})" if name else f"'{lane.get('id')}'"


Rule = Callable[[BpmnDocument], Iterator[Finding]]


def executable_process(doc: BpmnDocument) -> Iterator[Finding]:
    for process in doc.processes:
        if process.get("isExecutable") != "true":
            yield Finding(
                "executable-process",
                process.get("id"),
                f"Quy trình '{process.get('id')}' chưa đặt isExecutable=\"true\" (ô Executable trong Camunda Modeler); "
                "bộ máy sẽ không chạy quy trình này.",
                process.sourceline,
            )


def modeler_header(doc: BpmnDocument) -> Iterator[Finding]:
    root = doc.root
    if not root.get("exporter"):
        yield Finding(
            "modeler-header",
            root.get("id"),
            f"Tệp '{doc.filename}' thiếu thuộc tính exporter; hãy lưu sơ đồ bằng Camunda Modeler.",
            root.sourceline,
        )
    for finding in check_platform(
        "bpmn",
        doc.filename,
        root.get(f"{{{MODELER}}}executionPlatform"),
        root.get(f"{{{MODELER}}}executionPlatformVersion"),
        root.sourceline,
    ):
        yield Finding(finding.rule, root.get("id"), finding.message_vi, finding.line)


def lane_membership(doc: BpmnDocument) -> Iterator[Finding]:
    for process in doc.processes:
        nodes = doc.flow_nodes(process)
        lanes = doc.leaf_lanes(process)
        if nodes and not lanes:
            yield Finding(
                "lane-membership",
                process.get("id"),
                f"Quy trình '{process.get('id')}' không có làn (lane) nào; mỗi bước phải nằm trong đúng một làn "
                "để biết bộ phận nào xử lý.",
                process.sourceline,
            )
            continue
        node_ids = {node.get("id") for node in nodes}
        # Elements inside an embedded sub-process may be placed in lanes too (Camunda Modeler writes their refs).
        inside = {n.get("id") for sub in process.iter(f"{{{BPMN}}}subProcess") for n in sub.iter()
                  if isinstance(n.tag, str) and n.get("id")}
        for lane in lanes:
            for ref in _refs(lane):
                if ref not in node_ids and ref not in inside:
                    yield Finding(
                        "lane-membership",
                        lane.get("id"),
                        f"Làn {_lane_label(lane)} tham chiếu phần tử '{ref}' không có trong quy trình "
                        f"'{process.get('id')}'.",
                        lane.sourceline,
                    )
        for node in nodes:
            owners = [lane for lane in lanes if node.get("id") in _refs(lane)]
            if not owners:
                yield Finding(
                    "lane-membership",
                    node.get("id"),
                    f"Phần tử '{node.get('id')}' không thuộc làn nào; hãy kéo nó vào làn của bộ phận xử lý.",
                    node.sourceline,
                )
            elif len(owners) > 1:
                names = ", ".join(_lane_label(lane) for lane in owners)
                yield Finding(
                    "lane-membership",
                    node.get("id"),
                    f"Phần tử '{node.get('id')}' thuộc nhiều làn cùng lúc ({names}); mỗi phần tử chỉ thuộc một làn.",
                    node.sourceline,
                )


def lane_drawing(doc: BpmnDocument) -> Iterator[Finding]:
    for process in doc.processes:
        lanes = doc.leaf_lanes(process)
        for node in doc.flow_nodes(process):
            owners = [lane for lane in lanes if node.get("id") in _refs(lane)]
            shape = doc.bounds.get(node.get("id"))
            # Zero or several owners is lane-membership's finding; a missing shape is missing-di's.
            if len(owners) != 1 or shape is None or owners[0].get("id") not in doc.bounds:
                continue
            owner = owners[0]
            if doc.bounds[owner.get("id")].contains(shape.centre):
                continue
            drawn_in = [lane for lane in lanes if doc.draws_inside(lane, shape)]
            where = f"trong làn {_lane_label(drawn_in[0])}" if drawn_in else "ngoài mọi làn"
            yield Finding(
                "lane-drawing",
                node.get("id"),
                f"Phần tử '{node.get('id')}' thuộc làn {_lane_label(owner)} nhưng được vẽ {where}; "
                "hãy kéo nó về đúng làn trong Camunda Modeler.",
                node.sourceline,
            )


def empty_lane(doc: BpmnDocument) -> Iterator[Finding]:
    for process in doc.processes:
        for lane in doc.leaf_lanes(process):
            if not any(_refs(lane)):
                yield Finding(
                    "empty-lane",
                    lane.get("id"),
                    f"Làn {_lane_label(lane)} không có phần tử nào; hãy xóa làn hoặc đặt bước của bộ phận đó vào.",
                    lane.sourceline,
                )


def timer_value(doc: BpmnDocument) -> Iterator[Finding]:
    for definition in doc.root.iter(_bpmn("timerEventDefinition")):
        owner = definition.getparent()
        owner_id = owner.get("id") if owner is not None else definition.get("id")
        values = [child for child in definition if isinstance(child.tag, str) and _local(child) in CHECKS]
        if not values:
            yield Finding(
                "timer-value",
                owner_id,
                f"Hẹn giờ '{owner_id}' chưa có giá trị thời gian (timeDuration, timeDate hoặc timeCycle); "
                f"ví dụ: {EXAMPLES['timeDuration']}.",
                definition.sourceline,
            )
            continue
        if len(values) > 1:
            kinds = ", ".join(_local(value) for value in values)
            yield Finding(
                "timer-value",
                owner_id,
                f"Hẹn giờ '{owner_id}' có nhiều giá trị thời gian ({kinds}); chỉ được dùng một.",
                definition.sourceline,
            )
            continue
        kind = _local(values[0])
        text = (values[0].text or "").strip()
        if not is_valid_timer_value(kind, text):
            shown = f"\"{text}\"" if text else "rỗng"
            yield Finding(
                "timer-value",
                owner_id,
                f"Hẹn giờ '{owner_id}' có {kind} {shown}, không phải giá trị ISO 8601; "
                f"ví dụ: {EXAMPLES[kind]}, hoặc một biểu thức ${{...}}.",
                values[0].sourceline,
            )


_FRACTIONAL_DAYS = re.compile(r"(?<![\w.,])P(?P<days>\d+[.,]\d+)D(?![\w])")


def fractional_day_timer(doc: BpmnDocument) -> Iterator[Finding]:
    """`P0.25D` is ISO 8601 and tthc runs it, but XML Schema durations (Camunda 7's parser) allow no fraction of a day."""
    for value in doc.root.iter(_bpmn("timeDuration"), _bpmn("timeCycle")):
        match = _FRACTIONAL_DAYS.search(value.text or "")
        if match is None:
            continue
        owner = value.getparent().getparent() if value.getparent() is not None else None
        owner_id = owner.get("id") if owner is not None else None
        portable = working_days_duration(Decimal(match["days"].replace(",", ".")))
        yield Finding(
            "timer-fractional-day",
            owner_id,
            f"Hẹn giờ '{owner_id}' ghi {match[0]}: tthc chạy được, nhưng Camunda 7 không nhận phần lẻ của ngày; "
            f"hãy viết {portable} (ngày làm việc 8 giờ), cùng thời điểm đến hạn.",
            value.sourceline,
            severity="warning",
        )


def boundary_event_definition(doc: BpmnDocument) -> Iterator[Finding]:
    for event in doc.root.iter(_bpmn("boundaryEvent")):
        has_definition = any(
            isinstance(child.tag, str) and _local(child).endswith("EventDefinition") for child in event
        ) or event.find("bpmn:eventDefinitionRef", NS) is not None
        if not has_definition:
            yield Finding(
                "boundary-event-definition",
                event.get("id"),
                f"Sự kiện biên '{event.get('id')}' chưa có loại sự kiện (ví dụ hẹn giờ); hãy chọn loại trong "
                "Camunda Modeler.",
                event.sourceline,
            )


def user_task_assignee(doc: BpmnDocument) -> Iterator[Finding]:
    for task in doc.root.iter(_bpmn("userTask")):
        if not any((task.get(f"{{{CAMUNDA}}}{name}") or "").strip()
                   for name in ("candidateGroups", "candidateUsers", "assignee")):
            yield Finding(
                "user-task-assignee",
                task.get("id"),
                f"Bước '{task.get('id')}' chưa giao cho ai: cần camunda:candidateGroups (nhóm xử lý), "
                "camunda:candidateUsers hoặc camunda:assignee.",
                task.sourceline,
            )


def user_task_form(doc: BpmnDocument) -> Iterator[Finding]:
    for task in doc.root.iter(_bpmn("userTask")):
        if task.find(f"{_bpmn('extensionElements')}/{{{CAMUNDA}}}formData") is not None:
            continue  # a Camunda 7 generated form (engine.forms.form_data)
        if not any((task.get(f"{{{CAMUNDA}}}{name}") or "").strip() for name in ("formRef", "formKey")):
            # A warning, not an error: Camunda 7 runs a step without a form (it takes any variables), and so do
            # deploy and the runtime; the designer is told what is lost, not stopped.
            yield Finding(
                "user-task-form",
                task.get("id"),
                f"Bước '{task.get('id')}' chưa có biểu mẫu: bước sẽ nhận mọi biến mà không kiểm tra (như Camunda 7); "
                "nên gắn camunda:formRef (hoặc camunda:formKey) để kiểm tra dữ liệu và có câu hỏi khi nhập.",
                task.sourceline,
                severity="warning",
            )


def missing_di(doc: BpmnDocument) -> Iterator[Finding]:
    wanted = [element for element in doc.root.iter(etree.Element)
              if element.tag.startswith(f"{{{BPMN}}}")
              and (_local(element) in FLOW_NODES or _local(element) in {"sequenceFlow", "lane", "participant"})]
    for element in wanted:
        if element.get("id") not in doc.drawn:
            yield Finding(
                "missing-di",
                element.get("id"),
                f"Phần tử '{element.get('id')}' ({_local(element)}) chưa được vẽ trên sơ đồ "
                "(thiếu BPMNShape/BPMNEdge); hãy vẽ nó trong Camunda Modeler.",
                element.sourceline,
            )


def no_script_task(doc: BpmnDocument) -> Iterator[Finding]:
    for task in doc.root.iter(_bpmn("scriptTask")):
        yield Finding(
            "no-script-task",
            task.get("id"),
            f"Bước '{task.get('id')}' là tác vụ mã lệnh (script task); hệ thống không chạy mã lấy từ sơ đồ, "
            "hãy dùng tác vụ người dùng hoặc bảng quyết định.",
            task.sourceline,
        )


def reserved_id(doc: BpmnDocument) -> Iterator[Finding]:
    for element in doc.root.iter(etree.Element):
        if element.get("id") in RESERVED_IDS:
            yield Finding(
                "reserved-id",
                element.get("id"),
                f"Mã phần tử '{element.get('id')}' trùng tên dành riêng của bộ máy quy trình "
                f"({', '.join(RESERVED_IDS)}); hãy đặt mã khác, ví dụ '{element.get('id')}Event'.",
                element.sourceline,
            )


def procedure_policy(doc: BpmnDocument) -> Iterator[Finding]:
    """The procedure policy properties (`engine.policy`: outcome, role, rework_decision, coordinating_lanes)."""
    from engine.policy import problems

    for element_id, message, line in problems(doc.root):
        yield Finding("procedure-policy", element_id, message[0].upper() + message[1:] + ".", line)


RULES: dict[str, Rule] = {
    "executable-process": executable_process,
    "modeler-header": modeler_header,
    "lane-membership": lane_membership,
    "lane-drawing": lane_drawing,
    "empty-lane": empty_lane,
    "timer-value": timer_value,
    "timer-fractional-day": fractional_day_timer,
    "boundary-event-definition": boundary_event_definition,
    "user-task-assignee": user_task_assignee,
    "user-task-form": user_task_form,
    "missing-di": missing_di,
    "no-script-task": no_script_task,
    "reserved-id": reserved_id,
    "procedure-policy": procedure_policy,
}


def check_extensions(root: etree._Element, filename: str) -> tuple[list[Finding], list[Finding]]:
    """Camunda extensions deploy refuses (errors, in deploy's words) and those that have no effect (notices)."""
    from engine.dialect.extensions import Fate, verdicts

    errors: list[Finding] = []
    notices: list[Finding] = []
    for verdict in verdicts(root):
        where = f"phần tử '{verdict.element_id}'" if verdict.element_id else "tệp"
        message = f"Tệp '{filename}', {where}: {verdict.message}."
        if verdict.fate is Fate.REFUSED:
            errors.append(Finding("camunda-refused", verdict.element_id, message, verdict.line))
        else:
            notices.append(Finding("camunda-no-effect", verdict.element_id, message, verdict.line))
    return errors, notices


def check_bpmn(root: etree._Element, filename: str) -> list[Finding]:
    if root.tag != _bpmn("definitions"):
        return [
            Finding(
                "bpmn-root",
                None,
                f"Tệp '{filename}' không phải sơ đồ BPMN 2.0 (phần tử gốc phải là bpmn:definitions).",
                root.sourceline,
            )
        ]
    doc = BpmnDocument(root, filename)
    return [finding for rule in RULES.values() for finding in rule(doc)]
