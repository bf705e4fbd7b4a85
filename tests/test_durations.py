"""Working-day allotments as XML-Schema durations (issue 16, part 6): what the importer writes, and the engine still
running diagrams written with fractional days (`P1.25D`) to the same instants."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine.calendar import BusinessCalendar
from engine.durations import working_days_duration
from engine.library import library_paths
from library_driver import CaseDriver


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("0.25", "PT2H"),
        ("0.5", "PT4H"),
        ("0.75", "PT6H"),
        ("1.25", "P1DT2H"),
        ("1.5", "P1DT4H"),
        ("10.25", "P10DT2H"),
        ("4", "P4D"),
        ("0.1", "PT48M"),
        ("0.33", "PT2H38M24S"),
        ("0.001", "PT28.8S"),
        ("0", "P0D"),
    ],
)
def test_a_fraction_of_a_working_day_is_written_in_working_hours_of_an_8_hour_day(days: str, expected: str) -> None:
    assert working_days_duration(Decimal(days)) == expected


@pytest.mark.parametrize("days", ["0.25", "0.5", "0.75", "1.25", "1.5", "10.25", "0.33"])
@pytest.mark.parametrize("start", ["2026-03-02T08:00", "2026-03-02T11:00", "2026-03-06T16:45", "2026-04-29T10:10"])
def test_the_written_duration_falls_due_when_the_fractional_days_do_on_the_default_calendar(
    days: str, start: str
) -> None:
    calendar = BusinessCalendar.default()
    at = datetime.fromisoformat(start + ":00+07:00")
    assert calendar.duration_due(at, working_days_duration(Decimal(days))) == calendar.duration_due(at, f"P{days}D")


def test_a_diagram_written_with_fractional_days_still_deploys_and_fires_at_the_same_instant(cli, tmp_path: Path) -> None:
    bpmn, forms = library_paths()
    copy = tmp_path / "bpmn"
    shutil.copytree(bpmn, copy)
    diagram = copy / "tdc_qt01.bpmn"
    text = diagram.read_text(encoding="utf-8")
    fractional = text.replace(">P1DT2H<", ">P1.25D<").replace(">PT2H<", ">P0.25D<").replace(">PT4H<", ">P0.5D<")
    assert fractional.count(">P1.25D<") == 1 and fractional.count(">P0.25D<") == 3
    diagram.write_text(fractional, encoding="utf-8")
    assert cli("deploy", str(copy), str(forms), "--json").code == 0

    case = CaseDriver(cli, "1.014881")
    case.start("2026-03-02T08:00")
    case.do("receive", "2026-03-02T09:00")
    case.do("assign", "2026-03-02T10:00")
    # 1.25 working days = 10 h from Mon 10:00, as the library's own P1DT2H (test_library_scenarios).
    assert case.task("appraise")["due_at"] == "2026-03-03T14:00:00+07:00"
    assert case.tick("2026-03-03T14:00:00")["fired"] == 0
    assert [t["element_id"] for t in case.tick("2026-03-03T14:00:01")["timers"]] == ["Timer_appraise"]
