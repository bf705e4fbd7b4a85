"""What an operator types as the database: each mistake gets one sentence naming it and what to write, never a
traceback; a bare path is SQLite; a missing directory is refused, never created."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("typed, code, says", [
    ("mysql://x/y", 4, "không hỗ trợ cơ sở dữ liệu 'mysql' trong 'mysql://x/y'"),
    ("oracle+cx_oracle://u@h/d", 4, "không hỗ trợ cơ sở dữ liệu 'oracle'"),
    ("postgresql+asyncpg://u:secret@h/d", 4, "trình điều khiển 'asyncpg' cho 'postgresql+asyncpg://u:***@h/d': hãy ghi postgresql+psycopg://u:***@h/d."),
    ("mysql:x", 4, "Không hiểu cơ sở dữ liệu 'mysql:x'"),
    ("sqlite:///nonexist/dir/x.db", 6, "Thư mục 'nonexist/dir' của cơ sở dữ liệu 'sqlite:///nonexist/dir/x.db' không tồn tại"),
    ("missing/x.db", 6, "không tồn tại"),
])
def test_a_database_tthc_cannot_open_is_one_sentence_with_what_to_write_instead(in_tmp, typed, code, says):
    result = Cli(typed)("procedures")
    assert result.code == code
    assert result.out == ""
    assert result.err.startswith("Lỗi: ") and says in result.err
    assert "Traceback" not in result.err and "secret" not in result.err
    assert "hãy ghi" in result.err or "hãy tạo nó (mkdir -p" in result.err  # what to write (or do) instead
    assert not (in_tmp / "nonexist").exists() and not (in_tmp / "missing").exists()  # nothing created


def test_with_json_the_error_is_one_json_document(in_tmp):
    result = Cli("mysql://x/y")("procedures", "--json")
    assert result.code == 4
    assert result.err_json()["error"] == "invalid_input" and result.err_json()["details"] == {"url": "mysql://x/y"}


def test_a_bare_path_is_taken_as_sqlite(in_tmp):
    (in_tmp / "data").mkdir()
    result = Cli("data/x.db")("procedures", "--json")
    assert result.code == 0, result.err
    assert result.json() == []
    assert (in_tmp / "data" / "x.db").is_file()


def test_postgresql_without_a_driver_means_psycopg():
    from engine.db_url import normalize

    assert normalize("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize("sqlite://") == "sqlite://"
    assert normalize("SQLite:///x.db") == "sqlite:///x.db"


def test_the_default_database_directory_is_created_on_first_use(in_tmp):
    from engine.cli.main import run

    assert run(["procedures", "--json"]) == 0
    assert (in_tmp / "data-home" / "tthc" / "tthc.db").is_file()


def test_help_says_a_bare_path_is_sqlite(in_tmp, capsys):
    from engine.cli.main import run

    run(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "đường dẫn tệp (coi là SQLite" in out.replace("│ ", "").replace(" │", "")
