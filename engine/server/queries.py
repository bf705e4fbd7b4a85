"""Read-only lists the Service has no method for yet: definitions (for deployments and process definitions) and
cases (for process-instance lists). Plain SELECTs on the engine's tables; nothing here decides anything."""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import select

from engine.schema import cases, definitions, events

_DEFINITION_COLUMNS = (definitions.c.id, definitions.c.kind, definitions.c.key, definitions.c.version,
                       definitions.c.content_hash, definitions.c.filename, definitions.c.name,
                       definitions.c.deployed_at)


def deployment_id(deployed_at) -> str:
    """All definitions stored by one deploy share its instant: that instant names the deployment."""
    return "dep-" + deployed_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def definition_rows(store, kind: str | None = None, key: str | None = None) -> list[dict]:
    stmt = select(*_DEFINITION_COLUMNS).order_by(definitions.c.kind, definitions.c.key, definitions.c.version)
    if kind is not None:
        stmt = stmt.where(definitions.c.kind == kind)
    if key is not None:
        stmt = stmt.where(definitions.c.key == key)
    with store.transaction() as tx:
        rows = [dict(r) for r in tx.conn.execute(stmt).mappings()]
    latest: dict[tuple[str, str], int] = {}
    for row in rows:
        latest[(row["kind"], row["key"])] = max(latest.get((row["kind"], row["key"]), 0), row["version"])
    for row in rows:
        row["latest"] = latest[(row["kind"], row["key"])] == row["version"]
        row["deployment_id"] = deployment_id(row["deployed_at"])
    return rows


def definition_content(store, kind: str, key: str, version: int) -> bytes | None:
    stmt = select(definitions.c.content).where(definitions.c.kind == kind, definitions.c.key == key,
                                               definitions.c.version == version)
    with store.transaction() as tx:
        return tx.conn.execute(stmt).scalar()


def case_rows(store, *, ids: list[str] | None = None, process_key: str | None = None,
              active: bool | None = None) -> list[dict]:
    """Cases with the key and version of their definition and the officer who received them."""
    stmt = (select(cases.c.id, cases.c.status, cases.c.outcome, cases.c.received_at, cases.c.ended_at,
                   cases.c.procedure_code, definitions.c.key.label("definition_key"),
                   definitions.c.version.label("definition_version"), definitions.c.name.label("definition_name"))
            .join(definitions, definitions.c.id == cases.c.definition_id)
            .order_by(cases.c.received_at, cases.c.id))
    if ids is not None:
        stmt = stmt.where(cases.c.id.in_(ids))
    if process_key is not None:
        stmt = stmt.where(definitions.c.key == process_key)
    if active is True:
        stmt = stmt.where(cases.c.status == "active")
    elif active is False:
        stmt = stmt.where(cases.c.status != "active")
    with store.transaction() as tx:
        rows = [dict(r) for r in tx.conn.execute(stmt).mappings()]
        if rows:
            starters = tx.conn.execute(
                select(events.c.case_id, events.c.actor).where(events.c.seq == 1,
                                                               events.c.case_id.in_([r["id"] for r in rows])))
            by_case = {r.case_id: r.actor for r in starters}
            for row in rows:
                row["started_by"] = by_case.get(row["id"])
    return rows
