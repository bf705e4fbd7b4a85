"""Every hostile input is answered with one sentence and its exit code, in seconds, and changes nothing (issue 19).

The corpus (tests/hostile/corpus.py) is written once per module into a temporary directory; one database with a
deployed diagram, a decision table and a case waiting at its reception step serves every case, and each case checks
that a dump of every table is the same after the command as before it.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import PG_ADMIN, Cli
from corpus import CASES, DECISION, FIXTURE, MARKER, SPECIAL_ARGS, reception_form_with_pattern

NOW = "2026-03-02T08:00"
SECONDS = 5.0


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for case in CASES:
        path = root / case.name
        path.parent.mkdir(parents=True, exist_ok=True)
        case.write(path)
    return root


class World:
    """One database, shared by the module: every case must leave it exactly as it found it."""

    def __init__(self, url: str, root: Path) -> None:
        self.cli = Cli(url, now=NOW)
        self.url = url
        folder = root / "definitions"
        folder.mkdir()
        for form in FIXTURE.glob("*.form"):
            (folder / form.name).write_bytes(form.read_bytes())
        (folder / "fixture_reception.form").write_text(reception_form_with_pattern(), encoding="utf-8")
        (folder / "review_fixture.bpmn").write_bytes((FIXTURE / "review_fixture.bpmn").read_bytes())
        (folder / "appraisal_routing.dmn").write_text(DECISION, encoding="utf-8")
        deployed = self.cli("deploy", str(folder))
        assert deployed.code == 0, deployed.err
        started = self.cli("start", "review_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", user="lan")
        assert started.code == 0, started.err
        self.task = started.json()["tasks"][0]["task_id"]
        self.out = root / "import-out"

    def dump(self) -> dict[str, list]:
        from engine.schema import metadata

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                tables = {t.name: sorted(map(repr, conn.execute(t.select()).all())) for t in metadata.sorted_tables}
                tables["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                return tables
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from engine.workflow_cache import WorkflowCache

    WorkflowCache.clear_shared()
    root = tmp_path_factory.mktemp("hostile-db")
    saved = {var: os.environ.pop(var, None) for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER")}
    os.environ["XDG_CONFIG_HOME"] = str(root)  # no stray user config
    if PG_ADMIN:
        from conftest import _admin, _url_for

        name = f"tthc_hostile_{uuid.uuid4().hex[:12]}"
        admin = _admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield World(_url_for(name), root)
        admin = _admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield World(f"sqlite:///{root / 'tthc.db'}", root)
    for var, value in saved.items():
        if value is not None:
            os.environ[var] = value
    WorkflowCache.clear_shared()


def _run(world: World, args: tuple[str, ...], path: Path | None, expected: int, needle: str | None) -> None:
    argv = [a.format(path=path, task=world.task, out=world.out) for a in args]
    user = "lan" if argv[0] in ("complete", "start") else None
    before = world.dump()
    started = time.perf_counter()
    result = world.cli(*argv, user=user)
    elapsed = time.perf_counter() - started
    message = result.err.strip()
    assert "Traceback" not in result.err + result.out, result.err[-2000:]
    assert result.code == expected, (result.code, message[:500])
    assert len(message.splitlines()) == 1 and message.startswith("Lỗi: "), message[:2000]
    if needle:
        assert needle in message, message[:500]
    assert elapsed <= SECONDS, f"{elapsed:.1f} s"
    assert world.dump() == before
    assert not Path(MARKER).exists()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_hostile_input_gets_one_sentence_its_exit_code_and_changes_nothing(case, world, corpus_dir):
    _run(world, case.args, corpus_dir / case.name, case.code, case.needle)


@pytest.mark.parametrize(("name", "args", "code"), SPECIAL_ARGS, ids=[s[0] for s in SPECIAL_ARGS])
def test_hostile_data_argument_gets_one_sentence_its_exit_code_and_changes_nothing(name, args, code, world):
    _run(world, args, None, code, None)


def test_the_corpus_has_at_least_fifty_inputs():
    assert len(CASES) + len(SPECIAL_ARGS) >= 50
    assert len({case.name for case in CASES}) == len(CASES)


NAMES = {
    "Tiếp nhận hồ sơ": "${__import__('os').system('touch /tmp/tthc-hostile-pwned')}",
    "Thẩm định thử nghiệm": "{{7*7}} #{''.getClass()} __class__.__mro__",
    "Bộ phận Một cửa": "'; DROP TABLE cases; --",
}


def test_injection_in_names_is_kept_as_text_and_never_run(cli, tmp_path):
    """Names and labels are text for people: accepted verbatim, stored verbatim, never evaluated."""
    # (conftest's `db_url` fixture forgets which content each definition id held: PostgreSQL test databases are
    # emptied and reused, so ids repeat across tests.)
    folder = tmp_path / "in"
    folder.mkdir()
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    diagram = (FIXTURE / "review_fixture.bpmn").read_text(encoding="utf-8")
    for name, hostile in NAMES.items():
        assert f'name="{name}"' in diagram
        diagram = diagram.replace(f'name="{name}"', f'name="{hostile.replace(chr(39), "&apos;")}"')
    (folder / "review_fixture.bpmn").write_text(diagram, encoding="utf-8")
    assert cli("deploy", str(folder)).code == 0
    started = cli("start", "review_fixture", "--applicant", NAMES["Tiếp nhận hồ sơ"], "--json", user="lan",
                  now=NOW)
    assert started.code == 0, started.err
    case = cli("show", started.json()["case_id"], "--json")
    assert case.json()["applicant"] == NAMES["Tiếp nhận hồ sơ"]
    assert case.json()["tasks"][0]["name"] == NAMES["Tiếp nhận hồ sơ"]
    assert case.json()["tasks"][0]["lane"] == NAMES["Bộ phận Một cửa"]
    assert not Path(MARKER).exists()
    assert cli("procedures", "--json").code == 0  # the tables are all still there

