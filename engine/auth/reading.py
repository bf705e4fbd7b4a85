"""Reading credentials on every request without taking the database's write lock.

The engine's SQLite transactions begin IMMEDIATE (engine.store: a command reads, then writes), which would make every
HTTP request's credential check queue behind the commands. Credentials are only read here, so on SQLite they are read
through a second, plain engine on the same file (WAL: readers never wait for the writer); other databases read
through the store's own engine.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import create_engine

_readers: dict[str, Any] = {}
_lock = threading.Lock()


def read_one(store, stmt) -> dict | None:
    from sqlalchemy.exc import OperationalError

    from engine.errors import StoreUnavailable

    try:
        with _reader(store).connect() as conn:
            row = conn.execute(stmt).mappings().first()
            conn.rollback()
    except OperationalError as exc:
        raise StoreUnavailable(f"Lỗi cơ sở dữ liệu: {str(exc.orig).strip().splitlines()[0]}.") from exc
    return dict(row) if row is not None else None


def _reader(store):
    if not store.is_sqlite:
        return store.engine
    with _lock:
        engine = _readers.get(store.url)
        if engine is None:
            engine = _readers[store.url] = create_engine(store.url, connect_args={"timeout": 30})
        return engine
