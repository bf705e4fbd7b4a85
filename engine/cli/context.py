"""What a command needs, built lazily from the global options: settings, clock, calendar, store, service."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any


@dataclass
class AppContext:
    db_url: str | None = None
    config_path: Path | None = None
    now: str | None = None
    user: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self):
        from engine.config import load_settings

        return load_settings(self.config_path, self.db_url)

    @cached_property
    def clock(self):
        from engine.calendar import FixedClock, SystemClock, parse_instant

        return FixedClock(parse_instant(self.now)) if self.now else SystemClock()

    @cached_property
    def calendar(self):
        from engine.calendar import BusinessCalendar

        # The default calendar is built once per process; a configured one is built from its table.
        return BusinessCalendar.from_config(self.settings.calendar) if self.settings.calendar else BusinessCalendar.default()

    @cached_property
    def service(self):
        from engine.service import Service

        # The calendar is built when the command first uses it: listing tasks or showing a case needs none.
        return Service.open(self.settings, clock=self.clock, calendar=CalendarWhenUsed(lambda: self.calendar))

    def close(self) -> None:
        service = self.__dict__.get("service")
        if service is not None:
            service.store.dispose()


class CalendarWhenUsed:
    """Stands for the business calendar and builds it on first use (attribute access)."""

    def __init__(self, build) -> None:
        self._build = build

    def __getattr__(self, name: str):
        return getattr(self._build(), name)
