"""The shape of a `.form` file as Camunda Modeler saves it, checked with jsonschema before any meaning is read.

Unknown properties are allowed: newer Modeler releases add some, and the engine ignores what it does not use.
Field names follow form-js's own JSON schema (packages/form-json-schema).
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_NUMBER_OR_TEXT = {"type": ["number", "string"]}
_COUNT_OR_TEXT = {"type": ["integer", "string"]}
_BOOL_OR_EXPRESSION = {"type": ["boolean", "string"]}

COMPONENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "id": {"type": "string", "minLength": 1},
        "key": {"type": "string", "pattern": r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"},
        "path": {"type": "string", "pattern": r"^([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)?$"},
        "label": {"type": "string"},
        "dateLabel": {"type": "string"},
        "timeLabel": {"type": "string"},
        "description": {"type": "string"},
        "text": {"type": "string"},
        "subtype": {"enum": ["date", "time", "datetime"]},
        "decimalDigits": {"type": "integer", "minimum": 0},
        "increment": _NUMBER_OR_TEXT,
        "readonly": _BOOL_OR_EXPRESSION,
        "disabled": _BOOL_OR_EXPRESSION,
        "disallowPassedDates": {"type": "boolean"},
        "validate": {
            "type": "object",
            "properties": {
                "required": {"type": "boolean"},
                "min": _NUMBER_OR_TEXT,
                "max": _NUMBER_OR_TEXT,
                "minLength": _COUNT_OR_TEXT,
                "maxLength": _COUNT_OR_TEXT,
                "pattern": {"type": "string"},
                "validationType": {"enum": ["email", "phone", "custom", "", None]},
            },
        },
        "values": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "value"],
                "properties": {"label": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "layout": {
            "type": "object",
            "properties": {"row": {"type": "string"}, "columns": {"type": ["integer", "null"]}},
        },
        "conditional": {"type": "object"},
        "components": {"type": "array", "items": {"$ref": "#/$defs/component"}},
    },
}

FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "components"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "type": {"const": "default"},
        "schemaVersion": {"type": "integer", "minimum": 1},
        "executionPlatform": {"type": "string"},
        "executionPlatformVersion": {"type": "string"},
        "exporter": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
        "components": {"type": "array", "items": {"$ref": "#/$defs/component"}},
    },
    "$defs": {"component": COMPONENT_SCHEMA},
}

_VALIDATOR = Draft202012Validator(FORM_SCHEMA)

_JSON_TYPES_VI = {
    "string": "chuỗi", "number": "số", "integer": "số nguyên", "boolean": "đúng/sai",
    "array": "danh sách", "object": "đối tượng", "null": "null",
}


def structure_problem(raw: Any) -> tuple[str, str] | None:
    """The first structural problem as (where, what) in Vietnamese, or None when the shape is right."""
    errors = sorted(_VALIDATOR.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return None
    error = errors[0]
    return _locate(raw, list(error.absolute_path)), _explain(error)


def _locate(raw: Any, path: list[Any]) -> str:
    """Name the innermost component on the path by its id (or position), then the property inside it."""
    where = "biểu mẫu"
    node: Any = raw
    rest: list[str] = []
    for step in path:
        node = node[step] if isinstance(node, (dict, list)) else None
        rest.append(str(step))
        if isinstance(node, dict) and len(rest) >= 2 and rest[-2] == "components":
            ident = node.get("id")
            where = f"thành phần '{ident}'" if isinstance(ident, str) and ident else f"thành phần ở vị trí {step}"
            rest = []
    if rest:
        where += f", thuộc tính '{'.'.join(rest)}'"
    return where


def _explain(error: ValidationError) -> str:
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"thiếu thuộc tính bắt buộc '{missing[0] if missing else error.validator_value[0]}'"
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "phải có kiểu " + " hoặc ".join(_JSON_TYPES_VI.get(t, t) for t in expected)
    if kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        return "phải là một trong: " + ", ".join(repr(o) for o in options)
    if kind == "pattern":
        return "sai định dạng (chỉ gồm chữ cái Latin không dấu, chữ số, '_' và dấu chấm phân cách)"
    if kind in ("minimum", "minLength"):
        return f"phải ≥ {error.validator_value}" if kind == "minimum" else "không được để trống"
    return "không đúng cấu trúc của Camunda Form"
