"""Deployed definitions: BPMN diagrams, Camunda Forms, DMN decisions — versioned by content hash, loaded once.

`deploy` reads files, checks each one and the references between them (a user task's form, a business rule task's
decision, the variables a gateway condition reads), then stores what changed. Parsed objects are cached per content
hash, so every case on a version shares one parsed definition.
"""

from __future__ import annotations

import hashlib

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from engine.errors import InvalidInput, NotFound
from engine.limits import DEFAULT as DEFAULT_LIMITS, Limits, check_form_depth, check_json_depth, check_xml_shape, read_bounded
from engine.workflow_cache import DEFINITIONS

if TYPE_CHECKING:  # each loader is imported by the function that uses it (start-up time)
    from engine.forms.model import Form
    from engine.rules.dmn import DmnModel

# What the engine itself puts into every case's data at start: conditions may read these without a form.
START_VARIABLES = frozenset({
    "case_id", "procedure_code", "applicant_name", "received_at", "transferred_at", "due_at", "apology_at",
})
KINDS = {".bpmn": "bpmn", ".form": "form", ".dmn": "dmn"}
CATALOG_NAME = "catalog.json"

_forms = DEFINITIONS.forms  # content hash -> parsed form (engine.workflow_cache.DefinitionsCache)
_dmn = DEFINITIONS.decisions  # content hash -> parsed DMN model


def load_form_cached(content: bytes, filename: str) -> Form:
    from engine.forms import load_form

    digest = hashlib.sha256(content).hexdigest()  # engine.runtime.content_hash, without loading the runtime
    if digest not in _forms:
        _forms[digest] = load_form(content, filename)
    return _forms[digest]


def load_dmn_cached(content: bytes, filename: str) -> DmnModel:
    from engine.rules import load_dmn

    digest = hashlib.sha256(content).hexdigest()  # engine.runtime.content_hash, without loading the runtime
    if digest not in _dmn:
        _dmn[digest] = load_dmn(content, filename)
    return _dmn[digest]


def cached_model(kind: str, digest: str) -> Form | DmnModel | None:
    """A form or decision model already parsed in this process, by content hash; None if not yet."""
    return (_forms if kind == "form" else _dmn).get(digest)


@dataclass
class SourceFile:
    path: Path
    kind: str  # bpmn | form | dmn | catalog
    content: bytes


def collect(paths: Iterable[Path], limits: Limits = DEFAULT_LIMITS) -> list[SourceFile]:
    """The deployable files under `paths`, each within `limits` (size before reading, shape before parsing)."""
    found: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise NotFound(f"Không tìm thấy '{path}'.", path=str(path))
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in candidates:
            kind = KINDS.get(file.suffix.lower()) or ("catalog" if file.name == CATALOG_NAME else None)
            if kind is None:
                if not path.is_dir():
                    raise InvalidInput(
                        f"Tệp '{file}' không phải .bpmn, .form, .dmn hay {CATALOG_NAME}.", path=str(file))
                continue
            content = read_bounded(file, limits)
            if kind in ("bpmn", "dmn"):
                check_xml_shape(content, str(file), limits)
            elif kind == "form":
                _check_form_shape(content, str(file), limits)
            found.append(SourceFile(file, kind, content))
    if not found:
        raise InvalidInput("Không có tệp .bpmn, .form hay .dmn nào để triển khai.")
    return found


def _check_form_shape(content: bytes, filename: str, limits: Limits) -> None:
    from engine.forms.json_text import read_json_object

    raw = read_json_object(content, f"Biểu mẫu '{filename}'", max_bytes=limits.max_json_bytes, file=filename)
    check_json_depth(raw, f"Biểu mẫu '{filename}'", limits, file=filename)
    check_form_depth(raw, filename, limits)


def parse_catalog(content: bytes, filename: str) -> list[dict]:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"Danh mục '{filename}' không phải JSON UTF-8 hợp lệ: {exc}.", file=filename) from exc
    except RecursionError:
        raise InvalidInput(f"Danh mục '{filename}' có cấu trúc JSON lồng nhau quá sâu.", file=filename) from None
    check_json_depth(data, f"Danh mục '{filename}'", file=filename)
    entries = data.get("procedures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f"Danh mục '{filename}' thiếu danh sách 'procedures'.", file=filename)
    rows = []
    for i, entry in enumerate(entries, 1):
        try:
            total = Decimal(str(entry["total_working_days"]))
            rows.append({
                "code": str(entry["code"]),
                "name": str(entry["name"]),
                "field": str(entry["field"]),
                "field_name": entry.get("field_name"),
                "process_id": str(entry["process_id"]),
                "internal_procedure": entry.get("internal_procedure"),
                "total_working_days": total,
                "code_source": entry.get("code_source", "national"),
                "reception_decision": entry.get("reception_decision"),
                "legal_basis": entry.get("legal_basis"),
            })
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise InvalidInput(f"Danh mục '{filename}', mục thứ {i}: thiếu hoặc sai trường ({exc}).", file=filename) from exc
    return rows


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None
