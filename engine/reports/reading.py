"""A consistent, read-only snapshot of the store for a report, without taking the writers' lock.

`Store.transaction()` starts SQLite transactions with BEGIN IMMEDIATE, which takes the write lock: a yearly report
holding it for seconds would stall every `complete` and `tick`. A report only reads, so on SQLite it uses its own
engine whose transactions begin DEFERRED: in WAL mode the first SELECT fixes a snapshot that the following queries
share, so the balance of the figures holds even while cases move. On PostgreSQL the same guarantee comes from a
REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ContextManager

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from engine.store import Store


def read_snapshot(store: Store) -> ContextManager[Connection]:
    """A connection inside one read-only transaction (`Store.read_snapshot`, which owns the engine and its PRAGMAs)."""
    return store.read_snapshot()
