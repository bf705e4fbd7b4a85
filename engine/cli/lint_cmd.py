"""`tthc lint PATH...`: check diagrams, forms and decision tables before they are deployed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from engine.cli.output import emit
from engine.errors import InvalidInput
from engine.lint import LintReport, lint_paths

HELP = (
    "Kiểm tra sơ đồ BPMN, biểu mẫu (.form) và bảng quyết định (.dmn): quy tắc của dự án, và các kiểm tra của "
    "Camunda Modeler khi máy có Node và đã chạy `npm ci`. Trả mã 4 khi có lỗi."
)


def register(app: typer.Typer) -> None:
    app.command("lint", help=HELP)(lint)


def lint(
    paths: list[Path] = typer.Argument(..., help="Tệp hoặc thư mục (thư mục được duyệt tìm .bpmn, .form, .dmn)."),
    as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON."),
    no_node: bool = typer.Option(False, "--no-node", help="Không chạy các kiểm tra của Camunda Modeler (Node)."),
) -> None:
    report = lint_paths(paths, use_node=False if no_node else None)
    emit(report.to_dict() if as_json else report, as_json, _render)
    if not report.ok:
        # The findings are already printed; the error adds the verdict on stderr and exit code 4.
        bad = [file for file in report.files if not file.ok]
        count = sum(finding.severity == "error" for file in bad for finding in file.findings)
        raise InvalidInput(
            f"Có {count} lỗi trong {len(bad)}/{len(report.files)} tệp; hãy sửa theo danh sách ở trên.",
            files=[str(file.path) for file in bad],
        )


def _render(console: Console, report: LintReport) -> None:
    for file in report.files:
        console.print(f"{file.path} ({file.kind})", markup=False, style="bold")
        ran = [check for check in file.checks_run if "bỏ qua" not in check]
        skipped = [check for check in file.checks_run if "bỏ qua" in check]
        console.print(f"  Đã kiểm tra: {', '.join(ran)}", markup=False)
        for check in skipped:
            console.print(f"  Không chạy: {check}", markup=False)
        if file.ok:
            console.print("  Không có lỗi.", markup=False)
        for finding in file.findings:
            where = f"dòng {finding.line}: " if finding.line else ""
            mark = "⚠ cảnh báo" if finding.severity == "warning" else "✗"
            console.print(f"  {mark} [{finding.rule}] {where}{finding.message_vi}", markup=False)
    if report.ok:
        console.print(f"{len(report.files)} tệp đã kiểm tra: không có lỗi.", markup=False)
