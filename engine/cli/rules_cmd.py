"""`tthc decide`: evaluate a deployed decision table for designers, showing which rules matched."""

from __future__ import annotations

import typer
from rich.table import Table

from engine.cli.data_input import read_data
from engine.cli.output import emit


def decide(
    ctx: typer.Context,
    decision_key: str = typer.Argument(..., help="Mã bảng quyết định (id của decision trong tệp .dmn)."),
    data: str = typer.Option(..., "--data", help="Dữ liệu đầu vào: JSON hoặc @TỆP."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Đánh giá một bảng quyết định đã triển khai với dữ liệu cho trước."""
    result = ctx.obj.service.decide(decision_key, read_data(data, ctx.obj.settings.limits) or {})

    def render(console, d):
        console.print(f"Bảng quyết định {d['decision_id']} — {d['decision_name']} (phiên bản {d['version']}, "
                      f"chính sách {d['hit_policy']})")
        if not d["matched"]:
            console.print("Không có quy tắc nào khớp.")
        for m in d["matched"]:
            console.print(f"- khớp quy tắc {m['rule']}" + (f": {m['description']}" if m["description"] else ""))
        if d["entries"]:
            table = Table(title="Kết quả")
            names = list(dict.fromkeys(k for row in d["entries"] for k in row))
            for name in names:
                table.add_column(name)
            for row in d["entries"]:
                table.add_row(*[str(row.get(n, "")) for n in names])
            console.print(table)

    emit(result, json_, render)


def register(app: typer.Typer) -> None:
    app.command("decide")(decide)
