"""The store's fixed, per-command statements run on the database driver's cursor, with SQLAlchemy's own conversions.

SQLAlchemy's per-call machinery (execution context, events, result metadata) costs several times what SQLite needs to
run one of these small statements: 90-150 µs against 8-35 µs each, about ten statements per command. The statements
are still SQLAlchemy Core, compiled once per dialect (and per set of inserted columns); values still go through the
column types' bind and result processors, and Python-side column defaults are still applied, so the rows written and
read are the ones SQLAlchemy would write and read. Driver errors come back as SQLAlchemy's exception classes, so the
store's error handling sees no difference. Statements built per call (reports, lists) keep going through SQLAlchemy.

It uses attributes of SQLAlchemy's compiled statement (`_bind_processors`, `_result_columns`) that are the same across
the pinned 2.0-2.1 range; tests/test_driver_sql.py compares the rows and value types with SQLAlchemy's own on both
databases, so an upgrade that changed them fails there first.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


class Prepared:
    """One statement compiled for one dialect, with what it takes to run it on a driver cursor."""

    def __init__(self, stmt, dialect, column_keys: Iterable[str] | None = None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys is not None else None)
        if getattr(compiled, "update_prefetch", None):
            # No fixed statement has an `onupdate` default; refusing one beats silently skipping it.
            raise ValueError(f"statement needs SQLAlchemy's execution context: {compiled.string}")
        if compiled.post_compile_params or compiled.literal_execute_params:
            # Expanding (IN-list) and literal-execute parameters change the SQL text per call.
            raise ValueError(f"statement is rendered per call: {compiled.string}")
        self.dialect = dialect
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = compiled.positional
        # One slot per parameter the driver receives, in its order, resolved as `construct_params` resolves it (the
        # bind's key in the caller's values, else its name, else its own value) and then as SQLAlchemy's execution
        # context does: a column the INSERT sets but the caller does not give takes the column's Python-side default
        # (`insert_prefetch`, e.g. `default=False`), and each value goes through its type's bind processor. Planned
        # once, so a call is one pass over the slots (construct_params rebuilds a dict per call).
        escaped = compiled.escaped_bind_names or {}
        by_name = {escaped.get(name, name): (bind, name) for bind, name in compiled.bind_names.items()}
        defaults = {c.key: c.default for c in getattr(compiled, "insert_prefetch", None) or ()}
        processors = compiled._bind_processors
        order = compiled.positiontup if compiled.positional else list(by_name)
        self.names = tuple(order)
        self.slots = []
        for n in order:
            bind, name = by_name[n]
            self.slots.append((bind.key, name, bind, defaults.get(n), processors.get(n)))
        self.keys = [entry[0] for entry in compiled._result_columns]
        self.types = [entry[3] for entry in compiled._result_columns]
        self.processors: list | None = None  # known from the first result's cursor description

    def _parameters(self, params: Mapping[str, Any]):
        values = []
        for key, name, bind, default, process in self.slots:
            if default is not None:
                value = default.arg if default.is_scalar else default.arg(None)
            elif key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            else:
                value = bind.effective_value if bind.callable else bind.value
            values.append(value if process is None else process(value))
        if self.positional:
            return tuple(values)
        return dict(zip(self.names, values))

    def _rows(self, cursor) -> list[dict]:
        if self.processors is None:
            description = cursor.description
            self.processors = [t._cached_result_processor(self.dialect, d[1]) for t, d in zip(self.types, description)]
        keys, processors = self.keys, self.processors
        out = []
        for raw in cursor.fetchall():
            out.append({k: (p(v) if p is not None else v) for k, p, v in zip(keys, processors, raw)})
        return out


def run(conn: Connection, prepared: Prepared, params: Mapping[str, Any] | None = None, *,
        many: list[Mapping[str, Any]] | None = None) -> tuple[list[dict], int]:
    """Execute on the transaction's driver connection; (rows, rowcount). `many` runs the statement once per item."""
    dbapi_conn = conn.connection.driver_connection
    cursor = dbapi_conn.cursor()
    args: Any = None
    try:
        if many is not None:
            args = [prepared._parameters(p) for p in many]
            cursor.executemany(prepared.sql, args)
            return [], cursor.rowcount
        args = prepared._parameters(params or {})
        cursor.execute(prepared.sql, args)
        rows = prepared._rows(cursor) if prepared.keys else []
        return rows, cursor.rowcount
    except prepared.dialect.loaded_dbapi.Error as exc:
        # A lost connection needs nothing more here: the rollback that follows fails, and SQLAlchemy then discards it.
        raise DBAPIError.instance(prepared.sql, args, exc, prepared.dialect.loaded_dbapi.Error,
                                  dialect=prepared.dialect) from exc
    finally:
        cursor.close()
