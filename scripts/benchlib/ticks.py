"""`tick` on a store full of open cases: building the fleet, then timing `Service.fire_due_timers` on it.

A fleet of N open cases of QT01 holds `due_share` × N copies of a case received at 08:00 (its reception step's timer
is due at 10:00) and the rest copies of a case received at 10:15 (due at 14:15). At 09:00 nothing is due: that tick
shows what the stored cases cost by themselves. At 10:30 the first group is due: that tick shows the cost per fired
timer. Building and ticking run in separate processes, so the tick process's peak memory is the tick's alone.
"""

from __future__ import annotations

from datetime import datetime

from engine.calendar import TZ, BusinessCalendar, FixedClock

from benchlib.case_paths import APPLICANT, CODE, library_files
from benchlib.fleet import clone_case, count_cases
from benchlib.measure import heap_peak, peak_rss, progress, summary, timed

EARLY = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)
LATE = datetime(2026, 3, 2, 10, 15, tzinfo=TZ)
NOTHING_DUE = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
SOME_DUE = datetime(2026, 3, 2, 10, 30, tzinfo=TZ)


def _service(url: str, at: datetime):
    from engine.config import load_settings
    from engine.service import Service

    clock = FixedClock(at)
    return Service.open(load_settings(None, url), clock=clock, calendar=BusinessCalendar.default()), clock


def build_fleet(url: str, size: int, due_share: float) -> dict:
    service, clock = _service(url, EARLY)
    service.deploy(library_files())
    due = max(1, round(size * due_share))
    early = service.start_case(CODE, applicant=APPLICANT, received_at=None, data=None, actor="lan")["case_id"]
    clock.set(LATE)
    late = service.start_case(CODE, applicant=APPLICANT, received_at=None, data=None, actor="lan")["case_id"]
    step = max(1000, size // 10)
    clone_case(service.store, early, due - 1)
    clone_case(service.store, late, size - due - 1,
               progress=lambda made: progress(f"  … {made + due + 1:,}/{size:,} hồ sơ") if made % step == 0 else None)
    stored = count_cases(service.store)
    service.store.dispose()
    return {"size": stored, "due": due}


def measure_ticks(url: str, repeat: int) -> dict:
    service, clock = _service(url, NOTHING_DUE)
    service.fire_due_timers()  # connection, statement cache, imports: not what a tick costs in a running worker
    idle = [timed(service.fire_due_timers) for _ in range(repeat)]
    idle_heap = heap_peak(service.fire_due_timers)
    clock.set(SOME_DUE)
    outcome: dict = {}
    due_seconds = timed(lambda: outcome.update(service.fire_due_timers()))
    service.store.dispose()
    return {
        "idle": summary(idle), "idle_heap": idle_heap,
        "due_ms": due_seconds * 1000, "fired": outcome["fired"], "fired_cases": outcome["cases"],
        "per_fired_ms": due_seconds * 1000 / max(1, outcome["cases"]),
        "peak_rss": peak_rss(),
    }


def due_query_plan(url: str) -> str:
    """The database's plan for the due-cases query, as `tick` sends it."""
    from sqlalchemy import event

    service, _ = _service(url, NOTHING_DUE)
    store = service.store
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    with store.transaction() as tx:
        tx.due_cases(NOTHING_DUE, 200)
    event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = next((s, p) for s, p in captured if "next_timer_at" in s)
    explain = "EXPLAIN QUERY PLAN " if store.is_sqlite else "EXPLAIN "
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + statement, parameters).all()
        conn.rollback()
    store.dispose()
    lines = [str(row[-1]).strip().lstrip("-> ").split("  (cost")[0] for row in rows]
    # The access path is what matters here: SQLite's SEARCH/SCAN lines, PostgreSQL's scan node.
    return "; ".join(line for line in lines if "SCAN" in line.upper() or "SEARCH" in line)
