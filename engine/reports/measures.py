"""Working time a case or a step used, stored with its row when it ends so that reports can average it in SQL.

SQL cannot count working time (office hours, days off, make-up days), so the engine measures it once, at the moment
the measure becomes final, with the same business calendar that set the limits:

- a case, when it is resolved (its result reaches the desk): the limit allotted is `total_working_days` × the
  standard day recorded in the case's calendar policy; the time used is the allotment minus the working time still
  left until the current legal due time. Counting back from the due time, rather than forward from receipt, follows
  the limit wherever it started: after a supplement the limit restarts from the receipt of the supplement (the due
  time moved), and under the "civil-code-days" reading the rest of the day of receipt is not part of the limit, so
  work done on that day uses nothing (the figure is floored at 0). A late case used more than its allotment.
- a step, when it is completed: used = working time from its creation to its completion; allotted = working time from
  its creation to its due time (the step timer counts in working time from the creation, so this is its allotment).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

# The standard day when a case predates recorded policies: 07:30-11:30 and 13:30-17:30.
DEFAULT_DAY_MINUTES = 480


def case_time_used(calendar: Any, case: Mapping[str, Any]) -> dict[str, int | None]:
    """`used_working_minutes` and `allotted_working_minutes` of a case whose `resolved_at` is set; None without a limit."""
    resolved, due, total = case.get("resolved_at"), case.get("due_at"), case.get("total_working_days")
    if resolved is None or due is None or total is None:
        return {"used_working_minutes": None, "allotted_working_minutes": None}
    policy = case.get("policy") or {}
    day_minutes = int(policy.get("standard_day_minutes") or DEFAULT_DAY_MINUTES)
    allotted = int((Decimal(str(total)) * day_minutes).to_integral_value(ROUND_HALF_UP))
    remaining = calendar.working_time_between(resolved, due).minutes
    return {"used_working_minutes": max(0, allotted - remaining), "allotted_working_minutes": allotted}


def step_time_used(calendar: Any, task: Mapping[str, Any], completed_at: datetime) -> dict[str, int | None]:
    """`used_working_minutes` and `allotted_working_minutes` of a step completed at `completed_at`."""
    created, due = task.get("created_at"), task.get("due_at")
    if created is None:
        return {"used_working_minutes": None, "allotted_working_minutes": None}
    used = max(0, calendar.working_time_between(created, completed_at).minutes)
    allotted = max(0, calendar.working_time_between(created, due).minutes) if due is not None else None
    return {"used_working_minutes": used, "allotted_working_minutes": allotted}
