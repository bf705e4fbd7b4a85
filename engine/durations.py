"""Working-day allotments written as XML-Schema durations, the form Camunda 7 (and any XSD-based tool) accepts.

The tables allot fractions of a working day ("0,25 ngày làm việc"). ISO 8601 allows `P0.25D`, but XML Schema's
`xs:duration`, which Camunda 7 parses timer values with, does not allow a fraction of a day: the fraction is written in
hours instead. A working day is 8 working hours (Labour Code, art. 105: normal hours at most 8 a day; the calendar's
default 07:30–11:30 / 13:30–17:30), so 0.25 day is `PT2H` and 1.25 days `P1DT2H`. The engine counts `D` as standard
working days and `H/M/S` in working time (engine/calendar/business.py), so on an 8-hour day both forms fall due at
the same instant.
"""

from __future__ import annotations

from decimal import Decimal

WORKING_DAY_SECONDS = 8 * 3600


def working_days_duration(days: Decimal) -> str:
    """0.25 → PT2H, 1.25 → P1DT2H, 4 → P4D, 0.1 → PT48M, 0 → P0D; never a fractional day."""
    if days < 0:
        raise ValueError(f"negative allotment: {days}")
    whole = int(days)
    seconds = (days - whole) * WORKING_DAY_SECONDS
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(
        f"{_plain(value)}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value
    )
    day = f"{whole}D" if whole or not time else ""
    return f"P{day}T{time}" if time else f"P{day}"


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
