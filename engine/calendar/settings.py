"""The `[calendar]` table of the configuration, validated once into plain values.

Keys (all optional):
    periods = ["07:30-11:30", "13:30-17:30"]      # working periods of a working day, from the beginning
    [[calendar.schedule]]                          # new office hours from a date (seasonal, reorganisation)
    from = "2026-10-01"
    periods = ["07:00-11:30", "13:30-17:00"]
    cutoff = "15:00"                               # reception cut-off (15:00 rule)
    cutoff_shifts_case_deadline = false            # true: the case limit also counts from the transfer
    deadline_policy = "working-hours"              # or "civil-code-days"
    extra_days_off = ["2026-12-31", { date = "2027-01-04", name = "..." }]
    extra_working_days = [...]

Unknown keys are refused: a misspelt `cutoff_shifts_case_deadline` silently ignored would move legal deadlines.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from engine.calendar.parsing import parse_clock_time
from engine.errors import InvalidInput

DEADLINE_POLICIES = ("working-hours", "civil-code-days")
DEFAULT_PERIODS = ("07:30-11:30", "13:30-17:30")
DEFAULT_CUTOFF = "15:00"
KNOWN_KEYS = (
    "periods",
    "schedule",
    "cutoff",
    "cutoff_shifts_case_deadline",
    "deadline_policy",
    "extra_days_off",
    "extra_working_days",
)


@dataclass(frozen=True)
class Period:
    start: int  # minutes since local midnight
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class Schedule:
    since: date | None  # None: in force from the beginning of the calendar
    periods: tuple[Period, ...]

    @property
    def minutes(self) -> int:
        return sum(p.end - p.start for p in self.periods)


@dataclass(frozen=True)
class DayEntry:
    day: date
    name: str
    source: str  # "official" (shipped data), "holidays" (the holidays package), "config"


@dataclass(frozen=True)
class CalendarSettings:
    schedules: tuple[Schedule, ...]  # sorted; the first has since=None
    cutoff: int
    cutoff_shifts_case_deadline: bool
    deadline_policy: str
    extra_days_off: tuple[DayEntry, ...]
    extra_working_days: tuple[DayEntry, ...]

    @property
    def cutoff_text(self) -> str:
        return _hhmm(self.cutoff)


def read_settings(cfg: Mapping[str, Any]) -> CalendarSettings:
    if not isinstance(cfg, Mapping):
        raise InvalidInput("Mục [calendar] của cấu hình phải là một bảng.")
    unknown = sorted(set(cfg) - set(KNOWN_KEYS))
    if unknown:
        raise InvalidInput(
            f"Mục [calendar] có khóa không được hỗ trợ: {', '.join(unknown)} "
            f"(các khóa hợp lệ: {', '.join(KNOWN_KEYS)}).",
            keys=unknown,
        )
    base = Schedule(None, parse_periods(cfg.get("periods", list(DEFAULT_PERIODS)), "calendar.periods"))
    schedules = [base, *_read_schedule(cfg.get("schedule", []))]

    policy = cfg.get("deadline_policy", DEADLINE_POLICIES[0])
    if policy not in DEADLINE_POLICIES:
        raise InvalidInput(
            f"calendar.deadline_policy '{policy}' không hợp lệ (chọn 'working-hours' hoặc 'civil-code-days').",
            value=str(policy),
        )
    shifts = cfg.get("cutoff_shifts_case_deadline", False)
    if not isinstance(shifts, bool):
        raise InvalidInput(
            f"calendar.cutoff_shifts_case_deadline phải là true hoặc false, không phải '{shifts}'.", value=str(shifts)
        )
    cutoff = parse_clock_time(cfg.get("cutoff", DEFAULT_CUTOFF), "calendar.cutoff")

    days_off = _read_days(cfg.get("extra_days_off", []), "extra_days_off", "Ngày nghỉ theo quyết định của địa phương")
    working = _read_days(cfg.get("extra_working_days", []), "extra_working_days", "Ngày làm việc theo quyết định")
    both = sorted({e.day for e in days_off} & {e.day for e in working})
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise InvalidInput(
            f"Ngày {listed} vừa nằm trong calendar.extra_days_off vừa nằm trong calendar.extra_working_days.",
            dates=[d.isoformat() for d in both],
        )
    return CalendarSettings(
        schedules=tuple(schedules),
        cutoff=cutoff,
        cutoff_shifts_case_deadline=shifts,
        deadline_policy=policy,
        extra_days_off=days_off,
        extra_working_days=working,
    )


def parse_periods(raw: object, where: str) -> tuple[Period, ...]:
    """["07:30-11:30", "13:30-17:30"] → sorted, non-overlapping periods inside 00:00–24:00."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise InvalidInput(
            f"{where} phải là danh sách khung giờ dạng \"HH:MM-HH:MM\" và không được rỗng.", setting=where
        )
    periods = []
    for item in raw:
        text = item if isinstance(item, str) else repr(item)
        start_text, sep, end_text = text.partition("-")
        if not sep:
            raise InvalidInput(f"Khung giờ '{text}' trong {where} không đúng dạng HH:MM-HH:MM.", setting=where)
        start = parse_clock_time(start_text, f"khung giờ '{text}' của {where}")
        end = parse_clock_time(end_text, f"khung giờ '{text}' của {where}")
        if start >= end:
            raise InvalidInput(
                f"Khung giờ '{text}' trong {where} bị đảo ngược hoặc rỗng: giờ bắt đầu phải trước giờ kết thúc.",
                setting=where,
            )
        periods.append(Period(start, end))
    periods.sort(key=lambda p: p.start)
    for before, after in zip(periods, periods[1:]):
        if after.start < before.end:
            raise InvalidInput(f"Khung giờ '{before}' và '{after}' trong {where} chồng lên nhau.", setting=where)
    return tuple(periods)


