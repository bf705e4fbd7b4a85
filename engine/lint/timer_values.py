"""ISO 8601 timer values as Camunda Modeler writes them: durations, dates with an offset, repeating intervals.

Only the shape is checked here; what a duration means in working days is the engine's business.
"""

from __future__ import annotations

import datetime as dt
import re

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<Y>{_NUMBER})Y)?(?:(?P<Mo>{_NUMBER})M)?(?:(?P<W>{_NUMBER})W)?(?:(?P<D>{_NUMBER})D)?"
    rf"(?:T(?:(?P<H>{_NUMBER})H)?(?:(?P<Mi>{_NUMBER})M)?(?:(?P<S>{_NUMBER})S)?)?"
)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
_CYCLE = re.compile(r"R\d*/(?P<rest>.+)")
_EXPRESSION = re.compile(r"\$\{[^{}]+\}")


def is_expression(value: str) -> bool:
    return _EXPRESSION.fullmatch(value) is not None


def is_duration(value: str) -> bool:
    match = _DURATION.fullmatch(value)
    if not match or value.endswith("T"):
        return False
    parts = [part for part in match.groups() if part is not None]
    # ISO 8601 allows a decimal fraction on the smallest component only ("P0.25D", not "P1.5DT2H").
    return bool(parts) and not any(re.search(r"[.,]", part) for part in parts[:-1])


def is_date_time(value: str) -> bool:
    """A date-time with an explicit offset: without one the due time would depend on the server's time zone."""
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_cycle(value: str) -> bool:
    """R[n]/duration, R[n]/start/duration or R[n]/duration/end."""
    match = _CYCLE.fullmatch(value)
    if not match:
        return False
    parts = match["rest"].split("/")
    if len(parts) == 1:
        return is_duration(parts[0])
    if len(parts) == 2:
        first, second = parts
        return (is_date_time(first) and is_duration(second)) or (is_duration(first) and is_date_time(second))
    return False


CHECKS = {"timeDuration": is_duration, "timeDate": is_date_time, "timeCycle": is_cycle}
EXAMPLES = {
    "timeDuration": "P0.25D, PT2H, P1DT4H",
    "timeDate": "2026-03-02T08:00:00+07:00",
    "timeCycle": "R3/PT1H",
}


def is_valid_timer_value(kind: str, value: str) -> bool:
    return is_expression(value) or CHECKS[kind](value)
