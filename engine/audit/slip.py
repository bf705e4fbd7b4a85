"""The control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, form 06 of TT 03/2025/TT-VPCP) of one case.

Rows are handovers (see `engine.audit.steps`): the giver is the lane and officer who completed a step, the receiver the
lane (and, once known, the officer) of the step it handed the dossier to, the time is the completion, and the result
column judges the giver's step against its own due time (its allotment counted in working time from when it was
received), with the engine's rule: late after the due instant, early when done on an earlier day, on time otherwise.
The last row hands the result (or the refused dossier) back to the applicant; a step without an allotment there
(returning the result is not counted in the limit) shows the case's own timing.
"""

from __future__ import annotations

from typing import Any, Mapping

from engine.audit.diagram_model import ProcessDiagram, read_diagram
from engine.audit.forms_data import OfficialForms, official_forms
from engine.audit.labels import (
    OUTCOME_NOTES, TIMING_SLIP, number_vi, short_time, slip_time, working_minutes,
)
from engine.audit.records import CaseRecord
from engine.audit.steps import Handover, Step, read_handovers, read_steps
from engine.history import EventType, plain
from engine.policy import ProcedurePolicy
from engine.calendar import BusinessCalendar

APPLICANT_UNIT = "Tổ chức, cá nhân nộp hồ sơ"
COLUMNS = ("TÊN CƠ QUAN / BỘ PHẬN", "THỜI GIAN GIAO, NHẬN HỒ SƠ",
           "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/Đúng hạn/Quá hạn)", "GHI CHÚ")


def case_diagram(record: CaseRecord) -> ProcessDiagram | None:
    if record.definition is None:
        return None
    return read_diagram(record.definition["content"], record.definition["filename"])


def reception_data(steps: list[Step], policy: ProcedurePolicy) -> dict:
    """The data of the completed reception step (`role=reception` in the diagram)."""
    first = next((s for s in steps if policy.has_role(s.element_id, "reception") and s.completed_at is not None), None)
    return first.data if first is not None else {}


def build_slip(record: CaseRecord, calendar: BusinessCalendar, *, names: Mapping[str, str] | None = None,
               forms: OfficialForms | None = None, diagram: ProcessDiagram | None = None) -> dict:
    forms = forms or official_forms()
    names = names or {}
    diagram = diagram if diagram is not None else case_diagram(record)
    case = record.case
    steps = read_steps(record.events)
    handovers = read_handovers(record.events, steps, diagram)
    received = reception_data(steps, record.policy)

    def party(unit: str | None, officer: str | None) -> dict:
        return {"unit": unit or "—", "officer": officer, "officer_name": names.get(officer, officer) if officer else None}

    rows = []
    for number, handover in enumerate(handovers, 1):
        giver = handover.giver
        if handover.to_applicant:
            receivers = [{"unit": APPLICANT_UNIT, "officer": None, "officer_name": case["applicant_name"]}]
        else:
            receivers = [party(s.lane, s.completed_by) for s in handover.receivers]
        timing = giver.timing if giver.due_at is not None else (case.get("timing") if handover.to_applicant else None)
        used = giver.used(calendar)
        rows.append({
            "no": number,
            "giver": party(giver.lane, giver.completed_by),
            "receivers": receivers,
            "at": handover.at,
            "step": {
                "element_id": giver.element_id, "name": giver.name, "number": giver.number,
                "received_at": giver.created_at, "completed_at": giver.completed_at, "due_at": giver.due_at,
                "allotted_working_days": giver.allotted_working_days,
                "used_working_minutes": used.minutes if used else None,
                "used_working_days": used.days if used else None,
            },
            "timing": timing,
            "timing_label": TIMING_SLIP.get(timing or "", "—"),
            "notes": _row_notes(record, handover, case),
        })
    lanes = diagram.lanes if diagram else []
    coordinating = [lane.name for lane in lanes if lane.id in record.policy.coordinating_lanes]
    return plain({
        "form": forms["slip"].to_dict(),
        "agency": forms.agency,
        "columns": list(COLUMNS),
        "case_id": case["id"],
        "procedure": {"code": case["procedure_code"],
                      "name": record.procedure["name"] if record.procedure else None},
        "applicant": {"name": case["applicant_name"], "address": received.get("applicant_address"),
                      "phone": received.get("applicant_phone")},
        "received_at": case["received_at"],
        "due_at": case.get("due_at"),
        "first_due_at": case.get("first_due_at"),
        "apology_due_at": case.get("apology_due_at"),
        "handling_unit": forms.agency.get("name"),
        "coordinating_units": coordinating,
        "status": case["status"], "outcome": case.get("outcome"), "timing": case.get("timing"),
        "rows": rows,
        "notes": _case_notes(record, names),
    })


