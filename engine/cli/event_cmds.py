"""Events from outside the engine: `correlate` delivers a message (engine/usecases/correlate.py), `signal`
broadcasts a signal (engine/usecases/signal.py)."""

from __future__ import annotations

from typing import Optional

import typer

from engine.cli.data_input import read_data
from engine.cli.output import emit


def correlate(
    ctx: typer.Context,
    message: str = typer.Argument(..., help="Tên thông điệp (thuộc tính name của bpmn:message)."),
    case: Optional[str] = typer.Option(None, "--case", help="Chỉ hồ sơ này."),
    business_key: Optional[str] = typer.Option(None, "--business-key", help="Chỉ hồ sơ có khóa nghiệp vụ này."),
    data: Optional[str] = typer.Option(None, "--data", help="Biến của thông điệp: JSON hoặc @TỆP."),
    applicant: Optional[str] = typer.Option(None, "--applicant",
                                            help="Tên người nộp, khi thông điệp bắt đầu một hồ sơ mới."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Chuyển một thông điệp tới đúng một nơi đang chờ nó (hoặc bắt đầu quy trình bắt đầu bằng nó)."""
    from engine.cli.case_cmds import _render_case

    app = ctx.obj
    view = app.service.correlate(message, case_id=case, business_key=business_key,
                                 data=read_data(data, app.settings.limits), applicant=applicant, actor=app.actor)
    emit(view, json_, _render_case)


def _render_signal(console, doc: dict) -> None:
    if not doc["cases"]:
        console.print(f"Không hồ sơ nào đang chờ tín hiệu '{doc['signal']}'.")
        return
    for item in doc["cases"]:
        if item.get("started"):
            console.print(f"Hồ sơ {item['case_id']}: mở mới theo tín hiệu '{doc['signal']}' (sự kiện bắt đầu).")
        else:
            console.print(f"Hồ sơ {item['case_id']}: nhận tín hiệu '{doc['signal']}' ở {', '.join(item['elements'])}.")


def signal(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tên tín hiệu (thuộc tính name của bpmn:signal)."),
    data: Optional[str] = typer.Option(None, "--data", help="Biến của tín hiệu: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Phát một tín hiệu tới mọi hồ sơ đang chờ nó (trong một giao dịch)."""
    app = ctx.obj
    doc = app.service.signal(name, data=read_data(data, app.settings.limits), actor=app.actor)
    emit(doc, json_, _render_signal)


def register(app: typer.Typer) -> None:
    app.command("correlate")(correlate)
    app.command("signal")(signal)
