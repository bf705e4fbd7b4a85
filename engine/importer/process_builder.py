"""Building the process of one internal procedure from its placed steps.

The table gives the steps, their performers (hence lanes) and allotments. What the regulation adds and the table does
not say is built in here once for every procedure: the completeness check and its two exits at the desk, the
supplement loop that restarts the time limit, the rework loops after review and approval, the apology branch one
working day before the due time, and a non-interrupting overdue timer on every timed step. Ids are fixed: forms,
decision tables and the engine are written against them. Nodes are added in the order they are written to the file,
the flows after them, so the output is byte-for-byte stable.
"""

from __future__ import annotations

from engine.durations import working_days_duration
from engine.importer.lanes import LANE_NAMES
from engine.importer.one_stop import RoleStep
from engine.importer.process_graph import (
    Flow,
    Node,
    ProcedureCode,
    ProcessGraph,
    Timer,
    format_days,
    format_days_vi,
    short_step_name,
)
from engine.importer.text_tables import DAYS, InternalProcedure

# The message the applicant's supplemented dossier arrives as (the national portal, or the desk, correlates it).
SUPPLEMENT_MESSAGE = "ho_so_bo_sung"
SUPPLEMENT_MESSAGE_ID = "Message_ho_so_bo_sung"
SUPPLEMENT_MESSAGE_LABEL = "Người nộp bổ sung hồ sơ"


def build_process(
    procedure: InternalProcedure,
    roles: tuple[RoleStep, ...],
    codes: list[ProcedureCode],
    file_name: str,
) -> ProcessGraph:
    builder = _Builder(_empty_graph(procedure, codes, file_name), {role.task_id: role for role in roles})
    _reception_nodes(builder, procedure.field.key)
    _apology_nodes(builder)
    _main_path_nodes(builder)
    _reception_flows(builder)
    _main_path_flows(builder)
    graph = builder.graph
    # Only lanes something is drawn in: the Modeler shows an empty band as a defect.
    graph.lanes = tuple(lane for lane in LANE_NAMES if any(node.lane == lane for node in graph.nodes))
    return graph


