"""Read-only access to what an audit looks at: a case with its events, task rows and definition, and the lists of
cases the nightly check, the tracking book and the XES export walk through.

Queries that the use cases never need live here rather than in `engine.store`, so the audit stays one package that
only reads. Long lists are read in pages by key (never all cases at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from engine.errors import NotFound
from engine.policy import ProcedurePolicy, policy_for
from engine.store import Store, Tx
from engine.history import EventType

PAGE = 200


@dataclass
class CaseRecord:
    """Everything stored about one case, as plain dicts: the case row, its events by seq, its task rows."""

    case: dict
    events: list[dict]
    tasks: list[dict]
    procedure: dict | None
    definition: dict | None  # the BPMN definition row the case started on; None if it was deleted
    external_tasks: list[dict] = field(default_factory=list)  # its external task rows (engine.usecases.external)

    @property
    def case_id(self) -> str:
        return self.case["id"]

    @property
    def policy(self) -> ProcedurePolicy:
        """What the elements of the case's diagram mean (roles, outcomes), from its camunda:properties."""
        if self.definition is None:
            return ProcedurePolicy()
        return policy_for(self.definition["content"], self.definition["filename"])

    @property
    def started(self) -> dict | None:
        return next((e for e in self.events if e["type"] == EventType.CASE_STARTED), None)


def load_record(tx: Tx, case_id: str) -> CaseRecord:
    case = tx.case(case_id)  # NotFound names the case
    return CaseRecord(
        case=case,
        events=tx.case_events(case_id),
        tasks=tx.case_tasks(case_id),
        procedure=tx.procedure(case["procedure_code"]),
        definition=started_definition(tx, case),
        external_tasks=tx.case_external_tasks(case_id),
    )


def started_definition(tx: Tx, case: dict) -> dict | None:
    return tx.definition_or_none(case["definition_id"])


def definition_versions(tx: Tx, kind: str, key: str) -> list[dict]:
    """Every stored version of one definition, oldest first."""
    return tx.definition_versions(kind, key)


def definition_by_hash(tx: Tx, kind: str, key: str, digest: str) -> dict | None:
    return tx.definition_by_hash(kind, key, digest)


def iter_case_ids(store: Store, page: int = PAGE) -> Iterator[str]:
    """Every case id in id order, read page by page in short transactions."""
    last = ""
    while True:
        with store.transaction() as tx:
            ids = tx.case_ids_after(last, page)
        if not ids:
            return
        yield from ids
        last = ids[-1]


def count_cases(store: Store) -> int:
    with store.transaction() as tx:
        return tx.count_cases()


def cases_received(tx: Tx, start: datetime, end: datetime) -> list[dict]:
    """Case rows received in [start, end), in receipt order (the order the tracking book numbers them)."""
    return tx.cases_received(start, end)


def events_of_type(tx: Tx, case_ids: list[str], types: tuple[str, ...]) -> dict[str, list[dict]]:
    """Events of the given types for many cases at once, grouped by case and ordered by seq."""
    found: dict[str, list[dict]] = {cid: [] for cid in case_ids}
    for start in range(0, len(case_ids), PAGE):
        chunk = case_ids[start:start + PAGE]
        for row in tx.events_of_type(chunk, types):
            found[row["case_id"]].append(row)
    return found


def procedure_names(tx: Tx) -> dict[str, str]:
    return {r["code"]: r["name"] for r in tx.procedures()}


def require_started(record: CaseRecord) -> dict:
    started = record.started
    if started is None:
        raise NotFound(f"Hồ sơ '{record.case_id}' không có sự kiện khởi tạo (case_started) trong lịch sử.",
                       case=record.case_id)
    return started