def _row_notes(record: CaseRecord, handover: Handover, case: Mapping[str, Any]) -> list[str]:
    giver = handover.giver
    notes: list[str] = []
    used = giver.completed_at
    if giver.allotted_working_days is not None and used is not None:
        notes.append(f"Định mức {number_vi(giver.allotted_working_days)} ngày làm việc, hạn {short_time(giver.due_at)}.")
    if giver.overdue:
        notes.append("Đã cảnh báo quá hạn bước.")
    if giver.data.get("decision") == "rework":
        notes.append("Trả lại để xử lý lại.")
    if handover.supplement_request or any(s.restart_deadline for s in handover.receivers):
        reason = giver.data.get("reasons")
        notes.append("Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)" + (f": {reason}" if reason else "") + ".")
    restarted = _restart_of(record, giver)
    if restarted is not None:
        notes.append(f"Đã nhận đủ hồ sơ bổ sung; thời hạn tính lại, hẹn trả mới "
                     f"{short_time(restarted['payload'].get('due_at'))}.")
    if handover.to_applicant and case.get("outcome") and not handover.supplement_request:
        notes.append(OUTCOME_NOTES.get(case["outcome"], case["outcome"]) + ".")
    return notes


def _restart_of(record: CaseRecord, step: Step) -> dict | None:
    """The limit's restart this step stands for: the one its completion caused (a supplement step), or the one the
    message that opened it caused (the desk's check of a supplement that arrived as a message)."""
    events = record.events
    if step.restart_deadline:
        return next((e for e in events if e["type"] == EventType.DEADLINE_RESTARTED
                     and e["seq"] > (step.completed_seq or 0)), None)
    for before, e in zip(events, events[1:]):
        if e["seq"] >= step.created_seq:
            return None
        if e["type"] == EventType.DEADLINE_RESTARTED and before["type"] == EventType.MESSAGE_CORRELATED \
                and e["at"] == step.created_at and not any(x["type"] == EventType.TASK_CREATED and x["at"] == e["at"]
                                                          and e["seq"] < x["seq"] < step.created_seq for x in events):
            return e
    return None


def _case_notes(record: CaseRecord, names: Mapping[str, str]) -> list[str]:
    notes: list[str] = []
    for e in record.events:
        p = e["payload"]
        if e["type"] == EventType.DEADLINE_RESTARTED:
            notes.append(f"{short_time(e['at'])}: nhận đủ hồ sơ bổ sung, thời hạn tính lại từ đầu; hạn trước "
                         f"{short_time(p.get('previous_due_at'))}, hạn mới {short_time(p.get('due_at'))}.")
        elif e["type"] == EventType.APOLOGY_ISSUED:
            reason = f"; lý do: {p['reason']}" if p.get("reason") else ""
            notes.append(f"{short_time(e['at'])}: gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu "
                         f"{p.get('notice_form') or '04'}), hẹn lại {short_time(p.get('new_due_at'))}{reason}.")
        elif e["type"] == EventType.CASE_WITHDRAWN:
            reason = f"; lý do: {p['reason']}" if p.get("reason") else ""
            notes.append(f"{short_time(e['at'])}: người nộp rút hồ sơ, dừng giải quyết (Thông báo Mẫu "
                         f"{p.get('notice_form') or '05'}){reason}.")
        elif e["type"] == EventType.NOTE_ADDED:
            who = names.get(e["actor"], e["actor"]) if e["actor"] else "hệ thống"
            notes.append(f"{short_time(e['at'])}, {who}: {p.get('text')}")
        elif _call_note(e) is not None:
            notes.append(_call_note(e))
    return notes


