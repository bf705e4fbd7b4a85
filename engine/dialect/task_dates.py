"""`camunda:dueDate` and `camunda:followUpDate` on a user task: an ISO 8601 date or date-time, or a `${...}` expression
of the safe grammar (e.g. `${han_tham_dinh}`) whose value is a date, a date-time or an ISO 8601 text, evaluated once
when the step is created (as Camunda 7 does) and kept on the task.

A date without a time means the start of that day, as Camunda 7 reads it; a date-time without an offset is local time
(Asia/Ho_Chi_Minh). Decision (issue 14): a step's due time is the EARLIER of this date and the due time of its boundary
timer in working days, so a designer can tighten a step's limit for one case but never loosen the legal one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Mapping

from engine.dialect.expressions import is_expression, parse_expression
from engine.errors import InvalidInput

LOCAL = "Asia/Ho_Chi_Minh"


def _zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(LOCAL)


def _instant(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_zone())
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=_zone())
    if isinstance(value, str):
        try:
            return _instant(datetime.fromisoformat(value.strip()), what)
        except ValueError:
            pass
    raise InvalidInput(f"{what} '{value}' không phải ngày hoặc thời điểm ISO 8601.", value=str(value))


def check_task_date(text: str, what: str) -> frozenset[str]:
    """Deploy's check: a literal must be ISO 8601, an expression in the grammar. The variables it reads."""
    if is_expression(text):
        return frozenset(parse_expression(text).variables)
    _instant(text, what)
    return frozenset()


def task_date(text: str | None, data: Mapping[str, Any], what: str) -> datetime | None:
    """The instant `text` names for a step created with `data`; None when there is no text or the expression's value
    is null (Camunda 7 then sets no date)."""
    if not text:
        return None
    value = parse_expression(text).evaluate(data) if is_expression(text) else text
    return None if value is None or value == "" else _instant(value, what)
