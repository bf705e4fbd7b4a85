"""Designers' and administrators' commands: deploy, procedures, tick."""

from __future__ import annotations

from pathlib import Path

import typer

from engine.cli.output import emit, stderr
from engine.cli.render import KIND_LABELS, deploy_hint, number, when
from engine.db_url import redact
from engine.fit_table import Column, fitted_table
from engine.history import EventType


def deploy(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Tệp .bpmn/.form/.dmn, catalog.json hoặc thư mục."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Triển khai sơ đồ, biểu mẫu và bảng quyết định (mỗi nội dung mới là một phiên bản)."""
    results = ctx.obj.service.deploy(paths)

    def render(console, rows):
        columns = [Column("Loại"), Column("Khóa", "id"), Column("Phiên bản", "number"), Column("Trạng thái"),
                   Column("Băm", "id", drop=2), Column("Tệp", drop=1)]
        labels = {"deployed": "phiên bản mới", "unchanged": "không đổi", "loaded": "đã nạp"}
        console.print(fitted_table(console, columns, [
            [KIND_LABELS.get(r["kind"], r["kind"]), r["key"], number(r.get("version")),
             labels.get(r["status"], r["status"]), (r.get("hash") or "")[:12], r["file"]] for r in rows],
            title="Triển khai"))

    emit({"definitions": results}, json_, lambda c, d: render(c, d["definitions"]))


def procedures(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Danh mục thủ tục hành chính đã triển khai."""
    rows = ctx.obj.service.procedures()
    if not rows:  # on stderr, so that --json stays one document
        stderr.print(f"Cơ sở dữ liệu {redact(ctx.obj.settings.db_url)} chưa có thủ tục nào: hãy triển khai thư viện quy "
                     f"trình bằng `{deploy_hint()}` (hoặc chạy `tthc demo` và dùng cơ sở dữ liệu nó in ra).", markup=False)

    def render(console, items):
        if not items:
            return  # the hint on stderr says what to do
        columns = [Column("Mã", "id"), Column("Tên thủ tục", least=24), Column("Quy trình", "id", drop=1),
                   Column("Thời hạn (ngày LV)", "number"), Column("Phiên bản", "number", drop=2)]
        console.print(fitted_table(console, columns, [
            [p["code"], p["name"], p["process_id"], number(p["total_working_days"]), number(p["version"])]
            for p in items], title="Danh mục thủ tục"))

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
           "events": result["events"], "started": result["started"], "failed": result["failed"]}

    def render(console, d):
        console.print(f"Đã kích hoạt {d['fired']} hẹn giờ ở {d['cases']} hồ sơ lúc {when(d['at'])}.")
        if d["started"]:
            console.print(f"Đã mở {len(d['started'])} hồ sơ theo lịch (sự kiện bắt đầu hẹn giờ): "
                          f"{', '.join(d['started'])}.")
        for t in d["timers"]:
            console.print(f"- {t['case_id']}: {t['name'] or t['element_id']} (hạn {when(t['due_at'])})")

    emit(doc, json_, render)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("procedures")(procedures)
    app.command("tick")(tick)
