"""Daily sums written when report figures become final, in the command's own transaction.

A yearly report over a million cases would otherwise regroup millions of steps (per lane and officer) and of
(case, unit) pairs (per unit score) - seconds of sorting on SQLite, which has no hash aggregation. These figures never
change once final, so the engine adds them, as they become final, to one row per local day and key:
- `record_step_stats`: a completed step with a time limit, to (day, lane, officer, procedure) in `step_days`;
- `record_unit_scores`: a resolved case's TT 01/2018 indicator 2 - per lane and per officer, the minimum of the points
  of its steps (early 2, on time 1, late 0) - to (day, kind, key, procedure) in `unit_score_days`.
A report period is made of whole local days, so daily rows answer any period exactly. Rows are upserted in key order,
so two transactions adding to the same rows wait for each other rather than deadlock.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from sqlalchemy import select

from engine.calendar import TZ
from engine.schema import step_days, tasks, unit_score_days

if TYPE_CHECKING:
    from engine.store import Tx

POINTS = {"early": 2, "on_time": 1, "late": 0}
STEP_COUNTERS = ("steps", "early", "on_time", "late", "measured", "used_minutes", "allotted_minutes", "late_minutes")
UNIT_COUNTERS = ("pairs", "scored_2", "scored_0")


_upserts: dict[tuple[str, str], Any] = {}


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def _upsert(tx: Tx, table, rows: list[dict], keys: tuple[str, ...], counters: tuple[str, ...], label: str) -> None:
    """INSERT ... ON CONFLICT DO UPDATE adding the counters (SQLite 3.24+ and PostgreSQL share the syntax)."""
    if not rows:
        return
    dialect = tx.conn.dialect.name
    stmt = _upserts.get((dialect, table.name))
    if stmt is None:  # built once: building an upsert costs more than running it
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(table)
        stmt = _upserts[(dialect, table.name)] = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={**{c: table.c[c] + stmt.excluded[c] for c in counters}, label: stmt.excluded[label]})
    ordered = sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))
    tx.execute_fixed(stmt, many=ordered, columns=sorted(ordered[0]))


def record_step_stats(tx: Tx, case: Mapping[str, Any], completed: Iterable[Mapping[str, Any]]) -> None:
    """Add the steps just completed (their task rows as updated in this transaction) to the daily sums."""
    rows = []
    for r in completed:
        if r.get("timing") is None:
            continue
        measured = r["used_working_minutes"] is not None and r["allotted_working_minutes"] is not None
        used = r["used_working_minutes"] or 0
        allotted = r["allotted_working_minutes"] or 0
        rows.append({
            "day": local_day(r["completed_at"]), "lane_id": r["lane_id"] or "", "officer": r["completed_by"] or "",
            "procedure_code": case["procedure_code"], "lane": r["lane"], "steps": 1,
            "early": int(r["timing"] == "early"), "on_time": int(r["timing"] == "on_time"),
            "late": int(r["timing"] == "late"), "measured": int(measured), "used_minutes": used if measured else 0,
            "allotted_minutes": allotted if measured else 0,
            "late_minutes": max(0, used - allotted) if measured else 0,
        })
    _upsert(tx, step_days, rows, ("day", "lane_id", "officer", "procedure_code"), STEP_COUNTERS, "lane")


def record_unit_scores(tx: Tx, case: Mapping[str, Any], resolved_at: datetime) -> int:
    """Add indicator 2 of a case being resolved to the daily sums: one pair per lane and per officer with judged
    steps. Returns the number of pairs."""
    t = tasks.c
    points: dict[tuple[str, str], int] = {}
    labels: dict[str, str | None] = {}
    for lane_id, lane, officer, timing in tx.conn.execute(
            select(t.lane_id, t.lane, t.completed_by, t.timing).where(t.case_id == case["id"], t.timing.is_not(None))):
        p = POINTS.get(timing, 0)
        labels[lane_id or ""] = lane
        for pair in (("lane", lane_id or ""), ("officer", officer or "")):
            points[pair] = min(points.get(pair, p), p)
    day = local_day(resolved_at)
    rows = [{"day": day, "kind": kind, "key": key, "procedure_code": case["procedure_code"],
             "label": labels.get(key) if kind == "lane" else None,
             "pairs": 1, "scored_2": int(p == 2), "scored_0": int(p == 0)} for (kind, key), p in points.items()]
    _upsert(tx, unit_score_days, rows, ("day", "kind", "key", "procedure_code"), UNIT_COUNTERS, "label")
    return len(rows)