class _Builder:
    def __init__(self, graph: ProcessGraph, tasks: dict[str, RoleStep]) -> None:
        self.graph = graph
        self.tasks = tasks

    def add(self, node: Node) -> None:
        self.graph.nodes.append(node)

    def flow(self, flow_id: str, source: str, target: str, **extra: object) -> None:
        self.graph.flows.append(Flow(id=flow_id, source=source, target=target, **extra))

    def has(self, task_id: str) -> bool:
        return task_id in self.tasks

    def user_task(self, task_id: str) -> None:
        """A table step: its task, and when it is timed, its overdue timer and the end that records it."""
        role = self.tasks[task_id]
        step = role.step
        properties = [("step", str(step.number))]
        if role.timed:
            properties.append(("allotted_working_days", format_days(step.duration.days)))
        properties.append(("performer", step.performer))
        self.add(
            Node(
                id=task_id,
                kind="userTask",
                lane=role.lane,
                name=f"Bước {step.number}: {short_step_name(step.content) or LANE_NAMES[role.lane]}",
                documentation=f"{step.content}\nNgười thực hiện: {step.performer}",
                attributes=form_attributes(role.form, role.lane),
                properties=tuple(properties),
            )
        )
        if role.timed:
            self.overdue_timer(role)

    def overdue_timer(self, role: RoleStep) -> None:
        task_id, step = role.task_id, role.step
        timer_id = f"Timer_{task_id}"
        end_id = f"EndEvent_overdue_{task_id}"
        self.add(
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
        self.add(
            Node(
                id=end_id,
                kind="endEvent",
                lane=role.lane,
                name=f"Ghi nhận bước {step.number} quá hạn",
                placement=("under", timer_id),
            )
        )
        self.flow(f"Flow_overdue_{task_id}", timer_id, end_id)

    def decision_task(self, node_id: str, lane: str, name: str, documentation: str, result: str, ref: str) -> None:
        attributes = (
            ("camunda:resultVariable", result),
            ("camunda:decisionRef", ref),
            ("camunda:mapDecisionResult", "singleResult"),
        )
        self.add(
            Node(id=node_id, kind="businessRuleTask", lane=lane, name=name, documentation=documentation,
                 attributes=attributes)
        )

    def gateway(self, node_id: str, lane: str, name: str, default: str) -> None:
        self.add(Node(id=node_id, kind="exclusiveGateway", lane=lane, name=name, default=default))


def _empty_graph(procedure: InternalProcedure, codes: list[ProcedureCode], file_name: str) -> ProcessGraph:
    tail = codes[0].name if len(codes) == 1 else f"nhóm {len(codes)} thủ tục"
    return ProcessGraph(
        process_id=procedure.process_id,
        name=f"{procedure.key} {procedure.field.name} — {tail}",
        documentation=_process_documentation(procedure, codes, file_name),
        properties=(
            ("procedure_codes", ", ".join(code.code for code in codes)),
            ("field", procedure.field.key),
            ("total_working_days", format_days(procedure.total.days)),
            ("internal_procedure", procedure.key),
        ),
        lanes=(),
    )


def _reception_nodes(b: _Builder, field_key: str) -> None:
    """The dossier is received, checked, and either refused, sent back for completion at the desk, or accepted."""
    b.add(Node(id="StartEvent_received", kind="startEvent", lane="reception", name="Hồ sơ được nộp"))
    b.user_task("receive")
    b.decision_task(
        "check_completeness",
        "reception",
        "Kiểm tra tính đầy đủ, hợp lệ",
        "Bảng quyết định xác định hồ sơ được tiếp nhận, phải bổ sung tại quầy hay bị từ chối.",
        "reception",
        f"reception_check_{field_key}",
    )
    b.gateway("Gateway_reception", "reception", "Hồ sơ đầy đủ, hợp lệ?", "Flow_received")
    b.add(
        Node(id="EndEvent_refused_at_reception", kind="endEvent", lane="reception", name="Từ chối tiếp nhận",
             placement=("above", "Gateway_reception"))
    )
    b.add(
        Node(id="EndEvent_supplement_at_reception", kind="endEvent", lane="reception",
             name="Hướng dẫn bổ sung tại quầy (chưa tính thời hạn)", placement=("below", "Gateway_reception"))
    )
    b.add(Node(id="Gateway_fork", kind="parallelGateway", lane="reception"))


def _apology_nodes(b: _Builder) -> None:
    """The apology branch waits beside the main path; the terminate end of the main path ends it."""
    b.add(
        Node(id="Timer_apology", kind="intermediateCatchEvent", lane="director", name="1 ngày làm việc trước hạn",
             timer=Timer("timeDate", "${apology_at}", "TimerEventDefinition_apology"))
    )
    b.add(
        Node(
            id="issue_apology",
            kind="userTask",
            lane="director",
            name="Xin lỗi và hẹn lại ngày trả kết quả",
            documentation=(
                "Hồ sơ có nguy cơ quá hạn: gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả cho người nộp, "
                "chậm nhất 1 ngày làm việc trước hạn; chỉ được hẹn lại một lần."
            ),
            attributes=form_attributes("apology", "director"),
        )
    )
    b.add(Node(id="EndEvent_apology", kind="endEvent", lane="director", name="Đã gửi thư xin lỗi"))


def _main_path_nodes(b: _Builder) -> None:
    """Assignment, appraisal with its supplement loop, review and approval with their rework loops, then the result."""
    b.user_task("assign")
    b.add(Node(id="Gateway_rework_merge", kind="exclusiveGateway", lane="staff"))
    b.user_task("appraise")
    b.decision_task(
        "route_appraisal",
        "staff",
        "Xác định hướng xử lý sau thẩm định",
        "Bảng quyết định chọn: trình kết quả, hay yêu cầu người nộp bổ sung hồ sơ.",
        "routing",
        "appraisal_routing",
    )
    b.gateway("Gateway_appraisal", "staff", "Kết quả thẩm định", "Flow_to_review")
    _supplement_node(b)
    b.user_task("review")
    b.gateway("Gateway_review", "department_leader", "Lãnh đạo phòng đồng ý?", "Flow_to_approval")
    b.user_task("approve")
    b.gateway("Gateway_approve", "director", "Lãnh đạo Sở phê duyệt?", "Flow_to_register")
    b.user_task("register")
    if b.has("provincial_decide"):
        b.user_task("provincial_decide")
    b.user_task("return_result")
    b.add(Node(id="EndEvent_done", kind="endEvent", lane="reception", name="Đã trả kết quả", terminate=True))


def _supplement_node(b: _Builder) -> None:
    """The applicant's supplement as Camunda 7 draws it: the case waits on a message catch event (the portal or the
    desk correlates `ho_so_bo_sung` when the supplemented dossier arrives), then the desk checks what came in.
    `restart_deadline` on the catch event: the limit is void while it waits and restarts from zero when the message
    arrives (Decree 107/2021: counted again from the receipt of the complete dossier)."""
    b.add(
        Node(
            id="Event_supplement_received",
            kind="intermediateCatchEvent",
            lane="reception",
            name=SUPPLEMENT_MESSAGE_LABEL,
            documentation=(
                "Bộ phận Một cửa gửi Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02: một lần, nêu đầy đủ lý do); "
                "hồ sơ chờ người nộp bổ sung, thời hạn giải quyết tạm dừng. Khi hồ sơ bổ sung đến (qua Cổng dịch vụ "
                "công hoặc tại quầy: tthc correlate ho_so_bo_sung), thời hạn được tính lại từ đầu."
            ),
            properties=(("restart_deadline", "true"),),
            message=(SUPPLEMENT_MESSAGE, SUPPLEMENT_MESSAGE_ID),
        )
    )
    b.add(
        Node(
            id="receive_supplement",
            kind="userTask",
            lane="reception",
            name="Kiểm tra, tiếp nhận hồ sơ bổ sung",
            documentation=(
                "Bộ phận Một cửa kiểm tra hồ sơ người nộp đã bổ sung và chuyển lại cho bộ phận thẩm định; "
                "thời hạn giải quyết đã được tính lại từ lúc nhận hồ sơ bổ sung."
            ),
            attributes=form_attributes("supplement_receipt", "reception"),
        )
    )


def _reception_flows(b: _Builder) -> None:
    b.flow("Flow_start", "StartEvent_received", "receive")
    b.flow("Flow_receive_check", "receive", "check_completeness")
    b.flow("Flow_checked", "check_completeness", "Gateway_reception")
    b.flow("Flow_refused_at_reception", "Gateway_reception", "EndEvent_refused_at_reception", name="Từ chối",
           condition='${reception_decision == "refuse"}')
    b.flow("Flow_supplement_at_reception", "Gateway_reception", "EndEvent_supplement_at_reception",
           name="Cần bổ sung", condition='${reception_decision != "refuse" && reception.result == "supplement"}')
    b.flow("Flow_received", "Gateway_reception", "Gateway_fork")
    b.flow("Flow_fork_main", "Gateway_fork", "assign")
    b.flow("Flow_fork_apology", "Gateway_fork", "Timer_apology")
    b.flow("Flow_apology_due", "Timer_apology", "issue_apology")
    b.flow("Flow_apology_sent", "issue_apology", "EndEvent_apology")


def _main_path_flows(b: _Builder) -> None:
    rework = '${decision == "rework"}'
    b.flow("Flow_assigned", "assign", "Gateway_rework_merge")
    b.flow("Flow_to_appraisal", "Gateway_rework_merge", "appraise")
    b.flow("Flow_appraised", "appraise", "route_appraisal")
    b.flow("Flow_routed", "route_appraisal", "Gateway_appraisal")
    b.flow("Flow_to_supplement", "Gateway_appraisal", "Event_supplement_received", name="Cần bổ sung",
           condition='${routing.route == "supplement"}')
    b.flow("Flow_supplement_arrived", "Event_supplement_received", "receive_supplement")
    b.flow("Flow_supplement_received", "receive_supplement", "Gateway_rework_merge", loop=True)
    b.flow("Flow_to_review", "Gateway_appraisal", "review")
    b.flow("Flow_reviewed", "review", "Gateway_review")
    b.flow("Flow_review_rework", "Gateway_review", "Gateway_rework_merge", name="Làm lại", condition=rework, loop=True)
    b.flow("Flow_to_approval", "Gateway_review", "approve")
    b.flow("Flow_approved", "approve", "Gateway_approve")
    b.flow("Flow_approve_rework", "Gateway_approve", "Gateway_rework_merge", name="Làm lại", condition=rework,
           loop=True)
    b.flow("Flow_to_register", "Gateway_approve", "register")
    if b.has("provincial_decide"):
        b.flow("Flow_registered", "register", "provincial_decide")
        b.flow("Flow_provincial_decided", "provincial_decide", "return_result")
    else:
        b.flow("Flow_registered", "register", "return_result")
    b.flow("Flow_returned", "return_result", "EndEvent_done")


def form_attributes(form: str, lane: str) -> tuple[tuple[str, str], ...]:
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
