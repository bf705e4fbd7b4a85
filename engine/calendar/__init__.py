"""Time for the engine: the injected clock and the business calendar of Vietnamese civil servants.

    clock.py        TZ, Clock, SystemClock (the only wall-clock read in the product), FixedClock
    parsing.py      parse_instant, parse_days, ISO 8601 durations: strict patterns, no evaluation
    settings.py     the [calendar] configuration table, validated
    year_tables.py  days off and make-up working days: config > shipped official data > `holidays` package
    cache.py        the year tables computed once per machine and kept in a cache file
    business.py     BusinessCalendar and WorkingTime: working-hours arithmetic (conventions in its docstring)

The clock is imported with the package; the rest when first used (`from engine.calendar import BusinessCalendar`
still works), so a command that only needs the time zone does not load the calendar's arithmetic and data.
"""

from engine.calendar.clock import TZ, Clock, FixedClock, SystemClock

_LAZY = {
    "BusinessCalendar": "engine.calendar.business",
    "WorkingTime": "engine.calendar.business",
    "parse_days": "engine.calendar.parsing",
    "parse_instant": "engine.calendar.parsing",
}

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


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine.calendar' has no attribute '{name}'")
