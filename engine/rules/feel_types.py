"""FEEL values as the decision tables see them: kinds, typeRefs, normal forms, durations and coercion.

A value is compared in a normal form computed once per input per evaluation:
- number: int or Decimal (a float goes through its shortest repr, so 0.1 matches the cell 0.1);
- date (typeRefs `date`, `date and time`, Camunda's `date`): naive datetime; a date is midnight, an aware datetime
  keeps its wall-clock time in its own zone, because cells are written in the deployment's local time;
- time: naive datetime.time (same rule for an offset);
- duration (`days and time duration`): timedelta; ym (`years and months duration`): YearsMonths;
- string, boolean and null as themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from engine.errors import InvalidInput

__all__ = [
    "TYPE_REFS",
    "FeelTypeError",
    "YearsMonths",
    "coerce_input",
    "coerce_value",
    "kind_of",
    "normal",
    "normalize_type_ref",
    "parse_duration",
    "parse_iso",
    "parse_time",
]

# Every typeRef a decision-table column may carry, and the kind of value it holds: the FEEL types of DMN 1.1–1.5
# (with the XML-Schema spellings the TCK still uses) and Camunda 7's aliases.
TYPE_REFS: dict[str, str] = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "long": "number",
    "double": "number",
    "boolean": "boolean",
    "date": "date",
    "date and time": "date",
    "dateTime": "date",
    "time": "time",
    "days and time duration": "duration",
    "dayTimeDuration": "duration",
    "years and months duration": "ym",
    "yearMonthDuration": "ym",
}
_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
ORDERED = frozenset({"number", "string", "date", "time", "duration", "ym"})


class FeelTypeError(InvalidInput):
    """A value of the wrong kind for a cell or a typeRef; the evaluator adds decision, rule and input."""

    def __init__(self, actual: str, expected: str) -> None:
        super().__init__(f"Giá trị kiểu {actual} không dùng được ở chỗ cần kiểu {expected}.", actual=actual,
                         expected=expected)
        self.actual = actual
        self.expected = expected


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A FEEL years-and-months duration, kept as a whole number of months (P1Y2M = 14)."""

    months: int

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        return f"{sign}P{years}Y{months}M"


def normalize_type_ref(raw: str | None) -> tuple[str | None, bool]:
    """(canonical typeRef or None, known). A QName prefix (`feel:number`) is dropped; an unknown type (an item
    definition, a Java class) is accepted as "no typeRef" and reported by lint, as Camunda 7 does."""
    if not raw:
        return None, True
    name = raw.strip()
    if ":" in name and not name.startswith("date and"):
        name = name.rsplit(":", 1)[1]
    if name in TYPE_REFS:
        return name, True
    lowered = name.lower()
    for known in TYPE_REFS:
        if known.lower() == lowered:
            return known, True
    return None, False


def kind_of(value: Any) -> str:
    """The FEEL kind of a Python value."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, date):  # datetime is a date
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, timedelta):
        return "duration"
    if isinstance(value, YearsMonths):
        return "ym"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def normal(value: Any, kind: str) -> Any:
    """`value` (of FEEL kind `kind`) in the normal form tests compare."""
    if kind == "number":
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise FeelTypeError("NaN" if value != value else "vô cực", "number")
            return Decimal(repr(value))
        return value
    if kind == "date":
        if not isinstance(value, datetime):
            return datetime.combine(value, time())
        return value.replace(tzinfo=None) if value.tzinfo else value
    if kind == "time":
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def parse_iso(text: str) -> date | datetime:
    """A Camunda date ("2026-01-02T00:00:00") or an ISO date; ValueError otherwise."""
    if "T" in text:
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text)
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_time(text: str) -> time:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if not re.fullmatch(r"\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?", text):
        raise ValueError(text)
    return time.fromisoformat(text)


_DAY_TIME = re.compile(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_YEAR_MONTH = re.compile(r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?")


def parse_duration(text: str) -> timedelta | YearsMonths:
    """An ISO 8601 duration as FEEL reads it: P1Y2M is years-and-months, P1DT2H (or PT90M) days-and-time."""
    match = _YEAR_MONTH.fullmatch(text)
    if match and (match[2] or match[3]):
        months = int(match[2] or 0) * 12 + int(match[3] or 0)
        return YearsMonths(-months if match[1] else months)
    match = _DAY_TIME.fullmatch(text)
    if match and any(match[i] for i in range(2, 6)) and not text.endswith("T"):
        delta = timedelta(days=int(match[2] or 0), hours=int(match[3] or 0), minutes=int(match[4] or 0),
                          seconds=float(match[5] or 0))
        return -delta if match[1] else delta
    raise ValueError(text)


def _from_string(value: str, want: str, type_ref: str) -> Any:
    """A string given for a date, time or duration column (JSON has no such types), parsed; FeelTypeError else."""
    try:
        if want == "date":
            return parse_iso(value)
        if want == "time":
            return parse_time(value)
        parsed = parse_duration(value)
    except ValueError:
        raise FeelTypeError(f"string (không phải {type_ref} ISO 8601)", type_ref) from None
    if kind_of(parsed) != want:
        raise FeelTypeError(kind_of(parsed), type_ref)
    return parsed


def coerce_input(value: Any, type_ref: str | None) -> tuple[Any, str]:
    """Check `value` against the input's (canonical) typeRef and return it in normal form with its kind."""
    exact = type(value)  # fast paths for the common cells: text and yes/no columns
    if exact is str and type_ref == "string":
        return value, "string"
    if exact is bool and type_ref == "boolean":
        return value, "boolean"
    kind = kind_of(value)
    if kind == "null":
        return None, "null"
    if type_ref is None:
        return normal(value, kind), kind
    want = TYPE_REFS[type_ref]
    if kind == "string" and want in ("date", "time", "duration", "ym"):
        value = _from_string(value, want, type_ref)
        kind = kind_of(value)
    if kind != want:
        raise FeelTypeError(kind, type_ref)
    if type_ref in _INT_RANGES:
        if not isinstance(value, int):
            if value != value or value in (float("inf"), float("-inf")) or value != int(value):
                raise FeelTypeError("number (không phải số nguyên)", type_ref)
            value = int(value)
        low, high = _INT_RANGES[type_ref]
        if not low <= value <= high:
            raise FeelTypeError("number (vượt giới hạn)", type_ref)
        return value, kind
    return normal(value, kind), kind


def coerce_value(value: Any, kind: str, type_ref: str | None) -> Any:
    """The value an output entry yields, typed by the output's typeRef; FeelTypeError when it cannot be."""
    if kind == "null":
        return None
    if type_ref is None:
        if kind == "number":
            return int(value) if value == int(value) else float(value)
        return value
    want = TYPE_REFS[type_ref]
    if want in ("date", "time", "duration", "ym") and kind == "string":
        value = _from_string(value, want, type_ref)
        kind = kind_of(value)
    if kind != want:
        raise FeelTypeError(kind, type_ref)
    if type_ref in _INT_RANGES:
        if value != int(value):
            raise FeelTypeError("number (không phải số nguyên)", type_ref)
        low, high = _INT_RANGES[type_ref]
        if not low <= int(value) <= high:
            raise FeelTypeError("number (vượt giới hạn)", type_ref)
        return int(value)
    if type_ref == "double":
        return float(value)
    if type_ref == "number":  # exact: 64.32 stays Decimal("64.32"), 5 stays 5
        if isinstance(value, float):
            value = Decimal(repr(value))
        return int(value) if value == int(value) else value
    return value
