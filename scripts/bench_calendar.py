"""Benchmark: what one `due()` costs, against counting minute by minute.

    python3 scripts/bench_calendar.py [--repeat N]

Prints microseconds per call for the limits the procedures use (0.25 to 60 working days) and the ratio to a naive
minute-stepping count. Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.calendar import TZ, BusinessCalendar  # noqa: E402

LIMITS = ("0.25", "1.25", "7", "15", "60")
# Starts spread over 2026, including Tết, a lunch break, after hours and a make-up Saturday.
STARTS = [
    datetime(2026, 1, 5, 7, 30, tzinfo=TZ),
    datetime(2026, 1, 9, 16, 0, tzinfo=TZ),
    datetime(2026, 2, 13, 12, 15, tzinfo=TZ),
    datetime(2026, 8, 21, 20, 0, tzinfo=TZ),
    datetime(2026, 11, 23, 9, 45, tzinfo=TZ),
]


def stepped_due(calendar: BusinessCalendar, start: datetime, days: Decimal) -> datetime:
    """The naive way: walk minute by minute and ask whether each minute is working time."""
    remaining = int(days * 480)
    t = start
    while remaining > 0:
        if calendar.is_working_time(t):
            remaining -= 1
        t += timedelta(minutes=1)
    return t


def per_call_us(statement, repeat: int) -> float:
    return min(timeit.repeat(statement, number=repeat, repeat=5)) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="calls per timing run")
    args = parser.parse_args()

    calendar = BusinessCalendar.default()
    build_ms = min(timeit.repeat(lambda: BusinessCalendar.from_config({}), number=1, repeat=3)) * 1e3
    print(f"building the calendar (2025–2027, 1095 days): {build_ms:.1f} ms")
    print(f"{'limit (days)':>12}  {'due() µs/call':>14}  {'stepping µs/call':>17}  {'ratio':>8}")
    for limit in LIMITS:
        days = Decimal(limit)
        fast = per_call_us(lambda: [calendar.due(s, days) for s in STARTS], args.repeat) / len(STARTS)
        # The naive count is timed once: at 60 days it takes about half a second per call.
        began = time.perf_counter()
        stepped = [stepped_due(calendar, s, days) for s in STARTS]
        slow = (time.perf_counter() - began) / len(STARTS) * 1e6
        if stepped != [calendar.due(s, days) for s in STARTS]:  # the comparison means nothing if they disagree
            raise SystemExit(f"due() and the minute-by-minute count disagree for {limit} days")
        print(f"{limit:>12}  {fast:>14.1f}  {slow:>17.0f}  {slow / fast:>7.0f}×")
    between = per_call_us(lambda: calendar.working_time_between(STARTS[0], STARTS[-1]), args.repeat)
    print(f"working_time_between over 11 months: {between:.1f} µs/call")


if __name__ == "__main__":
    main()
