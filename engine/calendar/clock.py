"""Where "now" comes from. The product reads the wall clock in exactly one place: `SystemClock.now()`.

Everything else receives a `Clock`, so that tests, replays and `tthc --now` see the same time the code does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.errors import InvalidInput

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:  # timezone-aware
        ...


class SystemClock:
    """The wall clock, in Vietnam's time zone."""

    def now(self) -> datetime:
        return datetime.now(TZ)


class FixedClock:
    """A clock that only moves when told to: tests, replays, `--now`."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        if not isinstance(delta, timedelta):
            raise InvalidInput(f"Bước tiến của đồng hồ '{delta!r}' phải là một khoảng thời gian (timedelta).")
        self._at = self._at + delta


def _aware(at: datetime) -> datetime:
    # Same rule as parse_instant: a time without an offset is local time.
    if not isinstance(at, datetime):
        raise InvalidInput(f"Thời điểm của đồng hồ '{at!r}' phải là ngày giờ (datetime).")
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at.astimezone(TZ)
