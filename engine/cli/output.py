"""Printing results and errors: results on stdout, diagnostics on stderr."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
from typing import Any, Callable

from rich.console import Console

from engine.errors import EngineError

stdout = Console(soft_wrap=True, highlight=False)
stderr = Console(stderr=True, soft_wrap=True, highlight=False)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=_default, indent=2)


def emit(data: Any, as_json: bool, render: Callable[[Console, Any], None]) -> None:
    """Print exactly one JSON document with --json, a human rendering otherwise."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        render(stdout, data)


def report_error(err: EngineError, as_json: bool) -> None:
    if as_json:
        sys.stderr.write(to_json(err.to_dict()) + "\n")
    else:
        stderr.print(f"Lỗi: {err.message}", markup=False)
