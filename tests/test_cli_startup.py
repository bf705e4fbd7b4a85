"""Start-up: a command imports what it uses, and nothing else; commands load lazily; options convert without pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from engine.cli import commands
from engine.cli.lazy import LazyGroup, PlainParam, _plain_type, install_plain_coercion
from engine.cli.main import _click_command

ROOT = Path(__file__).resolve().parents[1]
# What a read command must not load: the workflow engine, migrations, typer's pydantic adapters, the importer, the
# linter, reports, audit, and the `holidays` package (the calendar is not even built for a listing).
NOT_FOR_READS = ("SpiffWorkflow", "alembic", "pydantic", "engine.importer", "engine.lint", "engine.reports.build",
                 "engine.audit", "holidays", "jsonschema", "engine.runtime", "mako")

DRIVER = ("import sys, json; from engine.cli.main import run; code = run(sys.argv[1:]); "
          "sys.stderr.write(json.dumps(sorted(sys.modules)))")


def run_fresh(args: list[str], tmp_path: Path) -> tuple[int, str, list[str]]:
    """`tthc ARGS` in a new interpreter, as the console script runs it; returns the exit code, stdout and modules."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TTHC_CACHE_DIR=str(tmp_path / "cache"))
    for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, "-c", DRIVER, *args], env=env, capture_output=True, text=True, timeout=120)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    return done.returncode, done.stdout, modules


def loaded(modules: list[str], prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


@pytest.mark.parametrize("args", [["tasks", "--json"], ["procedures", "--json"], ["show", "NONE-1", "--json"]])
def test_a_read_command_loads_no_workflow_engine_migrations_pydantic_importer_reports_audit_or_holidays(
        cli, tmp_path, args):
    assert cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json").code == 0
    code, out, modules = run_fresh(["--db", cli.db_url, *args], tmp_path)
    assert code in (0, 3), out
    found = [name for name in NOT_FOR_READS if loaded(modules, name)]
    assert found == []


def test_a_write_command_loads_no_migrations_importer_reports_or_audit_when_the_schema_is_current(cli, tmp_path):
    assert cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json").code == 0
    started = cli("start", "1.014881", "--applicant", "Công ty Thử", "--json", user="lan").json()
    code, out, modules = run_fresh(["--db", cli.db_url, "--as", "lan", "note", started["case_id"], "Ghi chú", "--json"],
                                   tmp_path)
    assert code == 0, out
    assert [m for m in ("alembic", "pydantic", "engine.importer", "engine.lint", "engine.audit", "engine.reports.build")
            if loaded(modules, m)] == []


def test_help_lists_every_command_of_every_module():
    names = set(_click_command().list_commands(None))
    registered = set()
    for module in commands.MODULES:
        sub = typer.Typer()
        __import__(module, fromlist=["register"]).register(sub)
        registered |= set(typer.main.get_group(sub).commands)
    assert names == registered


def test_the_command_table_names_the_module_of_every_command():
    for module in commands.MODULES:
        sub = typer.Typer()
        __import__(module, fromlist=["register"]).register(sub)
        for name in typer.main.get_group(sub).commands:
            assert commands.COMMANDS.get(name) == module, name


def test_a_command_missing_from_the_table_is_still_found(cli, monkeypatch):
    group = typer.main.get_command(typer.Typer(cls=LazyGroup, callback=lambda: None))
    group.modules = commands.MODULES
    group.lazy = {k: v for k, v in commands.COMMANDS.items() if k != "tasks"}
    assert group.get_command(None, "tasks") is not None
    assert group.get_command(None, "no-such-command") is None


SAMPLES = ("12", "-3", "1.5", "abc", "true", "no", "a/b.db", "")


def _outcome(runtime, param, value):
    try:
        return ("ok", runtime.coerce(value, param=param, ctx=None))
    except typer.BadParameter:
        return ("refused", None)


def test_the_plain_converter_gives_what_typers_own_gives_for_every_parameter_of_every_command():
    install_plain_coercion()
    import typer.core as core

    original = core.build_runtime_param.original
    root = _click_command()
    checked = 0
    for name in root.list_commands(None):
        command = root.get_command(None, name)
        for sub in [command, *getattr(command, "commands", {}).values()]:
            for param in sub.params:
                descriptor = getattr(param, "type_descriptor", None)
                if descriptor is None or _plain_type(descriptor.annotation) is None:
                    continue
                ours, theirs = core.build_runtime_param(descriptor), original(descriptor)
                assert isinstance(ours, PlainParam)
                for value in SAMPLES:
                    assert _outcome(ours, param, value) == _outcome(theirs, param, value), (name, param.name, value)
                assert ours.coerce(None, param=param, ctx=None) == theirs.coerce(None, param=param, ctx=None)
                checked += 1
    assert checked > 40


def test_a_bad_number_is_a_usage_error_naming_the_value(cli):
    result = cli("worker", "--interval", "abc")
    assert result.code == 2
    assert "'abc'" in result.err


def test_the_schema_head_read_from_the_migration_files_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from engine.store import MIGRATIONS, schema_head

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert schema_head() == ScriptDirectory.from_config(cfg).get_current_head()


def test_a_database_at_an_older_revision_is_still_migrated_on_open(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from engine.store import Store, _alembic_config, schema_head

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()
    Store.open(url).dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == schema_head()
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(cases)"))}
    engine.dispose()
    assert "used_working_minutes" in columns  # added by 0002
