"""Camunda 7 generated task forms (`camunda:formData`) read into the engine's form model (engine.forms.model), so
they are validated, shown by `tthc form` and prompted for by the CLI exactly like a Camunda Form.

Types: string, long, boolean, date (a day, as Camunda 7's `dd/MM/yyyy` date fields), enum (its `camunda:value`s).
Constraints (`camunda:validation`): required, minlength, maxlength, min, max, readonly. A default value is a literal
typed like a submitted value. What cannot be checked without running code (custom types, `validator` constraints,
`${...}` defaults) is refused at deploy with the field named.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidInput
from engine.forms.model import Field, Form
from engine.forms.values import check_value, is_empty, nfc

if TYPE_CHECKING:  # annotations only
    from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
TYPES = {"string": "textfield", "long": "number", "boolean": "checkbox", "date": "datetime", "enum": "select"}
CONSTRAINTS = ("required", "minlength", "maxlength", "min", "max", "readonly")


def _number(name: str, text: str | None, field_id: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise InvalidInput(f"trường '{field_id}': ràng buộc {name} cần một số nguyên, không phải '{text}'",
                           field=field_id) from None


def _field(node) -> Field:
    fid = node.get("id")
    if not fid or fid.startswith("__"):
        raise InvalidInput(f"một trường của camunda:formData có mã không hợp lệ ('{fid or ''}')")
    kind = node.get("type") or "string"
    if kind not in TYPES:
        raise InvalidInput(f"trường '{fid}': kiểu '{kind}' không được hỗ trợ ({', '.join(TYPES)})", field=fid)
    rules: dict[str, Any] = {}
    for constraint in node.findall(f"{{{CAMUNDA}}}validation/{{{CAMUNDA}}}constraint"):
        name = constraint.get("name")
        if name not in CONSTRAINTS:
            raise InvalidInput(f"trường '{fid}': ràng buộc '{name}' cần chạy mã (validator) hoặc không có trong "
                               f"Camunda 7; hãy dùng {', '.join(CONSTRAINTS)}", field=fid)
        rules[name] = constraint.get("config")
    values = [(v.get("id"), nfc(v.get("name") or v.get("id"))) for v in node.findall(f"{{{CAMUNDA}}}value")]
    if kind == "enum" and not values:
        raise InvalidInput(f"trường '{fid}' kiểu enum chưa có giá trị nào (camunda:value)", field=fid)
    field = Field(
        key=fid, label=nfc(node.get("label") or fid), type=TYPES[kind], required="required" in rules,
        values=values if kind == "enum" else [],
        minimum=_number("min", rules["min"], fid) if "min" in rules else None,
        maximum=_number("max", rules["max"], fid) if "max" in rules else None,
        min_length=_number("minlength", rules["minlength"], fid) if "minlength" in rules else None,
        max_length=_number("maxlength", rules["maxlength"], fid) if "maxlength" in rules else None,
        subtype="date" if kind == "date" else None, decimal_digits=0 if kind == "long" else None,
        readonly="readonly" in rules, component_id=fid,
    )
    default = node.get("defaultValue")
    if is_empty(default):
        return field
    if default.strip().startswith(("${", "#{")):
        raise InvalidInput(f"trường '{fid}': giá trị mặc định là biểu thức, chưa được hỗ trợ; hãy ghi một giá trị",
                           field=fid)
    raw: Any = default
    if kind == "boolean":
        raw = default.strip().lower() == "true"
    value, problems = check_value(replace(field, required=False), raw)
    if problems:
        raise InvalidInput(f"trường '{fid}': giá trị mặc định '{default}' không hợp lệ: {'; '.join(problems)}",
                           field=fid)
    return replace(field, default=value)


def form_of(task: etree._Element, filename: str) -> Form | None:
    """The generated form of a user task element, or None when it has no `camunda:formData`."""
    found = task.find(f"{{*}}extensionElements/{{{CAMUNDA}}}formData")
    if found is None:
        return None
    fields = [_field(node) for node in found.findall(f"{{{CAMUNDA}}}formField")]
    keys = [f.key for f in fields]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise InvalidInput(f"trường '{duplicate}' bị khai báo hai lần", field=duplicate)
    return Form(id=task.get("id"), filename=filename, fields=fields, raw={})
