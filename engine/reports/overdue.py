"""Late cases for the overdue review (seed 002: weekly, monthly, quarterly review of overdue dossiers with causes).

A late case is either
- resolved late: its result reached the desk after its legal due time (`timing = late`), in the period; or
- pending and overdue at the period's closing instant (now, without a period): received, not finished, past its
  current legal due time, and not waiting for the applicant's supplement (the limit is stopped then).
For each, the late steps (completed after their due time, or still open past it), the lane and officer responsible
for the latest of them, how late in working time, and the causes recorded with `tthc note`.
This is a listing, so rows are read; how late is counted by the business calendar, which SQL cannot do.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import and_, or_, select

from engine.errors import NotFound
from engine.reports.periods import Period
from engine.reports.queries import Scope, counted, finished_at, in_scope, procedure_known
from engine.reports.reading import read_snapshot
from engine.schema import cases, events, tasks
from engine.history import EventType
from engine.store import Store
from engine.calendar import BusinessCalendar


def _late_case_filter(scope: Scope, start: datetime | None, as_of: datetime):
    c = cases.c
    resolved_late = and_(c.timing == "late", c.resolved_at < as_of,
                         *([c.resolved_at >= start] if start is not None else []))
    still_open = or_(finished_at().is_(None), finished_at() >= as_of)
    open_overdue = and_(c.received_at < as_of, still_open, c.due_at < as_of,
                        or_(c.stage.is_(None), c.stage != "supplement_requested"))
    return and_(or_(resolved_late, open_overdue), counted(), *in_scope(scope))


def overdue_cases(store: Store, calendar: BusinessCalendar, *, now: datetime, period: Period | None = None, procedure: str | None = None,
                  users: Mapping[str, Any] | None = None) -> dict:
    start = period.start if period is not None else None
    as_of = period.as_of(now) if period is not None else now
    scope = Scope(procedure)
    names = {uid: getattr(u, "name", uid) for uid, u in (users or {}).items()}
    where = _late_case_filter(scope, start, as_of)
    with read_snapshot(store) as conn:
        if procedure and not procedure_known(conn, procedure):
            raise NotFound(f"Không có thủ tục '{procedure}' trong danh mục hay trong các hồ sơ đã tiếp nhận.",
                           procedure=procedure)
        c = cases.c
        rows = [dict(r) for r in conn.execute(
            select(c.id, c.procedure_code, c.status, c.stage, c.outcome, c.received_at, c.due_at, c.resolved_at,
                   c.ended_at).where(where).order_by(c.due_at, c.id)).mappings()]
        late_ids = select(cases.c.id).where(where)
        t = tasks.c
        step_late = or_(t.timing == "late",
                        and_(t.due_at < as_of, t.created_at < as_of, or_(t.completed_at.is_(None), t.completed_at >= as_of)))
        steps = defaultdict(list)
        for r in conn.execute(
                select(t.id, t.case_id, t.element_id, t.name, t.lane_id, t.lane, t.completed_by, t.due_at,
                       t.completed_at, t.status)
                .where(t.case_id.in_(late_ids), t.due_at.is_not(None), step_late)
                .order_by(t.case_id, t.created_at)).mappings():
            steps[r["case_id"]].append(dict(r))
        notes = defaultdict(list)
        for r in conn.execute(
                select(events.c.case_id, events.c.at, events.c.actor, events.c.payload)
                .where(events.c.case_id.in_(late_ids), events.c.type == EventType.NOTE_ADDED, events.c.at < as_of)
                .order_by(events.c.case_id, events.c.seq)).mappings():
            notes[r["case_id"]].append({"at": r["at"], "actor": r["actor"], "text": (r["payload"] or {}).get("text")})

    items = []
    for row in rows:
        resolved = row["resolved_at"] is not None and row["resolved_at"] < as_of
        late = calendar.working_time_between(row["due_at"], row["resolved_at"] if resolved else as_of)
        late_steps = []
        for s in steps.get(row["id"], []):
            open_then = s["completed_at"] is None or s["completed_at"] >= as_of
            step_late = calendar.working_time_between(s["due_at"], as_of if open_then else s["completed_at"])
            late_steps.append({
                "task_id": s["id"], "element_id": s["element_id"], "name": s["name"], "lane_id": s["lane_id"],
                "lane": s["lane"], "officer": None if open_then else s["completed_by"],
                "officer_name": None if open_then else names.get(s["completed_by"], s["completed_by"]),
                "due_at": s["due_at"], "completed_at": None if open_then else s["completed_at"], "open": open_then,
                "late_working_minutes": step_late.minutes, "late_working_days": step_late.days,
            })
        # Responsible: the step that was late by the most working time (the latest one on a tie).
        main = max(late_steps, key=lambda s: (s["late_working_minutes"], s["due_at"]), default=None)
        items.append({
            "case_id": row["id"], "procedure_code": row["procedure_code"],
            "state": "resolved_late" if resolved else "pending_overdue", "status": row["status"],
            "received_at": row["received_at"], "due_at": row["due_at"],
            "resolved_at": row["resolved_at"] if resolved else None,
            "late_working_minutes": late.minutes, "late_working_days": late.days,
            "late_step": main["name"] if main else None, "lane_id": main["lane_id"] if main else None,
            "lane": main["lane"] if main else None, "officer": main["officer"] if main else None,
            "officer_name": main["officer_name"] if main else None,
            "steps": late_steps, "causes": notes.get(row["id"], []),
        })
    items.sort(key=lambda i: (-i["late_working_minutes"], i["case_id"]))
    return {
        "period": period.describe() if period is not None else None,
        "as_of": as_of,
        "procedure": procedure,
        "cases": items,
        "resolved_late": sum(1 for i in items if i["state"] == "resolved_late"),
        "pending_overdue": sum(1 for i in items if i["state"] == "pending_overdue"),
    }
