"""Timer start events: keeping each process's schedule of cases (at deploy) and starting the due cases (`tthc tick`,
`tthc worker`), Camunda 7's timer start event (engine.dialect.timer_start says what is accepted).

A case started by its schedule has no applicant and no reception officer: its applicant is the process's name (what a
report or register shows), its actor the system (no officer), its received time the tick's `now`, and its legal limit
the process's `total_working_days` property if it has one. Order of steps per due schedule, inside the tick's
transaction and a savepoint of its own (one schedule that cannot start must not block the others): the case started
on the schedule's definition, then the schedule moved to its next instant in working time, or removed when spent. On
PostgreSQL the schedule row is locked with SKIP LOCKED, so with several workers each case starts exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.dialect.timer_start import first_schedule, following
from engine.errors import EngineError
from engine.store import Tx
from engine.usecases import base


def timer_of_spec(compiled: Any) -> tuple[str, dict] | None:
    """(start event id, its timer) when the process starts on a schedule."""
    for spec in compiled.spec.task_specs.values():
        timer = (getattr(spec, "extensions", None) or {}).get("timer_start")
        if timer:
            return spec.bpmn_id, timer
    return None


def schedule_deployed(tx: Tx, compiled: Any, now: datetime, calendar: Any) -> None:
    """A new version was stored: its schedule replaces the previous version's (or there is none any more)."""
    found = timer_of_spec(compiled)
    process_id = compiled.info.process_id
    if found is None:
        tx.set_timer_start(process_id, None)
        return
    element_id, timer = found
    definition = tx.latest_definition("bpmn", process_id)
    tx.set_timer_start(process_id, {"definition_id": definition["id"], "element_id": element_id,
                                    **first_schedule(timer, now, calendar)})


def start_due(ctx: base.Context, tx: Tx, now: datetime, limit: int) -> tuple[list[dict], list[dict]]:
    """Start the case of every due schedule: (the started cases' events, the schedules that failed)."""
    from engine.usecases.start import start_in

    started: list[dict] = []
    failed: list[dict] = []
    for row in tx.due_timer_starts(now, limit):
        try:
            with tx.savepoint():
                compiled = base.compiled(ctx, tx, row["definition_id"])
                found = (None, tx.definition(row["definition_id"]), compiled)
                view = start_in(ctx, tx, found, compiled.info.process_id, applicant=compiled.info.name or
                                compiled.info.process_id, received=now, extra={}, initiator={}, actor=None, now=now)
                _advance(tx, row, compiled, ctx.calendar)
        except EngineError as err:
            failed.append({"process_id": row["process_id"], "error": err.code, "message": err.message})
            continue
        started.extend({**e, "case_id": view["case_id"], "timer_start": row["element_id"]} for e in view["events"])
    return started, failed


def _advance(tx: Tx, row: dict, compiled: Any, calendar: Any) -> None:
    _, timer = timer_of_spec(compiled)
    after = following(timer, row["next_fire_at"], row["remaining"], calendar)
    if after is None:
        tx.set_timer_start(row["process_id"], None)
    else:
        tx.set_timer_start(row["process_id"], {"definition_id": row["definition_id"], "element_id": row["element_id"],
                                               "started": row["started"] + 1, **after})
