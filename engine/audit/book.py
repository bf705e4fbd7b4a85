"""The tracking book (Sổ theo dõi hồ sơ, form 07 of TT 03/2025/TT-VPCP) for a period.

One line per dossier presented at the desk and given a case id, numbered continuously per calendar year in the order
received (then by case id), so a dossier keeps its number whatever period is printed. Dossiers refused or sent back for
completion at the desk keep their line with the outcome in the notes: the number is given at the desk before the
completeness decision and a book with gaps could not show that nothing was removed.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from engine.audit.forms_data import OfficialForms, official_forms
from engine.audit.labels import OUTCOME_NOTES, day_text, number_vi, short_time
from engine.audit.records import cases_received, events_of_type, procedure_names
from engine.calendar import TZ
from engine.errors import InvalidInput
from engine.history import EventType, plain
from engine.policy import ProcedurePolicy, policy_for
from engine.store import Store, Tx

COLUMNS = (
    ("no", "Số thứ tự"),
    ("case_id", "Mã hồ sơ"),
    ("procedure", "Tên thủ tục hành chính"),
    ("sets", "Số lượng hồ sơ (bộ)"),
    ("applicant", "Tên cá nhân, tổ chức"),
    ("contact", "Địa chỉ, số điện thoại"),
    ("handling_unit", "Cơ quan chủ trì giải quyết"),
    ("received_at", "Nhận hồ sơ"),
    ("due_at", "Hẹn trả kết quả"),
    ("transferred_at", "Chuyển hồ sơ đến cơ quan giải quyết"),
    ("resolved_at", "Nhận kết quả từ cơ quan giải quyết"),
    ("returned_at", "Trả kết quả cho cá nhân, tổ chức"),
    ("signature", "Ký nhận"),
    ("notes", "Ghi chú"),
)
TIME_COLUMNS = ("received_at", "due_at", "transferred_at", "resolved_at", "returned_at")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def book_number(tx: Tx, case: Mapping[str, Any]) -> int:
    """The case's number in the book of the year it was received."""
    received = case["received_at"].astimezone(TZ)
    rows = cases_received(tx, _midnight(date(received.year, 1, 1)), received + timedelta(microseconds=1))
    ids = [r["id"] for r in rows]
    return ids.index(case["id"]) + 1


def build_book(store: Store, start: date, end: date, *, forms: OfficialForms | None = None) -> dict:
    if end < start:
        raise InvalidInput(f"Khoảng thời gian của sổ không hợp lệ: ngày kết thúc {end:%d/%m/%Y} trước ngày bắt đầu "
                           f"{start:%d/%m/%Y}.")
    forms = forms or official_forms()
    rows: list[dict] = []
    policies: dict[int, ProcedurePolicy] = {}
    with store.transaction() as tx:
        names = procedure_names(tx)
        for year in range(start.year, end.year + 1):
            year_end = min(end + timedelta(days=1), date(year + 1, 1, 1))
            cases = cases_received(tx, _midnight(date(year, 1, 1)), _midnight(year_end))
            numbered = [(n, c) for n, c in enumerate(cases, 1) if c["received_at"] >= _midnight(start)]
            completions = events_of_type(tx, [c["id"] for _, c in numbered], (EventType.TASK_COMPLETED, EventType.APOLOGY_ISSUED,
                                                                              EventType.DEADLINE_RESTARTED))
            for number, case in numbered:
                policy = _policy(tx, case, policies)
                rows.append(_row(year, number, case, completions[case["id"]], names, forms, policy))
    return plain({
        "form": forms["book"].to_dict(), "agency": forms.agency, "from": start, "to": end,
        "from_text": day_text(start), "to_text": day_text(end),
        "columns": [list(c) for c in COLUMNS], "rows": rows,
    })


def _policy(tx: Tx, case: Mapping[str, Any], known: dict[int, ProcedurePolicy]) -> ProcedurePolicy:
    """The policy of the diagram the case started on, read once per definition."""
    found = known.get(case["definition_id"])
    if found is None:
        row = tx.definition(case["definition_id"])
        found = known[case["definition_id"]] = policy_for(row["content"], row["filename"])
    return found


def _row(year: int, number: int, case: dict, events: list[dict], names: Mapping[str, str],
         forms: OfficialForms, policy: ProcedurePolicy) -> dict:
    completed = [e for e in events if e["type"] == EventType.TASK_COMPLETED]
    reception = next((e["payload"].get("data") or {} for e in completed
                      if policy.has_role(e["element_id"], "reception")), {})
    returned = next((e["at"] for e in completed if policy.has_role(e["element_id"], "returns_result")), None)
    notes = []
    if case.get("outcome") in OUTCOME_NOTES and case["outcome"] != "granted":
        notes.append(OUTCOME_NOTES[case["outcome"]])
    if case.get("restarts"):
        notes.append(f"Thời hạn tính lại {case['restarts']} lần sau khi nhận hồ sơ bổ sung")
    if case.get("apology_due_at"):
        notes.append(f"Hẹn lại theo phiếu xin lỗi: {short_time(case['apology_due_at'])}")
    if case.get("timing") == "late":
        notes.append("Quá hạn")
    contact = ", ".join(str(x) for x in (reception.get("applicant_address"), reception.get("applicant_phone")) if x)
    return {
        "year": year, "no": number, "case_id": case["id"],
        "procedure": f"{case['procedure_code']} — {names.get(case['procedure_code'], '')}".rstrip(" —"),
        "sets": reception.get("sets"), "applicant": case["applicant_name"], "contact": contact or None,
        "handling_unit": forms.agency.get("name"), "received_at": case["received_at"],
        "due_at": case.get("first_due_at"), "transferred_at": case.get("transferred_at"),
        "resolved_at": case.get("resolved_at"), "returned_at": returned, "signature": None,
        "notes": "; ".join(notes) or None,
    }


def display_rows(book: Mapping[str, Any]) -> list[dict]:
    """Rows with times as hh:mm dd/mm/yyyy and numbers with a decimal comma, for text, HTML and CSV."""
    out = []
    for row in book["rows"]:
        shown = dict(row)
        for key in TIME_COLUMNS:
            shown[key] = short_time(row.get(key)) if row.get(key) else ""
        if row.get("sets") is not None:
            shown["sets"] = number_vi(row["sets"])
        out.append(shown)
    return out


def book_text(book: Mapping[str, Any]) -> str:
    lines = [book["form"]["legal_basis"], (book["agency"].get("name") or "").upper(), "", book["form"]["title"],
             f"Từ ngày {book['from_text']} đến ngày {book['to_text']}", ""]
    labels = dict((k, v) for k, v in book["columns"])
    for row in display_rows(book):
        lines.append(f"{row['no']}. {row['case_id']} — {row['procedure']}")
        for key, _label in book["columns"]:
            if key in ("no", "case_id", "procedure", "signature"):
                continue
            value = row.get(key)
            if value not in (None, ""):
                lines.append(f"   {labels[key]}: {value}")
    if not book["rows"]:
        lines.append("Không có hồ sơ nào được tiếp nhận trong khoảng thời gian này.")
    return "\n".join(lines) + "\n"


def book_csv(book: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _key, label in book["columns"]])
    for row in display_rows(book):
        writer.writerow(["" if row.get(key) is None else row.get(key) for key, _label in book["columns"]])
    return buffer.getvalue()
