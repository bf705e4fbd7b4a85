"""SQL persistence: one transaction per command, optimistic versions, migrations. No SpiffWorkflow here.

SQLite (embedded default) runs in WAL mode with `BEGIN IMMEDIATE` for writes, so two commands on one file serialise
instead of failing half-way on a lock upgrade. PostgreSQL uses the same code; workers claim due cases with
`FOR UPDATE SKIP LOCKED` so each timer fires once however many workers run.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager, nullcontext
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import and_, bindparam, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ArgumentError, NoSuchModuleError

from engine import db_url
from engine.driver_sql import Prepared, run
from engine.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from engine.history import GENESIS, event_hash, plain
from engine.reports.daily import (
    STEP_COUNTERS, STEP_KEYS, UNIT_COUNTERS, UNIT_KEYS, step_rows, unit_score_rows,
)
from engine.rows import CaseRow, EventRow, TaskRow
from engine.writer_lock import WriterLock
from engine.schema import (
    api_tokens, cases, counters, definitions, events, external_tasks, procedures, step_days, tasks, timer_starts,
    unit_score_days, user_passwords,
)

MIGRATIONS = Path(__file__).with_name("migrations")

# The statements every command runs, built once: building a statement costs SQLAlchemy more than executing it.
_CASE = select(cases).where(cases.c.id == bindparam("case_id"))
_CASE_FOR_UPDATE = _CASE.with_for_update(of=cases)
# Which definitions exist, as (count, highest id): it changes with every deploy that adds a version, even when two
# deploys commit out of id order. Read with the case row, it lets a process reuse what it knows of the newest forms
# and decision tables instead of asking for each one.
# Without the workflow state (~17 KB a case, on overflow pages): the commands that read the head run on a workflow this
# process usually still holds, and read the state only when it does not (`Tx.case_state`).
_CASE_WITH_HEAD = select(*[c for c in cases.c if c.key != "state"],
                         select(func.count(definitions.c.id)).scalar_subquery().label("definitions_count"),
                         select(func.max(definitions.c.id)).scalar_subquery().label("definitions_max")
                         ).where(cases.c.id == bindparam("case_id"))
_CASE_WITH_HEAD_FOR_UPDATE = _CASE_WITH_HEAD.with_for_update(of=cases)
_CASE_STATE = select(cases.c.state).where(cases.c.id == bindparam("case_id"))
_TASK = select(tasks).where(tasks.c.id == bindparam("task_id"))
_LATEST = (select(definitions).where(definitions.c.kind == bindparam("kind"), definitions.c.key == bindparam("key"))
           .order_by(definitions.c.version.desc()).limit(1))
_LATEST_REF = (select(definitions.c.id, definitions.c.version, definitions.c.content_hash, definitions.c.filename)
               .where(definitions.c.kind == bindparam("kind"), definitions.c.key == bindparam("key"))
               .order_by(definitions.c.version.desc()).limit(1))
_CONTENT = select(definitions.c.content).where(definitions.c.id == bindparam("definition_id"))
_VIEW_TASKS = select(tasks).where(tasks.c.case_id == bindparam("case_id"),
                                  or_(tasks.c.status == "open", tasks.c.overdue.is_(True)))
_PROCEDURE = select(procedures).where(procedures.c.code == bindparam("code"))
_OPEN_TASKS_OF_CASE = (select(tasks).where(tasks.c.status == "open", tasks.c.case_id == bindparam("case_id"))
                       .order_by(tasks.c.due_at.is_(None), tasks.c.due_at, tasks.c.created_at))
_DEFINITION_REF = (select(definitions.c.key, definitions.c.version)
                   .join(cases, cases.c.definition_id == definitions.c.id).where(cases.c.id == bindparam("case_id")))
_VERSIONS_OF = (select(definitions.c.id, definitions.c.kind, definitions.c.key, definitions.c.version,
                       definitions.c.content_hash, definitions.c.filename, definitions.c.name, definitions.c.deployed_at)
                .where(definitions.c.kind == bindparam("kind"), definitions.c.key == bindparam("key"))
                .order_by(definitions.c.version))
_PROCEDURE_CODES_OF = (select(procedures.c.code).where(procedures.c.process_id == bindparam("process_id"))
                       .order_by(procedures.c.field, procedures.c.code))
_INSERT_CASE = insert(cases)
_INSERT_TASK = insert(tasks)
_INSERT_EVENTS = insert(events)
_updates: dict[tuple, Any] = {}
_upserts: dict[tuple[str, str], Any] = {}  # (dialect, table) -> the daily sums' upsert


def _update_statement(table, keys: tuple[str, ...], versioned: bool):
    """UPDATE table SET <keys> WHERE id = :row_id [AND version = :expected_version], built once per column set."""
    cached = _updates.get((table.name, keys, versioned))
    if cached is None:
        stmt = update(table).where(table.c.id == bindparam("row_id"))
        if versioned:
            stmt = stmt.where(table.c.version == bindparam("expected_version"))
        cached = _updates[(table.name, keys, versioned)] = stmt.values({k: bindparam(f"v_{k}") for k in keys})
    return cached


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _redact(url: str) -> str:
    return db_url.redact(url)


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w.-]+|None)['\"]?\s*$", re.M)


@lru_cache(maxsize=1)
def schema_head() -> str | None:
    """The newest migration's revision, read from the migration files' `revision = "…"` lines without Alembic.

    Importing Alembic costs more than a whole read command, and is needed only when a database must be migrated; the
    store reads the database's revision with one query and compares it with this. None when the files do not give
    exactly one head: then Alembic decides (a test checks this agrees with Alembic's own head)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            down = found.get("down_revision")
            revisions[found["revision"]] = None if down in (None, "None") else down
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else None


def _current_revision(conn: Connection) -> str | None:
    """The database's Alembic revision in one query; None for a new database (no version table yet)."""
    try:
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except DBAPIError:
        conn.rollback()
        return None
    return rows[0][0] if len(rows) == 1 else None


def _in_default_location(url: str) -> bool:
    from engine.config import default_db_url

    path, default = db_url.sqlite_path(url), db_url.sqlite_path(default_db_url())
    return path is not None and default is not None and path.parent == default.parent


# SQLSTATEs of a transaction PostgreSQL rolled back because of another one: deadlock_detected, serialization_failure.
CONCURRENT_STATES = frozenset({"40P01", "40001"})

class Store:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.prepared: dict[tuple, Prepared] = {}  # (statement, inserted columns) -> compiled for this database
        self._reader: Engine | None = None  # SQLite: the read-only engine of `read_snapshot`, made when first needed
        self._reader_lock = threading.Lock()  # a server's threads may ask for it at once
        path = db_url.sqlite_path(url) if self.is_sqlite else None
        # SQLite writers queue for their turn instead of polling (engine.writer_lock); PostgreSQL has row locks.
        self._writer = WriterLock.for_database(path) if path is not None else None

    # --- opening ---------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> "Store":
        # A typo in --db must not leave directories behind; only the default location is made on first use.
        db_url.check_directory(url, create=_in_default_location(url))
        try:
            engine = cls._create_engine(url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreUnavailable(f"URL cơ sở dữ liệu '{_redact(url)}' không hợp lệ: {exc}.") from exc
        store = cls(engine, url)
        try:
            with engine.connect() as conn:
                store._check_schema(conn, migrate)
        except OperationalError as exc:
            raise StoreUnavailable(
                f"Không kết nối được cơ sở dữ liệu '{_redact(url)}': {str(exc.orig).strip().splitlines()[0]}.",
            ) from exc
        return store

    @staticmethod
    def _create_engine(url: str, *, read_only: bool = False) -> Engine:
        """The one engine factory, with its PRAGMAs. Writers (`transaction`) begin IMMEDIATE; a reader
        (`read_snapshot`) begins DEFERRED on a query-only connection."""
        if url.startswith("sqlite"):
            # Pooled, the reader too: opening a SQLite connection (and closing the last one, which checkpoints the WAL
            # with an fsync) cost more than the rest of a command together, and a server reads credentials through
            # the reader.
            engine = create_engine(url, connect_args={"timeout": 30})
            pragmas = (("busy_timeout=30000", "query_only=ON") if read_only else
                       ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"))

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
                cur = dbapi_conn.cursor()
                for pragma in pragmas:  # query_only: a report never writes, even by mistake
                    cur.execute(f"PRAGMA {pragma}")
                cur.close()

            # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes, can fail
            # with "database is locked" at the upgrade, after work was done, and busy_timeout cannot help there.
            # A reader must not take it (a yearly report would stall every command): in WAL mode its first SELECT
            # fixes the snapshot the following queries share.
            begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"

            @event.listens_for(engine, "begin")
            def _on_begin(conn):
                # Straight to the driver: this runs once per command, and SQLAlchemy's statement machinery costs
                # more than the statement.
                conn.connection.driver_connection.execute(begin)

            return engine
        return create_engine(url, pool_pre_ping=True, future=True)

    def _check_schema(self, conn: Connection, migrate: bool) -> None:
        current = _current_revision(conn)
        if current is not None and current == schema_head():
            return  # the usual case: one query, no Alembic
        from alembic import command
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config(conn))
        current = MigrationContext.configure(conn).get_current_revision()
        known = {rev.revision for rev in script.walk_revisions()}
        head = script.get_current_head()
        if current is not None and current not in known:
            raise StoreUnavailable(
                f"Cơ sở dữ liệu '{_redact(self.url)}' có lược đồ mới hơn phiên bản phần mềm này (phiên bản {current}); "
                "hãy nâng cấp tthc.",
                revision=current,
            )
        if current != head:
            if not migrate:
                raise StoreUnavailable(f"Cơ sở dữ liệu '{_redact(self.url)}' cần nâng cấp lược đồ (tthc migrate).")
            conn.commit()
            with self.engine.begin() as tx:
                command.upgrade(_alembic_config(tx), "head")

    # --- transactions ----------------------------------------------------------------------------------------
    @contextmanager
    def writer_turn_if_free(self) -> Iterator[bool]:
        """SQLite: the writers' turn taken now if nobody holds or waits for it (True), else nothing (False), without
        waiting; the thread's transactions inside then go straight in. PostgreSQL has no such turn: always False."""
        if self._writer is None:
            yield False
            return
        with self._writer.held_if_free() as taken:
            yield taken

    @contextmanager
    def transaction(self) -> Iterator["Tx"]:
        try:
            with self._writer.held() if self._writer is not None else nullcontext():
                with self.engine.begin() as conn:
                    tx = Tx(conn, self)
                    yield tx
        except IntegrityError as exc:
            # Two writers raced past the version check (e.g. both numbered the same event): the loser's transaction is
            # rolled back whole, and the operator is told to look again.
            raise Conflict("Dữ liệu vừa được người khác cập nhật cùng lúc; hãy xem lại và thực hiện lại nếu cần.") from exc
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) in CONCURRENT_STATES:
                # PostgreSQL chose this transaction as a deadlock's (or a serialization conflict's) victim: rolled back
                # whole, like the version race above; repeating the command is safe.
                raise Conflict("Lệnh này xung đột với một lệnh khác chạy cùng lúc nên đã được hủy toàn bộ; hãy thực "
                               "hiện lại.") from exc
            raise StoreUnavailable(f"Lỗi cơ sở dữ liệu: {str(exc.orig).strip().splitlines()[0]}.") from exc
        # Only once the commit succeeded: what these do (keeping a workflow in memory) must match the database.
        for action in tx.after_commit.values():
            action()

    @contextmanager
    def read_snapshot(self) -> Iterator[Connection]:
        """A connection inside one read-only transaction; every query through it sees the same data, and it never
        takes the writers' lock (SQLite: a DEFERRED reader in WAL mode; PostgreSQL: REPEATABLE READ, READ ONLY)."""
        try:
            if self.is_sqlite:
                with self._reader_lock:
                    if self._reader is None:
                        self._reader = self._create_engine(self.url, read_only=True)
                with self._reader.begin() as conn:
                    yield conn
            else:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                    with conn.begin():
                        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                        yield conn
        except OperationalError as exc:
            raise StoreUnavailable(
                f"Lỗi cơ sở dữ liệu khi lập báo cáo: {str(exc.orig).strip().splitlines()[0]}.") from exc

    def credential(self, kind: str, key: str) -> dict | None:
        """A password hash (`kind="password"`, by user id) or a token row (`kind="token"`, by token id), read in a
        read-only snapshot: every HTTP request checks one, and it must not queue behind the writers' lock."""
        if kind == "password":
            stmt = select(user_passwords.c.hash).where(user_passwords.c.user_id == key)
        else:
            t = api_tokens.c
            stmt = select(t.user_id, t.secret_hash, t.revoked_at).where(t.id == key)
        with self.read_snapshot() as conn:
            row = conn.execute(stmt).mappings().first()
        return dict(row) if row is not None else None

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not None:
            self._reader.dispose()


class Tx:
    """One transaction's view of the store. Rows come back as plain dicts."""

    def __init__(self, conn: Connection, store: Store) -> None:
        self.conn = conn
        self.store = store
        self.after_commit: dict[Any, Any] = {}  # key -> callable, run in order after a successful commit
        self.definitions_head: tuple[int, int | None] | None = None  # set by case(..., with_head=True)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside rolls back to here, the outer transaction goes on."""
        with self.conn.begin_nested():
            yield

    def _one(self, stmt) -> dict | None:
        row = self.conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def _all(self, stmt) -> list[dict]:
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def execute_fixed(self, stmt: Any, params: Mapping[str, Any] | None = None, *,
                      many: list[Mapping[str, Any]] | None = None,
                      columns: Iterable[str] | None = None) -> tuple[list[dict], int]:
        """A module-level statement (never one built per call: each is compiled and kept once) on the driver."""
        keys = tuple(columns) if columns is not None else None
        prepared = self.store.prepared.get((stmt, keys))
        if prepared is None:
            prepared = self.store.prepared[(stmt, keys)] = Prepared(stmt, self.conn.dialect, keys)
        return run(self.conn, prepared, params, many=many)

    def _first(self, stmt, params: Mapping[str, Any]) -> dict | None:
        rows, _ = self.execute_fixed(stmt, params)
        return rows[0] if rows else None

    # --- definitions -----------------------------------------------------------------------------------------
    def definition_by_hash(self, kind: str, key: str, digest: str) -> dict | None:
        return self._one(select(definitions).where(
            definitions.c.kind == kind, definitions.c.key == key, definitions.c.content_hash == digest))

    def latest_definition(self, kind: str, key: str) -> dict | None:
        return self._first(_LATEST, {"kind": kind, "key": key})

    def latest_definition_ref(self, kind: str, key: str) -> dict | None:
        """The newest version's id, version, hash and file name, without the content (use `definition_content`)."""
        return self._first(_LATEST_REF, {"kind": kind, "key": key})

    def definition_content(self, definition_id: int) -> bytes:
        row = self._first(_CONTENT, {"definition_id": definition_id})
        if row is None:
            raise NotFound(f"Không có định nghĩa số {definition_id}.", definition=definition_id)
        return row["content"]

    def definition(self, definition_id: int) -> dict:
        row = self._one(select(definitions).where(definitions.c.id == definition_id))
        if row is None:
            raise NotFound(f"Không còn phiên bản định nghĩa số {definition_id} trong cơ sở dữ liệu.", definition=definition_id)
        return row

    def latest_definitions(self, kind: str) -> list[dict]:
        latest = (select(definitions.c.key, func.max(definitions.c.version).label("v"))
                  .where(definitions.c.kind == kind).group_by(definitions.c.key).subquery())
        return self._all(select(definitions).join(latest, and_(
            definitions.c.key == latest.c.key, definitions.c.version == latest.c.v))
            .where(definitions.c.kind == kind).order_by(definitions.c.key))

    def signal_start_definitions(self, name: str) -> list[dict]:
        """The latest version of every process whose start event is signal `name` (Camunda 7 starts one instance of
        each); only ids and meta are read, never the diagrams."""
        latest = (select(definitions.c.key, func.max(definitions.c.version).label("v"))
                  .where(definitions.c.kind == "bpmn").group_by(definitions.c.key).subquery())
        rows = self._all(select(definitions.c.id, definitions.c.key, definitions.c.version, definitions.c.meta)
                         .join(latest, and_(definitions.c.key == latest.c.key, definitions.c.version == latest.c.v))
                         .where(definitions.c.kind == "bpmn").order_by(definitions.c.key))
        return [r for r in rows if (r["meta"] or {}).get("signal_start") == name]

    def insert_definition(self, *, kind: str, key: str, digest: str, filename: str, content: bytes, name: str | None,
                          meta: Mapping[str, Any], at: datetime) -> dict:
        previous = self.latest_definition(kind, key)
        version = (previous["version"] + 1) if previous else 1
        values = dict(kind=kind, key=key, version=version, content_hash=digest, filename=filename, content=content,
                      name=name, meta=plain(meta), deployed_at=at)
        result = self.conn.execute(insert(definitions).values(**values))
        return {**values, "id": result.inserted_primary_key[0]}

    # --- procedures ------------------------------------------------------------------------------------------
    def upsert_procedure(self, entry: Mapping[str, Any]) -> None:
        existing = self._one(select(procedures.c.code).where(procedures.c.code == entry["code"]))
        if existing:
            self.conn.execute(update(procedures).where(procedures.c.code == entry["code"]).values(**entry))
        else:
            self.conn.execute(insert(procedures).values(**entry))

    def procedure(self, code: str) -> dict | None:
        return self._first(_PROCEDURE, {"code": code})

    def procedures(self) -> list[dict]:
        return self._all(select(procedures).order_by(procedures.c.field, procedures.c.process_id, procedures.c.code))

    # --- cases -----------------------------------------------------------------------------------------------
    def next_number(self, name: str) -> int:
        """A gap-free counter (case numbers per day, book numbers per year), safe under concurrent writers."""
        updated = self.conn.execute(
            update(counters).where(counters.c.name == name).values(value=counters.c.value + 1)
            .returning(counters.c.value)
        ).scalar()
        if updated is not None:
            return int(updated)
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(counters).values(name=name, value=1))
            return 1
        except IntegrityError:
            return self.next_number(name)

    def insert_case(self, values: Mapping[str, Any]) -> None:
        self.execute_fixed(_INSERT_CASE, values, columns=sorted(values))

    def case(self, case_id: str, *, lock: bool = False, with_head: bool = False) -> CaseRow:
        """The case row; with `with_head`, also the definitions head, and without the `state` column."""
        # Commands lock the case row first, as a worker's claim does: one lock order, so no deadlock with a worker
        # firing the same case, and a command that waited reads what the worker committed (no stale version).
        lock = lock and not self.store.is_sqlite
        if with_head:
            stmt = _CASE_WITH_HEAD_FOR_UPDATE if lock else _CASE_WITH_HEAD
        else:
            stmt = _CASE_FOR_UPDATE if lock else _CASE
        row = self._first(stmt, {"case_id": case_id})
        if row is not None and with_head:
            self.definitions_head = (row.pop("definitions_count"), row.pop("definitions_max"))
        if row is None:
            raise NotFound(f"Không có hồ sơ '{case_id}'.", case=case_id)
        return row

    def case_definition_ref(self, case_id: str) -> tuple[str, int]:
        """(key, version) of the case's definition; NotFound as `case` (a cheap check that a case exists)."""
        row = self._first(_DEFINITION_REF, {"case_id": case_id})
        if row is None:
            raise NotFound(f"Không có hồ sơ '{case_id}'.", case=case_id)
        return row["key"], row["version"]

    def case_state(self, case_id: str) -> str:
        """The stored workflow state of a case read without it (`case(..., with_head=True)`)."""
        row = self._first(_CASE_STATE, {"case_id": case_id})
        if row is None:
            raise NotFound(f"Không có hồ sơ '{case_id}'.", case=case_id)
        return row["state"]

    def resolve_task_id(self, task_id: str) -> TaskRow:
        """A task by its id or an unambiguous prefix of at least 8 characters, as operators type them."""
        task_id = task_id.strip().lower()
        if len(task_id) == 36:
            row = self.task(task_id)
        elif len(task_id) >= 8:
            rows = self._all(select(tasks).where(tasks.c.id.like(task_id + "%")).limit(2))
            if len(rows) > 1:
                raise InvalidInput(f"Mã bước '{task_id}' khớp nhiều bước; hãy gõ dài hơn.", task=task_id)
            row = rows[0] if rows else None
        else:
            row = None
        if row is None:
            raise NotFound(f"Không có bước '{task_id}'.", task=task_id)
        return row

    def save_case(self, case_id: str, expected_version: int, values: Mapping[str, Any]) -> int:
        new_version = expected_version + 1
        columns = tuple(values) + ("version",)
        params = {f"v_{k}": v for k, v in values.items()}
        params.update(v_version=new_version, row_id=case_id, expected_version=expected_version)
        _, rowcount = self.execute_fixed(_update_statement(cases, columns, True), params)
        if rowcount != 1:
            raise Conflict(
                f"Hồ sơ '{case_id}' vừa được người khác cập nhật; hãy xem lại và thực hiện lại nếu cần.", case=case_id
            )
        return new_version

    def message_cases(self, name: str, *, case_id: str | None = None, business_key: str | None = None,
                      limit: int = 2) -> list[str]:
        """The active cases that wait for message `name` (engine.dialect.messages.encode), narrowed to one case or one
        business key; the caller locks and checks each (the workflow decides, this column only finds candidates)."""
        needle = "\n" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "\n"
        stmt = select(cases.c.id).where(cases.c.status == "active",
                                        cases.c.waiting_messages.like("%" + needle + "%", escape="\\"))
        if case_id is not None:
            stmt = stmt.where(cases.c.id == case_id)
        if business_key is not None:
            stmt = stmt.where(cases.c.business_key == business_key)
        return [row["id"] for row in self._all(stmt.order_by(cases.c.id).limit(limit))]

    def signal_cases(self, name: str, *, after: str = "", limit: int = 200) -> list[str]:
        """The active cases that wait for signal `name`, in id order after `after` (a broadcast goes through them in
        batches)."""
        needle = "\n" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "\n"
        stmt = (select(cases.c.id).where(cases.c.status == "active", cases.c.id > after,
                                         cases.c.waiting_signals.like("%" + needle + "%", escape="\\"))
                .order_by(cases.c.id).limit(limit))
        return [row["id"] for row in self._all(stmt)]

    def due_cases(self, now: datetime, limit: int, exclude: Iterable[str] = ()) -> list[dict]:
        # Strictly before `now`: a timer fires when the clock is past its due instant, never at it.
        # `status || ''` keeps SQLite's planner (no statistics) off ix_cases_status, which would visit every active
        # case at every tick; only ix_cases_next_timer may answer this query.
        stmt = (select(cases.c.id, cases.c.version).where((cases.c.status + "") == "active", cases.c.next_timer_at < now)
                .order_by(cases.c.next_timer_at).limit(limit))
        skip = list(exclude)
        if skip:
            stmt = stmt.where(cases.c.id.not_in(skip))
        if not self.store.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True, of=cases)
        return self._all(stmt)

    # --- tasks -----------------------------------------------------------------------------------------------
    def insert_task(self, values: Mapping[str, Any]) -> None:
        self.execute_fixed(_INSERT_TASK, values, columns=sorted(values))

    def update_task(self, task_id: str, values: Mapping[str, Any]) -> None:
        params = {f"v_{k}": v for k, v in values.items()}
        params["row_id"] = task_id
        self.execute_fixed(_update_statement(tasks, tuple(values), False), params)

    def task(self, task_id: str) -> TaskRow | None:
        return self._first(_TASK, {"task_id": task_id})

    def view_tasks(self, case_id: str) -> list[TaskRow]:
        """The case's open and overdue steps (what a case view shows), in one query."""
        return self.execute_fixed(_VIEW_TASKS, {"case_id": case_id})[0]

    def open_tasks(self, *, case_id: str | None = None, lane: str | None = None, groups: Iterable[str] | None = None,
                   limit: int | None = None) -> list[dict]:
        if case_id and not lane and limit is None:  # a case's open steps: the REST clients' usual question
            rows = self.execute_fixed(_OPEN_TASKS_OF_CASE, {"case_id": case_id})[0]
            return self._in_groups(rows, groups)
        stmt = select(tasks).where(tasks.c.status == "open")
        if case_id:
            stmt = stmt.where(tasks.c.case_id == case_id)
        if lane:
            stmt = stmt.where((tasks.c.lane_id == lane) | (tasks.c.lane == lane) | (tasks.c.groups == lane))
        rows = self._all(stmt.order_by(tasks.c.due_at.is_(None), tasks.c.due_at, tasks.c.created_at).limit(limit))
        return self._in_groups(rows, groups)

    @staticmethod
    def _in_groups(rows: list[dict], groups: Iterable[str] | None) -> list[dict]:
        if groups is None:
            return rows
        wanted = set(groups)
        return [r for r in rows if wanted & set(filter(None, r["groups"].split(",")))]

    def case_tasks(self, case_id: str) -> list[TaskRow]:
        return self._all(select(tasks).where(tasks.c.case_id == case_id).order_by(tasks.c.created_at, tasks.c.step))

    # --- timer start schedules (engine.usecases.timer_start) ----------------------------------------------
    def set_timer_start(self, process_id: str, values: Mapping[str, Any] | None) -> None:
        """Replace the process's schedule (a new version's), or remove it (`None`: the new version has no timer)."""
        self.conn.execute(delete(timer_starts).where(timer_starts.c.process_id == process_id))
        if values is not None:
            self.conn.execute(insert(timer_starts).values(process_id=process_id, **{"started": 0, **values}))

    def due_timer_starts(self, now: datetime, limit: int) -> list[dict]:
        """Schedules due strictly before `now` (as every timer), oldest first; on PostgreSQL locked, skipping those
        another worker holds, so each case is started exactly once."""
        stmt = (select(timer_starts).where(timer_starts.c.next_fire_at < now)
                .order_by(timer_starts.c.next_fire_at).limit(limit))
        if not self.store.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        return self._all(stmt)

    def timer_starts(self) -> list[dict]:
        return self._all(select(timer_starts).order_by(timer_starts.c.next_fire_at))

    # --- external tasks (engine.usecases.external) ---------------------------------------------------------
    def insert_external_task(self, values: Mapping[str, Any]) -> None:
        self.conn.execute(insert(external_tasks).values(**values))

    def update_external_task(self, task_id: str, values: Mapping[str, Any]) -> None:
        self.conn.execute(update(external_tasks).where(external_tasks.c.id == task_id).values(**values))

    def external_task(self, task_id: str) -> dict | None:
        return self._one(select(external_tasks).where(external_tasks.c.id == task_id))

    def resolve_external_task_id(self, task_id: str) -> dict:
        """An external task by its id or an unambiguous prefix of at least 8 characters."""
        task_id = task_id.strip().lower()
        rows: list[dict] = []
        if len(task_id) == 36:
            rows = [r for r in [self.external_task(task_id)] if r]
        elif len(task_id) >= 8:
            rows = self._all(select(external_tasks).where(external_tasks.c.id.like(task_id + "%")).limit(2))
            if len(rows) > 1:
                raise InvalidInput(f"Mã tác vụ ngoài '{task_id}' khớp nhiều tác vụ; hãy gõ dài hơn.", task=task_id)
        if not rows:
            raise NotFound(f"Không có tác vụ ngoài '{task_id}'.", task=task_id)
        return rows[0]

    def fetchable_external_tasks(self, topics: Iterable[str], now: datetime, limit: int) -> list[dict]:
        """Candidates for a fetch, oldest first, read without locks: the caller locks each one's case and reads the
        task again (engine.usecases.external explains the lock order)."""
        stmt = (select(external_tasks.c.id, external_tasks.c.case_id)
                .where(external_tasks.c.status == "open", external_tasks.c.topic.in_(list(topics)),
                       or_(external_tasks.c.retries.is_(None), external_tasks.c.retries > 0),
                       or_(external_tasks.c.lock_expires_at.is_(None), external_tasks.c.lock_expires_at <= now))
                .order_by(external_tasks.c.created_at, external_tasks.c.id).limit(limit))
        return self._all(stmt)

    def case_for_fetch(self, case_id: str) -> CaseRow | None:
        """The case row locked for a fetch, or None while another transaction holds it (PostgreSQL: SKIP LOCKED, so
        two fetchers never wait for each other nor hand out the same task; SQLite's write lock already serialises)."""
        stmt = select(cases).where(cases.c.id == case_id)
        if not self.store.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        return self._one(stmt)

    def case_external_tasks(self, case_id: str) -> list[dict]:
        return self._all(select(external_tasks).where(external_tasks.c.case_id == case_id)
                         .order_by(external_tasks.c.created_at, external_tasks.c.id))

    def list_external_tasks(self, *, topic: str | None = None, incidents: bool = False,
                            status: str | None = "open", limit: int | None = None) -> list[dict]:
        stmt = select(external_tasks)
        if status:
            stmt = stmt.where(external_tasks.c.status == status)
        if topic:
            stmt = stmt.where(external_tasks.c.topic == topic)
        if incidents:
            stmt = stmt.where(external_tasks.c.incident.is_(True))
        return self._all(stmt.order_by(external_tasks.c.created_at, external_tasks.c.id).limit(limit))

    # --- audit reads -----------------------------------------------------------------------------------------
    def definition_or_none(self, definition_id: int) -> dict | None:
        return self._one(select(definitions).where(definitions.c.id == definition_id))

    def definition_versions(self, kind: str, key: str) -> list[dict]:
        """Every stored version of one definition, oldest first."""
        return self._all(select(definitions).where(definitions.c.kind == kind, definitions.c.key == key)
                         .order_by(definitions.c.version))

    def child_cases(self, case_id: str) -> list[dict]:
        """The child cases a case's call activities started (engine/usecases/call.py), oldest first."""
        return self._all(select(cases.c.id, cases.c.process_id, cases.c.status, cases.c.outcome, cases.c.parent_task_id,
                                cases.c.received_at, cases.c.ended_at)
                         .where(cases.c.parent_case_id == case_id).order_by(cases.c.received_at, cases.c.id))

    def child_case_of_task(self, case_id: str, task_id: str) -> str | None:
        """The child case the call activity task `task_id` of case `case_id` started, if any."""
        return self.conn.execute(select(cases.c.id).where(cases.c.parent_case_id == case_id,
                                                          cases.c.parent_task_id == task_id)).scalar()

    def case_ids_after(self, last: str, limit: int) -> list[str]:
        return list(self.conn.execute(
            select(cases.c.id).where(cases.c.id > last).order_by(cases.c.id).limit(limit)).scalars())

    def count_cases(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(cases)).scalar() or 0)

    def cases_received(self, start: datetime, end: datetime) -> list[dict]:
        """Case rows received in [start, end), in receipt order (the order the tracking book numbers them)."""
        return self._all(select(cases).where(and_(cases.c.received_at >= start, cases.c.received_at < end))
                         .order_by(cases.c.received_at, cases.c.id))

    def events_of_type(self, case_ids: list[str], types: Iterable[str]) -> list[dict]:
        return self._all(select(events).where(events.c.case_id.in_(case_ids), events.c.type.in_(list(types)))
                         .order_by(events.c.case_id, events.c.seq))

    # --- credentials (engine.auth: passwords as argon2 hashes, API tokens as SHA-256 of their secret) -----------
    def set_password_hash(self, user_id: str, digest: str, at: datetime) -> None:
        self.conn.execute(delete(user_passwords).where(user_passwords.c.user_id == user_id))
        self.conn.execute(insert(user_passwords).values(user_id=user_id, hash=digest, updated_at=at))

    def insert_token(self, *, token_id: str, user_id: str, secret_hash: str, label: str | None, at: datetime) -> None:
        self.conn.execute(insert(api_tokens).values(id=token_id, user_id=user_id, secret_hash=secret_hash, label=label,
                                                    created_at=at, revoked_at=None))

    def token(self, token_id: str) -> dict | None:
        return self._one(select(api_tokens).where(api_tokens.c.id == token_id))

    def revoke_token(self, token_id: str, at: datetime) -> None:
        self.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))

    def tokens(self) -> list[dict]:
        t = api_tokens.c
        return self._all(select(t.id, t.user_id, t.label, t.created_at, t.revoked_at).order_by(t.created_at, t.id))

    # --- repository and instance lists (the REST server's) -------------------------------------------------------
    def version_list(self, kind: str, key: str) -> list[dict]:
        """`definition_list(kind, key)` (no content) as a fixed statement: every start over HTTP reads it."""
        return self.execute_fixed(_VERSIONS_OF, {"kind": kind, "key": key})[0]

    def procedure_codes_of(self, process_id: str) -> list[str]:
        """The codes of the procedures executed on process `process_id`, in `procedures()` order."""
        return [r["code"] for r in self.execute_fixed(_PROCEDURE_CODES_OF, {"process_id": process_id})[0]]

    def definition_list(self, kind: str | None = None, key: str | None = None) -> list[dict]:
        """Every stored definition version (no content), by kind, key and version."""
        d = definitions.c
        stmt = select(d.id, d.kind, d.key, d.version, d.content_hash, d.filename, d.name, d.deployed_at).order_by(
            d.kind, d.key, d.version)
        if kind is not None:
            stmt = stmt.where(d.kind == kind)
        if key is not None:
            stmt = stmt.where(d.key == key)
        return self._all(stmt)

    def definition_content_at(self, kind: str, key: str, version: int) -> bytes | None:
        d = definitions.c
        return self.conn.execute(select(d.content).where(d.kind == kind, d.key == key, d.version == version)).scalar()

    def definition_refs(self, case_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """case id -> (its definition's key, version), for the cases given."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        stmt = (select(cases.c.id, definitions.c.key, definitions.c.version)
                .join(definitions, definitions.c.id == cases.c.definition_id).where(cases.c.id.in_(wanted)))
        return {row.id: (row.key, row.version) for row in self.conn.execute(stmt)}

    def case_list(self, *, ids: list[str] | None = None, process_key: str | None = None,
                  active: bool | None = None) -> list[dict]:
        """Cases with the key, version and name of their definition and the officer who received them."""
        stmt = (select(cases.c.id, cases.c.status, cases.c.outcome, cases.c.received_at, cases.c.ended_at,
                       cases.c.procedure_code, definitions.c.key.label("definition_key"),
                       definitions.c.version.label("definition_version"),
                       definitions.c.name.label("definition_name"))
                .join(definitions, definitions.c.id == cases.c.definition_id)
                .order_by(cases.c.received_at, cases.c.id))
        if ids is not None:
            stmt = stmt.where(cases.c.id.in_(ids))
        if process_key is not None:
            stmt = stmt.where(definitions.c.key == process_key)
        if active is not None:
            stmt = stmt.where(cases.c.status == "active" if active else cases.c.status != "active")
        rows = self._all(stmt)
        if rows:
            starters = self.conn.execute(select(events.c.case_id, events.c.actor).where(
                events.c.seq == 1, events.c.case_id.in_([r["id"] for r in rows])))
            by_case = {r.case_id: r.actor for r in starters}
            for row in rows:
                row["started_by"] = by_case.get(row["id"])
        return rows

    # --- daily report sums -----------------------------------------------------------------------------------
    def record_daily_sums(self, case: Mapping[str, Any], completed: Iterable[Mapping[str, Any]], *,
                          resolved_at: datetime | None) -> None:
        """Add the steps just completed, and indicator 2 of the case when these events resolved it, to the daily
        sums (`engine.reports.daily` computes the rows)."""
        self._upsert(step_days, step_rows(case, completed), STEP_KEYS, STEP_COUNTERS, "lane")
        if resolved_at is not None:
            t = tasks.c
            judged = self.conn.execute(select(t.lane_id, t.lane, t.completed_by, t.timing)
                                       .where(t.case_id == case["id"], t.timing.is_not(None)))
            self._upsert(unit_score_days, unit_score_rows(case, judged, resolved_at), UNIT_KEYS, UNIT_COUNTERS,
                         "label")

    def _upsert(self, table, rows: list[dict], keys: tuple[str, ...], counters: tuple[str, ...], label: str) -> None:
        """INSERT ... ON CONFLICT DO UPDATE adding the counters (SQLite 3.24+ and PostgreSQL share the syntax).
        Rows go in key order, so two transactions adding to the same rows wait for each other rather than deadlock."""
        if not rows:
            return
        dialect = self.conn.dialect.name
        stmt = _upserts.get((dialect, table.name))
        if stmt is None:  # built once: building an upsert costs more than running it
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert
            stmt = upsert(table)
            stmt = _upserts[(dialect, table.name)] = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={**{c: table.c[c] + stmt.excluded[c] for c in counters}, label: stmt.excluded[label]})
        ordered = sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))
        self.execute_fixed(stmt, many=ordered, columns=sorted(ordered[0]))

    # --- events ----------------------------------------------------------------------------------------------
    def chain_events(self, case_id: str, last_seq: int, last_hash: str, items: Iterable[Mapping[str, Any]],
                     actor: str | None, at: datetime, origin: Mapping[str, Any] | None = None,
                     ) -> tuple[list[dict], int, str]:
        """The event rows for `items`, numbered and hash-chained after (`last_seq`, `last_hash`); nothing written.
        `origin` (engine.origin.Origin.record()) is kept on each row and covered by its hash."""
        seq, prev = last_seq, last_hash or GENESIS
        origin = plain(origin) if origin is not None else None
        rows = []
        for item in items:
            payload = plain({k: v for k, v in item.items() if k not in ("type", "element_id", "at")})
            seq += 1
            type_ = str(item["type"])  # EventType members are stored as their plain token
            digest = event_hash(case_id, seq, type_, at, actor, item.get("element_id"), payload, prev, origin)
            rows.append(dict(case_id=case_id, seq=seq, type=type_, at=at, actor=actor,
                             element_id=item.get("element_id"), payload=payload, prev_hash=prev, hash=digest,
                             origin=origin))
            prev = digest
        return rows, seq, prev

    def insert_events(self, rows: list[dict]) -> None:
        if rows:
            self.execute_fixed(_INSERT_EVENTS, many=rows, columns=sorted(rows[0]))

    def append_events(self, case_id: str, last_seq: int, last_hash: str, items: Iterable[Mapping[str, Any]],
                      actor: str | None, at: datetime, origin: Mapping[str, Any] | None = None) -> tuple[int, str]:
        rows, seq, prev = self.chain_events(case_id, last_seq, last_hash, items, actor, at, origin)
        self.insert_events(rows)
        return seq, prev

    def case_events(self, case_id: str) -> list[EventRow]:
        return self._all(select(events).where(events.c.case_id == case_id).order_by(events.c.seq))
