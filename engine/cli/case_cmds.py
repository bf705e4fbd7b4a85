"""Operators' commands: start, tasks, claim, unclaim, complete, form, show, history, withdraw, note."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.text import Text

from engine.cli.data_input import read_data
from engine.cli.output import emit, stdout
from engine.cli.render import (
    OUTCOME_LABELS, STAGE_LABELS, STATUS_LABELS, TIMING_LABELS, LATE_SYMBOL, deploy_hint, groups_label, tasks_table,
    when,
)
from engine.errors import NotFound
from engine.fit_table import Column, fitted_table

# The form field types of Camunda Forms, as an officer reads them (the keys stay as the form defines them).
FIELD_TYPE_LABELS = {"textfield": "chữ", "textarea": "đoạn văn", "number": "số", "select": "chọn trong danh sách",
                     "radio": "chọn một", "checkbox": "có/không", "checklist": "chọn nhiều", "taglist": "chọn nhiều (thẻ)",
                     "datetime": "ngày giờ"}


def _ctx(ctx: typer.Context):
    return ctx.obj


def _render_case(console, view: dict) -> None:
    console.print(f"Hồ sơ [bold]{view['case_id']}[/bold] — thủ tục {view['code']} — người nộp: {view['applicant']}")
    status = STATUS_LABELS.get(view["status"], view["status"])
    if view.get("stage") and view["status"] == "active":
        status += f" ({STAGE_LABELS.get(view['stage'], view['stage'])})"
    if view.get("outcome"):
        status += f"; kết quả: {OUTCOME_LABELS.get(view['outcome'], view['outcome'])}"
    console.print(f"Trạng thái: {status}")
    console.print(f"Tiếp nhận: {when(view['received_at'])}   Hẹn trả kết quả: {when(view.get('due_at'))}")
    if view.get("apology_due_at"):
        console.print(f"Hẹn lại (thư xin lỗi): {when(view['apology_due_at'])}")
    if view.get("timing"):
        console.print(f"Giải quyết: {TIMING_LABELS.get(view['timing'], view['timing'])}")
    if view.get("restarts"):
        console.print(f"Thời hạn đã tính lại {view['restarts']} lần (sau khi nhận hồ sơ bổ sung).")
    if view.get("waiting_messages"):
        console.print(f"Đang chờ thông điệp: {', '.join(view['waiting_messages'])} (tthc correlate).")
    if view["tasks"]:
        console.print(tasks_table(console, view["tasks"]))
    for task in view["tasks"]:
        if task.get("follow_up_at"):
            console.print(f"Nhắc theo dõi bước {task['name']}: {when(task['follow_up_at'])}")
    for item in view.get("external_tasks") or ():
        line = f"Tác vụ ngoài: {item['name']} (chủ đề {item['topic']}, mã {item['id'][:8]})"
        if item["incident"]:
            console.print(Text.assemble(Text(f"{LATE_SYMBOL} Sự cố: ", style="bold red"),
                                        f"{line}: {item.get('error_message') or ''}"))
        else:
            console.print(line + (f", đang do {item['worker_id']} xử lý" if item["locked"] else ", chờ hệ thống bên ngoài"))
    _render_links(console, view)
    if view.get("overdue_steps"):
        steps = "; ".join(f"{t['name']} (hạn {when(t['due_at'])})" for t in view["overdue_steps"])
        console.print(Text.assemble(Text(f"{LATE_SYMBOL} Bước quá hạn: ", style="bold red"), steps))


def _render_links(console, view: dict) -> None:
    """Call activities: the calling case of a child case, the child cases of a caller (engine/usecases/call.py)."""
    if view.get("parent_case_id"):
        console.print(f"Hồ sơ con của hồ sơ {view['parent_case_id']} (bước gọi quy trình).")
    for child in view.get("children") or ():
        label = STATUS_LABELS.get(child["status"], child["status"])
        console.print(f"Hồ sơ con: {child['id']} — quy trình {child['process_id']} — {label}")


def start(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Mã thủ tục (hoặc mã quy trình đã triển khai)."),
    applicant: str = typer.Option(..., "--applicant", help="Tên người nộp hồ sơ."),
    received_at: Optional[str] = typer.Option(None, "--received-at", help="Thời điểm tiếp nhận (ISO 8601)."),
    data: Optional[str] = typer.Option(None, "--data", help="Dữ liệu khởi tạo: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Tiếp nhận hồ sơ và khởi tạo quy trình giải quyết."""
    from engine.calendar import parse_instant

    app = _ctx(ctx)
    received = parse_instant(received_at) if received_at else None
    try:
        view = app.service.start_case(code, applicant=applicant, received_at=received, data=read_data(data, app.settings.limits),
                                      actor=app.actor)
    except NotFound as err:
        if err.details.get("procedure") != code:
            raise
        raise NotFound(f"{err.message} Xem các thủ tục đã triển khai: tthc procedures; triển khai thư viện quy trình: "
                       f"{deploy_hint()}.", **err.details) from err
    emit(view, json_, _render_case)


