"""`lint_paths`: which files, which checks, in which order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.errors import InvalidInput, NotFound
from engine.limits import DEFAULT as DEFAULT_LIMITS, Limits, check_xml_shape, read_bounded
from engine.lint import modeler
from engine.lint.bpmn_rules import BPMN, check_bpmn, check_extensions
from engine.lint.dmn_rules import check_dmn
from engine.lint.form_rules import check_form
from engine.lint.report import FileReport, Finding, LintReport
from engine.lint.xml_input import id_lines, parse_document

KINDS = {".bpmn": "bpmn", ".form": "form", ".dmn": "dmn"}
_SKIPPED_DIRS = {"node_modules", "__pycache__"}


def collect_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus every .bpmn/.form/.dmn under named folders (hidden folders skipped)."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise NotFound(f"Không tìm thấy tệp hoặc thư mục '{path}'.", path=str(path))
        if path.is_dir():
            found.extend(
                sorted(
                    candidate
                    for candidate in path.rglob("*")
                    if candidate.is_file()
                    and candidate.suffix.lower() in KINDS
                    and not any(part.startswith(".") or part in _SKIPPED_DIRS
                                for part in candidate.relative_to(path).parts[:-1])
                )
            )
        elif path.suffix.lower() in KINDS:
            found.append(path)
        else:
            raise InvalidInput(
                f"Tệp '{path}' không phải sơ đồ .bpmn, biểu mẫu .form hay bảng quyết định .dmn.", path=str(path)
            )
    unique = list(dict.fromkeys(found))
    if not unique:
        names = ", ".join(f"'{path}'" for path in paths)
        raise InvalidInput(f"Không có tệp .bpmn, .form hay .dmn nào trong {names}.", paths=[str(p) for p in paths])
    return unique


def lint_paths(paths: list[Path], *, use_node: bool | None = None, limits: Limits = DEFAULT_LIMITS) -> LintReport:
    """Lint files and folders.

    use_node: None runs Camunda Modeler's checks when Node and node_modules are available (and says why not
    otherwise); True requires them; False skips them. A file beyond `limits` gets one finding and no other check.
    """
    files = collect_paths(paths)
    reports = [_lint_file(path, limits) for path in files]
    from engine.lint.condition_variables import condition_findings

    condition_findings(reports)  # across files: the forms of the run declare the variables
    bounded = [(path, report) for path, report in zip(files, reports) if not report.over_limits]

    reason = modeler.unavailable_reason() if use_node is not False else "theo yêu cầu, --no-node"
    if use_node is True and reason is not None:
        raise InvalidInput(f"Không chạy được kiểm tra của Camunda Modeler: {reason}.")
    if reason is None and bounded:
        checked = [path for path, _ in bounded]
        for report, result in zip([r for _, r in bounded], modeler.run_modeler_checks(checked), strict=True):
            report.checks_run.extend(result.checks)
            lines = _lines_by_id(report.path) if result.findings else {}
            report.findings.extend(
                replace(finding, line=lines[finding.element_id]) if finding.element_id in lines else finding
                for finding in result.findings
            )
    elif reason is not None:
        for report in reports:
            report.checks_run.append(f"{modeler.CHECK_PREFIX} bỏ qua ({reason})")
    return LintReport(reports)


def _lint_file(path: Path, limits: Limits) -> FileReport:
    kind = KINDS[path.suffix.lower()]
    report = FileReport(path=path, kind=kind)
    try:
        content = read_bounded(path, limits)
        if kind != "form":
            check_xml_shape(content, path.name, limits)
    except InvalidInput as err:
        report.checks_run.append("tthc:limits")
        report.findings.append(Finding("limits", None, err.message, err.details.get("line")))
        report.over_limits = True
        return report
    if kind == "form":
        findings, checks = check_form(content, path.name, limits)
        report.checks_run.extend(checks)
        report.findings.extend(findings)
        return report
    root, refusal = parse_document(content, path.name)
    if root is None:
        report.checks_run.append(f"tthc:{kind}-rules")
        report.findings.extend(refusal)
        return report
    if kind == "bpmn":
        report.checks_run.append("tthc:bpmn-rules")
        report.findings.extend(check_bpmn(root, path.name))
        if root.tag == f"{{{BPMN}}}definitions":
            errors, notices = check_extensions(root, path.name)
            report.findings.extend(errors)
            report.notices.extend(notices)
    else:
        findings, checks = check_dmn(root, content, path.name)
        report.checks_run.extend(checks)
        report.findings.extend(findings)
    return report


def _lines_by_id(path: Path) -> dict[str, int]:
    if KINDS[path.suffix.lower()] == "form":
        return {}
    root, _ = parse_document(path.read_bytes(), path.name)
    return id_lines(root) if root is not None else {}