def _read_schedule(raw: object) -> list[Schedule]:
    if not isinstance(raw, list):
        raise InvalidInput("calendar.schedule phải là danh sách [[calendar.schedule]] có 'from' và 'periods'.")
    schedules = []
    for index, entry in enumerate(raw, start=1):
        where = f"calendar.schedule thứ {index}"
        if not isinstance(entry, Mapping) or "from" not in entry or "periods" not in entry:
            raise InvalidInput(f"{where} phải có 'from' (ngày bắt đầu) và 'periods'.", setting=where)
        extra = sorted(set(entry) - {"from", "periods"})
        if extra:
            raise InvalidInput(f"{where} có khóa không được hỗ trợ: {', '.join(extra)}.", setting=where)
        since = _read_date(entry["from"], where)
        schedules.append(Schedule(since, parse_periods(entry["periods"], f"{where} (từ {since.isoformat()})")))
    schedules.sort(key=lambda s: s.since)
    for before, after in zip(schedules, schedules[1:]):
        if before.since == after.since:
            raise InvalidInput(
                f"calendar.schedule có hai lịch cùng bắt đầu từ ngày {after.since.isoformat()}.",
                date=after.since.isoformat(),
            )
    return schedules


def _read_days(raw: object, key: str, default_name: str) -> tuple[DayEntry, ...]:
    where = f"calendar.{key}"
    if not isinstance(raw, list):
        raise InvalidInput(f"{where} phải là danh sách ngày dạng YYYY-MM-DD.", setting=where)
    entries: dict[date, DayEntry] = {}
    for item in raw:
        if isinstance(item, Mapping):
            if "date" not in item:
                raise InvalidInput(f"Một mục trong {where} thiếu 'date'.", setting=where)
            name = item.get("name", default_name)
            if not isinstance(name, str) or not name.strip():
                raise InvalidInput(f"'name' của ngày {item['date']} trong {where} phải là chuỗi.", setting=where)
            day = _read_date(item["date"], where)
        else:
            day, name = _read_date(item, where), default_name
        # A date listed twice in the same list is the same decision: kept once.
        entries[day] = DayEntry(day, unicodedata.normalize("NFC", name.strip()), "config")
    return tuple(sorted(entries.values(), key=lambda e: e.day))


def _read_date(value: object, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"Ngày '{value}' trong {where} không đúng dạng YYYY-MM-DD.", setting=where, value=str(value))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
