"""Which days are off and which weekend days are worked, year by year.

Sources, strongest first: the deployment's config (`extra_days_off`, `extra_working_days`), then the official
civil-service schedule shipped in `engine/data/calendar_vn.toml`, then, for a year the government has not published
yet ("provisional"), the statutory days of the `holidays` package (VN). Only exceptions to the Monday–Friday week are
kept; a holiday falling on a weekend changes no working time.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from engine.calendar.settings import DayEntry
from engine.errors import InvalidInput

DATA_FILE = "calendar_vn.toml"
STATUSES = ("official", "provisional")
MAKE_UP_DAY_NAME = "Ngày làm bù"


@dataclass(frozen=True)
class YearTable:
    year: int
    status: str  # "official" | "provisional"
    days_off: dict[date, DayEntry] = field(default_factory=dict)  # Monday–Friday dates that are not worked
    working_days: dict[date, DayEntry] = field(default_factory=dict)  # Saturday/Sunday dates that are worked


@dataclass(frozen=True)
class ShippedData:
    version: str
    years: dict[int, YearTable]  # provisional years carry no days: they are filled from the package


@lru_cache(maxsize=1)
def shipped_data() -> ShippedData:
    text = resources.files("engine.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_shipped(tomllib.loads(text), DATA_FILE)


def parse_shipped(doc: dict[str, Any], source: str) -> ShippedData:
    """Validate the shipped schedule; a broken data file must stop the engine, not shift a deadline."""
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        raise InvalidInput(f"Tệp lịch '{source}' thiếu 'version'.", file=source)
    years: dict[int, YearTable] = {}
    for key, entry in (doc.get("years") or {}).items():
        where = f"{source} [years.{key}]"
        if not key.isdigit() or not isinstance(entry, dict):
            raise InvalidInput(f"Mục {where} phải là một năm (ví dụ [years.2026]).", file=source)
        year = int(key)
        status = entry.get("status")
        if status not in STATUSES:
            raise InvalidInput(
                f"Mục {where} có status '{status}' không hợp lệ (official hoặc provisional).", file=source
            )
        off = _entries(entry.get("days_off", []), year, where, "days_off", weekend=False)
        work = _entries(entry.get("working_days", []), year, where, "working_days", weekend=True)
        if status == "provisional" and (off or work):
            raise InvalidInput(
                f"Mục {where} là provisional nên không được liệt kê ngày; hãy dùng official.", file=source
            )
        years[year] = YearTable(year, status, off, work)
    if not years:
        raise InvalidInput(f"Tệp lịch '{source}' không có năm nào.", file=source)
    return ShippedData(version, years)


def _entries(raw: object, year: int, where: str, key: str, *, weekend: bool) -> dict[date, DayEntry]:
    if not isinstance(raw, list):
        raise InvalidInput(f"{key} trong {where} phải là danh sách.", file=where)
    entries: dict[date, DayEntry] = {}
    for item in raw:
        day = item.get("date") if isinstance(item, dict) else None
        if not isinstance(day, date) or isinstance(day, datetime) or not isinstance(item.get("name"), str):
            raise InvalidInput(f"Mỗi mục {key} trong {where} cần 'date' (ngày TOML) và 'name'.", file=where)
        if day.year != year:
            raise InvalidInput(f"Ngày {day.isoformat()} trong {where} không thuộc năm {year}.", file=where)
        # Listing a weekend day as off (or a weekday as worked) would be a no-op that hides a typo in the date.
        if (day.weekday() >= 5) != weekend:
            kind = "thứ Bảy/Chủ nhật" if weekend else "thứ Hai–thứ Sáu"
            raise InvalidInput(f"Ngày {day.isoformat()} trong {key} của {where} phải là {kind}.", file=where)
        if day in entries:
            raise InvalidInput(f"Ngày {day.isoformat()} được liệt kê hai lần trong {key} của {where}.", file=where)
        entries[day] = DayEntry(day, unicodedata.normalize("NFC", item["name"]), "official")
    return entries


def package_table(year: int) -> YearTable:
    """A provisional year from the `holidays` package: statutory days, substituted days, compensating Saturdays."""
    import holidays  # imported lazily: only provisional years need it, and building its lunar tables costs ~80 ms

    calendar = holidays.country_holidays("VN", years=year, language="vi")
    off: dict[date, DayEntry] = {}
    work: dict[date, DayEntry] = {}
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if day.weekday() < 5 and not working:
            name = calendar.get(day) or "Ngày nghỉ"
            off[day] = DayEntry(day, unicodedata.normalize("NFC", name), "holidays")
        elif day.weekday() >= 5 and working:
            work[day] = DayEntry(day, MAKE_UP_DAY_NAME, "holidays")
        day += timedelta(days=1)
    return YearTable(year, "provisional", off, work)
