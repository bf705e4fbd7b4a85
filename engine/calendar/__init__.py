"""Time for the engine: the injected clock and the business calendar of Vietnamese civil servants.

    clock.py        TZ, Clock, SystemClock (the only wall-clock read in the product), FixedClock
    parsing.py      parse_instant, parse_days, ISO 8601 durations: strict patterns, no evaluation
    settings.py     the [calendar] configuration table, validated
    year_tables.py  days off and make-up working days: config > shipped official data > `holidays` package
    business.py     BusinessCalendar and WorkingTime: working-hours arithmetic (conventions in its docstring)
"""

from engine.calendar.business import BusinessCalendar, WorkingTime
from engine.calendar.clock import TZ, Clock, FixedClock, SystemClock
from engine.calendar.parsing import parse_days, parse_instant

__all__ = [
    "TZ",
    "BusinessCalendar",
    "Clock",
    "FixedClock",
    "SystemClock",
    "WorkingTime",
    "parse_days",
    "parse_instant",
]
