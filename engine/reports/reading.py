"""A consistent, read-only snapshot of the store for a report, without taking the writers' lock.

`Store.transaction()` starts SQLite transactions with BEGIN IMMEDIATE, which takes the write lock: a yearly report
holding it for seconds would stall every `complete` and `tick`. A report only reads, so on SQLite it uses its own
engine whose transactions begin DEFERRED: in WAL mode the first SELECT fixes a snapshot that the following queries
share, so the balance of the figures holds even while cases move. On PostgreSQL the same guarantee comes from a
REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from engine.errors import StoreUnavailable

_readers: dict[str, Engine] = {}


def _sqlite_reader(url: str) -> Engine:
    engine = _readers.get(url)
    if engine is None:
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA query_only=ON")  # a report never writes, even by mistake
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN DEFERRED")

        _readers[url] = engine
    return engine


@contextmanager
def read_snapshot(store) -> Iterator[Connection]:
    """A connection inside one read-only transaction; every query through it sees the same data."""
    try:
        if store.is_sqlite:
            with _sqlite_reader(store.url).begin() as conn:
                yield conn
        else:
            with store.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    yield conn
    except OperationalError as exc:
        raise StoreUnavailable(f"Lỗi cơ sở dữ liệu khi lập báo cáo: {str(exc.orig).strip().splitlines()[0]}.") from exc
