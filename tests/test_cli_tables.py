"""Tables on a terminal: ids and figures never cut, late steps marked by colour and a symbol, labels in Vietnamese,
NO_COLOR, --version, shell completion, and what an empty database says to do next."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from engine.cli.render import number, shown_task_ids, tasks_table
from engine.fit_table import Column, fitted_table

ROOT = Path(__file__).resolve().parents[1]
START = "2026-11-23T08:00"
LONG_NAME = "Bước 3: Thẩm định hồ sơ, dự thảo kết quả giải quyết và trình lãnh đạo phòng chuyên môn xem xét"


def task(task_id: str, case_id: str, overdue: bool = False) -> dict:
    return {"task_id": task_id, "case_id": case_id, "name": LONG_NAME, "lane": "Phòng Quản lý Khoa học và Công nghệ",
            "candidate_groups": ["staff", "department_leader"], "started_at": "2026-11-23T08:00:00+07:00",
            "due_at": "2026-11-27T17:30:00+07:00", "overdue": overdue}


def rendered(width: int, table_of) -> str:
    console = Console(width=width, record=True, file=open(os.devnull, "w"), color_system=None)
    console.print(table_of(console))
    return console.export_text()


@pytest.mark.parametrize("width", [80, 60])
def test_task_and_case_ids_are_never_truncated_at_80_columns_or_narrower(width):
    tasks = [task("9b2d05c1-1111-4c2e-9a51-6f0e7e0c0001", "SKHCN-261116-0001", overdue=True),
             task("3f2a9c1e-2222-4c2e-9a51-6f0e7e0c0002", "SKHCN-261116-0002")]
    text = rendered(width, lambda c: tasks_table(c, tasks))
    assert "…" not in text
    for shown in ("9b2d05c1", "3f2a9c1e", "SKHCN-261116-0001", "SKHCN-261116-0002"):
        assert shown in text, shown
    assert max(len(line) for line in text.splitlines()) <= width


def test_a_narrow_terminal_drops_the_optional_columns_first():
    tasks = [task("9b2d05c1-1111-4c2e-9a51-6f0e7e0c0001", "SKHCN-261116-0001")]
    wide, narrow = rendered(200, lambda c: tasks_table(c, tasks)), rendered(60, lambda c: tasks_table(c, tasks))
    assert "Làn" in wide and "Nhóm xử lý" in wide and "Bắt đầu" in wide
    assert "Làn" not in narrow and "Nhóm xử lý" not in narrow and "Bắt đầu" not in narrow
    assert "Hạn" in narrow and "Bước" in narrow


def test_two_listed_tasks_sharing_their_first_8_characters_are_shown_with_more():
    shown = shown_task_ids([task("9b2d05c1-aaaa-0000-0000-000000000000", "A"),
                            task("9b2d05c1-abbb-0000-0000-000000000000", "B"),
                            task("12345678-0000-0000-0000-000000000000", "C")])
    assert sorted(shown.values()) == ["12345678", "9b2d05c1-aa", "9b2d05c1-ab"]


def test_figures_are_never_cut_and_optional_figures_give_way_on_a_narrow_terminal():
    columns = [Column("Đơn vị")] + [Column(f"Cột số {i}", "number", drop=i if i >= 5 else None) for i in range(9)]
    rows = [["Phòng Quản lý Khoa học và Công nghệ", *[f"{i}00,0%" for i in range(9)]]]
    text = rendered(80, lambda c: fitted_table(c, columns, rows))
    assert "…" not in text and "Phòng" in text
    assert [f"{i}00,0%" in text for i in range(9)] == [True] * 5 + [False] * 2 + [True] * 2  # 5 and 6 gave way


def test_numbers_are_written_without_trailing_zeros_and_with_a_decimal_comma():
    assert [number(v) for v in (Decimal("60.0000"), Decimal("0.2500"), 1.0, 7, None)] == ["60", "0,25", "1", "7", "—"]


@pytest.fixture
def library(cli):
    assert cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json").code == 0
    return cli


def test_the_task_id_a_table_shows_can_be_typed_back(library):
    library("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", now=START, user="lan")
    listed = library("tasks", now=START)
    assert listed.code == 0 and "…" not in listed.out
    shown = re.search(r"│ ([0-9a-f]{8}[0-9a-f-]*) +│ (SKHCN-\d{6}-\d{4})", listed.out)
    assert shown, listed.out
    assert library("form", shown.group(1), user="lan").code == 0  # a step's form is for who may work on it
    assert library("history", shown.group(2)).code == 0


def test_a_late_step_is_marked_with_a_symbol_in_plain_output(library):
    library("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", now=START, user="lan")
    library("tick", now="2026-11-30T08:00")
    assert "⚠ quá hạn" in library("tasks", now="2026-11-30T08:00").out
    case_id = library("tasks", "--json", now=START).json()[0]["case_id"]
    assert "⚠ Bước quá hạn:" in library("show", case_id, now="2026-11-30T08:00").out


def test_the_report_at_80_columns_cuts_no_figure_and_no_code(library):
    from engine.demo_data import reception

    import json

    view = library("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START, user="lan").json()
    library("complete", view["tasks"][0]["task_id"], "--data", json.dumps(reception("Công ty TNHH Ánh Dương")),
            now="2026-11-30T08:00", user="lan")
    out = library("report", "--period", "month", now="2026-11-30T09:00").out
    assert "1.014881" in out and "…" not in out


def test_procedures_shows_whole_days_without_decimals(library):
    out = library("procedures").out
    assert "60.0000" not in out and re.search(r"│ +60 │", out)


def test_an_empty_database_says_to_deploy_on_stderr_and_keeps_json_valid(cli):
    result = cli("procedures", "--json")
    assert result.code == 0 and result.json() == []
    assert "tthc deploy" in result.err and "bpmn" in result.err and "forms" in result.err


def test_starting_an_undeployed_procedure_says_to_deploy(cli):
    result = cli("start", "1.014881", "--applicant", "A", now=START, user="lan")
    assert result.code == 3
    assert "'1.014881'" in result.err and "tthc deploy" in result.err and "tthc procedures" in result.err


def _fresh(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    environment.pop("NO_COLOR", None)
    environment.update(env)
    return subprocess.run([sys.executable, "-c", "import sys; from engine.cli.main import run; sys.exit(run())", *args],
                          env=environment, capture_output=True, text=True, timeout=120)


def test_late_steps_are_red_on_a_terminal_and_no_color_removes_the_colour_not_the_symbol(library):
    library("start", "1.014881", "--applicant", "Công ty TNHH Ánh Dương", now=START, user="lan")
    args = ["--db", library.db_url, "--now", "2026-11-30T08:00", "tasks"]
    coloured = _fresh(args, FORCE_COLOR="1", COLUMNS="120")
    plain = _fresh(args, FORCE_COLOR="1", NO_COLOR="1", COLUMNS="120")
    assert re.search(r"\x1b\[[0-9;]*31m", coloured.stdout)
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", plain.stdout)
    assert "⚠" in plain.stdout and "⚠" in coloured.stdout


def test_version_and_shell_completion(cli):
    version = cli("--version")
    assert version.code == 0 and re.fullmatch(r"tthc \S.*\n", version.out)
    # typer finds the shell among the parent processes: run it from bash, as a user would.
    environment = dict(os.environ, PYTHONPATH=str(ROOT), SHELL="/bin/bash")
    completion = subprocess.run(["bash", "-c", f"{sys.executable} -c 'import sys; from engine.cli.main import run; "
                                 "sys.exit(run())' --show-completion; exit $?"], env=environment, capture_output=True,
                                text=True, timeout=120)
    assert completion.returncode == 0 and "_tthc_completion" in completion.stdout, completion.stderr
    completed = _fresh([], _TTHC_COMPLETE="complete_bash", COMP_WORDS="tthc ta", COMP_CWORD="1")
    assert completed.stdout.split() == ["tasks"]


def test_cells_are_shown_as_written_never_read_as_markup():
    text = rendered(80, lambda c: fitted_table(c, [Column("Mã", "id"), Column("Tên")],
                                               [["A-1", "Bước [2] và [bold]x[/bold]"]]))
    assert "Bước [2] và [bold]x[/bold]" in text
