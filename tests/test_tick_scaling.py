"""Firing timers costs what is due, not what is stored (issue 9): with 10,000 open cases `tick` restores only the
cases whose timer is due, and the due query is answered from the `next_timer_at` index."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, select

from engine.calendar import parse_instant
from engine.runtime import Runtime
from engine.schema import cases, tasks
from engine.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib.fleet import chain_is_intact, clone_case  # noqa: E402
from conftest import Cli  # noqa: E402

PG_ADMIN = os.environ.get("TTHC_TEST_PG")

OPEN_CASES = 10_000
EARLY = "2026-03-02T08:00"  # reception step due 10:00
LATE = "2026-03-02T10:15"  # reception step due 14:15 (two working hours, across the lunch break)


def _pg_database(name: str, action: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' if action == "create" else
                             f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """One case due at 10:00 and 9,999 copies of a case due at 14:15, in one database shared by this module."""
    if PG_ADMIN:  # a database of its own: the shared test database is emptied between tests
        name = f"tthc_fleet_{uuid.uuid4().hex[:12]}"
        url = _pg_database(name, "create")
    else:
        url, name = f"sqlite:///{tmp_path_factory.mktemp('fleet') / 'tthc.db'}", None
    cli = Cli(url)
    assert cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json").code == 0
    ids = {}
    for label, at in (("early", EARLY), ("late", LATE)):
        result = cli("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=at, user="lan")
        assert result.code == 0, result.err
        ids[label] = result.json()["case_id"]
    store = Store.open(url)
    ids["clones"] = clone_case(store, ids["late"], OPEN_CASES - 2)
    if not store.is_sqlite:
        with store.engine.connect() as conn:  # fresh planner statistics, as autovacuum would gather them
            conn.exec_driver_sql("ANALYZE cases")
            conn.commit()
    yield cli, store, ids
    store.dispose()
    if name:
        _pg_database(name, "drop")


@pytest.fixture
def restores(monkeypatch):
    """Counts workflows restored from stored state, whatever calls it. The tick runs as a fresh worker process
    would: nothing kept in memory from the commands that started the cases."""
    from engine.workflow_cache import WorkflowCache

    WorkflowCache.clear_shared()
    calls: list[str] = []
    restore = Runtime.restore

    def counting(self, compiled, state):
        calls.append(compiled.info.process_id)
        return restore(self, compiled, state)

    monkeypatch.setattr(Runtime, "restore", counting)
    return calls


def test_tick_with_ten_thousand_open_cases_and_none_due_restores_no_workflow(fleet, restores):
    cli, store, _ = fleet
    with store.transaction() as tx:
        open_cases = tx.conn.execute(select(cases.c.id).where(cases.c.status == "active")).all()
    assert len(open_cases) == OPEN_CASES
    result = cli("tick", "--json", now="2026-03-02T09:00")
    assert result.code == 0, result.err
    assert (result.json()["fired"], result.json()["cases"]) == (0, 0)
    assert restores == []


def test_tick_restores_only_the_case_whose_timer_is_due(fleet, restores):
    cli, _, ids = fleet
    result = cli("tick", "--json", now="2026-03-02T10:30")
    assert result.code == 0, result.err
    fired = result.json()
    assert [(t["case_id"], t["element_id"]) for t in fired["timers"]] == [(ids["early"], "Timer_receive")]
    assert restores == ["tdc_qt01"]


def test_the_due_query_is_answered_from_the_next_timer_index(fleet):
    _, store, _ = fleet
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        with store.transaction() as tx:
            tx.due_cases(parse_instant("2026-03-02T12:00"), 200)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = next((s, p) for s, p in captured if "next_timer_at" in s and s.lstrip().startswith("SELECT"))
    explain = "EXPLAIN QUERY PLAN " if store.is_sqlite else "EXPLAIN "
    with store.engine.connect() as conn:
        plan = "\n".join(" ".join(str(c) for c in row) for row in conn.exec_driver_sql(explain + statement, parameters))
        conn.rollback()
    assert "ix_cases_next_timer" in plan, plan


def test_cloned_cases_have_their_own_task_ids_in_state_and_rows_and_an_intact_chain(fleet):
    _, store, ids = fleet
    clone = ids["clones"][-1]
    with store.transaction() as tx:
        source_row, clone_row = tx.case(ids["late"]), tx.case(clone)
        clone_tasks = tx.conn.execute(select(tasks.c.id).where(tasks.c.case_id == clone)).scalars().all()
        source_tasks = tx.conn.execute(select(tasks.c.id).where(tasks.c.case_id == ids["late"])).scalars().all()
        clone_events = tx.case_events(clone)
    state = json.loads(clone_row["state"])
    assert set(state["tasks"]).isdisjoint(json.loads(source_row["state"])["tasks"])
    assert len(clone_tasks) == len(source_tasks) == 1 and clone_tasks[0] in state["tasks"]
    assert state["tasks"][clone_tasks[0]]["id"] == clone_tasks[0]
    assert clone_events[1]["payload"]["task_id"] == clone_tasks[0]
    assert clone_row["next_timer_at"] == source_row["next_timer_at"]
    assert chain_is_intact(clone_row, clone_events)
    assert not chain_is_intact({**clone_row, "id": ids["late"]}, clone_events)  # the hash covers the case id
