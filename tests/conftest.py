"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when TTHC_TEST_PG is set), the CLI run
in-process with a fixed clock, and the demo users.

`TTHC_TEST_PG` is an admin URL such as `postgresql+psycopg://postgres@localhost/postgres`; each test then gets its own
database, dropped afterwards. `.ci/run` runs the whole suite once without it and once with it.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

# Every state dump in the suite is checked against the library serializer's (engine/state_codec.py): the incremental
# dump reuses finished tasks' JSON, and a scenario that changes a finished task behind its back must fail here.
os.environ.setdefault("TTHC_CHECK_STATE", "1")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PG_ADMIN = os.environ.get("TTHC_TEST_PG")


_session_db: tuple[str, str] | None = None  # (name, migrated head revision)


def _admin():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


def _url_for(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _session_database() -> tuple[str, str]:
    """One migrated PostgreSQL database per test session; tests start from empty tables (see `_reset`)."""
    global _session_db
    if _session_db is None:
        from sqlalchemy import create_engine, text

        from engine.store import Store

        name = f"tthc_test_{uuid.uuid4().hex[:12]}"
        admin = _admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        Store.open(_url_for(name)).dispose()
        engine = create_engine(_url_for(name))
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        engine.dispose()
        _session_db = (name, head)
    return _session_db


def _reset(name: str, head: str) -> None:
    """Empty every table (much faster than a database per test) and undo a test's schema-version tampering."""
    from sqlalchemy import create_engine, text

    from engine.schema import metadata

    engine = create_engine(_url_for(name))
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    engine.dispose()


def _drop_pg(name: str) -> None:
    from sqlalchemy import text

    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_sessionfinish(session, exitstatus):
    if PG_ADMIN and _session_db:
        _drop_pg(_session_db[0])


@pytest.fixture
def db_url(tmp_path):
    from engine.workflow_cache import WorkflowCache

    # The in-process CLI keeps workflows between the commands of one test, like a long-running process; each test
    # starts with none (a PostgreSQL database is emptied and reused, so case ids repeat across tests).
    WorkflowCache.clear_shared()
    # Which content a definition id holds is kept per (database URL, definition id); an emptied PostgreSQL database
    # repeats both with other content (a test that deploys its own diagrams, then one that deploys the library).
    from engine.workflow_cache import DEFINITIONS

    DEFINITIONS.bpmn_hash.clear()
    if PG_ADMIN:
        name, head = _session_database()
        _reset(name, head)
        yield _url_for(name)
    else:
        yield f"sqlite:///{tmp_path / 'tthc.db'}"


@pytest.fixture
def empty_db_url(tmp_path):
    """A database with no tables at all (for migration tests): a SQLite file, or with TTHC_TEST_PG a PostgreSQL
    database of its own, dropped afterwards."""
    if not PG_ADMIN:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    from sqlalchemy import text

    name = f"tthc_empty_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    try:
        yield _url_for(name)
    finally:
        _drop_pg(name)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def err_json(self):
        return json.loads(self.err)


class Cli:
    """Runs `tthc` in-process with the test's database and config; global options go before the command."""

    def __init__(self, db_url: str, config: Path | None = None, now: str | None = None) -> None:
        self.db_url = db_url
        self.config = config
        self.now = now

    def __call__(self, *args: str, now: str | None = None, user: str | None = None, stdin: str | None = None) -> Result:
        from engine.cli.main import run

        argv = ["--db", self.db_url]
        if self.config:
            argv += ["--config", str(self.config)]
        when = now or self.now
        if when:
            argv += ["--now", when]
        if user:
            argv += ["--as", user]
        argv += list(args)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(db_url, monkeypatch):
    for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
        monkeypatch.delenv(var, raising=False)
    # No stray user config from the developer's home directory.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(Path(db_url.split("///")[-1]).parent) if "sqlite" in db_url else "/nonexistent")
    return Cli(db_url)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
