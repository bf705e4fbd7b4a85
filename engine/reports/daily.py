"""Daily sums written when report figures become final, in the command's own transaction.

A yearly report over a million cases would otherwise regroup millions of steps (per lane and officer) and of
(case, unit) pairs (per unit score) - seconds of sorting on SQLite, which has no hash aggregation. These figures never
change once final, so the engine adds them, as they become final, to one row per local day and key:
- `step_rows`: a completed step with a time limit, to (day, lane, officer, procedure) in `step_days`;
- `unit_score_rows`: a resolved case's TT 01/2018 indicator 2 - per lane and per officer, the minimum of the points
  of its steps (early 2, on time 1, late 0) - to (day, kind, key, procedure) in `unit_score_days`.
This module only computes the rows (no SQL); `Tx.record_daily_sums` upserts them.
A report period is made of whole local days, so daily rows answer any period exactly. Rows are upserted in key order,
so two transactions adding to the same rows wait for each other rather than deadlock.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from engine.calendar import TZ

POINTS = {"early": 2, "on_time": 1, "late": 0}
STEP_KEYS = ("day", "lane_id", "officer", "procedure_code", "shard")
STEP_COUNTERS = ("steps", "early", "on_time", "late", "measured", "used_minutes", "allotted_minutes", "late_minutes")
UNIT_KEYS = ("day", "kind", "key", "procedure_code", "shard")
UNIT_COUNTERS = ("pairs", "scored_2", "scored_0")


# Rows each sum is spread over, so that concurrent commands for different cases rarely add to the same row (a row
# is locked until its transaction commits). Readers sum over them; changing the number needs no migration.
SHARDS = 8


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def shard_of(case_id: str) -> int:
    """The same shard for a case in every process (crc32, not Python's per-process `hash`)."""
    return zlib.crc32(case_id.encode("utf-8")) % SHARDS


def step_rows(case: Mapping[str, Any], completed: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The daily-sum rows of the steps just completed (their task rows as updated in this transaction)."""
    rows = []
    for r in completed:
        if r.get("timing") is None:
            continue
        measured = r["used_working_minutes"] is not None and r["allotted_working_minutes"] is not None
        used = r["used_working_minutes"] or 0
        allotted = r["allotted_working_minutes"] or 0
        rows.append({
            "day": local_day(r["completed_at"]), "lane_id": r["lane_id"] or "", "officer": r["completed_by"] or "",
            "procedure_code": case["procedure_code"], "shard": shard_of(case["id"]), "lane": r["lane"], "steps": 1,
            "early": int(r["timing"] == "early"), "on_time": int(r["timing"] == "on_time"),
            "late": int(r["timing"] == "late"), "measured": int(measured), "used_minutes": used if measured else 0,
            "allotted_minutes": allotted if measured else 0,
            "late_minutes": max(0, used - allotted) if measured else 0,
        })
    return rows


def unit_score_rows(case: Mapping[str, Any], judged: Iterable[tuple[str | None, str | None, str | None, str]],
                    resolved_at: datetime) -> list[dict]:
    """Indicator 2 of a case being resolved: one pair per lane and per officer with judged steps.
    `judged`: (lane id, lane, officer, timing) of each of the case's judged steps."""
    points: dict[tuple[str, str], int] = {}
    labels: dict[str, str | None] = {}
    for lane_id, lane, officer, timing in judged:
        p = POINTS.get(timing, 0)
        labels[lane_id or ""] = lane
        for pair in (("lane", lane_id or ""), ("officer", officer or "")):
            points[pair] = min(points.get(pair, p), p)
    day = local_day(resolved_at)
    return [{"day": day, "kind": kind, "key": key, "procedure_code": case["procedure_code"],
             "shard": shard_of(case["id"]), "label": labels.get(key) if kind == "lane" else None,
             "pairs": 1, "scored_2": int(p == 2), "scored_0": int(p == 0)} for (kind, key), p in points.items()]
