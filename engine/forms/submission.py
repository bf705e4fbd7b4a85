"""Checking what an operator submits for a form: every problem at once, typed values out, nothing partial.

Order of steps: spread nested objects and dotted keys over the form's keys (unknown keys are problems) → for each field
in document order take the submitted value, or the form's defaultValue when the key is absent → type and check it →
either raise one InvalidInput listing every problem, or return the typed values nested by key path.

Defaults: Camunda's viewer pre-fills a form with `defaultValue`, so an operator who does not touch a field submits the
default. The engine does the same for absent keys (required or not) so that gateways always see a value; an explicit
null or empty text means "empty" and does not take the default. An absent checkbox is false and an absent checklist
is an empty list, as in form-js.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from engine.errors import InvalidInput
from engine.forms.json_text import read_json_object
from engine.forms.model import Field, Form
from engine.forms.values import check_value, empty_value

_ABSENT = object()


def parse_submission_text(raw: bytes, source: str, *, max_bytes: int | None = None) -> dict:
    """Submitted data as JSON text (from --data or a file) → dict; `source` names where it came from."""
    bound = {} if max_bytes is None else {"max_bytes": max_bytes}
    return read_json_object(raw, f"Dữ liệu biểu mẫu từ '{source}'", source=source, **bound)


def validate_submission(form: Form, data: Mapping, *, today: dt.date | None = None) -> dict:
    """Typed, NFC-normalised values for `form`, or InvalidInput naming every problem with its field label.

    `today` (from the injected clock) enables `disallowPassedDates`; without it that rule is not checked.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(f"Dữ liệu cho biểu mẫu '{form.id}' phải là một đối tượng JSON ({{...}}).", form=form.id)
    problems: list[dict[str, str]] = []
    submitted = _spread(form, data, problems)
    result: dict[str, Any] = {}
    for field in form.fields:
        raw = submitted.get(field.key, _ABSENT)
        if field.readonly:
            if raw is not _ABSENT:
                problems.append(_problem(field.key, field.label, "là trường chỉ đọc, không được nhập"))
            raw = _ABSENT
        if raw is _ABSENT:
            raw = field.default if field.default is not None else empty_value(field)
        value, field_problems = check_value(field, raw, today=today)
        problems.extend(_problem(field.key, field.label, p) for p in field_problems)
        if not field_problems and value is not None:
            _place(result, field.key, value)
    if problems:
        listed = "; ".join(f"{p['label']}: {p['problem']}" for p in problems)
        raise InvalidInput(f"Biểu mẫu '{form.id}': {listed}.", form=form.id, problems=problems)
    return result


def _problem(key: str, label: str, problem: str) -> dict[str, str]:
    return {"key": key, "label": label, "problem": problem}


def _spread(form: Form, data: Mapping, problems: list[dict[str, str]]) -> dict[str, Any]:
    """Flatten {"a": {"b": 1}} and {"a.b": 1} alike onto the form's dotted keys."""
    keys = {f.key for f in form.fields}
    parents = {".".join(f.key.split(".")[:end]) for f in form.fields for end in range(1, f.key.count(".") + 1)}
    flat: dict[str, Any] = {}

    def walk(node: Mapping, prefix: str) -> None:
        for name, value in node.items():
            key = prefix + str(name)
            if key in keys:
                if key in flat:
                    problems.append(_problem(key, _label(form, key), "được nhập hai lần"))
                flat[key] = value
            elif key in parents and isinstance(value, Mapping):
                walk(value, key + ".")
            else:
                problems.append(_problem(key, f"khóa '{key}'", "không có trong biểu mẫu"))

    walk(data, "")
    return flat


def _label(form: Form, key: str) -> str:
    field: Field | None = form.field(key)
    return field.label if field else key


def _place(result: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = result
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value
