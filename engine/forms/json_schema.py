"""A form as JSON Schema (draft 2020-12): the canonical JSON a client may submit, for API users and editors.

The schema describes canonical values (numbers as numbers, ISO dates as text); `validate_submission` is more lenient
on input (it also accepts "3", "có", "02/03/2026" typed on a terminal) and is the authority on what gets recorded.
A field that has a defaultValue is not listed as required, because the engine applies the default when it is absent.
"""

from __future__ import annotations

from typing import Any

from engine.forms.model import Field, Form
from engine.forms.values import to_plain

_DATETIME_FORMATS = {"date": "date", "datetime": "date-time"}
# RFC 3339 "time" demands an offset; form-js (no_timezone) and the engine allow a local time without one.
_TIME_PATTERN = r"^[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?$"


def form_json_schema(form: Form) -> dict[str, Any]:
    root: dict[str, Any] = _object_schema()
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["$id"] = f"urn:tthc:form:{form.id}"
    root["title"] = form.id
    for field in form.fields:
        *parents, leaf = field.key.split(".")
        node = root
        for name in parents:
            node = node["properties"].setdefault(name, _object_schema())
        node["properties"][leaf] = field_json_schema(field)
        if field.required and field.default is None:
            node["required"].append(leaf)
    return root


def _object_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def field_json_schema(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": field.label}
    if field.description:
        schema["description"] = field.description
    if field.default is not None:
        schema["default"] = to_plain(field.default)
    if field.readonly:
        schema["readOnly"] = True
    schema.update(_value_schema(field))
    return schema


def _value_schema(field: Field) -> dict[str, Any]:
    choices = [value for value, _ in field.values]
    if field.type in ("textfield", "textarea"):
        schema: dict[str, Any] = {"type": "string"}
        limits = {"minLength": field.min_length, "maxLength": field.max_length, "pattern": field.pattern}
        schema.update({name: value for name, value in limits.items() if value is not None})
        if field.validation_type == "email":
            schema["format"] = "email"
        return schema
    if field.type == "number":
        schema = {"type": "integer" if field.decimal_digits == 0 else "number"}
        limits = {"minimum": field.minimum, "maximum": field.maximum, "multipleOf": field.increment}
        schema.update({name: value for name, value in limits.items() if value is not None})
        return schema
    if field.type == "checkbox":
        return {"type": "boolean", "const": True} if field.required else {"type": "boolean"}
    if field.type in ("select", "radio"):
        return {"type": "string", "enum": choices}
    if field.type in ("checklist", "taglist"):
        schema = {"type": "array", "items": {"type": "string", "enum": choices}, "uniqueItems": True}
        if field.required:
            schema["minItems"] = 1
        return schema
    if field.subtype == "time":
        return {"type": "string", "pattern": _TIME_PATTERN}
    return {"type": "string", "format": _DATETIME_FORMATS[field.subtype or "date"]}
