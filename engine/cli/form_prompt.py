"""Walking an operator through a form on a terminal, for `tthc complete` without --data.

Each field is asked once, with its label, description, numbered choices and the default in brackets (Enter keeps it,
"-" clears an optional field). An answer is checked with the same rules as `validate_submission` and re-asked with
the Vietnamese problem until it is acceptable. Plain readline/write on the given streams, so that a pseudo-terminal
test (or a pipe) can drive it; end of input cancels.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import typer

from engine.forms import Field, Form, check_value, to_plain
from engine.forms.values import format_number

CLEAR = "-"
_ABSENT = object()

_FORMAT_HINTS = {
    "date": "YYYY-MM-DD hoặc DD/MM/YYYY",
    "time": "HH:MM",
    "datetime": "YYYY-MM-DD HH:MM hoặc DD/MM/YYYY HH:MM",
}


def prompt_form(
    form: Form,
    defaults: Mapping[str, Any],
    *,
    input: TextIO | None = None,  # noqa: A002 - the names the CLI layer was promised
    output: TextIO | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Ask every writable field; return plain JSON-able answers keyed by field key, ready for validate_submission.

    `defaults` (flat dotted keys or nested objects, e.g. the case's current values) override the form's defaultValue.
    """
    source = input if input is not None else sys.stdin
    sink = output if output is not None else sys.stdout
    sink.write(f"Biểu mẫu '{form.id}': nhấn Enter để giữ giá trị trong [ ], nhập '{CLEAR}' để bỏ trống, "
               "Ctrl+D để hủy.\n")
    answers: dict[str, Any] = {}
    for field in form.fields:
        if field.readonly:
            continue  # filled from the form's default by validate_submission
        default = _lookup(defaults, field.key)
        if default is _ABSENT or default is None:
            default = field.default
        value = _ask(field, default, source, sink, today)
        if value is not None:
            answers[field.key] = to_plain(value)
    return answers


def _ask(field: Field, default: Any, source: TextIO, sink: TextIO, today: dt.date | None) -> Any:
    sink.write("\n")
    if field.description:
        sink.write(f"  {field.description}\n")
    for number, (_, label) in enumerate(field.values, start=1):
        sink.write(f"  {number}. {label}\n")
    while True:
        sink.write(_question(field, default))
        sink.flush()
        line = source.readline()
        if not line:
            sink.write("\n")
            raise typer.Abort()
        value, problems = check_value(field, _interpret(field, line.rstrip("\r\n"), default), today=today)
        if not problems:
            return value
        sink.write(f"  ✗ {field.label}: {'; '.join(problems)}\n")


def _question(field: Field, default: Any) -> str:
    hint = _hint(field)
    shown = _show(field, default)
    return (
        f"{field.label}{' *' if field.required else ''}"
        f"{f' ({hint})' if hint else ''}"
        f"{f' [{shown}]' if shown else ''}: "
    )


def _hint(field: Field) -> str:
    if field.type == "checkbox":
        return "c/k"
    if field.type in ("select", "radio"):
        return f"chọn 1–{len(field.values)}"
    if field.type in ("checklist", "taglist"):
        return "chọn nhiều: các số cách nhau bởi dấu phẩy"
    if field.type == "datetime":
        return _FORMAT_HINTS[field.subtype or "date"]
    if field.type == "number" and (field.minimum is not None or field.maximum is not None):
        low = format_number(field.minimum) if field.minimum is not None else ""
        high = format_number(field.maximum) if field.maximum is not None else ""
        return f"{low}–{high}"
    return ""


def _show(field: Field, value: Any) -> str:
    if value is None:
        return ""
    if field.type == "checkbox":
        return "c" if value is True else "k"
    if field.type in ("select", "radio"):
        return field.value_label(str(value))
    if field.type in ("checklist", "taglist") and isinstance(value, (list, tuple)):
        return ", ".join(field.value_label(str(v)) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return str(to_plain(value))


def _interpret(field: Field, text: str, default: Any) -> Any:
    """Answer text → the raw value the checks take: Enter keeps the default, numbers pick choices."""
    stripped = text.strip()
    if not stripped:
        return default
    if stripped == CLEAR:
        return None
    if field.type in ("select", "radio"):
        return _choice(field, stripped)
    if field.type in ("checklist", "taglist"):
        return [_choice(field, item.strip()) for item in stripped.split(",") if item.strip()]
    return text


def _choice(field: Field, text: str) -> str:
    if text.isdigit() and 1 <= int(text) <= len(field.values):
        return field.values[int(text) - 1][0]
    return text


def _lookup(values: Mapping[str, Any], key: str) -> Any:
    if key in values:
        return values[key]
    node: Any = values
    for name in key.split("."):
        if not isinstance(node, Mapping) or name not in node:
            return _ABSENT
        node = node[name]
    return node
