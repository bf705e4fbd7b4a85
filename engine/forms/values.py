"""Typing and checking one submitted value against one form field.

Each check returns the typed value and the list of Vietnamese problems (empty when the value is acceptable), so that
a submission can report every problem at once and the interactive prompt can re-ask with the same wording.
Semantics follow form-js's validator: `pattern` is a search (JavaScript `RegExp.test`), lengths count the trimmed
text, a required checkbox must be ticked, a required checklist must have at least one value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable
from zoneinfo import ZoneInfo

import regex

from engine.forms.model import MULTI_CHOICE_TYPES, Field

# Values typed without an offset are local civil time in Vietnam.
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# A ceiling for text fields without maxLength, so one submission cannot bloat the case history.
TEXT_HARD_LIMIT = 100_000

# Beyond 2^53 JSON numbers lose precision in JavaScript clients and floats stop being exact.
NUMBER_LIMIT = Decimal(10) ** 15

# The WHATWG HTML definition of a valid e-mail address, which form-js also applies.
EMAIL_RE = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# International number with country code (E.164 length); form-js's "phone" type asks for the same shape.
PHONE_RE = re.compile(r"^(?:\+|00)[1-9][0-9]{6,14}$")

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_DATE_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_VN = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_DATETIME_VN = re.compile(r"([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})[ T]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)")
_DATETIME_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)

TRUE_WORDS = frozenset({"true", "1", "c", "có", "co", "y", "yes"})
FALSE_WORDS = frozenset({"false", "0", "k", "không", "khong", "n", "no"})

Checked = tuple[Any, list[str]]


# A form's `pattern` comes from its designer: `(a+)+$` backtracks for ever on "aaaa…!". The `regex` module (same
# syntax as `re`) can stop a match after a time; the value is then refused instead of hanging the command.
PATTERN_TIMEOUT_S = 0.5


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> regex.Pattern:
    # ASCII mode: in a JavaScript RegExp without the `u` flag, \d, \w and \s are ASCII-only.
    return regex.compile(pattern, regex.ASCII | regex.VERSION0)


def _matches_pattern(pattern: str, text: str) -> bool | None:
    """True/False, or None when the pattern ran past PATTERN_TIMEOUT_S on this text."""
    try:
        return compile_pattern(pattern).search(text, timeout=PATTERN_TIMEOUT_S) is not None
    except TimeoutError:
        return None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def empty_value(field: Field) -> Any:
    """What an untouched component submits in form-js: unticked checkbox, empty list, nothing otherwise."""
    if field.type == "checkbox":
        return False
    if field.type in MULTI_CHOICE_TYPES:
        return []
    return None


def check_value(field: Field, raw: object, *, today: dt.date | None = None) -> Checked:
    """Type `raw` for `field` and apply its rules. `today` enables `disallowPassedDates` (from the injected clock)."""
    if is_empty(raw):
        value = empty_value(field)
        if field.required:
            return value, [_required_problem(field)]
        return value, []
    value, problems = _COERCERS[field.type](field, raw)
    if problems:
        return None, problems
    if field.type == "checkbox" and field.required and value is False:
        problems.append(_required_problem(field))
    if field.type == "datetime" and field.disallow_passed_dates and today is not None:
        day = value.date() if isinstance(value, dt.datetime) else value
        if isinstance(day, dt.date) and day < today:
            problems.append("không được là ngày đã qua")
    return value, problems


def to_plain(value: Any) -> Any:
    """JSON-able form of a typed value: ISO text for dates and times."""
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def _required_problem(field: Field) -> str:
    return "phải được đánh dấu" if field.type == "checkbox" else "bắt buộc"


def _valid_unicode(text: str) -> bool:
    # Lone surrogates survive JSON decoding ("\ud800") but cannot be stored or printed as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_text(raw: object) -> tuple[str | None, list[str]]:
    if not isinstance(raw, str):
        return None, ["phải là chuỗi văn bản"]
    if not _valid_unicode(raw):
        return None, ["chứa ký tự Unicode không hợp lệ"]
    return nfc(raw).strip(), []


def _text(field: Field, raw: object) -> Checked:
    text, problems = _clean_text(raw)
    if problems:
        return None, problems
    assert text is not None
    if field.type == "textarea":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    allowed = "\n\t" if field.type == "textarea" else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        problems.append("chứa ký tự điều khiển không được phép" + ("" if allowed else " (kể cả xuống dòng)"))
    limit = min(field.max_length, TEXT_HARD_LIMIT) if field.max_length is not None else TEXT_HARD_LIMIT
    if len(text) > limit:
        problems.append(f"tối đa {limit} ký tự (đang có {len(text)})")
    if field.min_length is not None and len(text) < field.min_length:
        problems.append(f"cần ít nhất {field.min_length} ký tự (đang có {len(text)})")
    matched = _matches_pattern(field.pattern, text) if field.pattern is not None else True
    if matched is False:
        hint = (field.description or field.pattern).rstrip(".")
        problems.append(f"không đúng định dạng yêu cầu ({hint})")
    elif matched is None:
        problems.append("không kiểm tra được theo mẫu của biểu mẫu (mẫu chạy quá lâu); hãy báo người soạn biểu mẫu")
    if field.validation_type == "email" and not EMAIL_RE.match(text):
        problems.append("không phải địa chỉ thư điện tử hợp lệ (ví dụ: ten@example.vn)")
    if field.validation_type == "phone" and not PHONE_RE.match(text):
        problems.append("không phải số điện thoại quốc tế hợp lệ (ví dụ: +84912345678)")
    return text, problems


def parse_decimal(raw: object) -> Decimal | None:
    """A number from JSON or from text; a decimal comma is accepted because operators type Vietnamese style."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, str) and _NUMBER_TEXT.fullmatch(raw.strip()):
        number = Decimal(raw.strip().replace(",", "."))
    else:
        return None
    return number if number.is_finite() else None


