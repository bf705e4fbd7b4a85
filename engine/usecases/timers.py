"""fire_due_timers: every timer due at the engine clock (`tick`, the worker), after starting the cases of due timer
start events (engine.usecases.timer_start).

Order of steps: `now` read once; in batches, one transaction each: the cases whose next timer is due (indexed; on
PostgreSQL locked, skipping those another worker holds); per case, inside a savepoint (one case that cannot fire must
not block the others): the workflow restored, its timers fired, the consequences, the commit. A case is visited once
per run even if its next timer is still due afterwards. Returns counts, the events and the cases that failed.
"""

from __future__ import annotations

from datetime import datetime

from engine.errors import EngineError
from engine.store import Tx
from engine.usecases import base
from engine.history import EventType


def fire_due_timers(ctx: base.Context, *, batch: int = 200, limit: int | None = None) -> dict:
    now = ctx.clock.now()
    fired: list[dict] = []
    failed: list[dict] = []
    seen: set[str] = set()
    started: list[dict] | None = None
    while limit is None or len(seen) < limit:
        with ctx.store.transaction() as tx:
            if started is None:  # processes that start on a schedule (timer start events) first, in the first
                from engine.usecases.timer_start import start_due  # batch's transaction: an idle tick stays one

                started, failed_starts = start_due(ctx, tx, now, batch)
                failed.extend(failed_starts)
            due = tx.due_cases(now, batch if limit is None else min(batch, limit - len(seen)), exclude=seen)
            if not due:
                break
            for row in due:
                seen.add(row["id"])
                try:
                    with tx.savepoint():
                        fired.extend(_fire_case(ctx, tx, row["id"], now))
                except EngineError as err:
                    tx.after_commit.pop(("workflow", row["id"]), None)  # rolled back to the savepoint
                    failed.append({"case_id": row["id"], "error": err.code, "message": err.message})
    timer_events = [e for e in fired if e["type"] == EventType.TIMER_FIRED]
    return {"fired": len(timer_events), "cases": len(seen), "events": fired, "failed": failed, "at": now,
            "started": sorted({e["case_id"] for e in started or ()}), "start_events": started or []}


def _fire_case(ctx: base.Context, tx: Tx, case_id: str, now: datetime) -> list[dict]:
    case = tx.case(case_id, with_head=True)
    definition = base.compiled(ctx, tx, case["definition_id"])
    runtime = base.runtime_at(ctx, tx, now, definition)
    workflow = base.workflow_of(ctx, tx, runtime, definition, case)
    derived = runtime.fire_timers(workflow)
    events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
    # Not kept: a fired case usually waits days for its next step, and a worker sweeping thousands of due timers
    # would otherwise fill its memory with workflows nobody asks for.
    base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=None, now=now)
    return [{**e, "case_id": case_id} for e in events]
