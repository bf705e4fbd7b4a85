"""Auditors' commands: replay, verify, slip, book, notice, export-xes.

`verify` and `replay` exit with code 7 when a history or a stored state does not hold up (see engine.errors); the
report itself goes to stdout (JSON with --json), a one-line summary to stderr.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from engine.audit import INTEGRITY_EXIT
from engine.cli.output import emit, stderr, to_json
from engine.errors import InvalidInput

SLIP_FORMATS = ("text", "json", "html")
BOOK_FORMATS = ("text", "json", "html", "csv")


def _names(app) -> dict[str, str]:
    return {user.id: user.name for user in app.settings.users.values()}


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Ngày '{text}' của {option} không đúng dạng YYYY-MM-DD (ví dụ 2026-03-31).",
                           option=option) from None


def _format(value: str, allowed: tuple[str, ...], as_json: bool) -> str:
    chosen = "json" if as_json else value.strip().lower()
    if chosen not in allowed:
        raise InvalidInput(f"Định dạng '{value}' không hỗ trợ; chọn một trong: {', '.join(allowed)}.", format=value)
    return chosen


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Không ghi được tệp '{out}': {exc.strerror}.", file=str(out)) from exc
    stderr.print(f"Đã ghi {out}.", markup=False)


# --- replay ----------------------------------------------------------------------------------------------------
def replay(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    until: Optional[str] = typer.Option(None, "--until", help="In trạng thái hồ sơ tại thời điểm này (ISO 8601)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Dựng lại hồ sơ chỉ từ lịch sử sự kiện và so sánh với dữ liệu đang lưu."""
    from engine.calendar import parse_instant

    app = ctx.obj
    at = parse_instant(until) if until else None
    result = app.service.replay(case_id, until=at)
    emit(result.to_dict(), json_, _render_replay)
    if not result.ok:
        stderr.print(f"Lỗi: phát lại hồ sơ '{case_id}' khác dữ liệu đang lưu ({len(result.differences)} khác biệt).",
                     markup=False)
        raise typer.Exit(INTEGRITY_EXIT)


def _render_replay(console, doc: dict) -> None:
    from engine.audit.labels import short_time
    from engine.cli.render import OUTCOME_LABELS, STATUS_LABELS

    verdict = "khớp với dữ liệu đang lưu" if doc["ok"] else "KHÁC dữ liệu đang lưu"
    console.print(f"Phát lại hồ sơ {doc['case_id']}: {doc['commands']} lệnh, {verdict}.", markup=False)
    for warning in doc["warnings"]:
        console.print(f"Lưu ý: {warning}", markup=False)
    state = doc.get("state")
    if state:
        case = state["case"]
        console.print(f"Trạng thái lúc {short_time(state['at'])}: {STATUS_LABELS.get(case['status'], case['status'])}"
                      + (f"; kết quả: {OUTCOME_LABELS.get(case['outcome'], case['outcome'])}" if case.get("outcome") else "")
                      + f"; hẹn trả {short_time(case.get('due_at'))}.", markup=False)
        if state["open_tasks"]:
            table = Table(title="Các bước đang chờ")
            for column in ("Bước", "Làn", "Nhận lúc", "Hạn"):
                table.add_column(column)
            for t in state["open_tasks"]:
                table.add_row(t["name"], t.get("lane") or "", short_time(t["created_at"]), short_time(t.get("due_at")))
            console.print(table)
    for diff in doc["differences"]:
        console.print(f"- {diff['message']}", markup=False)