def format_number(number: int | float | Decimal) -> str:
    text = format(Decimal(repr(number)) if isinstance(number, float) else Decimal(number), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number(field: Field, raw: object) -> Checked:
    number = parse_decimal(raw)
    if number is None:
        return None, ["phải là số"]
    if abs(number) >= NUMBER_LIMIT:
        return None, ["vượt quá giới hạn số (nhỏ hơn 10^15)"]
    problems: list[str] = []
    decimals = max(0, -int(number.normalize().as_tuple().exponent))
    if field.decimal_digits is not None and decimals > field.decimal_digits:
        problems.append("phải là số nguyên" if field.decimal_digits == 0 else
                        f"tối đa {field.decimal_digits} chữ số thập phân")
    if field.increment is not None:
        try:
            off_step = number % Decimal(repr(field.increment)) != 0
        except InvalidOperation:
            off_step = True
        if off_step:
            problems.append(f"phải là bội số của {format_number(field.increment)}")
    if field.minimum is not None and number < Decimal(repr(field.minimum)):
        problems.append(f"phải ≥ {format_number(field.minimum)}")
    if field.maximum is not None and number > Decimal(repr(field.maximum)):
        problems.append(f"phải ≤ {format_number(field.maximum)}")
    # int for whole-number fields so that gateways compare counts exactly; float when decimals are allowed.
    if field.decimal_digits in (None, 0) and number == number.to_integral_value():
        return int(number), problems
    return float(number), problems


def _checkbox(field: Field, raw: object) -> Checked:
    if isinstance(raw, bool):
        return raw, []
    if isinstance(raw, str):
        word = nfc(raw).strip().casefold()
        if word in TRUE_WORDS:
            return True, []
        if word in FALSE_WORDS:
            return False, []
    return None, ["phải là có/không (true/false)"]


def _choices_text(field: Field) -> str:
    return ", ".join(value for value, _ in field.values)


def _single_choice(field: Field, raw: object) -> Checked:
    text, problems = _clean_text(raw)
    if problems:
        return None, problems
    if text not in {value for value, _ in field.values}:
        return None, [f"không thuộc danh sách lựa chọn ({_choices_text(field)})"]
    return text, []


def _multi_choice(field: Field, raw: object) -> Checked:
    # Text (from the command line) is a comma-separated list.
    items: object = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        return None, ["phải là danh sách giá trị"]
    allowed = {value for value, _ in field.values}
    chosen: list[str] = []
    for item in items:
        text, problems = _clean_text(item)
        if problems:
            return None, ["phải là danh sách chuỗi văn bản"]
        if not text:
            continue
        if text not in allowed:
            return None, [f"có giá trị không thuộc danh sách lựa chọn ({_choices_text(field)})"]
        if text not in chosen:
            chosen.append(text)
    if not chosen and field.required:
        return chosen, ["bắt buộc"]
    return chosen, []


def parse_date(raw: object) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return None
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        if _DATE_ISO.fullmatch(text):
            return dt.date.fromisoformat(text)
        match = _DATE_VN.fullmatch(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def parse_time(raw: object) -> dt.time | None:
    if isinstance(raw, dt.time):
        return raw
    if not isinstance(raw, str) or not _TIME.fullmatch(raw.strip()):
        return None
    try:
        return dt.time.fromisoformat(raw.strip())
    except ValueError:
        return None


def parse_datetime(raw: object) -> dt.datetime | None:
    """Aware datetime; without an offset the value is Vietnamese local time."""
    value: dt.datetime | None = None
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        match = _DATETIME_VN.fullmatch(text)
        try:
            if _DATETIME_ISO.fullmatch(text):
                value = dt.datetime.fromisoformat(text)
            elif match:
                day, clock = parse_date(match.group(1)), parse_time(match.group(2))
                value = dt.datetime.combine(day, clock) if day and clock else None
        except ValueError:
            return None
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_ZONE)


_DATETIME_PARSERS: dict[str, tuple[Callable[[object], Any], str]] = {
    "date": (parse_date, "phải là ngày hợp lệ dạng YYYY-MM-DD hoặc DD/MM/YYYY"),
    "time": (parse_time, "phải là giờ hợp lệ dạng HH:MM"),
    "datetime": (parse_datetime, "phải là ngày giờ hợp lệ dạng YYYY-MM-DDTHH:MM hoặc DD/MM/YYYY HH:MM"),
}


def _datetime(field: Field, raw: object) -> Checked:
    parse, problem = _DATETIME_PARSERS[field.subtype or "date"]
    value = parse(raw)
    return (value, []) if value is not None else (None, [problem])


_COERCERS: dict[str, Callable[[Field, object], Checked]] = {
    "textfield": _text,
    "textarea": _text,
    "number": _number,
    "checkbox": _checkbox,
    "select": _single_choice,
    "radio": _single_choice,
    "checklist": _multi_choice,
    "taglist": _multi_choice,
    "datetime": _datetime,
}
