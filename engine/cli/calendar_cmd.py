"""`tthc calendar …`: due times, working time between two instants, and the days off in force."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console

from engine.calendar import parse_days, parse_instant
from engine.cli.output import emit
from engine.fit_table import Column, fitted_table

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Tính thời gian làm việc theo lịch công chức.",
)

SOURCE_LABELS = {"official": "lịch chính thức", "holidays": "ngày lễ luật định (gói holidays)", "config": "cấu hình"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
JSON_HELP = "In kết quả dưới dạng JSON."


@app.command("due")
def due_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--start", help="Thời điểm bắt đầu (ISO 8601; không có múi giờ là giờ Việt Nam)."),
    days: str = typer.Option(..., "--days", help="Số ngày làm việc, ví dụ 7, 0,25 hoặc 1.25."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Hạn hoàn thành sau một số ngày làm việc kể từ thời điểm bắt đầu."""
    calendar = ctx.obj.calendar
    at, amount = parse_instant(start), parse_days(days)
    emit({"start": at, "days": amount, "due": calendar.due(at, amount)}, as_json, _render_due)


@app.command("between")
def between_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--start", help="Thời điểm đầu (ISO 8601)."),
    end: str = typer.Option(..., "--end", help="Thời điểm cuối (ISO 8601)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Thời gian làm việc giữa hai thời điểm, tính bằng ngày làm việc và phút."""
    calendar = ctx.obj.calendar
    a, b = parse_instant(start), parse_instant(end)
    spent = calendar.working_time_between(a, b)
    emit({"start": a, "end": b, "days": spent.days, "minutes": spent.minutes}, as_json, _render_between)


@app.command("days")
def days_command(
    ctx: typer.Context,
    year: int = typer.Option(..., "--year", help="Năm, ví dụ 2026."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Các ngày nghỉ (thứ Hai–thứ Sáu) và ngày làm bù (thứ Bảy, Chủ nhật) đang áp dụng trong năm."""
    emit(ctx.obj.calendar.days(year), as_json, _render_days)


def _render_due(console: Console, data: dict[str, Any]) -> None:
    console.print(
        f"Bắt đầu lúc {_clock(data['start'])}, sau {_number(data['days'])} ngày làm việc: "
        f"hạn là {_clock(data['due'])}.",
        markup=False,
    )


def _render_between(console: Console, data: dict[str, Any]) -> None:
    console.print(
        f"Từ {_clock(data['start'])} đến {_clock(data['end'])}: {_number(data['days'])} ngày làm việc "
        f"({data['minutes']} phút làm việc).",
        markup=False,
    )


def _render_days(console: Console, data: dict[str, Any]) -> None:
    note = " (tạm tính theo ngày lễ luật định, Chính phủ chưa công bố lịch nghỉ)" if data["provisional"] else ""
    console.print(f"Lịch làm việc năm {data['year']}{note}.", markup=False)
    for title, rows in (("Ngày nghỉ", data["days_off"]), ("Ngày làm bù", data["working_days"])):
        cells = [[date.fromisoformat(row["date"]).strftime("%d/%m/%Y"),
                  WEEKDAYS[date.fromisoformat(row["date"]).weekday()], row["name"],
                  SOURCE_LABELS.get(row["source"], row["source"])] for row in rows] or [["—", "", "Không có", ""]]
        columns = [Column("Ngày", "id"), Column("Thứ", "id"), Column("Tên", least=16), Column("Nguồn", drop=1)]
        console.print(fitted_table(console, columns, cells, title=title, title_justify="left"))


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M %d/%m/%Y")


def _number(value: Decimal) -> str:
    # Vietnamese decimal comma: 1,25 ngày.
    return format(value, "f").replace(".", ",")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="calendar", help="Tính thời gian làm việc theo lịch công chức.")
