"""The procedure catalog (`bpmn/catalog.json`): every procedure code, its official name, field, process and time limit.

One internal procedure (one BPMN process) usually serves several procedures; the catalog is the index from a code to
its process. Procedures published without a code get a stable local key `<FIELD>.<QT number>[.<position in the
group>]` (e.g. CNS.02.1) with `"code_source": "local"`, so that cases can be opened for them today and re-keyed when a
national code appears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema

from engine.errors import InvalidInput, NotFound
from engine.importer.process_graph import ProcedureCode, format_days
from engine.importer.text_tables import InternalProcedure, ProcedureDocument

NATIONAL = "national"
LOCAL = "local"

_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "code",
        "code_source",
        "name",
        "field",
        "field_name",
        "process_id",
        "internal_procedure",
        "total_working_days",
        "legal_basis",
        "reception_decision",
    ],
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "code_source": {"enum": [NATIONAL, LOCAL]},
        "name": {"type": "string", "minLength": 1},
        "field": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "field_name": {"type": "string", "minLength": 1},
        "process_id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "internal_procedure": {"type": "string", "pattern": "^QT[0-9]+$"},
        "total_working_days": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
        "legal_basis": {"type": ["string", "null"]},
        "reception_decision": {"type": "string", "minLength": 1},
    },
}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["procedures"],
    "properties": {"procedures": {"type": "array", "items": _ENTRY_SCHEMA}, "source": {"type": "object"}},
}


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    code_source: str  # NATIONAL or LOCAL
    name: str
    field: str
    field_name: str
    process_id: str
    internal_procedure: str
    total_working_days: Decimal
    legal_basis: str | None
    reception_decision: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "code_source": self.code_source,
            "name": self.name,
            "field": self.field,
            "field_name": self.field_name,
            "process_id": self.process_id,
            "internal_procedure": self.internal_procedure,
            "total_working_days": format_days(self.total_working_days),
            "legal_basis": self.legal_basis,
            "reception_decision": self.reception_decision,
        }


def procedure_codes(procedure: InternalProcedure) -> list[ProcedureCode]:
    """The codes of a group's procedures, a local key standing in for each missing one."""
    prefix = f"{procedure.field.key.upper()}.{procedure.number}"
    codes = []
    for position, item in enumerate(procedure.items, 1):
        if item.code:
            codes.append(ProcedureCode(code=item.code, local=False, name=item.name))
        else:
            key = prefix if len(procedure.items) == 1 else f"{prefix}.{position}"
            codes.append(ProcedureCode(code=key, local=True, name=item.name))
    return codes


def catalog_entries(procedure: InternalProcedure) -> list[CatalogEntry]:
    return [
        CatalogEntry(
            code=code.code,
            code_source=LOCAL if code.local else NATIONAL,
            name=code.name,
            field=procedure.field.key,
            field_name=procedure.field.name,
            process_id=procedure.process_id,
            internal_procedure=procedure.key,
            total_working_days=procedure.total.days,
            legal_basis=procedure.legal_basis,
            reception_decision=f"reception_check_{procedure.field.key}",
        )
        for code in procedure_codes(procedure)
    ]


def render_catalog(entries: list[CatalogEntry], documents: list[ProcedureDocument]) -> bytes:
    source: dict[str, Any] = {
        "files": [
            {"file": doc.file_name, "sha256": doc.sha256, "title": doc.title, "approval": doc.approval}
            for doc in documents
        ]
    }
    if any(entry.code_source == LOCAL for entry in entries):
        source["local_codes"] = (
            "Thủ tục không có mã TTHC công bố được gán mã nội bộ <LĨNH VỰC>.<số quy trình>[.<thứ tự trong nhóm>] "
            "(code_source = \"local\"); thay bằng mã quốc gia khi được công bố."
        )
    document = {"procedures": [entry.to_dict() for entry in entries], "source": source}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load_catalog(path: Path) -> list[CatalogEntry]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy danh mục thủ tục '{path}'.", path=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"Không đọc được danh mục thủ tục '{path}': {exc.strerror}.", path=str(path)) from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"Danh mục thủ tục '{path}' không phải UTF-8.", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"Danh mục thủ tục '{path}' sai cú pháp JSON ở dòng {exc.lineno}: {exc.msg}.",
            path=str(path),
            line=exc.lineno,
        ) from exc
    try:
        jsonschema.validate(data, _SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(gốc)"
        raise InvalidInput(
            f"Danh mục thủ tục '{path}' không hợp lệ tại {where}: {exc.message}.", path=str(path), pointer=where
        ) from None
    entries = []
    seen: set[str] = set()
    for raw_entry in data["procedures"]:
        if raw_entry["code"] in seen:
            raise InvalidInput(
                f"Mã thủ tục {raw_entry['code']} xuất hiện hai lần trong danh mục '{path}'.",
                path=str(path),
                code=raw_entry["code"],
            )
        seen.add(raw_entry["code"])
        # The schema's pattern guarantees a plain decimal here.
        entries.append(CatalogEntry(**{**raw_entry, "total_working_days": Decimal(raw_entry["total_working_days"])}))
    return entries
