"""`tthc calendar due | between | days`: JSON and Vietnamese output, --config, and bad input exiting 4."""

from __future__ import annotations

import json

import pytest

from engine.cli.main import run


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    # Only --config may bring a configuration into these tests, never the developer's own files.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("TTHC_CONFIG", "TTHC_NOW", "TTHC_DB", "TTHC_USER"):
        monkeypatch.delenv(name, raising=False)


def run_json(capsys, *args: str) -> dict:
    assert run(["calendar", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_due_prints_start_and_due_with_offsets_as_json(capsys):
    data = run_json(capsys, "due", "--start", "2026-02-13T08:00", "--days", "1")
    assert data == {"start": "2026-02-13T08:00:00+07:00", "days": 1, "due": "2026-02-23T08:00:00+07:00"}


def test_due_prints_a_vietnamese_sentence_with_hours_and_dates(capsys):
    assert run(["calendar", "due", "--start", "2026-01-05T07:30", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "Bắt đầu lúc 07:30 05/01/2026, sau 3 ngày làm việc: hạn là 17:30 07/01/2026." in out


def test_due_accepts_a_decimal_comma_and_an_offset(capsys):
    data = run_json(capsys, "due", "--start", "2026-01-05T01:00:00Z", "--days", "0,25")
    assert data["start"] == "2026-01-05T08:00:00+07:00"
    assert data["due"] == "2026-01-05T10:00:00+07:00"


def test_between_prints_working_days_and_minutes(capsys):
    data = run_json(capsys, "between", "--start", "2026-02-13T16:00", "--end", "2026-02-23T09:30")
    assert data["days"] == 0.4375 and data["minutes"] == 210


def test_between_prints_a_vietnamese_sentence_with_a_decimal_comma(capsys):
    assert run(["calendar", "between", "--start", "2026-01-05T07:30", "--end", "2026-01-06T09:30"]) == 0
    out = capsys.readouterr().out
    assert "Từ 07:30 05/01/2026 đến 09:30 06/01/2026: 1,25 ngày làm việc (600 phút làm việc)." in out


def test_days_lists_the_2026_swaps_as_json(capsys):
    data = run_json(capsys, "days", "--year", "2026")
    off = {d["date"]: d["name"] for d in data["days_off"]}
    assert off["2026-01-02"].startswith("Nghỉ hoán đổi")
    assert off["2026-11-24"] == "Ngày Văn hóa Việt Nam"
    assert [d["date"] for d in data["working_days"]] == ["2026-01-10", "2026-08-22"]


def test_days_table_shows_weekdays_in_vietnamese_and_flags_a_provisional_year(capsys):
    assert run(["calendar", "days", "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "Lịch làm việc năm 2027 (tạm tính" in out
    assert "08/02/2027" in out and "Thứ Hai" in out


def test_config_file_days_off_change_the_due_time(tmp_path, capsys):
    config = tmp_path / "tthc.toml"
    config.write_text('[calendar]\nextra_days_off = ["2026-02-23"]\n', encoding="utf-8")
    args = ["--config", str(config), "calendar", "due", "--start", "2026-02-13T08:00", "--days", "1", "--json"]
    assert run(args) == 0
    assert json.loads(capsys.readouterr().out)["due"] == "2026-02-24T08:00:00+07:00"


def test_negative_days_exit_4_with_one_message_on_stderr(capsys):
    assert run(["calendar", "due", "--start", "2026-02-13T08:00", "--days", "-1"]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == ["Lỗi: Số ngày làm việc không được âm: '-1'."]


def test_an_unknown_year_exits_4_with_a_json_error_on_stderr(capsys):
    assert run(["calendar", "days", "--year", "2028", "--json"]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    error = json.loads(captured.err)
    assert error["error"] == "invalid_input" and error["details"] == {"year": 2028}
    assert error["message"].startswith("Lịch làm việc chưa có dữ liệu cho năm 2028")


def test_a_start_that_is_not_iso_8601_exits_4_naming_it(capsys):
    assert run(["calendar", "between", "--start", "13/02/2026", "--end", "2026-02-23T09:30"]) == 4
    assert "Thời điểm '13/02/2026' không đúng ISO 8601" in capsys.readouterr().err


def test_overlapping_periods_in_the_config_file_exit_4(tmp_path, capsys):
    config = tmp_path / "tthc.toml"
    config.write_text('[calendar]\nperiods = ["07:30-11:30", "11:00-17:00"]\n', encoding="utf-8")
    assert run(["--config", str(config), "calendar", "due", "--start", "2026-01-05", "--days", "1"]) == 4
    assert "chồng lên nhau" in capsys.readouterr().err
