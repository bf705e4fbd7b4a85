"""Import published procedure tables: read → check → build processes → draw → write, all or nothing.

Everything is built in memory first, so a refused input (or `--strict` with warnings) leaves the output directory as
it was. Output is deterministic: the same input gives byte-identical files, which is how the library in `bpmn/` is
kept reproducible from `tests/fixtures/seed004.txt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidInput
from engine.importer.bpmn_writer import write_bpmn
from engine.importer.catalog import CatalogEntry, catalog_entries, procedure_codes, render_catalog
from engine.importer.checks import ImportWarning, check_document, check_duplicate_names
from engine.importer.lanes import PerformerRules
from engine.importer.layout import layout
from engine.importer.process_graph import RoleStep, build_process, format_days, map_steps
from engine.importer.text_tables import ProcedureDocument, read_procedure_file

CATALOG_FILE = "catalog.json"


@dataclass(frozen=True)
class ProcessFile:
    process_id: str
    name: str
    file_name: str  # "<process id>.bpmn"
    content: bytes
    codes: tuple[str, ...]
    total_working_days: str


@dataclass(frozen=True)
class ImportPlan:
    """What an import would write, and what it found wrong, before anything is written."""

    documents: tuple[ProcedureDocument, ...]
    processes: tuple[ProcessFile, ...]
    entries: tuple[CatalogEntry, ...]
    catalog: bytes
    warnings: tuple[ImportWarning, ...]


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    files: tuple[Path, ...]  # the BPMN files, then the catalog

    def to_dict(self) -> dict[str, object]:
        return {
            "procedures": [entry.to_dict() for entry in self.plan.entries],
            "files": [str(path) for path in self.files],
            "warnings": [warning.to_dict() for warning in self.plan.warnings],
        }


def plan_import(paths: list[Path], rules: PerformerRules | None = None) -> ImportPlan:
    if not paths:
        raise InvalidInput("Chưa chỉ ra tệp quy trình nào để nhập.")
    rules = rules or PerformerRules.load()
    documents = [read_procedure_file(Path(path), rules) for path in paths]
    processes: list[ProcessFile] = []
    entries: list[CatalogEntry] = []
    warnings: list[ImportWarning] = []
    seen_process: dict[str, str] = {}
    seen_code: dict[str, str] = {}
    for doc in documents:
        roles: dict[str, tuple[RoleStep, ...]] = {}
        for procedure in doc.procedures:
            where = f"{doc.file_name} dòng {procedure.line}"
            if procedure.process_id in seen_process:
                raise InvalidInput(
                    f"{procedure.key} lĩnh vực {procedure.field.name} ({where}) đã có ở "
                    f"{seen_process[procedure.process_id]}: "
                    f"hai quy trình cùng mã {procedure.process_id}.",
                    file=doc.file_name,
                    line=procedure.line,
                )
            seen_process[procedure.process_id] = where
            for item, code in zip(procedure.items, procedure_codes(procedure)):
                if code.code in seen_code:
                    raise InvalidInput(
                        f"Mã TTHC {code.code} ở {doc.file_name} dòng {item.line} đã dùng ở {seen_code[code.code]}: "
                        "một mã chỉ thuộc một quy trình.",
                        file=doc.file_name,
                        line=item.line,
                    )
                seen_code[code.code] = f"{doc.file_name} dòng {item.line}"
            roles[procedure.process_id] = map_steps(procedure, rules, doc.file_name)
            codes = procedure_codes(procedure)
            graph = build_process(procedure, roles[procedure.process_id], codes, doc.file_name)
            processes.append(
                ProcessFile(
                    process_id=graph.process_id,
                    name=graph.name,
                    file_name=f"{graph.process_id}.bpmn",
                    content=write_bpmn(graph, layout(graph)),
                    codes=tuple(code.code for code in codes),
                    total_working_days=format_days(procedure.total.days),
                )
            )
            entries.extend(catalog_entries(procedure))
        warnings.extend(check_document(doc, rules, roles))
    duplicates = check_duplicate_names(documents)
    order = {doc.file_name: i for i, doc in enumerate(documents)}
    warnings = sorted(warnings + duplicates, key=lambda w: (order[w.file], w.line))
    return ImportPlan(
        documents=tuple(documents),
        processes=tuple(processes),
        entries=tuple(entries),
        catalog=render_catalog(entries, documents),
        warnings=tuple(warnings),
    )


def write_import(plan: ImportPlan, out_dir: Path) -> ImportResult:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(
            f"'{out_dir}' đã có và không phải là thư mục: không ghi được quy trình vào đó.", out=str(out_dir)
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for process in plan.processes:
            path = out_dir / process.file_name
            path.write_bytes(process.content)
            files.append(path)
        catalog_path = out_dir / CATALOG_FILE
        catalog_path.write_bytes(plan.catalog)
    except OSError as exc:
        raise InvalidInput(f"Không ghi được vào thư mục '{out_dir}': {exc.strerror}.", out=str(out_dir)) from exc
    return ImportResult(plan=plan, files=tuple(files) + (catalog_path,))


def import_procedures(
    paths: list[Path], out_dir: Path, *, strict: bool = False, rules: PerformerRules | None = None
) -> ImportResult:
    """Read, check and write; with `strict`, any warning stops the import before a file is written."""
    plan = plan_import(paths, rules)
    refuse_if_strict(plan, strict)
    return write_import(plan, out_dir)


def refuse_if_strict(plan: ImportPlan, strict: bool) -> None:
    if strict and plan.warnings:
        first = plan.warnings[0]
        raise InvalidInput(
            f"Không ghi tệp nào: dữ liệu nguồn có {len(plan.warnings)} cảnh báo và đã bật --strict "
            f"(đầu tiên: {first.file} dòng {first.line}, {first.code}).",
            warnings=[warning.to_dict() for warning in plan.warnings],
        )
