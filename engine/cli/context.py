"""What a command needs, built lazily from the global options: settings, clock, calendar, store, service."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: each is imported by the property that builds it (start-up time)
    from engine.calendar import BusinessCalendar, Clock
    from engine.config import Settings
    from engine.origin import Origin
    from engine.service import Service


@dataclass
class AppContext:
    db_url: str | None = None
    config_path: Path | None = None
    now: str | None = None
    user: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        from engine.config import load_settings

        return load_settings(self.config_path, self.db_url)

    @cached_property
    def clock(self) -> Clock:
        from engine.calendar import FixedClock, SystemClock, parse_instant

        if not self.now:
            return SystemClock()
        from engine.origin import check_clock_override

        check_clock_override(self.settings, self.origin)
        return FixedClock(parse_instant(self.now))

    @cached_property
    def calendar(self) -> BusinessCalendar:
        from engine.calendar import BusinessCalendar

        # The default calendar is built once per process; a configured one is built from its table.
        return BusinessCalendar.from_config(self.settings.calendar) if self.settings.calendar else BusinessCalendar.default()

    @cached_property
    def origin(self) -> Origin:
        from engine.origin import process_origin

        return process_origin(self.settings)

    @cached_property
    def actor(self) -> str | None:
        """The officer a command acts as: `--as` (or TTHC_USER) when the OS account may act as that officer, else the
        one officer the OS account is mapped to (engine.origin)."""
        from engine.origin import check_officer, default_officer

        if self.user:
            check_officer(self.settings, self.user, self.origin)
            return self.user
        return default_officer(self.settings, self.origin)

    @cached_property
    def service(self) -> Service:
        from engine.service import Service

        if self.user:
            self.actor  # noqa: B018 - refuses a foreign --as before any command runs
        # The calendar is built when the command first uses it: listing tasks or showing a case needs none.
        return Service.open(self.settings, clock=self.clock, calendar=CalendarWhenUsed(lambda: self.calendar),
                            origin=self.origin)

    def close(self) -> None:
        service = self.__dict__.get("service")
        if service is not None:
            service.close()


class CalendarWhenUsed:
    """Stands for the business calendar and builds it on first use (attribute access)."""

    def __init__(self, build) -> None:
        self._build = build

    def __getattr__(self, name: str):
        return getattr(self._build(), name)
