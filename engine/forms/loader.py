"""Reading Camunda Forms (`.form` JSON from Camunda Modeler) into `Form`, refusing what the engine cannot honour.

Order of checks: bytes → JSON → shape (jsonschema) → platform → each component in document order (type, id, key,
rules, choices, default) → keys unique across the form. The first problem stops loading: a form is fixed by its
designer once, and the message names the file and the component.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import regex

from engine.errors import InvalidInput, NotFound
from engine.forms.json_text import read_json_object
from engine.forms.model import (
    CHOICE_TYPES,
    CONTAINER_TYPES,
    DATA_TYPES,
    DISPLAY_TYPES,
    TEXT_TYPES,
    Field,
    Form,
)
from engine.forms.structure import structure_problem
from engine.forms.values import check_value, compile_pattern, is_empty, nfc, parse_decimal
from engine.limits import check_form_depth

EXECUTION_PLATFORM = "Camunda Platform"


def load_form(content: bytes, filename: str) -> Form:
    raw = read_json_object(content, f"Biểu mẫu '{filename}'", file=filename)
    check_form_depth(raw, filename)  # before the schema check and the reader, which both recurse per group
    problem = structure_problem(raw)
    if problem is not None:
        where, what = problem
        raise InvalidInput(f"Biểu mẫu '{filename}', {where}: {what}.", file=filename)
    platform = raw.get("executionPlatform")
    if platform is not None and platform != EXECUTION_PLATFORM:
        raise InvalidInput(
            f"Biểu mẫu '{filename}' được soạn cho nền tảng '{platform}'; công cụ chỉ nhận biểu mẫu "
            f"'{EXECUTION_PLATFORM}' (Camunda 7).",
            file=filename,
        )
    reader = _ComponentReader(filename)
    reader.read(raw["components"], prefix="")
    reader.check_keys()
    return Form(id=raw["id"], filename=filename, fields=reader.fields, raw=raw)


def load_form_file(path: Path) -> Form:
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy tệp biểu mẫu '{path}'.", file=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"Không đọc được tệp biểu mẫu '{path}': {exc.strerror}.", file=str(path)) from exc
    return load_form(content, Path(path).name)


def load_form_library(directory: Path) -> dict[str, Form]:
    """Every `*.form` of a directory by form id; the id must equal the file name, as diagrams reference it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise NotFound(f"Không tìm thấy thư mục biểu mẫu '{directory}'.", directory=str(directory))
    forms: dict[str, Form] = {}
    for path in sorted(directory.glob("*.form")):
        form = load_form_file(path)
        if form.id != path.stem:
            raise InvalidInput(
                f"Biểu mẫu '{path.name}' có id '{form.id}' khác tên tệp; hãy đặt id là '{path.stem}'.",
                file=path.name,
            )
        forms[form.id] = form
    return forms


