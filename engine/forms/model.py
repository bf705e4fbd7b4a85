"""What a loaded Camunda Form is to the engine: its data fields in document order, nothing about rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Components that bind a value to a variable, and the layout/display components that carry none.
DATA_TYPES = ("textfield", "textarea", "number", "select", "radio", "checkbox", "checklist", "taglist", "datetime")
DISPLAY_TYPES = ("text", "html", "spacer", "separator", "image", "button")
CONTAINER_TYPES = ("group",)
CHOICE_TYPES = ("select", "radio", "checklist", "taglist")
MULTI_CHOICE_TYPES = ("checklist", "taglist")
TEXT_TYPES = ("textfield", "textarea")
DATETIME_SUBTYPES = ("date", "time", "datetime")


@dataclass(frozen=True)
class Field:
    key: str  # full variable path: a group's `path` and the component's `key`, joined with dots
    label: str
    type: str
    required: bool = False
    description: str = ""
    default: Any = None  # typed like a submitted value (date, int, bool, list…), None when the form sets none
    values: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of choice components
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    subtype: str | None = None  # datetime only: date | time | datetime
    decimal_digits: int | None = None
    increment: int | float | None = None
    validation_type: str | None = None  # email | phone
    readonly: bool = False
    disallow_passed_dates: bool = False
    component_id: str = ""

    def value_label(self, value: str) -> str:
        return next((label for v, label in self.values if v == value), value)


@dataclass(frozen=True)
class Form:
    id: str
    filename: str
    fields: list[Field]
    raw: dict

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def provided_keys(self) -> set[str]:
        """The top-level variable names a completed form sets (a dotted key sets an object variable)."""
        return {f.key.split(".", 1)[0] for f in self.fields}

    def to_json_schema(self) -> dict:
        from engine.forms.json_schema import form_json_schema

        return form_json_schema(self)

    def describe(self) -> dict:
        """JSON-able view of what the form expects, for `tthc form TASK_ID --json`."""
        return {"id": self.id, "filename": self.filename, "fields": [describe_field(f) for f in self.fields]}


def describe_field(f: Field) -> dict:
    from engine.forms.values import to_plain

    limits = {
        "min": f.minimum,
        "max": f.maximum,
        "min_length": f.min_length,
        "max_length": f.max_length,
        "pattern": f.pattern,
        "validation_type": f.validation_type,
        "decimal_digits": f.decimal_digits,
        "increment": f.increment,
        "subtype": f.subtype,
    }
    return {
        "key": f.key,
        "label": f.label,
        "type": f.type,
        "required": f.required,
        "readonly": f.readonly,
        "description": f.description,
        "default": to_plain(f.default),
        "values": [{"value": v, "label": label} for v, label in f.values],
        "limits": {name: value for name, value in limits.items() if value is not None},
    }
