"""BusinessCalendar: counting working time for deadlines, step timers, the receipt, the control slip and reports.

Model. Each local day of the known years gets the working periods of the schedule in force that day, or none on a
day off. Working time then becomes one number line: the *position* of an instant is the number of working
microseconds from 1 January of the first known year up to it. Per-day totals and their cumulative sums are computed
once, so `due()` is a bisect plus a walk over a day's two or three periods, whatever the number of days.

Conventions where the issue is silent (recorded on each case through `policy()`):
- A period is half-open, [07:30, 11:30): 11:30 itself is not working time, it is the *end* of a period.
- N days are N × the standard day: the sum of the periods of the schedule in force on the day counting starts
  (8 h = 480 min with 07:30-11:30/13:30-17:30). 0.25 day is then 2 h, whatever the hours of the following days.
- `due(start, d)`: counting starts at `start` if it is working time, else at the next period's start. A result on a
  boundary is the end of the previous period (3 days from Monday 07:30 → Wednesday 17:30). `d = 0` returns the
  counting start itself, never an instant before `start`.
- `back(end, d)` is the mirror: a result on a boundary is the start of the next period, so back(due(s, d), d) == s.
- `working_time_between`: days from the exact working time (quantized to 6 decimals, standard day of the counting
  start of the earlier instant); minutes rounded to the nearest minute.
- Transfer (15:00 rule): outside working time a dossier waits for the next working instant; if that instant is at or
  after the cut-off it moves to the start of the following working day. So 12:00 → 13:30 the same day, 16:00 or
  20:00 → 07:30 the next working day, Saturday → Monday 07:30.
- "civil-code-days": the day of receipt (of the transfer when the cut-off shifts the case) is not counted; the limit
  ends at the end of the last working period of the N-th working day after it. Whole days only.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any, Mapping

from engine.calendar.cache import cached_tables
from engine.calendar.clock import TZ
from engine.calendar.parsing import as_local, parse_days, parse_duration
from engine.calendar.settings import CalendarSettings, DayEntry, Schedule, read_settings
from engine.calendar.year_tables import YearTable, package_table, shipped_data
from engine.errors import InvalidInput

_US = 1_000_000
_US_PER_MINUTE = 60 * _US
_DAY_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class WorkingTime:
    minutes: int
    days: Decimal  # working time / the standard day in force where counting starts


class BusinessCalendar:
    """Working time of one deployment: office hours, days off, cut-off and deadline policy. Immutable once built."""

    def __init__(self, settings: CalendarSettings, tables: Mapping[int, YearTable], data_version: str) -> None:
        years = sorted(tables)
        if years != list(range(years[0], years[-1] + 1)):
            missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
            raise InvalidInput(
                f"Lịch làm việc thiếu năm {', '.join(map(str, missing))} giữa các năm đã khai báo; "
                "hãy khai báo ngày nghỉ của năm đó trong calendar.extra_days_off.",
                years=missing,
            )
        self._settings = settings
        self._data_version = data_version
        self._tables = dict(tables)
        self.known_years: tuple[int, ...] = tuple(years)
        self.provisional_years: frozenset[int] = frozenset(y for y in years if tables[y].status == "provisional")
        self._first = date(years[0], 1, 1)
        self._build_days()

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "BusinessCalendar":
        """`cfg` is the `[calendar]` table of the TOML configuration; {} gives the official defaults."""
        settings = read_settings(cfg)
        shipped = shipped_data()

        def build() -> dict[int, YearTable]:
            # A year named only by the config is added on top of the package's statutory days, like a provisional one.
            years = set(shipped.years) | {e.day.year for e in settings.extra_days_off + settings.extra_working_days}
            tables = {}
            for year in years:
                table = shipped.years.get(year)
                tables[year] = table if table and table.status == "official" else package_table(year)
            return tables

        # Built once per machine (the `holidays` package is slow to load and walk), then read from the cache file.
        return cls(settings, cached_tables(cfg, build), shipped.version)

    @classmethod
    def default(cls) -> "BusinessCalendar":
        return _default_calendar()

    def _build_days(self) -> None:
        s = self._settings
        off: dict[date, DayEntry] = {}
        work: dict[date, DayEntry] = {}
        for table in self._tables.values():
            off.update(table.days_off)
            work.update(table.working_days)
        # The deployment's own decisions win over the shipped schedule and the package.
        for entry in s.extra_days_off:
            work.pop(entry.day, None)
            off[entry.day] = entry
        for entry in s.extra_working_days:
            off.pop(entry.day, None)
            work[entry.day] = entry
        self._off, self._work = off, work

        schedules = list(s.schedules)
        self._periods: list[tuple[tuple[int, int], ...]] = []  # per day, µs since local midnight
        self._standard: list[int] = []  # per day, µs of the standard day of the schedule in force
        self._cum: list[int] = [0]  # working µs before each day; len = days + 1
        self._cum_days: list[int] = [0]  # working days before each day
        current = 0
        day = self._first
        while day.year <= self.known_years[-1]:
            while current + 1 < len(schedules) and schedules[current + 1].since <= day:  # type: ignore[operator]
                current += 1
            schedule = schedules[current]
            working = day in work or (day.weekday() < 5 and day not in off)
            periods = tuple((p.start * _US_PER_MINUTE, p.end * _US_PER_MINUTE) for p in schedule.periods)
            self._periods.append(periods if working else ())
            self._standard.append(schedule.minutes * _US_PER_MINUTE)
            self._cum.append(self._cum[-1] + (schedule.minutes * _US_PER_MINUTE if working else 0))
            self._cum_days.append(self._cum_days[-1] + (1 if working else 0))
            day += timedelta(days=1)

    # -- the public arithmetic ------------------------------------------------------------------------------------

    def due(self, start: datetime, days: object) -> datetime:
        """The instant `days` working days after `start` (boundary rule: the end of a period, not the next start)."""
        amount = parse_days(days)
        position = self._position(as_local(start))
        return self._advance(position, self._to_us(amount, self._standard[self._day_starting(position)]))

    def back(self, end: datetime, days: object) -> datetime:
        """The instant `days` working days before `end`, e.g. when a late-warning must go out (1 day before due)."""
        amount = parse_days(days)
        position = self._position(as_local(end))
        if amount == 0:
            return self._earliest(position)
        amount_us = self._to_us(amount, self._standard[self._day_ending(position)])
        return self._latest(position - amount_us) if amount_us else self._earliest(position)

    def duration_due(self, start: datetime, iso_duration: str) -> datetime:
        """A BPMN timer's due time: D in working days, H/M/S in working hours, minutes, seconds."""
        duration = parse_duration(iso_duration)
        position = self._position(as_local(start))
        amount = self._to_us(duration.days, self._standard[self._day_starting(position)])
        amount += int((duration.seconds * _US).to_integral_value(ROUND_HALF_UP))
        return self._advance(position, amount)

    def working_time_between(self, a: datetime, b: datetime) -> WorkingTime:
        """Working time from `a` to `b`; negative if `b` is before `a`."""
        pa, pb = self._position(as_local(a)), self._position(as_local(b))
        diff = pb - pa
        standard = self._standard[self._day_starting(min(pa, pb))]
        magnitude = (abs(diff) + _US_PER_MINUTE // 2) // _US_PER_MINUTE
        days = (Decimal(diff) / Decimal(standard)).quantize(_DAY_QUANTUM)
        return WorkingTime(minutes=magnitude if diff >= 0 else -magnitude, days=_plain(days))

    def is_working_time(self, t: datetime | date | str) -> bool:
        index, offset = self._locate(as_local(t))
        return any(start <= offset < end for start, end in self._periods[index])

    def is_working_day(self, d: date | datetime | str) -> bool:
        day = d if isinstance(d, date) and not isinstance(d, datetime) else as_local(d).date()
        return bool(self._periods[self._index(day)])

    def next_working_instant(self, t: datetime | date | str) -> datetime:
        return self._latest(self._position(as_local(t)))

    def previous_working_instant(self, t: datetime | date | str) -> datetime:
        local = as_local(t)
        return local if self.is_working_time(local) else self._earliest(self._position(local))

    def transfer_time(self, received_at: datetime | str) -> datetime:
        """When a dossier received at `received_at` reaches the handling agency (the 15:00 rule)."""
        candidate = self.next_working_instant(received_at)
        if candidate.hour * 60 + candidate.minute < self._settings.cutoff:
            return candidate
        return self._start_of_next_working_day(self._index(candidate.date()))

    def reception_due(self, received_at: datetime | str, days: object) -> datetime:
        """The reception step's own deadline: always counted from the transfer, whatever the case policy."""
        return self.due(self.transfer_time(received_at), days)

    def case_due(self, received_at: datetime | str, days: object) -> datetime:
        """The case's legal due time under the configured deadline policy and cut-off reading."""
        s = self._settings
        start = self.transfer_time(received_at) if s.cutoff_shifts_case_deadline else as_local(received_at)
        if s.deadline_policy == "working-hours":
            return self.due(start, days)
        return self._civil_code_due(start, parse_days(days))

    # -- what was applied -----------------------------------------------------------------------------------------

    def policy(self) -> dict:
        """What was applied, JSON-able, to record on each case."""
        s = self._settings
        return {
            "deadline_policy": s.deadline_policy,
            "cutoff": s.cutoff_text,
            "cutoff_shifts_case_deadline": s.cutoff_shifts_case_deadline,
            "timezone": TZ.key,
            "periods": [str(p) for p in s.schedules[0].periods],
            "schedule": [_schedule_dict(x) for x in s.schedules],
            "standard_day_minutes": s.schedules[0].minutes,
            "calendar_data_version": self._data_version,
            "known_years": list(self.known_years),
            "provisional_years": sorted(self.provisional_years),
            "fingerprint": self.fingerprint(),
        }

    @cached_property
    def _fingerprint(self) -> str:
        s = self._settings
        digest = hashlib.sha256()
        digest.update(repr((self._first, s.deadline_policy, s.cutoff, s.cutoff_shifts_case_deadline)).encode())
        for periods, standard in zip(self._periods, self._standard):
            digest.update(repr((periods, standard)).encode())
        return "sha256:" + digest.hexdigest()[:16]

    def fingerprint(self) -> str:
        """A digest of every working period of every known day and of the policy: equal digests, equal deadlines."""
        return self._fingerprint

    def days(self, year: int) -> dict:
        """The weekdays off and the worked weekend days of `year`, with their names and sources."""
        if year not in self.known_years:
            raise self._unknown_year(year)
        off, work = [], []
        day = date(year, 1, 1)
        while day.year == year:
            working = bool(self._periods[self._index(day)])
            if day.weekday() < 5 and not working:
                off.append(_day_dict(self._off[day]))
            elif day.weekday() >= 5 and working:
                work.append(_day_dict(self._work[day]))
            day += timedelta(days=1)
        provisional = year in self.provisional_years
        return {
            "year": year,
            "status": "provisional" if provisional else "official",
            "provisional": provisional,
            "days_off": off,
            "working_days": work,
        }

    # -- the number line ------------------------------------------------------------------------------------------

    def _index(self, day: date) -> int:
        if not self._first.year <= day.year <= self.known_years[-1]:
            raise self._unknown_year(day.year)
        return (day - self._first).days

    def _locate(self, local: datetime) -> tuple[int, int]:
        offset = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
        return self._index(local.date()), offset

    def _position(self, local: datetime) -> int:
        index, offset = self._locate(local)
        worked = 0
        for start, end in self._periods[index]:
            if offset <= start:
                break
            worked += min(offset, end) - start
        return self._cum[index] + worked

    def _advance(self, position: int, amount_us: int) -> datetime:
        # 0 days: the counting start. Otherwise the earliest instant reaching the target: the end of a period
        # rather than the start of the next one.
        return self._earliest(position + amount_us) if amount_us > 0 else self._latest(position)

    def _earliest(self, position: int) -> datetime:
        """The first instant whose position is `position` (on a boundary: the end of the previous period)."""
        if position <= 0:
            raise self._unknown_year(self._first.year - 1)
        if position > self._cum[-1]:
            raise self._unknown_year(self.known_years[-1] + 1)
        index = bisect_left(self._cum, position) - 1
        rest = position - self._cum[index]
        for start, end in self._periods[index]:
            if rest <= end - start:
                return self._instant(index, start + rest)
            rest -= end - start
        raise AssertionError("cumulative working time disagrees with the day's periods")  # a bug, not bad input

    def _latest(self, position: int) -> datetime:
        """The last instant whose position is `position` (on a boundary: the start of the next period)."""
        if position < 0:
            raise self._unknown_year(self._first.year - 1)
        if position >= self._cum[-1]:
            raise self._unknown_year(self.known_years[-1] + 1)
        index = bisect_right(self._cum, position) - 1
        rest = position - self._cum[index]
        for start, end in self._periods[index]:
            if rest < end - start:
                return self._instant(index, start + rest)
            rest -= end - start
        raise AssertionError("cumulative working time disagrees with the day's periods")  # a bug, not bad input

    def _day_starting(self, position: int) -> int:
        """The day on which counting from `position` starts (the day of its next working instant)."""
        if position >= self._cum[-1]:
            raise self._unknown_year(self.known_years[-1] + 1)
        return bisect_right(self._cum, position) - 1

    def _day_ending(self, position: int) -> int:
        """The day on which counting back from `position` starts (the day of its previous working instant)."""
        if position <= 0:
            raise self._unknown_year(self._first.year - 1)
        return bisect_left(self._cum, position) - 1

    def _start_of_next_working_day(self, index: int) -> datetime:
        following = bisect_right(self._cum, self._cum[index + 1]) - 1
        if following >= len(self._periods):
            raise self._unknown_year(self.known_years[-1] + 1)
        return self._instant(following, self._periods[following][0][0])

    def _civil_code_due(self, event: datetime, days: Decimal) -> datetime:
        if days != days.to_integral_value() or days == 0:
            raise InvalidInput(
                f"Quy ước civil-code-days chỉ tính số ngày nguyên dương; thời hạn '{days}' ngày không áp dụng được.",
                days=str(days),
            )
        index = self._index(event.date())
        target = self._cum_days[index + 1] + int(days)  # the day of the event itself is not counted
        if target > self._cum_days[-1]:
            raise self._unknown_year(self.known_years[-1] + 1)
        last = bisect_left(self._cum_days, target) - 1
        return self._instant(last, self._periods[last][-1][1])

    def _instant(self, index: int, offset_us: int) -> datetime:
        # Vietnam has kept UTC+7 without daylight saving since 1975: local wall time maps to one instant.
        local = datetime.combine(self._first + timedelta(days=index), time(0)) + timedelta(microseconds=offset_us)
        return local.replace(tzinfo=TZ)

    @staticmethod
    def _to_us(amount: Decimal, standard_us: int) -> int:
        return int((amount * standard_us).to_integral_value(ROUND_HALF_UP))

    def _unknown_year(self, year: int) -> InvalidInput:
        first, last = self.known_years[0], self.known_years[-1]
        return InvalidInput(
            f"Lịch làm việc chưa có dữ liệu cho năm {year} (đã có các năm {first}–{last}); hãy khai báo ngày nghỉ "
            "của năm này trong calendar.extra_days_off hoặc cập nhật tthc.",
            year=year,
        )


@lru_cache(maxsize=1)
def _default_calendar() -> BusinessCalendar:
    # Immutable once built, so one instance serves every caller.
    return BusinessCalendar.from_config({})


def _plain(number: Decimal) -> Decimal:
    """1.250000 → 1.25 and 10.000000 → 10 (not 1E+1)."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _schedule_dict(schedule: Schedule) -> dict:
    return {
        "from": schedule.since.isoformat() if schedule.since else None,
        "periods": [str(p) for p in schedule.periods],
        "day_minutes": schedule.minutes,
    }


def _day_dict(entry: DayEntry) -> dict:
    return {"date": entry.day.isoformat(), "name": entry.name, "source": entry.source}