class _ComponentReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.fields: list[Field] = []
        self._ids: set[str] = set()

    def fail(self, component: str, problem: str) -> InvalidInput:
        return InvalidInput(
            f"Biểu mẫu '{self.filename}', thành phần '{component}': {problem}.",
            file=self.filename,
            component=component,
        )

    def read(self, components: list[dict[str, Any]], prefix: str) -> None:
        for position, component in enumerate(components):
            ctype = component["type"]
            cid = component.get("id")
            if not cid:
                raise InvalidInput(
                    f"Biểu mẫu '{self.filename}': thành phần ở vị trí {position} (loại '{ctype}') "
                    "thiếu thuộc tính 'id'.",
                    file=self.filename,
                )
            if cid in self._ids:
                raise self.fail(cid, "id bị trùng với một thành phần khác")
            self._ids.add(cid)
            if ctype not in DATA_TYPES + DISPLAY_TYPES + CONTAINER_TYPES:
                supported = ", ".join(DATA_TYPES + DISPLAY_TYPES + CONTAINER_TYPES)
                raise self.fail(cid, f"loại '{ctype}' không được hỗ trợ (các loại được hỗ trợ: {supported})")
            # A FEEL condition decides whether a field is submitted at all; without a FEEL evaluator the engine
            # could demand a field the operator never sees, so such forms are refused rather than half-honoured.
            if (component.get("conditional") or {}).get("hide"):
                raise self.fail(cid, "có điều kiện ẩn (conditional.hide) bằng FEEL, công cụ chưa hỗ trợ")
            for flag in ("readonly", "disabled"):
                if isinstance(component.get(flag), str):
                    raise self.fail(cid, f"thuộc tính '{flag}' là biểu thức FEEL, công cụ chỉ nhận true/false")
            if ctype in CONTAINER_TYPES:
                path = component.get("path") or ""
                self.read(component.get("components", []), prefix + path + "." if path else prefix)
            elif ctype in DATA_TYPES and component.get("disabled") is not True:
                # form-js leaves disabled fields out of the submitted data.
                self.fields.append(self._field(component, cid, prefix))

    def _field(self, component: dict[str, Any], cid: str, prefix: str) -> Field:
        ctype = component["type"]
        if not component.get("key"):
            raise self.fail(cid, f"thành phần nhập liệu loại '{ctype}' thiếu thuộc tính 'key'")
        key = prefix + component["key"]
        if any(part.startswith("__") for part in key.split(".")):
            # Names like __class__ or __proto__ mean something to interpreters; a case variable never needs one.
            raise self.fail(cid, f"khóa '{key}' bắt đầu bằng '__', dạng tên dành riêng; hãy đặt tên khác")
        validate = component.get("validate") or {}
        subtype = component.get("subtype", "date") if ctype == "datetime" else None
        label = component.get("label")
        if ctype == "datetime":
            # form-js shows dateLabel and/or timeLabel instead of label on datetime components.
            parts = {"date": ("dateLabel",), "time": ("timeLabel",), "datetime": ("dateLabel", "timeLabel")}[subtype]
            label = " / ".join(component[name] for name in parts if component.get(name)) or label
        field = Field(
            key=key,
            label=nfc(label or component.get("label") or key),
            type=ctype,
            required=bool(validate.get("required", False)),
            description=nfc(component.get("description") or ""),
            values=self._values(component, cid),
            minimum=self._number_rule(validate, "min", cid, ctype),
            maximum=self._number_rule(validate, "max", cid, ctype),
            min_length=self._length_rule(validate, "minLength", cid, ctype),
            max_length=self._length_rule(validate, "maxLength", cid, ctype),
            pattern=self._pattern(validate, cid, ctype),
            subtype=subtype,
            decimal_digits=component.get("decimalDigits") if ctype == "number" else None,
            increment=self._increment(component, cid),
            validation_type=self._validation_type(validate, cid, ctype),
            readonly=component.get("readonly") is True,
            disallow_passed_dates=ctype == "datetime" and component.get("disallowPassedDates") is True,
            component_id=cid,
        )
        bounds = ((field.minimum, field.maximum, "min"), (field.min_length, field.max_length, "minLength"))
        for low, high, what in bounds:
            if low is not None and high is not None and low > high:
                raise self.fail(cid, f"giới hạn '{what}' lớn hơn giới hạn trên")
        return replace(field, default=self._default(component, field))

    def _number_rule(self, validate: dict[str, Any], name: str, cid: str, ctype: str) -> int | float | None:
        if validate.get(name) in (None, ""):
            return None
        if ctype != "number":
            raise self.fail(cid, f"quy tắc '{name}' chỉ áp dụng cho trường số")
        number = parse_decimal(validate[name])
        if number is None:
            raise self.fail(cid, f"quy tắc '{name}' phải là một số")
        return int(number) if number == number.to_integral_value() else float(number)

    def _length_rule(self, validate: dict[str, Any], name: str, cid: str, ctype: str) -> int | None:
        value = validate.get(name)
        if value in (None, ""):
            return None
        if ctype not in TEXT_TYPES:
            raise self.fail(cid, f"quy tắc '{name}' chỉ áp dụng cho trường văn bản")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or value < 0:
            raise self.fail(cid, f"quy tắc '{name}' phải là số nguyên không âm")
        return value

    def _pattern(self, validate: dict[str, Any], cid: str, ctype: str) -> str | None:
        pattern = validate.get("pattern")
        if not pattern:
            return None
        if ctype not in TEXT_TYPES:
            raise self.fail(cid, "quy tắc 'pattern' chỉ áp dụng cho trường văn bản")
        try:
            compile_pattern(pattern)
        except (re.error, regex.error) as exc:
            problem = f"biểu thức chính quy '{pattern}' không hợp lệ ({exc.msg}, vị trí {exc.pos})"
            raise self.fail(cid, problem) from None
        return pattern

    def _validation_type(self, validate: dict[str, Any], cid: str, ctype: str) -> str | None:
        kind = validate.get("validationType")
        if kind in (None, "", "custom"):
            return None
        if ctype not in TEXT_TYPES:
            raise self.fail(cid, f"kiểu kiểm tra '{kind}' chỉ áp dụng cho trường văn bản")
        return kind

    def _increment(self, component: dict[str, Any], cid: str) -> int | float | None:
        if component["type"] != "number" or component.get("increment") in (None, ""):
            return None
        step = parse_decimal(component["increment"])
        if step is None or step <= 0:
            raise self.fail(cid, "bước nhảy 'increment' phải là số dương")
        return int(step) if step == step.to_integral_value() else float(step)

    def _values(self, component: dict[str, Any], cid: str) -> list[tuple[str, str]]:
        if component["type"] not in CHOICE_TYPES:
            return []
        if component.get("valuesKey") or component.get("valuesExpression"):
            raise self.fail(cid, "lấy danh sách lựa chọn từ biến hoặc biểu thức, công cụ chỉ nhận danh sách cố định")
        values = [(nfc(v["value"]), nfc(v["label"])) for v in component.get("values", [])]
        if not values:
            raise self.fail(cid, "không có lựa chọn nào trong 'values'")
        seen: set[str] = set()
        for value, _ in values:
            if value in seen:
                raise self.fail(cid, f"giá trị lựa chọn '{value}' bị trùng")
            seen.add(value)
        return values

    def _default(self, component: dict[str, Any], field: Field) -> Any:
        raw = component.get("defaultValue")
        if is_empty(raw):
            return None
        value, problems = check_value(replace(field, required=False), raw)
        if problems:
            raise self.fail(field.component_id, f"giá trị mặc định không hợp lệ: {'; '.join(problems)}")
        return value

    def check_keys(self) -> None:
        owners: dict[str, str] = {}
        for field in self.fields:
            if field.key in owners:
                raise self.fail(field.component_id, f"khóa '{field.key}' trùng với thành phần '{owners[field.key]}'")
            owners[field.key] = field.component_id
        for field in self.fields:
            parts = field.key.split(".")
            for end in range(1, len(parts)):
                parent = ".".join(parts[:end])
                if parent in owners:
                    raise self.fail(
                        field.component_id,
                        f"khóa '{field.key}' nằm bên trong khóa '{parent}' của thành phần '{owners[parent]}'",
                    )
