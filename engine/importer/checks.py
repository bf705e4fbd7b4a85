"""Defects of the published tables, reported as warnings with their line, never fixed silently.

The import goes on after a warning (exit 0) unless `--strict`: the text is an official document, so the importer
keeps what it says, and the designer decides with the issuing office. Each warning has a stable English code for
tests and tooling and one Vietnamese sentence for the designer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from engine.importer.catalog import procedure_codes
from engine.importer.lanes import PerformerRules
from engine.importer.one_stop import RETURN_TASK, RoleStep
from engine.importer.process_graph import format_days_vi
from engine.importer.text_tables import DAYS, UNSPECIFIED, FieldSection, InternalProcedure, ProcedureDocument

CODES = (
    "derived_field_key",
    "draft_decision",
    "count_mismatch",
    "ocr_typo",
    "missing_code",
    "duplicate_name",
    "unit_is_calendar_days",
    "unit_missing",
    "total_mismatch",
    "foreign_department",
    "suspicious_allotment",
    "timed_return_step",
)


@dataclass(frozen=True)
class ImportWarning:
    code: str
    file: str
    line: int  # 1-based line of the input file
    message_vi: str

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "line": self.line, "message_vi": self.message_vi, "file": self.file}


Warn = Callable[[str, int, str], None]


def check_document(
    doc: ProcedureDocument, rules: PerformerRules, roles: dict[str, tuple[RoleStep, ...]]
) -> list[ImportWarning]:
    """Every warning of one file except duplicate names, which are judged across all files."""
    found: list[ImportWarning] = []

    def warn(code: str, line: int, message: str) -> None:
        found.append(ImportWarning(code=code, file=doc.file_name, line=line, message_vi=message))

    if doc.approval and doc.approval_line and _is_draft(doc.approval):
        warn(
            "draft_decision",
            doc.approval_line,
            f"Văn bản phê duyệt chưa có số hoặc ngày (\"{doc.approval}\", dòng {doc.approval_line}): "
            "có thể đây là bản dự thảo.",
        )
    _check_sections(doc, warn)
    _check_typos(doc, rules, warn)
    for procedure in doc.procedures:
        if procedure.process_id in roles:  # a procedure that could not be placed is reported as a failure instead
            _check_procedure(procedure, rules, roles[procedure.process_id], warn)
    return sorted(found, key=lambda w: (w.line, CODES.index(w.code)))


def _check_sections(doc: ProcedureDocument, warn: Warn) -> None:
    for section in doc.sections:
        if section.derived:
            warn(
                "derived_field_key",
                section.line,
                f"Lĩnh vực \"{section.heading}\" (dòng {section.line}) chưa có trong tệp quy tắc: dùng khóa "
                f"'{section.rule.key}' (quy trình {section.rule.key}_qt01, bảng quyết định "
                f"reception_check_{section.rule.key}). Đặt khóa khác bằng --field-key \"{section.heading}=KHÓA\" "
                "hoặc thêm mục [fields.KHÓA] vào tệp quy tắc.",
            )
        _check_count(doc, section, warn)


def _check_count(doc: ProcedureDocument, section: FieldSection, warn: Warn) -> None:
    """The heading's "(N QT)": documents count internal procedures ("Quy trình số"), some count procedure codes."""
    if section.declared_count is None:
        return
    procedures = [p for p in doc.procedures if p.field.key == section.rule.key]
    codes = sum(len(p.items) for p in procedures)
    if section.declared_count not in (len(procedures), codes):
        warn(
            "count_mismatch",
            section.line,
            f"Đề mục lĩnh vực {section.rule.name} (dòng {section.line}) ghi {section.declared_count} quy trình "
            f"nhưng tìm thấy {len(procedures)} quy trình nội bộ cho {codes} thủ tục.",
        )


def _check_typos(doc: ProcedureDocument, rules: PerformerRules, warn: Warn) -> None:
    for number, line in enumerate(doc.lines, 1):
        for typo in rules.typos_in(line):
            warn(
                "ocr_typo",
                number,
                f"Dòng {number} có \"{typo.wrong}\", có lẽ là lỗi nhận dạng chữ của \"{typo.right}\": đã đối chiếu "
                f"theo \"{typo.right}\", văn bản gốc được giữ nguyên.",
            )


def _check_procedure(
    procedure: InternalProcedure, rules: PerformerRules, roles: tuple[RoleStep, ...], warn: Warn
) -> None:
    label = f"{procedure.key} lĩnh vực {procedure.field.name}"
    _check_codes(procedure, label, warn)
    _check_units(procedure, label, warn)
    _check_total(procedure, roles, label, warn)
    for role in roles:
        _check_step(procedure, role, rules, label, warn)


