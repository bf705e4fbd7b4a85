"""The process each internal procedure becomes: nodes in lanes and the flows between them, before any drawing.

The table gives the steps, their performers (hence lanes) and allotments. What the regulation adds and the table does
not say is built in here once for every procedure: the completeness check and its two exits at the desk, the
supplement loop that restarts the time limit, the rework loops after review and approval, the apology branch one
working day before the due time, and a non-interrupting overdue timer on every timed step. Ids are fixed: forms,
decision tables and the engine are written against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from engine.errors import InvalidInput
from engine.durations import working_days_duration
from engine.importer.lanes import LANE_NAMES, PerformerRules
from engine.importer.text_tables import DAYS, InternalProcedure, Step

# The one-stop pattern every table must follow: (task id, lane, form id, optional).
STEP_PATTERN: tuple[tuple[str, str, str, bool], ...] = (
    ("receive", "reception", "reception", False),
    ("assign", "department_leader", "assignment", False),
    ("appraise", "staff", "appraisal", False),
    ("review", "department_leader", "decision", False),
    ("approve", "director", "decision", False),
    ("register", "records_clerk", "registration", False),
    ("provincial_decide", "provincial_office", "provincial_decision", True),
    ("return_result", "reception", "result_return", False),
)
RETURN_TASK = "return_result"
SHORT_NAME_LIMIT = 60


@dataclass(frozen=True)
class RoleStep:
    """A table step with the task it becomes."""

    task_id: str
    lane: str
    form: str
    step: Step

    @property
    def timed(self) -> bool:
        # The result is returned outside the time limit, whatever the table prints in its time cell.
        return self.task_id != RETURN_TASK and self.step.duration.days is not None


@dataclass(frozen=True)
class ProcedureCode:
    code: str
    local: bool
    name: str


@dataclass(frozen=True)
class Timer:
    kind: str  # "timeDuration" or "timeDate"
    expression: str
    definition_id: str


@dataclass
class Node:
    id: str
    kind: str  # the BPMN element's local name: userTask, exclusiveGateway, boundaryEvent …
    lane: str
    name: str | None = None
    documentation: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # ("camunda:formRef", "reception") …, in writing order
    properties: tuple[tuple[str, str], ...] = ()
    timer: Timer | None = None
    attached_to: str | None = None
    terminate: bool = False
    default: str | None = None
    # Where the layout puts it: ("column",) on the main grid, or relative to another node:
    # ("above"|"below", anchor) beside a gateway, ("boundary", task) on a task's border, ("under", boundary).
    placement: tuple[str, ...] = ("column",)


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None
    loop: bool = False  # goes back to an earlier node (rework, supplement): drawn around the others


@dataclass
class ProcessGraph:
    process_id: str
    name: str
    documentation: str
    properties: tuple[tuple[str, str], ...]
    lanes: tuple[str, ...]  # lane groups in band order
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def incoming(self, node_id: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.target == node_id]

    def outgoing(self, node_id: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.source == node_id]


def map_steps(procedure: InternalProcedure, rules: PerformerRules, file_name: str) -> tuple[RoleStep, ...]:
    """Give every step its lane (performer rules) and its task (the one-stop pattern), or say which step breaks it."""
    label = f"{procedure.key} lĩnh vực {procedure.field.name}"
    lanes: list[str] = []
    for step in procedure.steps:
        lane = rules.lane_for(step.performer)
        if lane is None:
            raise InvalidInput(
                f"Không xác định được làn của người thực hiện \"{step.performer}\" ở bước {step.number}, "
                f"dòng {step.line} ({label}): hãy thêm một cụm từ vào {rules.source}.",
                file=file_name,
                line=step.line,
            )
        lanes.append(lane)
    mapped: list[RoleStep] = []
    position = 0
    for task_id, lane, form, optional in STEP_PATTERN:
        step = procedure.steps[position] if position < len(procedure.steps) else None
        if step is not None and lanes[position] == lane:
            mapped.append(RoleStep(task_id=task_id, lane=lane, form=form, step=step))
            position += 1
        elif not optional:
            where = (
                f"bước {step.number} ở dòng {step.line} thuộc làn \"{LANE_NAMES[lanes[position]]}\""
                if step is not None
                else f"bảng dừng ở bước {len(procedure.steps)}"
            )
            raise InvalidInput(
                f"Các bước của {label} (dòng {procedure.line}) không khớp mẫu quy trình một cửa: {where}, "
                f"cần một bước của làn \"{LANE_NAMES[lane]}\".",
                file=file_name,
                line=step.line if step is not None else procedure.total_line,
            )
    if position < len(procedure.steps):
        extra = procedure.steps[position]
        raise InvalidInput(
            f"Bước {extra.number} ở dòng {extra.line} ({label}) nằm sau bước trả kết quả: "
            "mẫu quy trình một cửa kết thúc bằng bước trả kết quả.",
            file=file_name,
            line=extra.line,
        )
    return tuple(mapped)


def build_process(
    procedure: InternalProcedure,
    roles: tuple[RoleStep, ...],
    codes: list[ProcedureCode],
    file_name: str,
) -> ProcessGraph:
    field_key = procedure.field.key
    total = procedure.total.days
    tail = codes[0].name if len(codes) == 1 else f"nhóm {len(codes)} thủ tục"
    name = f"{procedure.key} {procedure.field.name} — {tail}"
    graph = ProcessGraph(
        process_id=procedure.process_id,
        name=name,
        documentation=_process_documentation(procedure, codes, file_name),
        properties=(
            ("procedure_codes", ", ".join(code.code for code in codes)),
            ("field", field_key),
            ("total_working_days", format_days(total)),
            ("internal_procedure", procedure.key),
        ),
        lanes=(),
    )
    tasks = {role.task_id: role for role in roles}
    add = graph.nodes.append

    def flow(flow_id: str, source: str, target: str, **extra: object) -> None:
        graph.flows.append(Flow(id=flow_id, source=source, target=target, **extra))

    def user_task(task_id: str) -> None:
        role = tasks[task_id]
        step = role.step
        properties = [("step", str(step.number))]
        if role.timed:
            properties.append(("allotted_working_days", format_days(step.duration.days)))
        properties.append(("performer", step.performer))
        add(
            Node(
                id=task_id,
                kind="userTask",
                lane=role.lane,
                name=f"Bước {step.number}: {short_step_name(step.content) or LANE_NAMES[role.lane]}",
                documentation=f"{step.content}\nNgười thực hiện: {step.performer}",
                attributes=_form_attributes(role.form, role.lane),
                properties=tuple(properties),
            )
        )
        if role.timed:
            timer_id = f"Timer_{task_id}"
            end_id = f"EndEvent_overdue_{task_id}"
            add(
                Node(
                    id=timer_id,
                    kind="boundaryEvent",
                    lane=role.lane,
                    name=f"Quá {format_days_vi(step.duration.days)} ngày làm việc",
                    attributes=(("cancelActivity", "false"), ("attachedToRef", task_id)),
                    timer=Timer(
                        "timeDuration", working_days_duration(step.duration.days), f"TimerEventDefinition_{task_id}"
                    ),
                    attached_to=task_id,
                    placement=("boundary", task_id),
                )
            )
            add(
                Node(
                    id=end_id,
                    kind="endEvent",
                    lane=role.lane,
                    name=f"Ghi nhận bước {step.number} quá hạn",
                    placement=("under", timer_id),
                )
            )
            flow(f"Flow_overdue_{task_id}", timer_id, end_id)

    # Reception: the dossier is received, checked, and either refused, sent back for completion, or accepted.
    add(Node(id="StartEvent_received", kind="startEvent", lane="reception", name="Hồ sơ được nộp"))
    user_task("receive")
    add(
        Node(
            id="check_completeness",
            kind="businessRuleTask",
            lane="reception",
            name="Kiểm tra tính đầy đủ, hợp lệ",
            documentation="Bảng quyết định xác định hồ sơ được tiếp nhận, phải bổ sung tại quầy hay bị từ chối.",
            attributes=(
                ("camunda:resultVariable", "reception"),
                ("camunda:decisionRef", f"reception_check_{field_key}"),
                ("camunda:mapDecisionResult", "singleResult"),
            ),
        )
    )
    add(
        Node(
            id="Gateway_reception",
            kind="exclusiveGateway",
            lane="reception",
            name="Hồ sơ đầy đủ, hợp lệ?",
            default="Flow_received",
        )
    )
    add(
        Node(
            id="EndEvent_refused_at_reception",
            kind="endEvent",
            lane="reception",
            name="Từ chối tiếp nhận",
            placement=("above", "Gateway_reception"),
        )
    )
    add(
        Node(
            id="EndEvent_supplement_at_reception",
            kind="endEvent",
            lane="reception",
            name="Hướng dẫn bổ sung tại quầy (chưa tính thời hạn)",
            placement=("below", "Gateway_reception"),
        )
    )
    add(Node(id="Gateway_fork", kind="parallelGateway", lane="reception"))

    # The apology branch waits beside the main path; the terminate end of the main path ends it.
    add(
        Node(
            id="Timer_apology",
            kind="intermediateCatchEvent",
            lane="director",
            name="1 ngày làm việc trước hạn",
            timer=Timer("timeDate", "${apology_at}", "TimerEventDefinition_apology"),
        )
    )
    add(
        Node(
            id="issue_apology",
            kind="userTask",
            lane="director",
            name="Xin lỗi và hẹn lại ngày trả kết quả",
            documentation=(
                "Hồ sơ có nguy cơ quá hạn: gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả cho người nộp, "
                "chậm nhất 1 ngày làm việc trước hạn; chỉ được hẹn lại một lần."
            ),
            attributes=_form_attributes("apology", "director"),
        )
    )
    add(Node(id="EndEvent_apology", kind="endEvent", lane="director", name="Đã gửi thư xin lỗi"))

    # Main path: assignment, appraisal with its supplement loop, review and approval with their rework loops.
    user_task("assign")
    add(Node(id="Gateway_rework_merge", kind="exclusiveGateway", lane="staff"))
    user_task("appraise")
    add(
        Node(
            id="route_appraisal",
            kind="businessRuleTask",
            lane="staff",
            name="Xác định hướng xử lý sau thẩm định",
            documentation="Bảng quyết định chọn: trình kết quả, hay yêu cầu người nộp bổ sung hồ sơ.",
            attributes=(
                ("camunda:resultVariable", "routing"),
                ("camunda:decisionRef", "appraisal_routing"),
                ("camunda:mapDecisionResult", "singleResult"),
            ),
        )
    )
    add(
        Node(
            id="Gateway_appraisal",
            kind="exclusiveGateway",
            lane="staff",
            name="Kết quả thẩm định",
            default="Flow_to_review",
        )
    )
    add(
        Node(
            id="receive_supplement",
            kind="userTask",
            lane="reception",
            name="Nhận hồ sơ bổ sung, tính lại thời hạn",
            documentation=(
                "Bộ phận Một cửa gửi yêu cầu bổ sung (một lần, đầy đủ lý do) và nhận hồ sơ đã bổ sung; "
                "thời hạn giải quyết được tính lại từ đầu khi nhận đủ hồ sơ."
            ),
            attributes=_form_attributes("supplement_receipt", "reception"),
            properties=(("restart_deadline", "true"),),
        )
    )
    user_task("review")
    add(
        Node(
            id="Gateway_review",
            kind="exclusiveGateway",
            lane="department_leader",
            name="Lãnh đạo phòng đồng ý?",
            default="Flow_to_approval",
        )
    )
    user_task("approve")
    add(
        Node(
            id="Gateway_approve",
            kind="exclusiveGateway",
            lane="director",
            name="Lãnh đạo Sở phê duyệt?",
            default="Flow_to_register",
        )
    )
    user_task("register")
    if "provincial_decide" in tasks:
        user_task("provincial_decide")
    user_task("return_result")
    add(Node(id="EndEvent_done", kind="endEvent", lane="reception", name="Đã trả kết quả", terminate=True))

    flow("Flow_start", "StartEvent_received", "receive")
    flow("Flow_receive_check", "receive", "check_completeness")
    flow("Flow_checked", "check_completeness", "Gateway_reception")
    flow(
        "Flow_refused_at_reception",
        "Gateway_reception",
        "EndEvent_refused_at_reception",
        name="Từ chối",
        condition='${reception_decision == "refuse"}',
    )
    flow(
        "Flow_supplement_at_reception",
        "Gateway_reception",
        "EndEvent_supplement_at_reception",
        name="Cần bổ sung",
        condition='${reception_decision != "refuse" && reception.result == "supplement"}',
    )
    flow("Flow_received", "Gateway_reception", "Gateway_fork")
    flow("Flow_fork_main", "Gateway_fork", "assign")
    flow("Flow_fork_apology", "Gateway_fork", "Timer_apology")
    flow("Flow_apology_due", "Timer_apology", "issue_apology")
    flow("Flow_apology_sent", "issue_apology", "EndEvent_apology")
    flow("Flow_assigned", "assign", "Gateway_rework_merge")
    flow("Flow_to_appraisal", "Gateway_rework_merge", "appraise")
    flow("Flow_appraised", "appraise", "route_appraisal")
    flow("Flow_routed", "route_appraisal", "Gateway_appraisal")
    flow(
        "Flow_to_supplement",
        "Gateway_appraisal",
        "receive_supplement",
        name="Cần bổ sung",
        condition='${routing.route == "supplement"}',
    )
    flow("Flow_supplement_received", "receive_supplement", "Gateway_rework_merge", loop=True)
    flow("Flow_to_review", "Gateway_appraisal", "review")
    flow("Flow_reviewed", "review", "Gateway_review")
    flow(
        "Flow_review_rework",
        "Gateway_review",
        "Gateway_rework_merge",
        name="Làm lại",
        condition='${decision == "rework"}',
        loop=True,
    )
    flow("Flow_to_approval", "Gateway_review", "approve")
    flow("Flow_approved", "approve", "Gateway_approve")
    flow(
        "Flow_approve_rework",
        "Gateway_approve",
        "Gateway_rework_merge",
        name="Làm lại",
        condition='${decision == "rework"}',
        loop=True,
    )
    flow("Flow_to_register", "Gateway_approve", "register")
    if "provincial_decide" in tasks:
        flow("Flow_registered", "register", "provincial_decide")
        flow("Flow_provincial_decided", "provincial_decide", "return_result")
    else:
        flow("Flow_registered", "register", "return_result")
    flow("Flow_returned", "return_result", "EndEvent_done")
    # Only lanes something is drawn in: the Modeler shows an empty band as a defect.
    graph.lanes = tuple(lane for lane in LANE_NAMES if any(node.lane == lane for node in graph.nodes))
    return graph


def _form_attributes(form: str, lane: str) -> tuple[tuple[str, str], ...]:
    return (
        ("camunda:formRef", form),
        ("camunda:formRefBinding", "latest"),
        ("camunda:candidateGroups", lane),
    )


def _process_documentation(procedure: InternalProcedure, codes: list[ProcedureCode], file_name: str) -> str:
    lines = [
        f"Quy trình nội bộ {procedure.key}, lĩnh vực {procedure.field.name}: tổng thời gian giải quyết "
        f"{format_days_vi(procedure.total.days)} ngày làm việc.",
        "Thủ tục áp dụng:",
    ]
    for code in codes:
        marker = " (mã nội bộ: văn bản không công bố mã TTHC)" if code.local else ""
        lines.append(f"- {code.code}{marker}: {code.name}")
    if procedure.legal_basis:
        lines.append(f"Căn cứ pháp lý: {procedure.legal_basis}")
    units = {step.duration.unit for step in procedure.steps} | {procedure.total.unit}
    if DAYS in units:
        lines.append(
            "Văn bản ghi thời gian bằng \"ngày\", không ghi \"ngày làm việc\": tạm tính là ngày làm việc, "
            "cần cơ quan ban hành xác nhận."
        )
    lines.append(f"Nguồn: {file_name}, dòng {procedure.line}–{procedure.last_line}.")
    return "\n".join(lines)


def short_step_name(content: str) -> str:
    """The first clause of a step's content, cut at a clause boundary so that it fits on a task shape."""
    text = re.sub(r"^[-–•\s]+", "", " ".join(content.split()))
    text = re.split(r";|\s[-–]\s|\(", text, maxsplit=1)[0].strip(" ,.")
    if len(text) <= SHORT_NAME_LIMIT:
        return text
    head = text[:SHORT_NAME_LIMIT]
    cut = max(head.rfind(", "), head.rfind(" và "))
    if cut > 0:
        return head[:cut]
    return head[: head.rfind(" ")] + "…"


def format_days(days: Decimal) -> str:
    """Minimal decimal with a point: 0.25, 1.25, 4, 10.25 (ISO 8601 durations and machine properties)."""
    return format(days.normalize(), "f")


def format_days_vi(days: Decimal) -> str:
    """The same number as Vietnamese writes it: 0,25."""
    return format_days(days).replace(".", ",")
