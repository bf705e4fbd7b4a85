"""The fixed statements run on the driver (engine/driver_sql.py) read and write exactly what SQLAlchemy would."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, update
from sqlalchemy.exc import OperationalError

from engine import store as store_module
from engine.calendar import TZ
from engine.driver_sql import Prepared
from engine.errors import Conflict, StoreUnavailable
from engine.store import Store
from library_driver import CaseDriver
from engine.library import library_paths

START = "2026-03-02T08:00"


@pytest.fixture
def started(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn")).code == 0
    view = cli("start", "review_fixture", "--applicant", "Công ty Ánh Dương", "--json", now=START, user="lan").json()
    store = Store.open(cli.db_url)
    yield store, view["case_id"], view["tasks"][0]["task_id"]
    store.dispose()


def _sqlalchemy_rows(tx, stmt, params):
    return [dict(r) for r in tx.conn.execute(stmt, params).mappings()]


def test_rows_read_on_the_driver_equal_sqlalchemys_with_the_same_types(started):
    store, case_id, task_id = started
    with store.transaction() as tx:
        for stmt, params in [(store_module._CASE_WITH_HEAD, {"case_id": case_id}), (store_module._TASK, {"task_id": task_id}),
                             (store_module._VIEW_TASKS, {"case_id": case_id})]:
            expected = _sqlalchemy_rows(tx, stmt, params)
            got, _ = tx.execute_fixed(stmt, params)
            assert got == expected and expected
            for g, e in zip(got, expected):
                assert {k: type(v) for k, v in g.items()} == {k: type(v) for k, v in e.items()}
        case = tx.execute_fixed(store_module._CASE, {"case_id": case_id})[0][0]
    # Converted by the column types, as SQLAlchemy does: aware local datetimes, parsed JSON, Decimal, bool.
    assert case["received_at"] == datetime(2026, 3, 2, 8, 0, tzinfo=TZ) and case["received_at"].tzinfo is not None
    assert isinstance(case["policy"], dict)
    with store.transaction() as tx:
        task = tx.task(task_id)
    assert isinstance(task["allotted_working_days"], Decimal)
    assert task["overdue"] is False


def test_an_insert_gets_the_python_side_defaults_of_the_columns_it_leaves_out(started):
    store, case_id, task_id = started
    with store.transaction() as tx:
        row = tx.task(task_id)
        new = {k: v for k, v in row.items() if k not in ("overdue", "groups", "candidate_users", "restart_deadline")}
        new["id"] = "00000000-0000-4000-8000-000000000001"
        tx.insert_task(new)  # overdue, groups, candidate_users are NOT NULL: only their defaults make this work
    with store.transaction() as tx:
        stored = tx.task(new["id"])
    assert (stored["overdue"], stored["groups"], stored["candidate_users"], stored["restart_deadline"]) == (
        False, "", "", False)


def test_a_driver_error_becomes_the_stores_conflict_and_nothing_is_written(started):
    store, case_id, task_id = started
    with pytest.raises(Conflict):
        with store.transaction() as tx:
            tx.update_task(task_id, {"assignee": "mai"})
            tx.insert_task(tx.task(task_id))  # same primary key: the driver's IntegrityError
    with store.transaction() as tx:
        assert tx.task(task_id)["assignee"] is None


def test_a_versioned_update_reports_the_rows_it_changed(started):
    store, case_id, _ = started
    with store.transaction() as tx:
        version = tx.case(case_id)["version"]
        assert tx.save_case(case_id, version, {"stage": "processing"}) == version + 1
    with pytest.raises(Conflict):
        with store.transaction() as tx:
            tx.save_case(case_id, version, {"stage": "processing"})  # the old version: no row matches


def test_a_statement_with_an_onupdate_default_is_refused_rather_than_run_without_it(started):
    store, _, _ = started
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, onupdate=1))
    with pytest.raises(ValueError, match="execution context"):
        Prepared(update(table).where(table.c.id == bindparam("row_id")).values(id=bindparam("v")),
                 store.engine.dialect)


def test_each_fixed_statement_is_compiled_once_per_store(started, monkeypatch):
    store, case_id, task_id = started
    compiled: list = []

    class Counting(Prepared):
        def __init__(self, stmt, dialect, column_keys=None):
            compiled.append(stmt)
            super().__init__(stmt, dialect, column_keys)

    monkeypatch.setattr(store_module, "Prepared", Counting)
    store.prepared.clear()
    for _ in range(3):
        with store.transaction() as tx:
            tx.task(task_id)
            tx.case(case_id)
    assert compiled == [store_module._TASK, store_module._CASE]


def _construct_params_way(prepared: Prepared, params: dict):
    """The driver arguments as SQLAlchemy builds them: construct_params, column defaults, bind processors."""
    compiled = prepared.compiled
    values = compiled.construct_params(params, _check=False)
    for column in getattr(compiled, "insert_prefetch", None) or ():
        values[column.key] = column.default.arg if column.default.is_scalar else column.default.arg(None)
    for name, process in compiled._bind_processors.items():
        if name in values:
            values[name] = process(values[name])
    return tuple(values[n] for n in compiled.positiontup) if compiled.positional else values


def _comparable(args):
    """psycopg wraps JSON values in a `Json` object that compares by identity: compare what it wraps."""
    unwrap = (lambda v: ("Json", v.obj) if type(v).__name__ in ("Json", "Jsonb") else v)
    if isinstance(args, dict):
        return {k: unwrap(v) for k, v in args.items()}
    return tuple(unwrap(v) for v in args)


def test_every_fixed_statement_of_a_whole_case_gets_the_arguments_sqlalchemy_would_build(cli, monkeypatch):
    # The one-pass argument plan of Prepared against SQLAlchemy's own way, for every statement and value a real
    # case sends (inserts with defaults, versioned updates, upserts, reads), on whichever database the suite runs.
    seen: dict[str, int] = {}
    planned = Prepared._parameters

    def checked(self, params):
        got = planned(self, params)
        assert _comparable(got) == _comparable(_construct_params_way(self, params)), self.sql
        seen[self.sql] = seen.get(self.sql, 0) + 1
        return got

    monkeypatch.setattr(Prepared, "_parameters", checked)
    assert cli("deploy", *map(str, library_paths())).code == 0
    case = CaseDriver(cli, "1.014881")
    case.start("2026-03-02T08:00")
    for element, at in [("receive", "2026-03-02T09:00"), ("assign", "2026-03-02T10:00"),
                        ("appraise", "2026-03-02T11:00"), ("review", "2026-03-02T14:00"),
                        ("approve", "2026-03-02T15:00"), ("register", "2026-03-02T16:00"),
                        ("return_result", "2026-03-03T08:00")]:
        case.do(element, at)
    assert case.show()["status"] == "completed"
    kinds = {sql.split()[0] for sql in seen}
    assert {"SELECT", "INSERT", "UPDATE"} <= kinds and len(seen) >= 10, sorted(seen)


@pytest.mark.skipif(not os.environ.get("TTHC_TEST_PG"), reason="needs PostgreSQL (TTHC_TEST_PG) to lose a connection")
def test_a_connection_lost_in_the_middle_of_a_command_is_reported_then_replaced(started):
    from sqlalchemy import text

    from engine.errors import StoreUnavailable

    store, case_id, task_id = started
    with store.transaction() as tx:  # the pooled connection the next transaction will reuse
        pid = tx.conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with pytest.raises(StoreUnavailable):
        with store.transaction() as tx:
            tx.task(task_id)
            with store.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                admin.commit()
            tx.update_task(task_id, {"assignee": "mai"})  # on the dead connection
    with store.transaction() as tx:  # the dead connection was thrown away, not handed out again
        assert tx.conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert tx.task(task_id)["assignee"] is None


class _DeadlockVictim(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


class _LostConnection(Exception):
    sqlstate = "08006"


@pytest.mark.parametrize(("orig", "expected"), [(_DeadlockVictim("deadlock detected"), Conflict),
                                                (_LostConnection("connection failure"), StoreUnavailable)])
def test_a_deadlock_victim_is_a_conflict_to_repeat_other_database_failures_are_unavailability(started, orig, expected):
    store, _, task_id = started
    with pytest.raises(expected):
        with store.transaction() as tx:
            tx.update_task(task_id, {"assignee": "mai"})
            raise OperationalError("UPDATE tasks ...", {}, orig)
    with store.transaction() as tx:
        assert tx.task(task_id)["assignee"] is None  # rolled back whole either way


def test_a_starts_choices_read_as_fixed_statements_equal_the_general_lists(cli, fixtures):
    """An HTTP start reads a process's versions and its procedures' codes on the driver: the same rows, types and
    order as the general lists it replaced (definition_list, procedures)."""
    assert cli("deploy", str(fixtures / "bpmn"), *map(str, library_paths())).code == 0  # the library: procedures
    store = Store.open(cli.db_url)
    try:
        with store.transaction() as tx:
            processes = {p["process_id"] for p in tx.procedures()} | {"review_fixture"}
            for key in sorted(processes):
                expected = tx.definition_list("bpmn", key)
                got = tx.version_list("bpmn", key)
                assert got == expected and [type(v) for v in got[0].values()] == [type(v) for v in expected[0].values()]
                assert tx.procedure_codes_of(key) == [p["code"] for p in tx.procedures() if p["process_id"] == key]
            assert tx.version_list("bpmn", "no-such-process") == []
            assert any(tx.procedure_codes_of(key) for key in processes)
    finally:
        store.dispose()