def tasks(
    ctx: typer.Context,
    case: Optional[str] = typer.Option(None, "--case", help="Chỉ các bước của hồ sơ này."),
    lane: Optional[str] = typer.Option(None, "--lane", help="Chỉ các bước của làn (mã làn, tên làn hoặc nhóm)."),
    mine: bool = typer.Option(False, "--mine", help="Chỉ các bước người dùng hiện tại được xử lý."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Liệt kê các bước đang chờ xử lý."""
    app = _ctx(ctx)
    rows = app.service.list_tasks(case_id=case, lane=lane, mine=mine, actor=app.actor)
    emit(rows, json_, lambda c, r: c.print(tasks_table(c, r)) if r else c.print("Không có bước nào đang chờ."))
    if not json_:
        for row in rows:
            if row.get("follow_up_at"):
                stdout.print(f"Nhắc theo dõi bước {row['name']} ({row['task_id'][:8]}): {when(row['follow_up_at'])}")
        # Incidents need an operator as much as a step needs an officer (`tthc external list --incidents`).
        incidents = app.service.external_tasks(incidents=True, case_id=case)
        for item in incidents:
            stdout.print(Text.assemble(Text(f"{LATE_SYMBOL} Sự cố: ", style="bold red"),
                                         f"hồ sơ {item['case_id']}, tác vụ ngoài {item['name']} ({item['id'][:8]}): "
                                         f"{item.get('error_message') or ''} — xử lý: tthc external retry {item['id'][:8]}"))


def _render_assignment(console, d: dict) -> None:
    who = d.get("assignee")
    state = f"do '{who}' giữ" if who else "chưa ai nhận"
    unchanged = "" if d.get("changed", True) else " (không thay đổi)"
    console.print(f"Bước {d['name']} ({d['task_id'][:8]}) của hồ sơ {d['case_id']}: {state}{unchanged}.")


def claim(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước (đủ 36 ký tự hoặc ít nhất 8 ký tự đầu)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Nhận một bước chưa ai giữ để tự xử lý (người hoặc nhóm ứng viên của bước)."""
    app = _ctx(ctx)
    emit(app.service.claim_task(task_id, actor=app.actor), json_, _render_assignment)


def unclaim(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước (đủ 36 ký tự hoặc ít nhất 8 ký tự đầu)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Trả lại một bước đã nhận cho các ứng viên (người đang giữ hoặc quản trị viên)."""
    app = _ctx(ctx)
    emit(app.service.unclaim_task(task_id, actor=app.actor), json_, _render_assignment)


def complete(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước (đủ 36 ký tự hoặc ít nhất 8 ký tự đầu)."),
    data: Optional[str] = typer.Option(None, "--data", help="Dữ liệu biểu mẫu: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Hoàn thành một bước với dữ liệu biểu mẫu của nó."""
    app = _ctx(ctx)
    submitted = read_data(data, app.settings.limits)
    if submitted is None and sys.stdin.isatty() and not json_:
        task, form = app.service.task_form(task_id, actor=app.actor)
        if form is not None:
            from engine.cli.form_prompt import prompt_form

            submitted = prompt_form(form, {}, today=app.clock.now().date())
    view = app.service.complete_task(task_id, submitted or {}, actor=app.actor)
    emit(view, json_, _render_case)


def error(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước (đủ 36 ký tự hoặc ít nhất 8 ký tự đầu)."),
    code: str = typer.Option(..., "--code", help="Mã lỗi nghiệp vụ (errorCode) mà sự kiện lỗi biên bắt."),
    message: Optional[str] = typer.Option(None, "--message", help="Thông báo lỗi."),
    data: Optional[str] = typer.Option(None, "--data", help="Biến đặt vào hồ sơ: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Kết thúc một bước bằng lỗi nghiệp vụ để sự kiện lỗi biên của sơ đồ bắt (handleBpmnError của Camunda 7)."""
    app = _ctx(ctx)
    values = read_data(data, app.settings.limits) or {}
    view = app.service.task_bpmn_error(task_id, code, message=message, data=values, actor=app.actor)
    emit(view, json_, _render_case)


def escalate(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước (đủ 36 ký tự hoặc ít nhất 8 ký tự đầu)."),
    code: str = typer.Option(..., "--code", help="Mã leo thang (escalationCode) mà sự kiện biên leo thang bắt."),
    data: Optional[str] = typer.Option(None, "--data", help="Biến đặt vào hồ sơ: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Báo leo thang ở một bước để sự kiện biên leo thang của sơ đồ bắt (handleEscalation của Camunda 7)."""
    app = _ctx(ctx)
    values = read_data(data, app.settings.limits) or {}
    emit(app.service.task_escalation(task_id, code, data=values, actor=app.actor), json_, _render_case)


def form(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã bước."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """In biểu mẫu mà một bước cần."""
    app = _ctx(ctx)
    task, form_ = app.service.task_form(task_id, actor=app.actor)
    doc = {"task_id": task["id"], "name": task["name"], "form": form_.describe() if form_ is not None else None}

    def render(console, d):
        console.print(f"Bước: {d['name']} ({d['task_id']})")
        if d["form"] is None:
            console.print("Bước này không có biểu mẫu.")
            return
        columns = [Column("Khóa", "id"), Column("Nhãn", least=16), Column("Kiểu", drop=2), Column("Bắt buộc", drop=1),
                   Column("Giá trị cho phép", least=12)]
        rows = []
        for f in d["form"].get("fields", []):
            values = ", ".join(f"{v.get('value')}={v.get('label')}" for v in f.get("values") or [])
            rows.append([f["key"], f.get("label") or "", FIELD_TYPE_LABELS.get(f.get("type"), f.get("type") or ""),
                         "có" if f.get("required") else "", values])
        console.print(fitted_table(console, columns, rows, title=f"Biểu mẫu {d['form'].get('id')}"))

    emit(doc, json_, render)


def show(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Xem tình trạng một hồ sơ."""
    emit(_ctx(ctx).service.show_case(case_id), json_, _render_case)


def history(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Dòng thời gian các sự kiện của hồ sơ, theo làn, với thời gian làm việc của từng bước."""
    app = _ctx(ctx)
    if json_:
        emit({"case_id": case_id, "events": app.service.history(case_id)}, True, lambda c, d: None)
        return
    from engine.audit.history_view import render_timeline, timeline

    record = app.service.case_record(case_id)
    render_timeline(stdout, timeline(record, app.calendar, {u.id: u.name for u in app.settings.users.values()}))


def withdraw(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    reason: str = typer.Option(..., "--reason", help="Lý do rút hồ sơ theo đề nghị của người nộp."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Rút hồ sơ theo yêu cầu của người nộp (trước khi có kết quả) và lập thông báo dừng giải quyết."""
    app = _ctx(ctx)
    emit(app.service.withdraw(case_id, reason, actor=app.actor), json_, _render_case)


def note(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    text: str = typer.Argument(..., help="Nội dung ghi chú (ví dụ nguyên nhân quá hạn)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Ghi chú vào lịch sử hồ sơ (nguyên nhân chậm muộn …)."""
    app = _ctx(ctx)
    emit(app.service.add_note(case_id, text, actor=app.actor), json_,
         lambda c, d: c.print(f"Đã ghi chú vào hồ sơ {d['case_id']}."))


def register(app: typer.Typer) -> None:
    for fn, name in ((start, "start"), (tasks, "tasks"), (claim, "claim"), (unclaim, "unclaim"), (complete, "complete"),
                     (error, "error"), (escalate, "escalate"), (form, "form"), (show, "show"), (history, "history"), (withdraw, "withdraw"), (note, "note")):
        app.command(name)(fn)
