"""Report periods and the pieces of a report that need no database: periods, month buckets, charts, measures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from engine.calendar import TZ, BusinessCalendar
from engine.errors import InvalidInput
from engine.reports.measures import case_time_used, step_time_used
from engine.reports.periods import containing_period, month_buckets, parse_date, range_period, trend_period
from engine.reports.svg import bar_chart, trend_chart


def _days(period) -> tuple[str, str]:
    return period.first_day.isoformat(), period.last_day.isoformat()


def test_calendar_month_is_the_month_containing_the_clock_date():
    period = containing_period("month", date(2026, 3, 17))
    assert _days(period) == ("2026-03-01", "2026-03-31")
    assert period.start == datetime(2026, 3, 1, tzinfo=TZ) and period.end == datetime(2026, 4, 1, tzinfo=TZ)
    assert period.label == "Tháng 03/2026 (01/03/2026 – 31/03/2026)"


def test_cutoff_day_25_month_runs_from_the_25th_of_the_previous_month_to_the_24th():
    assert _days(containing_period("month", date(2026, 3, 24), 25)) == ("2026-02-25", "2026-03-24")
    # From the 25th the figures belong to the next month's report.
    after = containing_period("month", date(2026, 3, 25), 25)
    assert _days(after) == ("2026-03-25", "2026-04-24") and after.label.startswith("Tháng 04/2026")


def test_cutoff_day_25_year_starts_on_25_december_of_the_year_before():
    assert _days(containing_period("year", date(2026, 6, 1), 25)) == ("2025-12-25", "2026-12-24")
    late_december = containing_period("year", date(2026, 12, 26), 25)
    assert _days(late_december) == ("2026-12-25", "2027-12-24") and late_december.label.startswith("Năm 2027")


def test_quarters_with_and_without_cutoff():
    assert _days(containing_period("quarter", date(2026, 5, 4))) == ("2026-04-01", "2026-06-30")
    first = containing_period("quarter", date(2026, 1, 10), 25)
    assert _days(first) == ("2025-12-25", "2026-03-24") and first.label.startswith("Quý I/2026")


def test_week_runs_monday_to_sunday_and_refuses_a_cutoff_day():
    week = containing_period("week", date(2026, 3, 5))  # a Thursday
    assert _days(week) == ("2026-03-02", "2026-03-08") and week.label.startswith("Tuần 10/2026")
    with pytest.raises(InvalidInput, match="cutoff-day"):
        containing_period("week", date(2026, 3, 5), 25)


@pytest.mark.parametrize("day", [0, 29, 31])
def test_cutoff_day_outside_1_to_28_is_refused_with_its_value(day):
    with pytest.raises(InvalidInput, match=f"--cutoff-day {day} "):
        containing_period("month", date(2026, 3, 5), day)


def test_range_includes_both_days_and_refuses_an_end_before_the_start():
    period = range_period(date(2026, 3, 1), date(2026, 3, 31))
    assert period.end == datetime(2026, 4, 1, tzinfo=TZ)
    with pytest.raises(InvalidInput, match="31/03/2026"):
        range_period(date(2026, 3, 31), date(2026, 3, 1))


def test_dates_are_read_in_iso_and_vietnamese_order_and_a_bad_one_is_named():
    assert parse_date("2026-03-31", "--to") == parse_date("31/03/2026", "--to") == date(2026, 3, 31)
    with pytest.raises(InvalidInput, match="'31/02/2026' của --from"):
        parse_date("31/02/2026", "--from")


def test_month_buckets_are_cut_at_the_ends_of_the_period():
    buckets = month_buckets(range_period(date(2026, 2, 10), date(2026, 4, 20)))
    assert [(_days(b), b.label) for b in buckets] == [
        (("2026-02-10", "2026-02-28"), "02/2026"), (("2026-03-01", "2026-03-31"), "03/2026"),
        (("2026-04-01", "2026-04-20"), "04/2026")]
    with_cutoff = month_buckets(containing_period("quarter", date(2026, 2, 1), 25))
    assert [_days(b) for b in with_cutoff] == [("2025-12-25", "2026-01-24"), ("2026-01-25", "2026-02-24"),
                                               ("2026-02-25", "2026-03-24")]


def test_trend_of_a_month_covers_the_twelve_months_ending_with_it():
    window = trend_period(containing_period("month", date(2026, 3, 5)))
    assert _days(window) == ("2025-04-01", "2026-03-31") and len(month_buckets(window)) == 12


def test_charts_escape_labels_and_use_no_script_or_external_reference():
    svg = bar_chart('Tỷ lệ <đúng hạn> & "trễ"', ["<script>alert(1)</script>"], [0.5], scale_max=1.0,
                    formatted=["50,0%"])
    tree = etree.fromstring(svg.encode("utf-8"))  # well-formed: every label escaped
    assert tree.xpath("string(./title)") == 'Tỷ lệ <đúng hạn> & "trễ"'
    assert "<script" not in svg and "href" not in svg
    trend = trend_chart("Xu hướng", ["03/2026", "04/2026"], [5, 6], [4, 4], [0.75, None])
    tree = etree.fromstring(trend.encode("utf-8"))
    assert [r.xpath("string(./title)") for r in tree.xpath("./rect[title]")] == [
        "03/2026: 5", "03/2026: 4", "04/2026: 6", "04/2026: 4"]
    assert len(tree.xpath("./circle")) == 1  # no rate point for a month without resolved cases


def test_case_measure_counts_back_from_the_due_time_so_a_restarted_limit_is_followed():
    calendar = BusinessCalendar.default()
    case = {"resolved_at": datetime(2026, 4, 2, 11, 0, tzinfo=TZ), "due_at": datetime(2026, 4, 7, 8, 0, tzinfo=TZ),
            "total_working_days": Decimal("3"), "policy": {"standard_day_minutes": 480}}
    # Left: 02/04 11:00-11:30 and 13:30-17:30 (270), 03/04 and 06/04 (960), 07/04 07:30-08:00 (30) = 1260 of 1440.
    assert case_time_used(calendar, case) == {"used_working_minutes": 180, "allotted_working_minutes": 1440}
    late = {**case, "resolved_at": datetime(2026, 4, 8, 8, 0, tzinfo=TZ)}  # one working day after the due time
    assert case_time_used(calendar, late)["used_working_minutes"] == 1920
    assert case_time_used(calendar, {**case, "due_at": None}) == {"used_working_minutes": None,
                                                                   "allotted_working_minutes": None}


def test_step_measure_is_working_time_from_creation_to_completion_and_to_the_due_time():
    calendar = BusinessCalendar.default()
    task = {"created_at": datetime(2026, 4, 10, 16, 0, tzinfo=TZ), "due_at": datetime(2026, 4, 13, 10, 0, tzinfo=TZ)}
    # Fri 16:00-17:30 (90) + Mon 07:30-09:00 (90); allotted Fri 90 + Mon 07:30-10:00 (150).
    assert step_time_used(calendar, task, datetime(2026, 4, 13, 9, 0, tzinfo=TZ)) == {
        "used_working_minutes": 180, "allotted_working_minutes": 240}
