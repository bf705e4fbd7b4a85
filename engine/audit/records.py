"""Read-only access to what an audit looks at: a case with its events, task rows and definition, and the lists of
cases the nightly check, the tracking book and the XES export walk through.

Queries that the use cases never need live here rather than in `engine.store`, so the audit stays one package that
only reads. Long lists are read in pages by key (never all cases at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from sqlalchemy import and_, select

from engine.errors import NotFound
from engine.policy import ProcedurePolicy, policy_for
from engine.schema import cases, definitions, events, procedures
from engine.store import Store, Tx

PAGE = 200


@dataclass
class CaseRecord:
    """Everything stored about one case, as plain dicts: the case row, its events by seq, its task rows."""

    case: dict
    events: list[dict]
    tasks: list[dict]
    procedure: dict | None
    definition: dict | None  # the BPMN definition row the case started on; None if it was deleted

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
        return next((e for e in self.events if e["type"] == "case_started"), None)


def load_record(tx: Tx, case_id: str) -> CaseRecord:
    case = tx.case(case_id)  # NotFound names the case
    return CaseRecord(
        case=case,
        events=tx.case_events(case_id),
        tasks=tx.case_tasks(case_id),
        procedure=tx.procedure(case["procedure_code"]),
        definition=started_definition(tx, case),
    )


def started_definition(tx: Tx, case: dict) -> dict | None:
    row = tx.conn.execute(select(definitions).where(definitions.c.id == case["definition_id"])).mappings().first()
    return dict(row) if row else None


def definition_versions(tx: Tx, kind: str, key: str) -> list[dict]:
    """Every stored version of one definition, oldest first."""
    rows = tx.conn.execute(
        select(definitions).where(definitions.c.kind == kind, definitions.c.key == key).order_by(definitions.c.version)
    ).mappings()
    return [dict(r) for r in rows]


def definition_by_hash(tx: Tx, kind: str, key: str, digest: str) -> dict | None:
    return tx.definition_by_hash(kind, key, digest)


def iter_case_ids(store: Store, page: int = PAGE) -> Iterator[str]:
    """Every case id in id order, read page by page in short transactions."""
    last = ""
    while True:
        with store.transaction() as tx:
            ids = list(tx.conn.execute(
                select(cases.c.id).where(cases.c.id > last).order_by(cases.c.id).limit(page)).scalars())
        if not ids:
            return
        yield from ids
        last = ids[-1]


def count_cases(store: Store) -> int:
    from sqlalchemy import func

    with store.transaction() as tx:
        return int(tx.conn.execute(select(func.count()).select_from(cases)).scalar() or 0)


def cases_received(tx: Tx, start: datetime, end: datetime) -> list[dict]:
    """Case rows received in [start, end), in receipt order (the order the tracking book numbers them)."""
    rows = tx.conn.execute(
        select(cases).where(and_(cases.c.received_at >= start, cases.c.received_at < end))
        .order_by(cases.c.received_at, cases.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def events_of_type(tx: Tx, case_ids: list[str], types: tuple[str, ...]) -> dict[str, list[dict]]:
    """Events of the given types for many cases at once, grouped by case and ordered by seq."""
    found: dict[str, list[dict]] = {cid: [] for cid in case_ids}
    for start in range(0, len(case_ids), PAGE):
        chunk = case_ids[start:start + PAGE]
        rows = tx.conn.execute(
            select(events).where(events.c.case_id.in_(chunk), events.c.type.in_(types))
            .order_by(events.c.case_id, events.c.seq)
        ).mappings()
        for row in rows:
            found[row["case_id"]].append(dict(row))
    return found


def procedure_names(tx: Tx) -> dict[str, str]:
    return {r["code"]: r["name"] for r in tx.conn.execute(select(procedures.c.code, procedures.c.name)).mappings()}


def require_started(record: CaseRecord) -> dict:
    started = record.started
    if started is None:
        raise NotFound(f"Hồ sơ '{record.case_id}' không có sự kiện khởi tạo (case_started) trong lịch sử.",
                       case=record.case_id)
    return started