def _call_note(e: Mapping[str, Any]) -> str | None:
    """The links between a calling case and its child cases (engine/usecases/call.py), for the slip's notes."""
    p, at = e["payload"], short_time(e["at"])
    if e["type"] == EventType.CASE_STARTED and p.get("parent_case_id"):
        return f"{at}: hồ sơ con của hồ sơ {p['parent_case_id']} (bước gọi quy trình {p.get('parent_element_id')})."
    if e["type"] == EventType.CALL_ACTIVITY_STARTED:
        return f"{at}: bước {p.get('name')} gọi quy trình {p.get('called_element')} (mở hồ sơ con)."
    if e["type"] == EventType.CALL_ACTIVITY_COMPLETED:
        error = f" với lỗi {p['error_code']}" if p.get("error_code") else ""
        return f"{at}: hồ sơ con {p.get('child_case_id')} kết thúc{error}."
    if e["type"] == EventType.CALL_ACTIVITY_CANCELLED:
        return f"{at}: bước gọi quy trình bị hủy, hồ sơ con dừng giải quyết."
    return None


def slip_text(slip: Mapping[str, Any]) -> str:
    """The slip as printable plain text: header, one block per handover, notes."""
    form = slip["form"]
    lines = [
        f"{form['legal_basis']}",
        (slip["agency"].get("governing_body") or "").upper(),
        (slip["agency"].get("name") or "").upper(),
        "",
        form["title"],
        "",
        f"Mã hồ sơ: {slip['case_id']}",
        f"Thủ tục: {slip['procedure']['code']}" + (f" — {slip['procedure']['name']}" if slip["procedure"]["name"] else ""),
        f"Người nộp: {slip['applicant']['name']}",
    ]
    if slip["applicant"].get("address"):
        lines.append(f"Địa chỉ: {slip['applicant']['address']}")
    lines += [
        f"Ngày, giờ tiếp nhận: {slip_time(slip['received_at'])}",
        f"Ngày, giờ hẹn trả kết quả: {slip_time(slip['due_at'])}",
    ]
    if slip.get("first_due_at") and slip["first_due_at"] != slip["due_at"]:
        lines.append(f"  (hẹn ban đầu: {slip_time(slip['first_due_at'])}; thời hạn đã tính lại)")
    if slip.get("apology_due_at"):
        lines.append(f"  (hẹn lại theo phiếu xin lỗi: {slip_time(slip['apology_due_at'])})")
    lines += [
        f"Cơ quan giải quyết hồ sơ: {slip['handling_unit'] or '—'}",
        f"Cơ quan phối hợp: {', '.join(slip['coordinating_units']) or '—'}",
        "",
    ]
    unit, when, result, note = slip["columns"]
    for row in slip["rows"]:
        lines.append(f"{row['no']}. {unit}")
        lines.append(f"   Giao: {_party_text(row['giver'])}")
        for receiver in row["receivers"]:
            lines.append(f"   Nhận: {_party_text(receiver)}")
        lines.append(f"   {when}: {slip_time(row['at'])}")
        lines.append(f"   {result}: {row['timing_label']}")
        used = row["step"]["used_working_minutes"]
        lines.append(f"   {note}: " + " ".join(
            ([f"Bước «{row['step']['name']}», thời gian xử lý {working_minutes(used)} làm việc."] if used is not None else [])
            + row["notes"]))
    if slip["notes"]:
        lines.append("")
        lines.append("GHI CHÚ:")
        lines.extend(f"- {n}" for n in slip["notes"])
    return "\n".join(lines) + "\n"


def _party_text(party: Mapping[str, Any]) -> str:
    who = party.get("officer_name")
    return f"{party['unit']} — {who}" if who else party["unit"]