# --- verify ----------------------------------------------------------------------------------------------------
def verify(
    ctx: typer.Context,
    case_id: Optional[str] = typer.Argument(None, help="Mã hồ sơ (bỏ trống khi dùng --all)."),
    all_: bool = typer.Option(False, "--all", help="Kiểm tra mọi hồ sơ (dùng cho kiểm tra hằng đêm)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Kiểm tra chuỗi băm lịch sử và phát lại từng hồ sơ; chỉ ra hồ sơ hỏng và sự kiện hỏng đầu tiên."""
    app = ctx.obj
    if (case_id is None) == (not all_):
        raise InvalidInput("Hãy chỉ ra một mã hồ sơ hoặc dùng --all (không dùng cả hai).")
    checked, broken = 0, []
    if case_id is not None:
        verdicts = iter([app.service.verify(case_id)])
        progress = None
    else:
        progress = _progress() if not json_ and sys.stderr.isatty() else None
        task = progress.add_task("Kiểm tra hồ sơ", total=app.service.count_cases()) if progress else None
        verdicts = app.service.verify_all(on_case=(lambda _id: progress.advance(task)) if progress else None)
    if progress is not None:
        progress.start()
    try:
        for verdict in verdicts:
            checked += 1
            if not verdict.ok:
                broken.append(verdict)
                if not json_:  # streamed, so a nightly job's log shows problems as they are found
                    sys.stdout.write(f"HỎNG {verdict.case_id} (sự kiện số {verdict.seq or '—'}): {verdict.message}\n")
    finally:
        if progress is not None:
            progress.stop()
    doc = {"checked": checked, "ok": checked - len(broken), "broken": [v.to_dict() for v in broken]}
    if json_:
        sys.stdout.write(to_json(doc) + "\n")
    else:
        sys.stdout.write(f"Đã kiểm tra {checked} hồ sơ: {doc['ok']} nguyên vẹn, {len(broken)} có vấn đề.\n")
    if broken:
        stderr.print(f"Lỗi: {len(broken)} hồ sơ có lịch sử hoặc dữ liệu không toàn vẹn.", markup=False)
        raise typer.Exit(INTEGRITY_EXIT)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=stderr,
                    transient=True)


# --- control slip ----------------------------------------------------------------------------------------------
def slip(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    format_: str = typer.Option("text", "--format", help="text, json hoặc html (trang kiểm tra có sơ đồ)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Ghi ra tệp thay vì in ra màn hình."),
    json_: bool = typer.Option(False, "--json", help="Như --format json."),
) -> None:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 06); --format html kèm sơ đồ quy trình đã đi qua."""
    from engine.audit.slip import build_slip, case_diagram, slip_text

    app = ctx.obj
    chosen = _format(format_, SLIP_FORMATS, json_)
    record = app.service.case_record(case_id)
    doc = build_slip(record, app.calendar, names=_names(app))
    if chosen == "json":
        _write(to_json(doc) + "\n", out)
    elif chosen == "text":
        _write(slip_text(doc), out)
    else:
        from engine.audit.diagram_svg import render_svg
        from engine.audit.html import case_view_html
        from engine.audit.steps import mark_path, read_steps

        diagram = case_diagram(record)
        svg = render_svg(diagram, mark_path(record.events, read_steps(record.events), diagram)) if diagram else None
        _write(case_view_html(doc, svg), out)


# --- tracking book ---------------------------------------------------------------------------------------------
def book(
    ctx: typer.Context,
    from_: str = typer.Option(..., "--from", help="Từ ngày (YYYY-MM-DD)."),
    to: str = typer.Option(..., "--to", help="Đến ngày (YYYY-MM-DD), tính cả ngày này."),
    format_: str = typer.Option("text", "--format", help="text, json, html hoặc csv."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Ghi ra tệp thay vì in ra màn hình."),
    json_: bool = typer.Option(False, "--json", help="Như --format json."),
) -> None:
    """Sổ theo dõi hồ sơ (Mẫu 07), đánh số liên tục theo năm."""
    from engine.audit.book import book_csv, book_text
    from engine.audit.html import book_html

    app = ctx.obj
    chosen = _format(format_, BOOK_FORMATS, json_)
    doc = app.service.book(_day(from_, "--from"), _day(to, "--to"))
    render = {"json": lambda d: to_json(d) + "\n", "text": book_text, "html": book_html, "csv": book_csv}[chosen]
    _write(render(doc), out)


# --- notices ---------------------------------------------------------------------------------------------------
def notice(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="Mã hồ sơ."),
    kind: str = typer.Argument(..., help="receipt (01), supplement (02), refusal (03), apology (04), stop (05)."),
    format_: str = typer.Option("text", "--format", help="text, json hoặc html."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Ghi ra tệp thay vì in ra màn hình."),
    json_: bool = typer.Option(False, "--json", help="Như --format json."),
) -> None:
    """In giấy tiếp nhận (01), phiếu yêu cầu bổ sung (02), từ chối (03), xin lỗi (04) hoặc thông báo dừng (05)."""
    from engine.audit.html import notice_html
    from engine.audit.notices import notice_text

    app = ctx.obj
    chosen = _format(format_, SLIP_FORMATS, json_)
    doc = app.service.notice(case_id, kind, names=_names(app))
    render = {"json": lambda d: to_json(d) + "\n", "text": notice_text, "html": notice_html}[chosen]
    _write(render(doc), out)


# --- XES -------------------------------------------------------------------------------------------------------
def export_xes(
    ctx: typer.Context,
    out_file: Optional[Path] = typer.Argument(None, help="Tệp .xes sẽ ghi (hoặc -o/--out)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Tệp .xes sẽ ghi."),
    from_: str = typer.Option(..., "--from", help="Hồ sơ tiếp nhận từ ngày (YYYY-MM-DD)."),
    to: str = typer.Option(..., "--to", help="Đến ngày (YYYY-MM-DD), tính cả ngày này."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Xuất nhật ký sự kiện XES (IEEE 1849) của các hồ sơ tiếp nhận trong khoảng thời gian."""
    if (out_file is None) == (out is None):
        raise typer.BadParameter("hãy cho đúng một tệp để ghi: tthc export-xes TỆP.xes … hoặc -o TỆP.xes.",
                                 param_hint="OUT_FILE / -o")
    summary = ctx.obj.service.export_xes(_day(from_, "--from"), _day(to, "--to"), out or out_file)
    emit(summary, json_, lambda c, d: c.print(
        f"Đã xuất {d['traces']} hồ sơ, {d['events']} sự kiện vào {d['file']}.", markup=False))


def register(app: typer.Typer) -> None:
    for fn, name in ((replay, "replay"), (verify, "verify"), (slip, "slip"), (book, "book"), (notice, "notice"),
                     (export_xes, "export-xes")):
        app.command(name)(fn)
