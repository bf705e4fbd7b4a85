"""Statistics commands: report (on-time statistics, indicator scores) and overdue (late cases and their causes)."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Optional

import typer

from engine.cli.output import stdout, to_json
from engine.errors import InvalidInput

FORMATS = ("table", "json", "csv", "html")


def _period(app, from_: Optional[str], to: Optional[str], period: Optional[str], cutoff_day: int, default: Optional[str]):
    from engine.reports.periods import check_cutoff, containing_period, parse_date, range_period

    check_cutoff(cutoff_day)
    if from_ or to:
        if period:
            raise InvalidInput("Chỉ chọn một cách xác định kỳ báo cáo: --from/--to hoặc --period.")
        if not (from_ and to):
            raise InvalidInput("Cần cả --from và --to để xác định kỳ báo cáo.")
        return range_period(parse_date(from_, "--from"), parse_date(to, "--to"), cutoff_day)
    kind = period or default
    return containing_period(kind, app.clock.now().date(), cutoff_day) if kind else None


def _format(fmt: str, json_: bool, allowed: tuple[str, ...]) -> str:
    fmt = "json" if json_ else fmt
    if fmt not in allowed:
        raise InvalidInput(f"Định dạng '{fmt}' không hợp lệ (chọn {', '.join(allowed)}).", format=fmt)
    return fmt


def _write(text: str, output: Optional[Path]) -> None:
    """The document to a file, or to stdout as UTF-8 whatever the terminal's locale."""
    if output is not None:
        try:
            output.write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise InvalidInput(f"Không ghi được tệp '{output}': {exc.strerror}.", path=str(output)) from exc
        stdout.print(f"Đã ghi báo cáo vào tệp {output}.", markup=False)
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        sys.stdout.write(text)


def _table_text(render, doc) -> str:
    from rich.console import Console

    console = Console(record=True, width=200, file=io.StringIO(), soft_wrap=True, highlight=False)
    render(console, doc)
    return console.export_text()


def report(
    ctx: typer.Context,
    from_: Optional[str] = typer.Option(None, "--from", help="Ngày đầu kỳ (2026-03-01 hoặc 01/03/2026)."),
    to: Optional[str] = typer.Option(None, "--to", help="Ngày cuối kỳ, tính cả ngày này."),
    period: Optional[str] = typer.Option(None, "--period", help="Kỳ chứa ngày hiện tại: week, month, quarter, year."),
    cutoff_day: int = typer.Option(1, "--cutoff-day", help="Ngày chốt số liệu: tháng tính từ ngày này của tháng trước "
                                                          "(25: từ 25 tháng trước đến 24 tháng này)."),
    procedure: Optional[str] = typer.Option(None, "--procedure", help="Chỉ một thủ tục (mã TTHC)."),
    by: str = typer.Option("procedure", "--by", help="Nhóm theo: procedure, field, lane, officer, month."),
    fmt: str = typer.Option("table", "--format", help="Định dạng: table, json, csv, html."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON (như --format json)."),
    output: Optional[Path] = typer.Option(None, "-o", "--out", "--output", help="Ghi vào tệp thay vì in ra màn hình."),
) -> None:
    """Báo cáo tình hình giải quyết hồ sơ: tiếp nhận, giải quyết, tồn, tỷ lệ đúng hạn, điểm theo TT 01/2018."""
    app = ctx.obj
    fmt = _format(fmt, json_, FORMATS)
    chosen = _period(app, from_, to, period, cutoff_day, "month")
    doc = app.service.report(period=chosen, by=by, procedure=procedure, with_trend=fmt == "html")
    if fmt == "json":
        _write(to_json(doc) + "\n", output)
    elif fmt == "csv":
        from engine.reports.render_csv import report_csv

        _write(report_csv(doc), output)
    elif fmt == "html":
        from engine.reports.render_html import report_html

        _write(report_html(doc), output)
    else:
        from engine.reports.render_table import render_report

        if output is not None:
            _write(_table_text(render_report, doc), output)
        else:
            render_report(stdout, doc)


def overdue(
    ctx: typer.Context,
    from_: Optional[str] = typer.Option(None, "--from", help="Ngày đầu kỳ (hồ sơ giải quyết quá hạn trong kỳ)."),
    to: Optional[str] = typer.Option(None, "--to", help="Ngày cuối kỳ, tính cả ngày này."),
    period: Optional[str] = typer.Option(None, "--period", help="Kỳ chứa ngày hiện tại: week, month, quarter, year."),
    cutoff_day: int = typer.Option(1, "--cutoff-day", help="Ngày chốt số liệu của tháng (xem tthc report)."),
    procedure: Optional[str] = typer.Option(None, "--procedure", help="Chỉ một thủ tục (mã TTHC)."),
    fmt: str = typer.Option("table", "--format", help="Định dạng: table, json, csv."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON (như --format json)."),
    output: Optional[Path] = typer.Option(None, "-o", "--out", "--output", help="Ghi vào tệp thay vì in ra màn hình."),
) -> None:
    """Hồ sơ quá hạn (đang giải quyết và đã giải quyết): bước chậm, đơn vị, cán bộ, thời gian chậm, nguyên nhân."""
    app = ctx.obj
    fmt = _format(fmt, json_, ("table", "json", "csv"))
    chosen = _period(app, from_, to, period, cutoff_day, None)
    doc = app.service.overdue(period=chosen, procedure=procedure)
    if fmt == "json":
        _write(to_json(doc) + "\n", output)
    elif fmt == "csv":
        from engine.reports.render_csv import overdue_csv

        _write(overdue_csv(doc), output)
    else:
        from engine.reports.render_table import render_overdue

        if output is not None:
            _write(_table_text(render_overdue, doc), output)
        else:
            render_overdue(stdout, doc)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("overdue")(overdue)
