"""Comparing what was stored with what a replay produced, value by value, and saying where they differ.

Stored values come back from two databases in slightly different shapes (NUMERIC(10,4) gives 0.2500, a JSON payload
keeps an ISO string where a replay holds a datetime), so values are compared by meaning: instants as instants,
numbers as numbers. Booleans stay booleans (True is not 1 here).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from engine.history import plain

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class Difference:
    where: str  # event | history | command | case | task | state: what was compared
    field: str
    stored: Any
    replayed: Any
    message: str  # one Vietnamese sentence
    seq: int | None = None  # the stored event concerned, for differences in the history itself
    task_id: str | None = None  # the stored task row concerned

    def to_dict(self) -> dict:
        return {"where": self.where, "field": self.field, "seq": self.seq, "task_id": self.task_id,
                "stored": plain(self.stored), "replayed": plain(self.replayed), "message": self.message}


def normalized(value: Any) -> Any:
    """A form of `value` in which equal meanings compare equal."""
    if isinstance(value, Mapping):
        return {str(k): normalized(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalized(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return _number(Decimal(str(value)))
    if isinstance(value, str):
        if _ISO_INSTANT.match(value):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return value
            return normalized(parsed)
        return value
    return value


def _number(value: Decimal) -> str:
    try:
        return format(value.normalize(), "f")
    except InvalidOperation:
        return str(value)


def same(a: Any, b: Any) -> bool:
    return normalized(a) == normalized(b)


def shown(value: Any) -> str:
    """A value as it appears in a difference message (JSON, readable Vietnamese)."""
    return json.dumps(plain(value), ensure_ascii=False, default=str)
