"""The project's own rules for Camunda Forms (`.form`, form-js JSON as Camunda Modeler saves it)."""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Iterator

from engine.errors import InvalidInput
from engine.limits import DEFAULT as DEFAULT_LIMITS, Limits, check_form_depth, check_json_depth
from engine.lint.header import check_platform
from engine.lint.report import Finding

# Components that submit a value and so need a key (the variable name the engine stores).
INPUT_TYPES = frozenset(
    {"textfield", "textarea", "number", "datetime", "checkbox", "checklist", "radio", "select", "taglist"}
)
# A dynamic list repeats its children, so their keys are scoped to the list, not the form.
SCOPED_CONTAINERS = frozenset({"dynamiclist"})


def check_form(content: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> tuple[list[Finding], list[str]]:
    """Findings and the names of the checks that ran."""
    checks = ["tthc:form-rules"]
    if len(content) > limits.max_json_bytes:
        message = (f"Biểu mẫu '{filename}' quá lớn ({len(content)} byte, tối đa {limits.max_json_bytes} byte; "
                   "giới hạn 'max_json_bytes' trong mục [limits] của cấu hình).")
        return [Finding("limits", None, message, None)], checks
    try:
        schema = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [Finding("form-json", None, f"Tệp '{filename}' không được mã hóa UTF-8.", None)], checks
    except json.JSONDecodeError as exc:
        message = f"Tệp '{filename}' không phải JSON hợp lệ (cột {exc.colno}): {exc.msg}."
        return [Finding("form-json", None, message, exc.lineno)], checks
    except RecursionError:
        message = f"Biểu mẫu '{filename}' có cấu trúc JSON lồng nhau quá sâu."
        return [Finding("limits", None, message, None)], checks
    try:
        # The rules below walk components recursively: bound the nesting first.
        check_json_depth(schema, f"Biểu mẫu '{filename}'", limits)
        check_form_depth(schema, filename, limits)
    except InvalidInput as err:
        return [Finding("limits", None, err.message, None)], checks
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        message = f"Tệp '{filename}' không phải biểu mẫu Camunda (thiếu danh sách components)."
        return [Finding("form-json", None, message, None)], checks

    findings = list(check_platform("form", filename, schema.get("executionPlatform"),
                                   schema.get("executionPlatformVersion"), None))
    if not isinstance(schema.get("id"), str) or not schema["id"].strip():
        findings.append(Finding("form-id", None, f"Biểu mẫu '{filename}' thiếu mã (id) ở cấp ngoài cùng.", None))
    findings.extend(_component_findings(schema["components"], filename))

    engine_check = _engine_loader()
    if engine_check is not None:
        checks.append("engine.forms.load_form")
        # The engine's loader repeats some of these checks in its own words; ask it only about files that pass ours.
        if not findings:
            try:
                engine_check(content, filename)
            except InvalidInput as err:
                findings.append(Finding("form-engine", None, err.message, None))
    return findings, checks


def _component_findings(components: list, filename: str) -> Iterator[Finding]:
    seen_ids: set[str] = set()

    def walk(items: list, keys: set[str]) -> Iterator[Finding]:
        for item in items:
            if not isinstance(item, dict):
                message = f"Biểu mẫu '{filename}' có thành phần không phải đối tượng JSON."
                yield Finding("form-component-id", None, message, None)
                continue
            component_id = item.get("id")
            if not isinstance(component_id, str) or not component_id.strip():
                yield Finding(
                    "form-component-id",
                    None,
                    f"Biểu mẫu '{filename}' có thành phần loại '{item.get('type')}' thiếu mã (id).",
                    None,
                )
            elif component_id in seen_ids:
                yield Finding(
                    "form-component-id",
                    component_id,
                    f"Biểu mẫu '{filename}' có hai thành phần cùng mã '{component_id}'.",
                    None,
                )
            else:
                seen_ids.add(component_id)
            key = item.get("key")
            if item.get("type") in INPUT_TYPES and (not isinstance(key, str) or not key.strip()):
                yield Finding(
                    "form-unique-key",
                    component_id,
                    f"Trường '{component_id}' của biểu mẫu '{filename}' thiếu khóa (key) để lưu giá trị.",
                    None,
                )
            elif isinstance(key, str) and key.strip():
                if key in keys:
                    yield Finding(
                        "form-unique-key",
                        component_id,
                        f"Biểu mẫu '{filename}' có hai trường cùng khóa '{key}' (trường '{component_id}').",
                        None,
                    )
                keys.add(key)
            children = item.get("components")
            if isinstance(children, list):
                yield from walk(children, set() if item.get("type") in SCOPED_CONTAINERS else keys)

    yield from walk(components, set())


def _engine_loader():
    """`engine.forms.load_form` when that module exists; imported here so lint works without it."""
    if importlib.util.find_spec("engine.forms") is None:
        return None
    module = importlib.import_module("engine.forms")
    return getattr(module, "load_form", None)
