"""Import published procedure tables: read → check → place the steps → build processes → draw → write.

Everything is built in memory first, so a refused input (or `--strict` with warnings) leaves the output directory as
it was. A procedure whose steps cannot be placed (a performer no rule or role pattern recognises, a table that breaks
the one-stop pattern) fails alone: it is reported with its line and the rule to add, the others are written, and the
command exits 4. Output is deterministic: the same input gives byte-identical files, which is how the library in `bpmn/` is
kept reproducible from `tests/fixtures/seed004.txt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InvalidInput
from engine.importer.bpmn_writer import write_bpmn
from engine.importer.catalog import CatalogEntry, catalog_entries, procedure_codes, render_catalog
from engine.importer.checks import ImportWarning, check_document, check_duplicate_names
from engine.importer.fields import FieldKeys, FieldResolver
from engine.importer.lanes import PerformerRules
from engine.importer.layout import layout
from engine.importer.one_stop import RoleStep, UnplacedProcedure, map_steps
from engine.importer.process_builder import build_process
from engine.importer.process_graph import format_days
from engine.importer.text_tables import InternalProcedure, ProcedureDocument, read_procedure_file

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
class ProcedureFailure:
    """A procedure the import could not place (its file and line, why, and the rule that would place it)."""

    code: str  # unknown_performer | pattern_mismatch
    file: str
    line: int
    process_id: str
    message_vi: str
    suggestion: str | None  # a [[lanes]] table for the rules file

    @classmethod
    def of(cls, unplaced: UnplacedProcedure, procedure: InternalProcedure, file_name: str) -> ProcedureFailure:
        return cls(
            code=unplaced.code,
            file=file_name,
            line=unplaced.line,
            process_id=procedure.process_id,
            message_vi=unplaced.message,
            suggestion=unplaced.suggestion,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "process_id": self.process_id,
            "message_vi": self.message_vi,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class ImportPlan:
    """What an import would write, and what it found wrong, before anything is written."""

    documents: tuple[ProcedureDocument, ...]
    processes: tuple[ProcessFile, ...]
    entries: tuple[CatalogEntry, ...]
    catalog: bytes
    warnings: tuple[ImportWarning, ...]
    failures: tuple[ProcedureFailure, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    files: tuple[Path, ...]  # the BPMN files, then the catalog

    def to_dict(self) -> dict[str, object]:
        return {
            "procedures": [entry.to_dict() for entry in self.plan.entries],
            "files": [str(path) for path in self.files],
            "warnings": [warning.to_dict() for warning in self.plan.warnings],
            "failed": [failure.to_dict() for failure in self.plan.failures],
        }


def plan_import(
    paths: list[Path], rules: PerformerRules | None = None, field_keys: FieldKeys | None = None
) -> ImportPlan:
    """Everything an import would write, with its warnings and the procedures it cannot place."""
    if not paths:
        raise InvalidInput("Chưa chỉ ra tệp quy trình nào để nhập.")
    rules = rules or PerformerRules.load()
    fields = FieldResolver(rules, field_keys)
    documents = [read_procedure_file(Path(path), fields) for path in paths]
    fields.check_all_used()
    _refuse_duplicates(documents)
    planned = [_plan_document(doc, rules) for doc in documents]
    entries = [entry for part in planned for entry in part.entries]
    order = {doc.file_name: i for i, doc in enumerate(documents)}
    warnings = [warning for part in planned for warning in part.warnings] + check_duplicate_names(documents)
    return ImportPlan(
        documents=tuple(documents),
        processes=tuple(process for part in planned for process in part.processes),
        entries=tuple(entries),
        catalog=render_catalog(entries, documents),
        warnings=tuple(sorted(warnings, key=lambda w: (order[w.file], w.line))),
        failures=tuple(failure for part in planned for failure in part.failures),
    )


@dataclass
class _DocumentPlan:
    processes: list[ProcessFile] = field(default_factory=list)
    entries: list[CatalogEntry] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    failures: list[ProcedureFailure] = field(default_factory=list)


def _plan_document(doc: ProcedureDocument, rules: PerformerRules) -> _DocumentPlan:
    """Every procedure of one file that can be placed becomes a process; the others become failures."""
    part = _DocumentPlan()
    roles: dict[str, tuple[RoleStep, ...]] = {}
    for procedure in doc.procedures:
        try:
            roles[procedure.process_id] = map_steps(procedure, rules, doc.file_name)
        except UnplacedProcedure as unplaced:
            part.failures.append(ProcedureFailure.of(unplaced, procedure, doc.file_name))
            continue
        part.processes.append(_process_file(procedure, roles[procedure.process_id], doc.file_name))
        part.entries.extend(catalog_entries(procedure))
    part.warnings = check_document(doc, rules, roles)
    return part


def _process_file(procedure: InternalProcedure, roles: tuple[RoleStep, ...], file_name: str) -> ProcessFile:
    codes = procedure_codes(procedure)
    graph = build_process(procedure, roles, codes, file_name)
    return ProcessFile(
        process_id=graph.process_id,
        name=graph.name,
        file_name=f"{graph.process_id}.bpmn",
        content=write_bpmn(graph, layout(graph)),
        codes=tuple(code.code for code in codes),
        total_working_days=format_days(procedure.total.days),
    )


def _refuse_duplicates(documents: list[ProcedureDocument]) -> None:
    """Two processes with one id, or one code in two processes: the input contradicts itself, nothing is written."""
    seen_process: dict[str, str] = {}
    seen_code: dict[str, str] = {}
    for doc in documents:
        for procedure in doc.procedures:
            where = f"{doc.file_name} dòng {procedure.line}"
            if procedure.process_id in seen_process:
                raise InvalidInput(
                    f"{procedure.key} lĩnh vực {procedure.field.name} ({where}) đã có ở "
                    f"{seen_process[procedure.process_id]}: hai quy trình cùng mã {procedure.process_id}.",
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


def write_import(plan: ImportPlan, out_dir: Path) -> ImportResult:
    out_dir = Path(out_dir)
    if not plan.processes:
        first = plan.failures[0]
        raise InvalidInput(
            f"Không ghi tệp nào: không quy trình nào xếp được vào mẫu một cửa ({len(plan.failures)} quy trình; đầu "
            f"tiên: {first.file} dòng {first.line}). {first.message_vi}",
            failed=[failure.to_dict() for failure in plan.failures],
        )
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
    paths: list[Path],
    out_dir: Path,
    *,
    strict: bool = False,
    rules: PerformerRules | None = None,
    field_keys: FieldKeys | None = None,
) -> ImportResult:
    """Read, check and write what can be placed; with `strict`, any warning or failure stops it before writing."""
    plan = plan_import(paths, rules, field_keys)
    refuse_if_strict(plan, strict)
    return write_import(plan, out_dir)


def refuse_if_strict(plan: ImportPlan, strict: bool) -> None:
    if strict and plan.failures:
        first = plan.failures[0]
        raise InvalidInput(
            f"Không ghi tệp nào: {len(plan.failures)} quy trình không xếp được và đã bật --strict "
            f"(đầu tiên: {first.file} dòng {first.line}, {first.code}).",
            failed=[failure.to_dict() for failure in plan.failures],
            warnings=[warning.to_dict() for warning in plan.warnings],
        )
    if strict and plan.warnings:
        first = plan.warnings[0]
        raise InvalidInput(
            f"Không ghi tệp nào: dữ liệu nguồn có {len(plan.warnings)} cảnh báo và đã bật --strict "
            f"(đầu tiên: {first.file} dòng {first.line}, {first.code}).",
            warnings=[warning.to_dict() for warning in plan.warnings],
        )
