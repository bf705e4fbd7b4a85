"""`tthc external …`: what an outside system (a worker) does with external tasks, and an operator's incident tools.

Camunda 7's external task commands on the CLI: fetch (and lock) by topic, complete, fail, bpmn-error, extend-lock,
unlock, retry (set retries: resolves an incident), list. A worker names itself with `--worker`; operators act as the
`--as` user. Durations are ISO 8601 (`PT5M`).
"""

from __future__ import annotations

from typing import List, Optional

import typer
from rich.console import Console

from engine.cli.data_input import read_data
from engine.cli.output import emit
from engine.cli.render import when
from engine.fit_table import Column, fitted_table

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Tác vụ ngoài (external task): hệ thống bên ngoài lấy, khóa và trả lời; xử lý sự cố.")

JSON_HELP = "In một tài liệu JSON."
WORKER_HELP = "Mã của hệ thống bên ngoài (worker) giữ tác vụ."


def _service(ctx: typer.Context):
    return ctx.obj.service


def _duration(text: str, what: str):
    from engine.usecases.external import parse_duration

    return parse_duration(text, what)


def _table(console: Console, rows: list[dict]) -> None:
    if not rows:
        console.print("Không có tác vụ ngoài nào.")
        return
    columns = [Column("Mã", kind="id"), Column("Hồ sơ", kind="id"), Column("Tác vụ"), Column("Chủ đề"),
               Column("Giữ bởi", drop=2), Column("Khóa đến", drop=1), Column("Thử lại", kind="number"),
               Column("Sự cố")]
    shown = [[r["id"][:8], r["case_id"], r["name"], r["topic"], r.get("worker_id") or "—",
              when(r.get("lock_expires_at")) if r.get("worker_id") else "—",
              "—" if r.get("retries") is None else str(r["retries"]),
              (r.get("error_message") or "có") if r.get("incident") else ""] for r in rows]
    console.print(fitted_table(console, columns, shown))


def _render_one(console: Console, view: dict) -> None:
    console.print(f"Tác vụ ngoài [bold]{view['id']}[/bold] ({view['name']}, chủ đề {view['topic']}) — hồ sơ "
                  f"{view['case_id']}: {view['status']}")
    if view.get("worker_id"):
        console.print(f"Giữ bởi {view['worker_id']} đến {when(view.get('lock_expires_at'))}")
    if view.get("retries") is not None:
        console.print(f"Số lần thử lại còn: {view['retries']}")
    if view.get("incident"):
        console.print(f"[bold red]Sự cố:[/bold red] {view.get('error_message') or ''}")


@app.command("fetch")
def fetch(
    ctx: typer.Context,
    topic: List[str] = typer.Option(..., "--topic", help="Chủ đề (lặp lại để lấy nhiều chủ đề)."),
    worker: str = typer.Option(..., "--worker", help=WORKER_HELP),
    lock: str = typer.Option("PT5M", "--lock", help="Thời hạn khóa (ISO 8601, ví dụ PT5M)."),
    max_tasks: int = typer.Option(10, "--max", help="Số tác vụ tối đa lấy một lần."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Lấy và khóa các tác vụ ngoài đang chờ của các chủ đề."""
    rows = _service(ctx).fetch_and_lock(topic, worker, _duration(lock, "Thời hạn khóa"), max_tasks)
    emit(rows, json_, _table)


@app.command("complete")
def complete(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    worker: str = typer.Option(..., "--worker", help=WORKER_HELP),
    data: Optional[str] = typer.Option(None, "--data", help="Biến trả về hồ sơ: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Hoàn thành tác vụ ngoài, đặt các biến vào hồ sơ."""
    app_ = ctx.obj
    emit(app_.service.complete_external_task(task_id, worker, read_data(data, app_.settings.limits)), json_,
         _render_one)


@app.command("fail")
def fail(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    worker: str = typer.Option(..., "--worker", help=WORKER_HELP),
    message: str = typer.Option(..., "--message", help="Mô tả lỗi."),
    details: Optional[str] = typer.Option(None, "--details", help="Chi tiết lỗi."),
    retries: Optional[int] = typer.Option(None, "--retries", help="Số lần thử lại còn (0: thành sự cố). Không ghi: "
                                          "theo camunda:failedJobRetryTimeCycle của sơ đồ, không có thì 0."),
    retry_timeout: Optional[str] = typer.Option(None, "--retry-timeout", help="Chờ bao lâu trước lần thử lại (PT5M)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Báo tác vụ ngoài thất bại: thử lại sau, hoặc thành sự cố khi hết lượt."""
    timeout = _duration(retry_timeout, "Thời gian chờ thử lại") if retry_timeout else None
    emit(_service(ctx).handle_failure(task_id, worker, message, error_details=details, retries=retries,
                                      retry_timeout=timeout), json_, _render_one)


@app.command("bpmn-error")
def bpmn_error(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    worker: str = typer.Option(..., "--worker", help=WORKER_HELP),
    code: str = typer.Option(..., "--code", help="Mã lỗi nghiệp vụ (errorCode)."),
    message: Optional[str] = typer.Option(None, "--message", help="Mô tả lỗi."),
    data: Optional[str] = typer.Option(None, "--data", help="Biến trả về hồ sơ: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Trả lời tác vụ ngoài bằng một lỗi nghiệp vụ BPMN."""
    app_ = ctx.obj
    emit(app_.service.handle_bpmn_error(task_id, worker, code, error_message=message,
                                        variables=read_data(data, app_.settings.limits)), json_, _render_one)


@app.command("extend-lock")
def extend_lock(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    worker: str = typer.Option(..., "--worker", help=WORKER_HELP),
    lock: str = typer.Option(..., "--lock", help="Thời hạn khóa mới, tính từ bây giờ (ISO 8601)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Gia hạn khóa của tác vụ ngoài đang giữ."""
    emit(_service(ctx).extend_lock(task_id, worker, _duration(lock, "Thời hạn khóa")), json_, _render_one)


@app.command("unlock")
def unlock(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Mở khóa tác vụ ngoài (người vận hành): hệ thống khác lấy được ngay."""
    emit(_service(ctx).unlock(task_id, actor=ctx.obj.actor), json_, _render_one)


@app.command("retry")
def retry(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., help="Mã tác vụ ngoài (hoặc 8 ký tự đầu)."),
    retries: int = typer.Option(1, "--retries", help="Số lần thử lại đặt lại (>0 xử lý xong sự cố)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Đặt lại số lần thử lại của tác vụ ngoài: xử lý sự cố (incident)."""
    emit(_service(ctx).set_external_task_retries(task_id, retries, actor=ctx.obj.actor), json_, _render_one)


@app.command("list")
def list_(
    ctx: typer.Context,
    topic: Optional[str] = typer.Option(None, "--topic", help="Chỉ chủ đề này."),
    case: Optional[str] = typer.Option(None, "--case", help="Chỉ của hồ sơ này."),
    incidents: bool = typer.Option(False, "--incidents", help="Chỉ các tác vụ đang có sự cố."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Các tác vụ ngoài đang chờ (và sự cố)."""
    emit(_service(ctx).external_tasks(topic=topic, incidents=incidents, case_id=case), json_, _table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="external", help="Tác vụ ngoài (external task) và sự cố (incident).")