def _check_codes(procedure: InternalProcedure, label: str, warn: Warn) -> None:
    for item, code in zip(procedure.items, procedure_codes(procedure)):
        if code.local:
            warn(
                "missing_code",
                item.line,
                f"Thủ tục \"{item.name}\" ở dòng {item.line} ({label}) không có mã TTHC: dùng mã nội bộ {code.code} "
                "cho đến khi có mã quốc gia.",
            )


def _check_units(procedure: InternalProcedure, label: str, warn: Warn) -> None:
    timed = [(step.line, step.duration) for step in procedure.steps if step.duration.days is not None]
    timed.append((procedure.total_line, procedure.total))
    calendar = [line for line, duration in timed if duration.unit == DAYS]
    if calendar:
        warn(
            "unit_is_calendar_days",
            calendar[0],
            f"{label} ghi thời gian bằng \"ngày\" thay vì \"ngày làm việc\" (từ dòng {calendar[0]}): là ngày làm việc "
            "hay ngày theo lịch? Cần cơ quan ban hành xác nhận; tạm tính là ngày làm việc.",
        )
    for line, duration in timed:
        if duration.unit == UNSPECIFIED:
            warn(
                "unit_missing",
                line,
                f"Thời gian \"{duration.text}\" ở dòng {line} ({label}) không ghi đơn vị, tiêu đề cột cũng không: "
                "tạm tính là ngày làm việc.",
            )


def _check_total(procedure: InternalProcedure, roles: tuple[RoleStep, ...], label: str, warn: Warn) -> None:
    counted = sum((role.step.duration.days for role in roles if role.timed), Decimal(0))
    if counted != procedure.total.days:
        warn(
            "total_mismatch",
            procedure.total_line,
            f"Thời gian các bước của {label} cộng lại là {format_days_vi(counted)} ngày nhưng dòng tổng "
            f"(dòng {procedure.total_line}) ghi {format_days_vi(procedure.total.days)} ngày.",
        )


def _check_step(procedure: InternalProcedure, role: RoleStep, rules: PerformerRules, label: str, warn: Warn) -> None:
    step = role.step
    others = [f for f in rules.fields_named_in(step.performer) if f.key != procedure.field.key]
    if others:
        warn(
            "foreign_department",
            step.line,
            f"Bước {step.number} của {label} (dòng {step.line}): người thực hiện \"{step.performer}\" thuộc "
            f"lĩnh vực {others[0].name}, không phải {procedure.field.name}; có thể do sao chép từ quy trình khác.",
        )
    if role.task_id == "assign" and role.timed and step.duration.days > rules.assignment_max_working_days:
        warn(
            "suspicious_allotment",
            step.line,
            f"Bước {step.number} (phân công thụ lý) của {label} ở dòng {step.line} được giao "
            f"{format_days_vi(step.duration.days)} ngày, nhiều hơn mức "
            f"{format_days_vi(rules.assignment_max_working_days)} ngày cho việc phân công: "
            "cần đối chiếu với văn bản gốc.",
        )
    if role.task_id == RETURN_TASK and step.duration.days is not None:
        warn(
            "timed_return_step",
            step.line,
            f"Bước trả kết quả (bước {step.number}, dòng {step.line}) của {label} ghi \"{step.duration.text}\"; "
            "bước này không tính vào thời hạn nên không được hẹn giờ.",
        )


def check_duplicate_names(documents: list[ProcedureDocument]) -> list[ImportWarning]:
    """Two codes with the same official name: one of them is probably a variant whose name was mistyped."""
    first: dict[str, tuple[str, str, int]] = {}
    found: list[ImportWarning] = []
    for doc in documents:
        for procedure in doc.procedures:
            for item, code in zip(procedure.items, procedure_codes(procedure)):
                key = " ".join(item.name.casefold().split())
                if key not in first:
                    first[key] = (code.code, doc.file_name, item.line)
                    continue
                other_code, other_file, other_line = first[key]
                where = f"dòng {other_line}" if other_file == doc.file_name else f"{other_file} dòng {other_line}"
                found.append(
                    ImportWarning(
                        code="duplicate_name",
                        file=doc.file_name,
                        line=item.line,
                        message_vi=(
                            f"Thủ tục mã {code.code} ở dòng {item.line} trùng tên với mã {other_code} ({where}): "
                            f"\"{item.name}\"; kiểm tra lại tên trong văn bản gốc."
                        ),
                    )
                )
    return found


def _is_draft(approval: str) -> bool:
    # "Quyết định số /QĐ-UBND ngày tháng 3 năm 2026": the number and the day are left blank in a draft.
    text = " ".join(approval.split()).casefold()
    return "số /" in text or "ngày tháng" in text
