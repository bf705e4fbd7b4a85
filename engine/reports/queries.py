"""SQL aggregation over the stored cases, steps and events (SQLAlchemy Core; the same statements on SQLite and
PostgreSQL). Nothing here loads cases one by one.

How the statements stay fast on a million cases (scripts/bench_reports.py):
- Case figures read index ranges of covering indexes (revision 0002), one procedure code and one time bucket at a
  time: `ix_cases_report_received` and `ix_cases_report_resolved` hold every column a statement needs, so the table
  is not touched, and a range needs no sort (SQLite has no hash aggregation: a GROUP BY over a million rows sorts
  them). A time bucket is [bi, bi+1) of the period's boundaries b0 < b1 < ... < bK, UTC instants computed in
  Python from local dates, so time zone and cut-off day stay out of SQL; where a CASE must place a row in a bucket
  it gives -1 before b0, i inside [bi, bi+1), K at or after bK - and K for NULL, "not yet".
- Steps per lane and officer and TT 01/2018 unit scores come from the daily sums the engine keeps as they become
  final (`engine.reports.daily`): a few thousand rows per year instead of millions of steps.
- The procedure codes come from a "loose index scan" (a recursive CTE that jumps from one distinct value to the next).
`engine.reports.flow` adds up the cells; fields and totals are sums over procedure codes, done there too.
Dimensions are computed in a derived table and grouped outside it, so PostgreSQL sees plain columns in GROUP BY
rather than expressions with bound parameters.

The definitions these statements implement are in `engine.reports` (package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import and_, case, func, literal_column, or_, select, true, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.util import ClauseAdapter

from engine.reports.daily import local_day
from engine.schema import cases, events, procedures, step_days, tasks
from engine.history import EventType
from sqlalchemy.sql.elements import ColumnElement

AT_DESK = ("refused_at_reception", "supplement_at_reception")
# An empty string written into the SQL: a bound parameter would make PostgreSQL see two different GROUP BY expressions.
EMPTY = literal_column("''")


@dataclass(frozen=True)
class Scope:
    """Which cases a statement looks at."""

    procedure: str | None = None  # only this procedure code


def bucket(column: ColumnElement, bounds: Sequence[datetime]) -> ColumnElement:
    """-1 before bounds[0], i inside [bounds[i], bounds[i+1]), K = len(bounds) - 1 after the last bound or NULL."""
    whens = [(column < bounds[0], -1)] + [(column < b, i) for i, b in enumerate(bounds[1:])]
    return case(*whens, else_=len(bounds) - 1)


def due_bucket(column: ColumnElement, as_of: Sequence[datetime]) -> ColumnElement:
    """The first j with `column` < as_of[j] (as_of is non-decreasing); len(as_of) if none or NULL."""
    return case(*[(column < a, j) for j, a in enumerate(as_of)], else_=len(as_of))


def in_scope(scope: Scope) -> list:
    return [cases.c.procedure_code == scope.procedure] if scope.procedure else []


def tasks_in_scope(scope: Scope) -> list:
    if not scope.procedure:
        return []
    return [tasks.c.case_id.in_(select(cases.c.id).where(cases.c.procedure_code == scope.procedure))]


def counted() -> ColumnElement:
    """Cases that were received: the desk neither refused them nor sent them back for completion on the spot."""
    return or_(cases.c.outcome.is_(None), cases.c.outcome.not_in(AT_DESK))


def finished_at() -> ColumnElement:
    """When a case left the pending pile: its result reached the desk, else it ended (withdrawn, stopped)."""
    return func.coalesce(cases.c.resolved_at, cases.c.ended_at)


def _grouped(conn: Connection, inner, dims: Sequence[str], measures: Sequence[tuple[str, str | None]],
             where=None) -> list[dict]:
    """GROUP BY the derived table's `dims`; measures are (name, column summed), "#column" for COUNT(column) and None
    for COUNT(*)."""
    sub = inner.subquery()
    cols = [sub.c[d] for d in dims]
    aggregates = [(func.count() if column is None else
                   func.count(sub.c[column[1:]]) if column.startswith("#") else
                   func.coalesce(func.sum(sub.c[column]), 0)).label(name)
                  for name, column in measures]
    stmt = select(*cols, *aggregates).group_by(*cols)
    if where is not None:
        stmt = stmt.where(where(sub))
    return [dict(r) for r in conn.execute(stmt).mappings()]


# --- the flow cube (per procedure code) ------------------------------------------------------------------------------

def procedure_codes(conn: Connection, scope: Scope) -> list[str]:
    """The procedure codes cases were received under (or the one of the scope). A child case a call activity
    started (engine/usecases/call.py) is no dossier: a process only ever called has no row of its own."""
    if scope.procedure:
        return [scope.procedure]
    codes = distinct_keys(conn, cases.c.procedure_code)
    called = set(conn.execute(select(cases.c.procedure_code).where(cases.c.parent_case_id.is_not(None))
                              .distinct()).scalars())
    received = {code for code in called if conn.execute(
        select(cases.c.id).where(cases.c.procedure_code == code, cases.c.parent_case_id.is_(None)).limit(1)).first()}
    return [code for code in codes if code not in called or code in received]


def _ranges(bounds: Sequence[datetime]):
    return list(enumerate(zip(bounds, bounds[1:])))


def received_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime]) -> list[dict]:
    """Cases received in each bucket, per code: how many, online, direct or postal, and those the desk refused or
    sent back (which were never received). One range of ix_cases_report_received per (code, bucket): no sort."""
    c = cases.c
    taken = or_(c.outcome.is_(None), c.outcome.not_in(AT_DESK))
    aggregates = [
        func.count(),
        func.sum(case((c.outcome == AT_DESK[0], 1), else_=0)),
        func.sum(case((c.outcome == AT_DESK[1], 1), else_=0)),
        func.sum(case((and_(c.channel == "online", taken), 1), else_=0)),
        func.sum(case((and_(c.channel.in_(("direct", "postal")), taken), 1), else_=0)),
    ]
    cells = []
    for code in procedure_codes(conn, scope):
        for i, (low, high) in _ranges(bounds):
            n, refused, returned, online, direct = (int(v or 0) for v in conn.execute(
                select(*aggregates).where(c.procedure_code == code, c.received_at >= low, c.received_at < high)).one())
            if n:
                received = n - refused - returned
                cells.append({"code": code, "b": i, "received": received, "online": online,
                              "direct_postal": direct, "unspecified": received - online - direct,
                              "refused_at_reception": refused, "supplement_at_reception": returned})
    return cells


RESOLVED_MEASURES = ("resolved", "early", "on_time", "late", "refused", "measured", "used", "allotted", "fast",
                     "supplement_points")


def resolved_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime]) -> list[dict]:
    """Cases whose result reached the desk in each bucket, per code, with their measures (never a case refused at the
    desk). One range of ix_cases_report_resolved per (code, bucket)."""
    c = cases.c
    aggregates = [
        func.count(),
        func.sum(case((c.timing == "early", 1), else_=0)),
        func.sum(case((c.timing == "on_time", 1), else_=0)),  # a case without a legal limit has no timing
        func.sum(case((c.timing == "late", 1), else_=0)),
        func.sum(case((c.outcome == "refused", 1), else_=0)),
        # A resolved case has both measures or neither (no legal limit): COUNT(allotted) counts the measured ones.
        func.count(c.allotted_working_minutes),
        func.sum(c.used_working_minutes),
        func.sum(c.allotted_working_minutes),
        # At least 15% faster than the legal limit: used <= 85% of the allotment (integers: 100·used <= 85·allotted).
        func.sum(case((c.used_working_minutes * 100 <= c.allotted_working_minutes * 85, 1), else_=0)),
        # TT 01/2018 indicator 3: no supplement round 2 points, one round 1 point, more 0.
        func.sum(case((c.supplement_rounds == 0, 2), (c.supplement_rounds == 1, 1), else_=0)),
    ]
    cells = []
    for code in procedure_codes(conn, scope):
        for i, (low, high) in _ranges(bounds):
            found = conn.execute(select(*aggregates).where(c.procedure_code == code, c.resolved_at >= low,
                                                           c.resolved_at < high)).one()
            if found[0]:
                cells.append({"code": code, "b": i, **{m: int(v or 0) for m, v in zip(RESOLVED_MEASURES, found)}})
    return cells


def ended_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime]) -> list[dict]:
    """Received cases that ended in [b0, bK) without a result: withdrawn, or stopped otherwise."""
    c = cases.c
    kind = case((c.status == "withdrawn", "withdrawn"), else_="other")
    inner = (select(c.procedure_code.label("code"), bucket(c.ended_at, bounds).label("fb"), kind.label("kind"))
             .where(c.resolved_at.is_(None), c.ended_at >= bounds[0], c.ended_at < bounds[-1], counted(),
                    *in_scope(scope)))
    return _grouped(conn, inner, ("code", "fb", "kind"), [("n", None)])


def open_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime], as_of: Sequence[datetime]) -> list[dict]:
    """Received cases pending at some boundary: received before it and not finished before it.

    rb/fb are the buckets of receipt and finish, db the first bucket at whose closing instant the case is past its
    current legal due time; `waiting` marks a case now waiting for the applicant's supplement (its limit is stopped).
    A case finished at or after b0 was resolved then, or ended then, or is still open: index ranges, rather than one
    scan of the whole history.
    """
    c = cases.c
    cells: list[dict] = []
    not_waiting = literal_column("0")  # only an open case can be waiting for the applicant
    branches = [  # (finish bucket, which cases, waiting): resolved since b0, one code at a time (index range) ...
        (bucket(c.resolved_at, bounds), [c.procedure_code == code, c.resolved_at >= bounds[0]], not_waiting)
        for code in procedure_codes(conn, scope)
    ] + [  # ... ended since b0 without a result, and still open (ix_cases_ended_at: few rows)
        (bucket(c.ended_at, bounds), [c.ended_at >= bounds[0], c.resolved_at.is_(None), counted()], not_waiting),
        (literal_column(str(len(bounds) - 1)), [c.ended_at.is_(None), c.resolved_at.is_(None)],
         case((c.stage == "supplement_requested", 1), else_=0)),
    ]
    for fb, conditions, waiting in branches:
        inner = select(
            c.procedure_code.label("code"), bucket(c.received_at, bounds).label("rb"), fb.label("fb"),
            due_bucket(c.due_at, as_of).label("db"), waiting.label("waiting"),
        ).where(c.received_at < bounds[-1], *conditions, *in_scope(scope))
        # Received and finished inside one bucket: pending at no boundary, so not worth a cell.
        cells += _grouped(conn, inner, ("code", "rb", "fb", "db", "waiting"), [("n", None)],
                          where=lambda sub: sub.c.rb != sub.c.fb)
    return cells


def supplement_request_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime]) -> list[dict]:
    """Supplement requests made in [b0, bK): steps that restart the limit (the applicant must complete the dossier),
    and message catch events that do (`message_awaited`: the library waits for the applicant's supplement)."""
    steps = (select(cases.c.procedure_code.label("code"), bucket(tasks.c.created_at, bounds).label("b"))
             .select_from(tasks.join(cases, cases.c.id == tasks.c.case_id))
             .where(tasks.c.restart_deadline == true(), tasks.c.created_at >= bounds[0],
                    tasks.c.created_at < bounds[-1], *in_scope(scope)))
    waits = (select(cases.c.procedure_code.label("code"), bucket(events.c.at, bounds).label("b"))
             .select_from(events.join(cases, cases.c.id == events.c.case_id))
             .where(events.c.type == EventType.MESSAGE_AWAITED, events.c.at >= bounds[0], events.c.at < bounds[-1],
                    *in_scope(scope)))
    return _grouped(conn, union_all(steps, waits), ("code", "b"), [("n", None)])


def apology_cells(conn: Connection, scope: Scope, bounds: Sequence[datetime]) -> list[dict]:
    """Apology letters (new appointment) issued in [b0, bK), from the history."""
    inner = (select(cases.c.procedure_code.label("code"), bucket(events.c.at, bounds).label("b"))
             .select_from(events.join(cases, cases.c.id == events.c.case_id))
             .where(events.c.type == EventType.APOLOGY_ISSUED, events.c.at >= bounds[0], events.c.at < bounds[-1],
                    *in_scope(scope)))
    return _grouped(conn, inner, ("code", "b"), [("n", None)])


# --- keys and steps: where the time goes -----------------------------------------------------------------------------

def distinct_keys(conn: Connection, column: ColumnElement, *conditions: ColumnElement) -> list:
    """The distinct non-NULL values of `column` (under `conditions` on the same table) by a loose index scan: each
    value is one index seek for the smallest value above the previous one, so an index led by the condition columns
    and `column` answers without reading the rows in between."""
    jump = column.table.alias("jump")
    on_jump = ClauseAdapter(jump)  # the same conditions, on the alias the recursive step reads
    keys = select(func.min(column).label("v")).where(*conditions).cte("keys", recursive=True)
    step = select(
        select(func.min(jump.c[column.name]))
        .where(jump.c[column.name] > keys.c.v, *[on_jump.traverse(cond) for cond in conditions])
        .scalar_subquery()
    ).where(keys.c.v.is_not(None))
    keys = keys.union_all(step)
    return [v for (v,) in conn.execute(select(keys.c.v).where(keys.c.v.is_not(None)))]


STEP_MEASURES = ("steps", "early", "on_time", "late", "measured", "used", "allotted", "late_minutes")


def step_rows(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[dict]:
    """Steps with a time limit completed in [start, end) (whole local days), per (lane, officer): sums of
    `STEP_MEASURES` from the daily sums (`engine.reports.daily`). Cancelled steps and steps without a limit
    (returning the result, receiving a supplement) were never added."""
    d = step_days.c
    sums = [func.sum(d[name]) for name in ("steps", "early", "on_time", "late", "measured", "used_minutes",
                                           "allotted_minutes", "late_minutes")]
    stmt = (select(d.lane_id, d.officer, func.max(d.lane), *sums)
            .where(d.day >= local_day(start), d.day < local_day(end),
                   *([d.procedure_code == scope.procedure] if scope.procedure else []))
            .group_by(d.lane_id, d.officer))
    rows = []
    for lane_id, officer, lane, *found in conn.execute(stmt):
        rows.append({"lane": lane_id, "officer": officer, "lane_name": lane,
                     **{name: int(v or 0) for name, v in zip(STEP_MEASURES, found)}})
    return rows


def lane_names(conn: Connection, lane_ids: Sequence[str]) -> dict[str, str | None]:
    """The name of each lane, from one of its steps (one index seek each)."""
    return {lane_id: conn.execute(select(tasks.c.lane).where(tasks.c.lane_id == lane_id).limit(1)).scalar()
            for lane_id in lane_ids if lane_id}


def open_overdue_step_rows(conn: Connection, scope: Scope, as_of: datetime) -> list[dict]:
    """Steps open at `as_of` and past their due time then, per lane. A step is open until completed or cancelled:
    either it is still open, or it was closed after `as_of` - two small index ranges. The other conditions are
    evaluated on those rows only (in the select list), so no planner can prefer a range over every step created
    before `as_of`."""
    t = tasks.c
    late_then = case((and_(t.created_at < as_of, t.due_at < as_of), 1), else_=0)
    counts: dict[str, int] = {}
    # Open = not completed nor cancelled (both set completed_at); the completed_at index finds both ranges.
    for still_open in (t.completed_at.is_(None), t.completed_at >= as_of):
        inner = select(func.coalesce(t.lane_id, EMPTY).label("k"), late_then.label("late")).where(
            still_open, *tasks_in_scope(scope))
        for row in _grouped(conn, inner, ("k",), [("n", "late")]):
            if row["n"]:
                counts[row["k"]] = counts.get(row["k"], 0) + int(row["n"])
    return [{"k": k, "n": n} for k, n in counts.items()]


# --- labels ----------------------------------------------------------------------------------------------------------

def procedure_labels(conn: Connection) -> dict[str, dict]:
    rows = conn.execute(select(procedures.c.code, procedures.c.name, procedures.c.field, procedures.c.field_name))
    return {r.code: {"name": r.name, "field": r.field, "field_name": r.field_name} for r in rows}


def procedure_known(conn: Connection, code: str) -> bool:
    """A catalog code, or a process id cases were started with directly."""
    if conn.execute(select(procedures.c.code).where(procedures.c.code == code)).first():
        return True
    return conn.execute(select(cases.c.id).where(cases.c.procedure_code == code).limit(1)).first() is not None
