"""Reading instants, numbers of working days and ISO 8601 durations from people and diagrams.

Nothing here evaluates text: each value is matched against a strict pattern and converted field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from engine.calendar.clock import TZ
from engine.errors import InvalidInput

# "7", "1.25", "1,25" (Vietnamese decimal comma). No sign, no exponent: a limit is written as a plain number.
_DAYS = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(rf"P(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?")
# Calendar units whose length in working time is undefined: years, months (before T) and weeks.
_CALENDAR_UNITS = re.compile(r"P(?:[^T]*[YMW])")
_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def parse_instant(text: str) -> datetime:
    """ISO 8601 date or date-time; without an offset it is local time (Asia/Ho_Chi_Minh). Returned in that zone."""
    if not isinstance(text, str):
        raise InvalidInput(
            f"Thời điểm '{text!r}' phải được viết theo ISO 8601, ví dụ 2026-02-13T08:00.", value=str(text)
        )
    raw = text.strip()
    try:
        if len(raw) <= 10 and "T" not in raw.upper():
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=TZ)
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"Thời điểm '{text}' không đúng ISO 8601 (ví dụ 2026-02-13T08:00 hoặc 2026-02-13T08:00+07:00).",
            value=text,
        ) from None
    return as_local(parsed)


def as_local(value: datetime | date | str) -> datetime:
    """Any instant the engine accepts, as an aware datetime in Vietnam's zone; a date means its local midnight."""
    if isinstance(value, str):
        return parse_instant(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=TZ)
    raise InvalidInput(f"Thời điểm '{value!r}' phải là ngày giờ hoặc chuỗi ISO 8601.", value=str(value))


def parse_days(value: object) -> Decimal:
    """A non-negative number of working days: 7, "1.25", "1,25", Decimal("0.25")."""
    if isinstance(value, bool):  # bool is an int in Python; True days is a bug upstream, not one day
        raise InvalidInput(f"Số ngày làm việc '{value}' không phải là số.", value=str(value))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # repr keeps 0.1 as 0.1, not its binary expansion
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-") and _DAYS.fullmatch(text[1:]):
            raise InvalidInput(f"Số ngày làm việc không được âm: '{value}'.", value=value)
        if not _DAYS.fullmatch(text):
            raise InvalidInput(f"Số ngày làm việc '{value}' không phải là số (ví dụ 7, 0,25 hoặc 1.25).", value=value)
        number = Decimal(text.replace(",", "."))
    else:
        raise InvalidInput(f"Số ngày làm việc '{value!r}' không phải là số.", value=str(value))
    if not number.is_finite():
        raise InvalidInput(f"Số ngày làm việc '{value}' không phải là số hữu hạn.", value=str(value))
    if number < 0:
        raise InvalidInput(f"Số ngày làm việc không được âm: '{value}'.", value=str(value))
    return number


@dataclass(frozen=True)
class Duration:
    """A bare ISO 8601 duration split into working days and working clock time."""

    days: Decimal
    seconds: Decimal  # hours, minutes and seconds together, counted in working time


def parse_duration(text: str) -> Duration:
    """P0.25D, P1.5D, P7D, PT2H, PT30M, P1DT4H; a fraction only in the smallest unit written; no Y, M(onth), W."""
    if not isinstance(text, str):
        raise InvalidInput(f"Thời hạn '{text!r}' phải là chuỗi ISO 8601 như P7D hoặc PT2H.", value=str(text))
    raw = text.strip()
    if _CALENDAR_UNITS.match(raw.upper()):
        raise InvalidInput(
            f"Thời hạn '{text}' dùng năm, tháng hoặc tuần; chỉ chấp nhận ngày làm việc (D), giờ (H), phút (M), "
            "giây (S).",
            value=text,
        )
    match = _DURATION.fullmatch(raw)
    fields = match.groups() if match else ()
    written = [f for f in fields if f is not None]
    if not match or not written or raw.endswith("T"):
        raise InvalidInput(f"Thời hạn '{text}' không đúng dạng ISO 8601 (ví dụ P7D, P0.25D, PT2H, P1DT4H).", value=text)
    if any(("." in f or "," in f) for f in written[:-1]):
        raise InvalidInput(f"Thời hạn '{text}' chỉ được có phần lẻ ở đơn vị nhỏ nhất.", value=text)
    days, hours, minutes, seconds = (Decimal(f.replace(",", ".")) if f else Decimal(0) for f in fields)
    return Duration(days=days, seconds=hours * 3600 + minutes * 60 + seconds)


def parse_clock_time(text: str, what: str) -> int:
    """"HH:MM" in 00:00–24:00 → minutes since midnight. `what` names the setting in the error."""
    match = _CLOCK_TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise InvalidInput(f"Giờ '{text}' trong {what} không đúng dạng HH:MM.", value=str(text))
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise InvalidInput(f"Giờ '{text}' trong {what} nằm ngoài khoảng 00:00–24:00.", value=text)
    return hours * 60 + minutes
