"""Timer events counted on the engine's clock and business calendar.

SpiffWorkflow's timers read `datetime.now()` and count durations in calendar time. These subclasses ask the
workflow's script engine (see `script_engine.SafeScriptEngine`, which carries the injected clock and calendar) instead:

- `timeDuration` (`P0.25D`, `P1.5D`, `PT2H`, `P1DT4H`): counted in *working* time from the moment the timer is reached,
  but never from before the case's transfer time (a dossier received after the 15:00 cut-off is transferred at the
  start of the next working day, and its reception step's allotment counts from then);
- `timeDate`: an absolute ISO 8601 instant, or a `${...}` expression that yields one (the apology timer uses
  `${apology_at}`); an instant without an offset is local time (Asia/Ho_Chi_Minh).

The due instant is computed once, when the timer is first reached, and cached as `internal_data['event_value']`
(ISO 8601 with offset), exactly where the library keeps it, so `waiting_events()` and the store's `next_timer_at`
column see it. A timer fires when the engine clock is strictly past its due instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from engine.errors import InvalidInput

# Bare ISO 8601 durations as Camunda Modeler writes them; only day and time parts make sense in working time.
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)

if TYPE_CHECKING:  # annotations only
    from SpiffWorkflow.task import Task


def is_working_duration(text: str) -> bool:
    return bool(_DURATION.match(text.strip()))


def check_time_date(text: str) -> None:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' không phải thời điểm ISO 8601.") from None


# A timer whose deadline no longer applies (the case waits for the applicant's supplement, so the limit it counts
# towards is void until it restarts) keeps this value instead of a due instant and never fires until reset.
SUSPENDED = "suspended"


def _engine(my_task):
    return my_task.workflow.script_engine


class WorkingDurationTimer(DurationTimerEventDefinition):
    """`timeDuration` in working time on the business calendar."""

    def has_fired(self, my_task: Task) -> bool:
        engine = _engine(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            duration = engine.timer_value(my_task, self.expression)
            due = engine.calendar.duration_due(engine.timer_start(my_task), duration)
            event_value = due.isoformat()
            my_task._set_internal_data(event_value=event_value)
        if event_value == SUSPENDED:
            return False
        if engine.clock.now() > datetime.fromisoformat(event_value):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineTimeDateTimer(TimeDateEventDefinition):
    """`timeDate` compared with the engine clock; the value may be an expression."""

    def has_fired(self, my_task: Task) -> bool:
        engine = _engine(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = engine.instant_value(my_task, self.expression).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if event_value == SUSPENDED:
            return False
        if engine.clock.now() > datetime.fromisoformat(event_value):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


# --- cycles (issue 14): `R3/PT4H`, `R/P1D` as reminders on a non-interrupting boundary event ---------------------
_CYCLE = re.compile(r"^R(?P<count>\d*)/(?P<duration>P\S+)$")


def parse_cycle(text: str) -> tuple[int, str] | None:
    """(repetitions, working duration) of `R<n>/<duration>` (`R/…`: unbounded, -1), or None when not of that form
    (a start date, an end date, a cron expression)."""
    match = _CYCLE.match(text.strip())
    if not match or not is_working_duration(match.group("duration")):
        return None
    count = match.group("count")
    return (int(count) if count else -1), match.group("duration")


def is_cron(text: str) -> bool:
    """Camunda 7's cron timers (Quartz syntax: six or seven fields separated by spaces)."""
    return len(text.split()) in (6, 7)


class WorkingCycleTimer(CycleTimerEventDefinition):
    """`timeCycle` `R<n>/<duration>` in working time: the first reminder one duration after the timer is reached
    (never before the case's transfer time), each next one a duration after the previous due instant. The next due
    instant is kept as `event_value` (ISO 8601, as the other timers, so `next_timer_at` sees it), the repetitions left
    as `cycles` (-1: unbounded). Once they are spent the timer waits, `SUSPENDED`, until its step ends; it never
    completes by itself (the library would then run its path once more). Each firing leaves its due instant as
    `fired_due` for the history (engine.runtime)."""

    def cycle_complete(self, my_task: Task) -> bool:
        engine = _engine(my_task)
        cycles, duration = parse_cycle(engine.timer_value(my_task, self.expression))
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = engine.calendar.duration_due(engine.timer_start(my_task), duration).isoformat()
            my_task._set_internal_data(event_value=value, cycles=cycles)
        left = my_task._get_internal_data("cycles")
        if value == SUSPENDED or left == 0 or engine.clock.now() <= datetime.fromisoformat(value):
            return False
        left = left - 1 if left > 0 else left
        following = engine.calendar.duration_due(datetime.fromisoformat(value), duration).isoformat()
        my_task._set_internal_data(event_value=following if left != 0 else SUSPENDED, cycles=left, fired_due=value)
        return True

    def has_fired(self, my_task: Task) -> bool:
        return False
