"""Designers' and administrators' commands: deploy, procedures, tick."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from engine.cli.output import emit
from engine.cli.render import when
from engine.history import EventType


def deploy(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Tệp .bpmn/.form/.dmn, catalog.json hoặc thư mục."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Triển khai sơ đồ, biểu mẫu và bảng quyết định (mỗi nội dung mới là một phiên bản)."""
    results = ctx.obj.service.deploy(paths)

    def render(console, rows):
        table = Table(title="Triển khai")
        for col in ("Loại", "Khóa", "Phiên bản", "Trạng thái", "Băm", "Tệp"):
            table.add_column(col)
        for r in rows:
            status = {"deployed": "phiên bản mới", "unchanged": "không đổi", "loaded": "đã nạp"}.get(r["status"], r["status"])
            table.add_row(r["kind"], r["key"], str(r.get("version", "")), status, (r.get("hash") or "")[:12], r["file"])
        console.print(table)

    emit({"definitions": results}, json_, lambda c, d: render(c, d["definitions"]))


def procedures(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Danh mục thủ tục hành chính đã triển khai."""
    rows = ctx.obj.service.procedures()

    def render(console, items):
        table = Table(title="Danh mục thủ tục")
        for col in ("Mã", "Tên thủ tục", "Quy trình", "Thời hạn (ngày làm việc)", "Phiên bản"):
            table.add_column(col)
        for p in items:
            table.add_row(p["code"], p["name"], p["process_id"], str(p["total_working_days"]), str(p["version"] or "—"))
        console.print(table)

    emit(rows, json_, render)


def tick(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Kích hoạt mọi hẹn giờ đã đến hạn theo đồng hồ hệ thống."""
    result = ctx.obj.service.fire_due_timers()
    fired = [e for e in result["events"] if e["type"] == EventType.TIMER_FIRED]
    doc = {"fired": result["fired"], "cases": result["cases"], "at": result["at"],
           "timers": [{"case_id": e["case_id"], "element_id": e["element_id"], "name": e.get("name"),
                       "attached_to": e.get("attached_to"), "due_at": e.get("due_at")} for e in fired],
           "events": result["events"]}

    def render(console, d):
        console.print(f"Đã kích hoạt {d['fired']} hẹn giờ ở {d['cases']} hồ sơ lúc {when(d['at'])}.")
        for t in d["timers"]:
            console.print(f"- {t['case_id']}: {t['name'] or t['element_id']} (hạn {when(t['due_at'])})")

    emit(doc, json_, render)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("procedures")(procedures)
    app.command("tick")(tick)
