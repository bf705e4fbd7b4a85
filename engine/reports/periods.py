"""Report periods: a half-open interval of local time [start, end) in Asia/Ho_Chi_Minh, and its month buckets.

- `--from D1 --to D2`: from 00:00 of D1 to 00:00 of the day after D2 (both days included).
- `--period week|month|quarter|year`: the period containing the engine clock's date. A week runs Monday to Sunday.
- `--cutoff-day N` (1-28, default 1): a "month" runs from day N of the previous month to day N-1 of this month, and is
  named after the month it ends in: with N = 25 the report of March covers 25/02-24/03, because units send their
  figures before the 25th. Quarters and years are made of such months (with N = 25, year 2026 = 25/12/2025-24/12/2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from engine.calendar import TZ
from engine.errors import InvalidInput

PERIOD_KINDS = ("week", "month", "quarter", "year")
ROMAN = ("I", "II", "III", "IV")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Period:
    start: datetime  # local midnight, included
    end: datetime  # local midnight, excluded
    label: str
    kind: str = "range"  # range | week | month | quarter | year
    cutoff_day: int = 1

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def as_of(self, now: datetime) -> datetime:
        """The instant the period's closing figures are taken at: its end, or now while it is still running."""
        return min(self.end, now)

    def describe(self) -> dict:
        return {"kind": self.kind, "label": self.label, "from": self.first_day, "to": self.last_day,
                "start": self.start, "end": self.end, "cutoff_day": self.cutoff_day}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def parse_date(text: str, option: str) -> date:
    """YYYY-MM-DD or dd/mm/yyyy, as officers write dates."""
    raw = (text or "").strip()
    try:
        match = _DMY.fullmatch(raw)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"Ngày '{text}' của {option} không hợp lệ (viết 2026-03-31 hoặc 31/03/2026).",
                           option=option, value=text) from None


def check_cutoff(cutoff_day: int) -> int:
    if not 1 <= cutoff_day <= 28:
        raise InvalidInput(f"Ngày chốt số liệu --cutoff-day {cutoff_day} phải từ 1 đến 28.", cutoff_day=cutoff_day)
    return cutoff_day


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_start(year: int, month: int, cutoff_day: int) -> date:
    """First day of the reporting month named (year, month): day `cutoff_day` of the month before, or the 1st."""
    if cutoff_day == 1:
        return date(year, month, 1)
    y, m = _add_months(year, month, -1)
    return date(y, m, cutoff_day)


def reporting_month(day: date, cutoff_day: int) -> tuple[int, int]:
    """The (year, month) whose reporting month contains `day`."""
    if cutoff_day > 1 and day.day >= cutoff_day:
        return _add_months(day.year, day.month, 1)
    return day.year, day.month


def range_period(first: date, last: date, cutoff_day: int = 1) -> Period:
    if last < first:
        raise InvalidInput(f"Ngày kết thúc {last:%d/%m/%Y} ở trước ngày bắt đầu {first:%d/%m/%Y}.",
                           start=first.isoformat(), end=last.isoformat())
    return Period(_midnight(first), _midnight(last + timedelta(days=1)),
                  f"Từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}", "range", check_cutoff(cutoff_day))


def containing_period(kind: str, today: date, cutoff_day: int = 1) -> Period:
    """The week, month, quarter or year (of reporting months ending on day cutoff_day - 1) that contains `today`."""
    check_cutoff(cutoff_day)
    if kind == "week":
        if cutoff_day != 1:
            raise InvalidInput("--cutoff-day chỉ áp dụng cho kỳ tháng, quý và năm, không áp dụng cho kỳ tuần.",
                               cutoff_day=cutoff_day)
        monday = today - timedelta(days=today.weekday())
        iso = monday.isocalendar()
        return Period(_midnight(monday), _midnight(monday + timedelta(days=7)),
                      f"Tuần {iso.week:02d}/{iso.year} ({monday:%d/%m} – {monday + timedelta(days=6):%d/%m/%Y})",
                      "week", 1)
    year, month = reporting_month(today, cutoff_day)
    if kind == "month":
        first_named, count, label = (year, month), 1, f"Tháng {month:02d}/{year}"
    elif kind == "quarter":
        quarter = (month - 1) // 3
        first_named, count, label = (year, quarter * 3 + 1), 3, f"Quý {ROMAN[quarter]}/{year}"
    elif kind == "year":
        first_named, count, label = (year, 1), 12, f"Năm {year}"
    else:
        raise InvalidInput(f"Kỳ báo cáo '{kind}' không hợp lệ (chọn week, month, quarter hoặc year).", period=kind)
    start = month_start(*first_named, cutoff_day)
    end = month_start(*_add_months(*first_named, count), cutoff_day)
    return Period(_midnight(start), _midnight(end),
                  f"{label} ({start:%d/%m/%Y} – {end - timedelta(days=1):%d/%m/%Y})", kind, cutoff_day)


def month_buckets(period: Period) -> list[Period]:
    """The reporting months of `period`, cut at its ends: the buckets of the trend and of `--by month`."""
    buckets: list[Period] = []
    year, month = reporting_month(period.first_day, period.cutoff_day)
    start = period.start
    while start < period.end:
        following = _midnight(month_start(*_add_months(year, month, 1), period.cutoff_day))
        end = min(following, period.end)
        buckets.append(Period(start, end, f"{month:02d}/{year}", "month", period.cutoff_day))
        year, month = _add_months(year, month, 1)
        start = end
    return buckets


def trend_period(period: Period) -> Period:
    """The window of the month trend: the period itself when it spans a year or more, else the twelve reporting
    months ending with the month of its last day (a month's report then shows how it compares with the year)."""
    year, month = reporting_month(period.last_day, period.cutoff_day)
    first_year, first_month = _add_months(year, month, -11)
    start = _midnight(month_start(first_year, first_month, period.cutoff_day))
    end = _midnight(month_start(*_add_months(year, month, 1), period.cutoff_day))
    start = min(start, period.start)
    return Period(start, max(end, period.end), period.label, "trend", period.cutoff_day)
