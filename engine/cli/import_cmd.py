"""`tthc import-procedures`: published internal-procedure tables → BPMN files + catalog.

Exit codes: 0 when every procedure was written (warnings included, unless --strict); 4 when some procedure could not
be placed (the others are written, each failure is printed with its line and the rule to add), when the input is
refused, or when --strict meets a warning or a failure (then nothing is written); 3 for a missing file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from engine.cli.output import emit, stderr
from engine.errors import InvalidInput
from engine.importer import FieldKeys, ImportPlan, PerformerRules, plan_import, refuse_if_strict, write_import


def import_procedures(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Tệp văn bản quy trình nội bộ (UTF-8), như phụ lục quyết định."),
    out: Path = typer.Option(..., "--out", "-o", help="Thư mục ghi các tệp .bpmn và catalog.json."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON: thủ tục, tệp đã ghi, cảnh báo, lỗi."),
    strict: bool = typer.Option(False, "--strict", help="Dừng, không ghi tệp nào, nếu có cảnh báo hay lỗi."),
    rules: Optional[Path] = typer.Option(
        None,
        "--rules",
        help="Tệp quy tắc người thực hiện → làn và lĩnh vực (mẫu: docs/performer_rules.sample.toml; mặc định: "
        "quy tắc kèm theo chương trình).",
    ),
    field_key: Optional[list[str]] = typer.Option(
        None,
        "--field-key",
        help="Khóa tiếng Anh của một lĩnh vực: \"ĐỀ MỤC=khóa\" (ví dụ \"Sở hữu trí tuệ=shtt\"), hoặc chỉ \"khóa\" "
        "khi chỉ có một lĩnh vực chưa có trong tệp quy tắc. Dùng được nhiều lần.",
    ),
) -> None:
    """Nhập bảng quy trình nội bộ thành sơ đồ BPMN và danh mục thủ tục."""
    plan = plan_import(files, PerformerRules.load(rules) if rules else None, FieldKeys.parse(field_key))
    if not json_:
        # Problems go to stderr before a --strict refusal too, so the designer sees what to fix.
        _print_problems(plan)
    refuse_if_strict(plan, strict)
    result = write_import(plan, out)
    emit(result.to_dict(), json_, _render)
    if plan.failures:
        written = len(plan.processes)
        raise InvalidInput(
            f"{len(plan.failures)} quy trình không ghi được (xem ở trên); {written} quy trình còn lại đã được ghi "
            f"vào {out}.",
            failed=[failure.to_dict() for failure in plan.failures],
        )
    if plan.warnings and not json_:
        stderr.print(
            f"Có {len(plan.warnings)} cảnh báo: các tệp vẫn được ghi; dùng --strict để dừng khi có cảnh báo.",
            markup=False,
        )


def _print_problems(plan: ImportPlan) -> None:
    for warning in plan.warnings:
        stderr.print(f"Cảnh báo {warning.file}:{warning.line} [{warning.code}] {warning.message_vi}", markup=False)
    for failure in plan.failures:
        stderr.print(f"Lỗi {failure.file}:{failure.line} [{failure.code}] {failure.message_vi}", markup=False)


def _render(console: Console, data: dict[str, Any]) -> None:
    *bpmn_files, catalog = data["files"]
    for path in bpmn_files:
        entries = [e for e in data["procedures"] if e["process_id"] == Path(path).stem]
        console.print(
            f"Đã ghi {path} ({len(entries)} thủ tục, {entries[0]['total_working_days']} ngày làm việc)", markup=False
        )
    console.print(f"Đã ghi danh mục {catalog} ({len(data['procedures'])} thủ tục).", markup=False)
    decisions = sorted({entry["reception_decision"] for entry in data["procedures"]})
    console.print(
        f"Khi triển khai, cần kèm các bảng quyết định: {', '.join(decisions)}, appraisal_routing (tệp .dmn).",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("import-procedures")(import_procedures)
