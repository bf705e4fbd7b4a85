"""TT 01/2018/TT-VPCP indicator scores.

- Indicator 1, per case resolved in the period: total time against the legal limit - early 2 points, on time 1,
  late 0 (`cases.timing`, judged when the result reached the desk).
- Indicator 2, per participating unit (a lane of the diagram) and per case resolved in the period, over that unit's
  steps with a time limit in the case: every step early 2 points; any step late 0; otherwise 1. That is the minimum
  of the step points (early 2, on time 1, late 0). The same rule per officer (the user who completed the steps) gives
  the officer's score. Averages are taken over (case, unit) and (case, officer) pairs.
- Indicator 3, per case resolved in the period: supplement rounds 0 → 2 points, 1 → 1, more → 0
  (`engine.reports.queries.resolved_cells`).

Indicator 2 is fixed when the case is resolved and added to daily sums (`Tx.record_daily_sums`,
called by the engine in the same transaction); a report adds up the days of its period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.reports.daily import POINTS, local_day
from engine.reports.queries import Scope
from engine.schema import unit_score_days

__all__ = ["POINTS", "average", "unit_score_rows"]


def unit_score_rows(conn: Connection, scope: Scope, start: datetime, end: datetime, by: str) -> list[dict]:
    """Indicator 2 per lane (`by="lane"`) or per officer (`by="officer"`) over the cases resolved in [start, end)
    (whole local days): for each key, the number of (case, key) pairs, the points scored and how many pairs scored
    2, 1 and 0."""
    u = unit_score_days.c
    stmt = (select(u.key, func.max(u.label), func.sum(u.pairs), func.sum(u.scored_2), func.sum(u.scored_0))
            .where(u.kind == ("lane" if by == "lane" else "officer"), u.day >= local_day(start),
                   u.day < local_day(end), *([u.procedure_code == scope.procedure] if scope.procedure else []))
            .group_by(u.key))
    rows = []
    for key, label, pairs, two, zero in conn.execute(stmt):
        pairs, two, zero = int(pairs or 0), int(two or 0), int(zero or 0)
        if pairs:
            rows.append({"k": key, "label": label, "cases": pairs, "points": 2 * two + (pairs - two - zero),
                         "scored_2": two, "scored_1": pairs - two - zero, "scored_0": zero})
    return rows


def average(points: int, count: int) -> float | None:
    return round(points / count, 4) if count else None
