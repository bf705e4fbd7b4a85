"""Procedure importer: published internal-procedure tables → BPMN files and the procedure catalog.

`tthc import-procedures` is the command; `scripts/regenerate_library.py` rebuilds `bpmn/` with it.
"""

from engine.importer.catalog import CatalogEntry, load_catalog
from engine.importer.checks import ImportWarning
from engine.importer.fields import FieldKeys
from engine.importer.importing import (
    ImportPlan,
    ImportResult,
    ProcedureFailure,
    import_procedures,
    plan_import,
    refuse_if_strict,
    write_import,
)
from engine.importer.lanes import PerformerRules

__all__ = [
    "CatalogEntry",
    "FieldKeys",
    "ImportPlan",
    "ImportResult",
    "ImportWarning",
    "PerformerRules",
    "ProcedureFailure",
    "import_procedures",
    "load_catalog",
    "plan_import",
    "refuse_if_strict",
    "write_import",
]
