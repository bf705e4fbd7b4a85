"""The case history as people read it: one line per event with the lane, the officer, and for a completed step the
working time it took (from when the step was received to its completion) against its allotment.

`tthc history` can render its events with `timeline` + `render_timeline` (the command itself belongs to the case
commands); `tthc history --json` keeps printing the raw events.
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.table import Table

from engine.audit.labels import EVENT_LABELS, TIMING_SLIP, number_vi, short_time, working_minutes
from engine.audit.records import CaseRecord
from engine.audit.steps import read_steps
from engine.history import EventType, plain
from engine.calendar import BusinessCalendar
from rich.console import Console


def timeline(record: CaseRecord, calendar: BusinessCalendar, names: Mapping[str, str] | None = None) -> dict:
    names = names or {}
    steps = {s.task_id: s for s in read_steps(record.events)}
    rows = []
    for e in record.events:
        p = e["payload"]
        step = steps.get(p.get("task_id")) if p.get("task_id") else None
        row = {
            "seq": e["seq"], "at": e["at"], "type": e["type"], "label": EVENT_LABELS.get(e["type"], e["type"]),
            "element_id": e["element_id"], "name": p.get("name") or (step.name if step else None),
            "lane": p.get("lane") or (step.lane if step else None),
            "actor": e["actor"], "actor_name": names.get(e["actor"], e["actor"]) if e["actor"] else None,
            "origin": e.get("origin"),
            "used_working_minutes": None, "allotted_working_days": None, "timing": None, "detail": _detail(e),
        }
        if e["type"] == EventType.TASK_COMPLETED and step is not None:
            used = calendar.working_time_between(step.created_at, e["at"])
            row.update(used_working_minutes=used.minutes, allotted_working_days=step.allotted_working_days,
                       timing=step.timing)
        rows.append(row)
    return plain({"case_id": record.case_id, "events": rows})


def _detail(e: Mapping[str, Any]) -> str | None:
    p = e["payload"]
    kind = e["type"]
    if kind == EventType.TASK_CREATED and p.get("due_at"):
        return f"hạn {short_time(p['due_at'])}"
    if kind in (EventType.TIMER_FIRED, EventType.STEP_OVERDUE):
        return f"hạn {short_time(p.get('due_at'))}"
    if kind == EventType.DEADLINE_RESTARTED:
        return f"hạn mới {short_time(p.get('due_at'))} (trước: {short_time(p.get('previous_due_at'))})"
    if kind == EventType.APOLOGY_ISSUED:
        return f"hẹn lại {short_time(p.get('new_due_at'))}"
    if kind == EventType.CASE_STARTED:
        parent = f"hồ sơ con của {p['parent_case_id']}; " if p.get("parent_case_id") else ""
        return f"{parent}hẹn trả {short_time(p.get('due_at'))}"
    if kind in (EventType.CALL_ACTIVITY_STARTED, EventType.CALL_ACTIVITY_COMPLETED):
        return _call_detail(p)
    if kind == EventType.TASK_CLAIMED:
        return f"người giữ: {p.get('assignee')}"
    if kind == EventType.TASK_UNCLAIMED:
        return f"trả lại (người giữ trước: {p.get('previous_assignee')})"
    if kind in (EventType.CASE_WITHDRAWN,):
        return p.get("reason")
    if kind == EventType.CASE_ENDED:
        return p.get("outcome")
    if kind == EventType.NOTE_ADDED:
        return p.get("text")
    if kind == EventType.SIGNAL_RECEIVED:
        sender = (p.get("thrown_by") or {}).get("case_id")
        return f"tín hiệu {p.get('signal')}" + (f" (từ hồ sơ {sender})" if sender else "")
    if kind == EventType.SIGNAL_THROWN:
        return f"tín hiệu {p.get('signal')}"
    if kind == EventType.CONDITION_MET:
        return p.get("condition")
    if kind == EventType.MESSAGE_AWAITED:
        return f"chờ thông điệp {p.get('message')}; thời hạn tạm dừng"
    if kind == EventType.MESSAGE_CORRELATED:
        return f"thông điệp {p.get('message')}" + (f" (khóa {p['business_key']})" if p.get("business_key") else "")
    return None


def _call_detail(p: Mapping[str, Any]) -> str:
    """A call activity: the process it called, or the child case that ended and how (engine/usecases/call.py)."""
    if p.get("child_case_id") is None:
        return f"quy trình {p.get('called_element')}"
    error = f", lỗi {p['error_code']}" if p.get("error_code") else ""
    return f"hồ sơ con {p['child_case_id']}{error}"


def _who(row: Mapping[str, Any]) -> str:
    """The officer, and the account and machine the command came from (engine.origin) when recorded."""
    who = row["actor_name"] or "hệ thống"
    origin = row.get("origin") or {}
    if origin.get("account") or origin.get("host"):
        who += f" ({origin.get('account') or '?'}@{origin.get('host') or '?'})"
    return who


def render_timeline(console: Console, doc: Mapping[str, Any]) -> None:
    table = Table(title=f"Lịch sử hồ sơ {doc['case_id']}")
    for column in ("#", "Thời điểm", "Sự kiện", "Bước / phần tử", "Làn", "Người thực hiện", "Thời gian xử lý",
                   "Đánh giá", "Chi tiết"):
        table.add_column(column)
    for row in doc["events"]:
        used = row["used_working_minutes"]
        spent = "" if used is None else working_minutes(used) + (
            f" / định mức {number_vi(row['allotted_working_days'])} ngày" if row["allotted_working_days"] else "")
        table.add_row(str(row["seq"]), short_time(row["at"]), row["label"], row["name"] or row["element_id"] or "",
                      row["lane"] or "", _who(row), spent,
                      TIMING_SLIP.get(row["timing"] or "", ""), row["detail"] or "")
    console.print(table)
