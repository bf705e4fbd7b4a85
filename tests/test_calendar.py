"""Business calendar: 2026 tables a person can check with a wall calendar, policies, configuration and bad input.

Default office hours 07:30–11:30 and 13:30–17:30, so one working day is 8 h and 0.25 day is 2 h.
2026 (official): 01/01 Thu and 02/01 Fri off, Sat 10/01 worked; Tết Sat 14/02 – Sun 22/02; Mon 27/04 off (Hùng Kings
observed); Thu 30/04 – Fri 01/05 off; Sat 22/08 worked; Sat 29/08 – Wed 02/09 off; Tue 24/11 off.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from decimal import Decimal

import holidays
import pytest

from engine.calendar import TZ, BusinessCalendar, FixedClock, WorkingTime, parse_days, parse_instant
from engine.calendar.year_tables import DATA_FILE, parse_shipped
from engine.errors import InvalidInput


def at(text: str) -> datetime:
    """'2026-01-05 07:30' as local time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar.default()


# -- due(): the 2026 table ---------------------------------------------------------------------------------------

DUE_2026 = [
    # (start, days, expected, why)
    ("2026-01-05 07:30", "3", "2026-01-07 17:30", "boundary rule: Mon 07:30 + 3 days is Wed 17:30, not Thu 07:30"),
    ("2026-01-05 07:30", "0.5", "2026-01-05 11:30", "boundary rule at lunch: 11:30, not 13:30"),
    ("2026-01-05 08:00", "0.25", "2026-01-05 10:00", "0.25 day = 2 working hours"),
    ("2026-01-05 10:00", "0.25", "2026-01-05 14:00", "lunch break skipped: 1.5 h before, 0.5 h after"),
    ("2026-01-05 12:00", "0.25", "2026-01-05 15:30", "start in the lunch break counts from 13:30"),
    ("2026-01-05 18:00", "0.5", "2026-01-06 11:30", "after-hours start counts from next morning"),
    ("2026-01-05 18:00", "1", "2026-01-06 17:30", "after-hours start, one full day"),
    ("2026-01-05 06:00", "1", "2026-01-05 17:30", "before-hours start counts from 07:30"),
    ("2026-01-16 16:00", "1", "2026-01-19 16:00", "ordinary weekend skipped"),
    ("2026-01-09 16:00", "1", "2026-01-10 16:00", "Sat 10/01 is a make-up working day"),
    ("2025-12-31 16:00", "1", "2026-01-05 16:00", "01/01 and the swapped 02/01 are off, then the weekend"),
    ("2026-02-13 08:00", "1", "2026-02-23 08:00", "Tết: Sat 14/02 to Sun 22/02 off"),
    ("2026-02-12 07:30", "5", "2026-02-25 17:30", "Tết: Thu, Fri, then Mon 23 to Wed 25"),
    ("2026-04-24 08:00", "3", "2026-05-04 08:00", "Mon 27/04 Hùng Kings observed, Thu 30/04 and Fri 01/05 off"),
    ("2026-08-21 13:30", "1", "2026-08-22 11:30", "Sat 22/08 is a make-up working day"),
    ("2026-08-28 07:30", "2", "2026-09-03 17:30", "Sat 29/08 to Wed 02/09 off"),
    ("2026-11-23 08:00", "1", "2026-11-25 08:00", "Tue 24/11 Culture Day off"),
    ("2026-01-05 08:00", "0", "2026-01-05 08:00", "zero days inside working time is the start itself"),
    ("2026-01-03 10:00", "0", "2026-01-05 07:30", "zero days outside working time is the next period's start"),
    ("2026-12-01 07:30", "60", "2027-03-02 17:30", "60 days into provisional 2027 (Tết 04/02–10/02/2027)"),
]


@pytest.mark.parametrize("start,days,expected,why", DUE_2026, ids=[row[3] for row in DUE_2026])
def test_due_in_2026_matches_the_hand_computed_table(cal, start, days, expected, why):
    assert cal.due(at(start), days) == at(expected)


DUE_2025 = [
    ("2025-01-24 08:00", "1", "2025-02-03 08:00", "Tết Ất Tỵ: Sat 25/01 to Sun 02/02 off"),
    ("2025-04-25 16:00", "1", "2025-04-26 16:00", "Sat 26/04/2025 is a make-up working day"),
    ("2025-04-29 08:00", "1", "2025-05-05 08:00", "30/04, 01/05 and the swapped 02/05 off"),
    ("2025-04-04 16:00", "1", "2025-04-08 16:00", "Mon 07/04/2025 Hùng Kings off"),
    ("2025-08-29 08:00", "1", "2025-09-03 08:00", "National Day: Sat 30/08 to Tue 02/09 off"),
]


@pytest.mark.parametrize("start,days,expected,why", DUE_2025, ids=[row[3] for row in DUE_2025])
def test_due_in_2025_matches_the_official_schedule(cal, start, days, expected, why):
    assert cal.due(at(start), days) == at(expected)


def test_due_returns_aware_local_time_for_input_in_another_zone(cal):
    result = cal.due(datetime.fromisoformat("2026-01-05T01:00:00+00:00"), "0.25")  # 08:00 in Hà Nội
    assert result == at("2026-01-05 10:00")
    assert result.utcoffset() == timedelta(hours=7)


def test_due_reads_naive_datetimes_as_local_time(cal):
    assert cal.due(datetime(2026, 1, 5, 8, 0), 1) == at("2026-01-06 08:00")


def test_due_accepts_vietnamese_decimal_comma(cal):
    assert cal.due(at("2026-01-05 07:30"), "1,25") == at("2026-01-06 09:30")


# -- back(), between(), instants ---------------------------------------------------------------------------------


def test_back_mirrors_due_and_lands_on_the_start_of_a_period(cal):
    assert cal.back(at("2026-01-07 17:30"), 3) == at("2026-01-05 07:30")
    assert cal.back(at("2026-02-23 08:00"), 1) == at("2026-02-13 08:00")
    assert cal.back(at("2026-01-05 14:00"), "0.25") == at("2026-01-05 10:00")


def test_working_time_between_counts_only_working_minutes(cal):
    # Fri 13/02 16:00–17:30 (90 min), Tết, then Mon 23/02 07:30–09:30 (120 min).
    assert cal.working_time_between(at("2026-02-13 16:00"), at("2026-02-23 09:30")) == WorkingTime(
        minutes=210, days=Decimal("0.4375")
    )


def test_working_time_between_is_zero_across_a_lunch_break(cal):
    assert cal.working_time_between(at("2026-01-05 11:45"), at("2026-01-05 13:15")) == WorkingTime(0, Decimal(0))


def test_working_time_between_is_negative_when_the_end_is_before_the_start(cal):
    assert cal.working_time_between(at("2026-01-06 09:30"), at("2026-01-05 07:30")) == WorkingTime(
        minutes=-600, days=Decimal("-1.25")
    )


def test_periods_are_half_open_so_their_end_is_not_working_time(cal):
    assert cal.is_working_time(at("2026-01-05 07:30"))
    assert cal.is_working_time(at("2026-01-05 11:29:59"))
    assert not cal.is_working_time(at("2026-01-05 11:30"))
    assert not cal.is_working_time(at("2026-01-05 17:30"))
    assert not cal.is_working_time(at("2026-01-10 06:00"))
    assert cal.is_working_time(at("2026-01-10 09:00"))  # make-up Saturday


def test_working_days_follow_the_official_swaps(cal):
    assert not cal.is_working_day(at("2026-01-02").date())
    assert cal.is_working_day(at("2026-01-10").date())
    assert cal.is_working_day(at("2026-08-22").date())
    assert not cal.is_working_day(at("2026-11-24").date())
    assert not cal.is_working_day(at("2026-02-16").date())
    assert cal.is_working_day(at("2026-02-23").date())


def test_next_and_previous_working_instants_skip_breaks_and_holidays(cal):
    assert cal.next_working_instant(at("2026-02-14 10:00")) == at("2026-02-23 07:30")
    assert cal.previous_working_instant(at("2026-02-14 10:00")) == at("2026-02-13 17:30")
    assert cal.next_working_instant(at("2026-01-05 12:00")) == at("2026-01-05 13:30")
    assert cal.previous_working_instant(at("2026-01-05 12:00")) == at("2026-01-05 11:30")
    assert cal.next_working_instant(at("2026-01-05 09:00")) == at("2026-01-05 09:00")
    assert cal.previous_working_instant(at("2026-01-05 09:00")) == at("2026-01-05 09:00")


# -- durations as Camunda Modeler writes them --------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration,expected",
    [
        ("P0.25D", "2026-01-05 10:00"),
        ("PT2H", "2026-01-05 10:00"),
        ("PT30M", "2026-01-05 08:30"),
        ("PT90M", "2026-01-05 09:30"),
        ("P1.5D", "2026-01-06 14:00"),
        ("P7D", "2026-01-13 08:00"),  # Sat 10/01 is worked: 6, 7, 8, 9, 10, 12, 13
        ("P1DT4H", "2026-01-06 14:00"),
        ("P0,5D", "2026-01-05 14:00"),
    ],
)
def test_duration_due_counts_days_and_hours_in_working_time(cal, duration, expected):
    assert cal.duration_due(at("2026-01-05 08:00"), duration) == at(expected)


@pytest.mark.parametrize("duration", ["P1Y", "P1M", "P2W", "P1Y2M"])
def test_calendar_units_in_a_duration_are_refused_with_the_value(cal, duration):
    with pytest.raises(InvalidInput, match=f"Thời hạn '{duration}' dùng năm, tháng hoặc tuần"):
        cal.duration_due(at("2026-01-05 08:00"), duration)


@pytest.mark.parametrize("duration", ["7D", "P", "PT", "P1DT", "P-1D", "p7d", "P1.5DT2H", "PT1.5H30M", "${days}"])
def test_malformed_durations_are_refused_with_the_value(cal, duration):
    with pytest.raises(InvalidInput, match=re.escape(f"Thời hạn '{duration}'")):
        cal.duration_due(at("2026-01-05 08:00"), duration)


# -- the 15:00 rule and the case policies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "received,transferred",
    [
        ("2026-01-05 14:59", "2026-01-05 14:59"),
        ("2026-01-05 15:00", "2026-01-06 07:30"),
        ("2026-01-05 16:30", "2026-01-06 07:30"),
        ("2026-01-05 20:00", "2026-01-06 07:30"),
        ("2026-01-05 12:00", "2026-01-05 13:30"),
        ("2026-01-05 06:00", "2026-01-05 07:30"),
        ("2026-01-03 10:00", "2026-01-05 07:30"),
        ("2025-12-31 15:30", "2026-01-05 07:30"),
        ("2026-01-09 15:30", "2026-01-10 07:30"),
        ("2026-02-13 15:10", "2026-02-23 07:30"),
    ],
)
def test_transfer_time_applies_the_cutoff(cal, received, transferred):
    assert cal.transfer_time(at(received)) == at(transferred)


def test_case_due_by_default_counts_from_receipt_not_from_transfer(cal):
    assert cal.case_due(at("2026-01-05 16:00"), 3) == at("2026-01-08 16:00")
    assert cal.policy()["cutoff_shifts_case_deadline"] is False


def test_case_due_counts_from_the_transfer_when_the_cutoff_shifts_it():
    cal = BusinessCalendar.from_config({"cutoff_shifts_case_deadline": True})
    assert cal.case_due(at("2026-01-05 16:00"), 3) == at("2026-01-08 17:30")
    assert cal.policy()["cutoff_shifts_case_deadline"] is True


def test_reception_step_honours_the_cutoff_whatever_the_case_policy(cal):
    shifted = BusinessCalendar.from_config({"cutoff_shifts_case_deadline": True})
    for calendar in (cal, shifted):
        assert calendar.reception_due(at("2026-01-05 16:00"), "0.25") == at("2026-01-06 09:30")
        assert calendar.reception_due(at("2026-01-05 09:00"), "0.25") == at("2026-01-05 11:00")


def test_civil_code_days_skip_the_first_day_and_end_at_the_close_of_the_last():
    cal = BusinessCalendar.from_config({"deadline_policy": "civil-code-days"})
    # Fri 09/01 not counted; Sat 10/01 (make-up), Mon 12, Tue 13.
    assert cal.case_due(at("2026-01-09 10:00"), 3) == at("2026-01-13 17:30")
    assert BusinessCalendar.default().case_due(at("2026-01-09 10:00"), 3) == at("2026-01-13 10:00")
    assert cal.policy()["deadline_policy"] == "civil-code-days"


def test_civil_code_days_with_shifting_cutoff_start_after_the_transfer_day():
    cal = BusinessCalendar.from_config({"deadline_policy": "civil-code-days", "cutoff_shifts_case_deadline": True})
    # Received Fri 15:30 → transferred Sat 10/01 07:30; Sat not counted; Mon 12, Tue 13, Wed 14.
    assert cal.case_due(at("2026-01-09 15:30"), 3) == at("2026-01-14 17:30")


@pytest.mark.parametrize("days", ["2.5", "0"])
def test_civil_code_days_refuse_fractional_or_zero_limits(days):
    cal = BusinessCalendar.from_config({"deadline_policy": "civil-code-days"})
    with pytest.raises(InvalidInput, match="civil-code-days chỉ tính số ngày nguyên dương"):
        cal.case_due(at("2026-01-05 08:00"), days)


def test_policy_records_what_each_case_needs_to_be_recomputed(cal):
    policy = cal.policy()
    assert policy["deadline_policy"] == "working-hours"
    assert policy["cutoff"] == "15:00"
    assert policy["timezone"] == "Asia/Ho_Chi_Minh"
    assert policy["periods"] == ["07:30-11:30", "13:30-17:30"]
    assert policy["standard_day_minutes"] == 480
    assert policy["known_years"] == [2025, 2026, 2027]
    assert policy["provisional_years"] == [2027]
    assert cal.provisional_years == frozenset({2027})
    assert policy["calendar_data_version"].startswith("vn-civil-service-")
    assert policy["fingerprint"] == BusinessCalendar.from_config({}).policy()["fingerprint"]


def test_fingerprint_changes_when_a_day_off_is_added():
    changed = BusinessCalendar.from_config({"extra_days_off": ["2026-12-31"]})
    assert changed.fingerprint() != BusinessCalendar.default().fingerprint()


# -- days() -------------------------------------------------------------------------------------------------------


def test_days_2026_lists_the_official_days_off_and_make_up_saturdays(cal):
    data = cal.days(2026)
    assert data["year"] == 2026 and data["status"] == "official" and data["provisional"] is False
    assert [d["date"] for d in data["days_off"]] == [
        "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
        "2026-04-27", "2026-04-30", "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02", "2026-11-24",
    ]  # fmt: skip
    assert [d["date"] for d in data["working_days"]] == ["2026-01-10", "2026-08-22"]
    assert data["days_off"][-1]["name"] == "Ngày Văn hóa Việt Nam"


def test_days_2027_are_marked_provisional_and_come_from_the_holidays_package(cal):
    data = cal.days(2027)
    assert data["provisional"] is True
    assert {d["source"] for d in data["days_off"]} == {"holidays"}
    assert "2027-02-08" in [d["date"] for d in data["days_off"]]


# -- configuration ------------------------------------------------------------------------------------------------


def test_a_dated_schedule_changes_the_periods_and_the_standard_day_from_its_date():
    cal = BusinessCalendar.from_config(
        {"schedule": [{"from": "2026-10-01", "periods": ["07:30-11:30", "13:30-17:00"]}]}
    )
    assert cal.due(at("2026-09-30 07:30"), 1) == at("2026-09-30 17:30")  # old hours: 8 h
    assert cal.due(at("2026-10-01 07:30"), 1) == at("2026-10-01 17:00")  # new hours: 7.5 h
    assert not cal.is_working_time(at("2026-10-01 17:15"))
    # Counting starts on 30/09 under the old hours, so one day is 480 minutes even though it ends on 01/10.
    assert cal.due(at("2026-09-30 17:00"), "0.25") == at("2026-10-01 09:00")
    assert cal.working_time_between(at("2026-09-30 07:30"), at("2026-10-01 17:00")) == WorkingTime(
        minutes=930, days=Decimal("1.9375")
    )
    assert cal.policy()["schedule"][1] == {
        "from": "2026-10-01",
        "periods": ["07:30-11:30", "13:30-17:00"],
        "day_minutes": 450,
    }


def test_config_periods_from_a_toml_file_are_used():
    cfg = tomllib.loads('periods = ["07:30-11:30", "13:30-17:00"]\ncutoff = "14:00"\n')
    cal = BusinessCalendar.from_config(cfg)
    assert cal.due(at("2026-01-05 07:30"), 1) == at("2026-01-05 17:00")
    assert cal.transfer_time(at("2026-01-05 14:00")) == at("2026-01-06 07:30")


def test_extra_days_off_and_working_days_from_config_override_the_shipped_schedule():
    cal = BusinessCalendar.from_config(
        {
            "extra_days_off": ["2026-12-31"],
            "extra_working_days": [{"date": "2026-01-02", "name": "Tỉnh không hoán đổi"}],
        }
    )
    assert cal.due(at("2026-12-30 08:00"), 1) == at("2027-01-04 08:00")  # 01/01/2027 is New Year
    assert cal.is_working_day(at("2026-01-02").date())
    assert "2026-12-31" in [d["date"] for d in cal.days(2026)["days_off"]]
    assert "2026-01-02" not in [d["date"] for d in cal.days(2026)["days_off"]]


def test_config_can_add_a_year_which_stays_provisional():
    cal = BusinessCalendar.from_config({"extra_days_off": [{"date": "2028-01-03", "name": "Nghỉ địa phương"}]})
    assert cal.known_years == (2025, 2026, 2027, 2028)
    assert cal.provisional_years == frozenset({2027, 2028})
    assert not cal.is_working_day(at("2028-01-03").date())
    assert cal.due(at("2027-12-31 08:00"), 1) == at("2028-01-04 08:00")


def test_config_years_with_a_gap_are_refused():
    with pytest.raises(InvalidInput, match="Lịch làm việc thiếu năm 2028"):
        BusinessCalendar.from_config({"extra_days_off": ["2029-01-02"]})


# -- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cfg,message",
    [
        ({"periods": ["07:30-11:30", "11:00-13:00"]}, "'07:30-11:30' và '11:00-13:00' .* chồng lên nhau"),
        ({"periods": ["11:30-07:30"]}, "'11:30-07:30' .* bị đảo ngược"),
        ({"periods": ["07:30-24:30"]}, "'24:30' .* nằm ngoài khoảng 00:00–24:00"),
        ({"periods": ["25:00-26:00"]}, "'25:00' .* nằm ngoài khoảng 00:00–24:00"),
        ({"periods": ["7h30-11h30"]}, "không đúng dạng HH:MM"),
        ({"periods": []}, "calendar.periods phải là danh sách"),
        (
            {"extra_days_off": ["2026-01-10"], "extra_working_days": ["2026-01-10"]},
            "Ngày 2026-01-10 vừa nằm trong calendar.extra_days_off vừa nằm trong calendar.extra_working_days",
        ),
        ({"extra_days_off": ["2026-13-01"]}, "Ngày '2026-13-01' trong calendar.extra_days_off"),
        ({"deadline_policy": "calendar-days"}, "calendar.deadline_policy 'calendar-days' không hợp lệ"),
        ({"cutoff": "3pm"}, "Giờ '3pm' trong calendar.cutoff"),
        ({"cutoff_shifts_case_deadline": "yes"}, "cutoff_shifts_case_deadline phải là true hoặc false"),
        ({"cutof": "15:00"}, "khóa không được hỗ trợ: cutof"),
        (
            {
                "schedule": [
                    {"from": "2026-10-01", "periods": ["07:00-11:00"]},
                    {"from": "2026-10-01", "periods": ["08:00-12:00"]},
                ]
            },
            "hai lịch cùng bắt đầu từ ngày 2026-10-01",
        ),
        ({"schedule": [{"periods": ["07:00-11:00"]}]}, "phải có 'from'"),
    ],
)
def test_bad_calendar_config_is_refused_with_a_message_naming_the_setting(cfg, message):
    with pytest.raises(InvalidInput, match=message):
        BusinessCalendar.from_config(cfg)


def test_touching_periods_are_accepted_as_one_stretch_of_work():
    cal = BusinessCalendar.from_config({"periods": ["08:00-12:00", "12:00-16:00"]})
    assert cal.due(at("2026-01-05 08:00"), "0.5") == at("2026-01-05 12:00")
    assert cal.due(at("2026-01-05 08:00"), 1) == at("2026-01-05 16:00")


@pytest.mark.parametrize("year,instant", [(2028, "2028-01-03 08:00"), (2024, "2024-12-31 08:00")])
def test_dates_outside_the_known_years_are_refused_naming_the_year(cal, year, instant):
    with pytest.raises(InvalidInput, match=f"Lịch làm việc chưa có dữ liệu cho năm {year}"):
        cal.due(at(instant), 1)
    with pytest.raises(InvalidInput, match=f"chưa có dữ liệu cho năm {year}"):
        cal.days(year)


def test_a_limit_running_past_the_known_years_is_refused_naming_the_next_year(cal):
    with pytest.raises(InvalidInput, match="chưa có dữ liệu cho năm 2028"):
        cal.due(at("2027-12-20 08:00"), 15)


def test_counting_back_before_the_known_years_is_refused_naming_the_year(cal):
    with pytest.raises(InvalidInput, match="chưa có dữ liệu cho năm 2024"):
        cal.back(at("2025-01-03 08:00"), 5)


@pytest.mark.parametrize("value", ["-1", "-0,5", Decimal("-0.25"), -3])
def test_negative_days_are_refused(cal, value):
    with pytest.raises(InvalidInput, match="Số ngày làm việc không được âm"):
        cal.due(at("2026-01-05 08:00"), value)


@pytest.mark.parametrize("value", ["abc", "", "1e3", "1.2.3", "NaN", Decimal("NaN"), Decimal("Infinity"), True, None])
def test_non_numeric_days_are_refused(value):
    with pytest.raises(InvalidInput, match="Số ngày làm việc"):
        parse_days(value)


@pytest.mark.parametrize(
    "value,expected",
    [("1,25", "1.25"), ("1.25", "1.25"), (" 7 ", "7"), (7, "7"), (0.1, "0.1"), (Decimal("10.25"), "10.25")],
)
def test_parse_days_reads_the_usual_spellings(value, expected):
    assert parse_days(value) == Decimal(expected)


# -- instants and clocks ------------------------------------------------------------------------------------------


def test_parse_instant_reads_local_time_when_there_is_no_offset():
    assert parse_instant("2026-02-13T08:00") == at("2026-02-13 08:00")
    assert parse_instant("2026-02-13") == at("2026-02-13 00:00")
    assert parse_instant("2026-02-13T01:00Z") == at("2026-02-13 08:00")
    assert parse_instant("2026-02-13T08:00+07:00").tzinfo == TZ


@pytest.mark.parametrize("text", ["13/02/2026", "2026-02-30", "tomorrow", "2026-02-13T25:00"])
def test_parse_instant_refuses_text_that_is_not_iso_8601_naming_it(text):
    with pytest.raises(InvalidInput, match=f"Thời điểm '{text}' không đúng ISO 8601"):
        parse_instant(text)


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 1, 5, 8, 0))
    assert clock.now() == at("2026-01-05 08:00")
    clock.advance(timedelta(hours=2))
    assert clock.now() == at("2026-01-05 10:00")
    clock.set(datetime.fromisoformat("2026-01-06T00:00:00+00:00"))
    assert clock.now() == at("2026-01-06 07:00")
    assert clock.now().tzinfo == TZ


# -- the shipped data ---------------------------------------------------------------------------------------------


def _shipped_doc() -> dict:
    from importlib import resources

    return tomllib.loads(resources.files("engine.data").joinpath(DATA_FILE).read_text(encoding="utf-8"))


def test_shipped_lines_say_truthfully_whether_the_holidays_package_agrees():
    """Each line of calendar_vn.toml states 'holidays 0.109: yes/no'; check the claim against the package."""
    doc = _shipped_doc()
    for year, entry in doc["years"].items():
        package = holidays.country_holidays("VN", years=int(year))
        for line in entry.get("days_off", []):
            claims = "holidays 0.109: yes" in line["source"]
            assert (line["date"] in package) == claims, line
        for line in entry.get("working_days", []):
            claims = "holidays 0.109: yes" in line["source"]
            assert package.is_working_day(line["date"]) == claims, line


def _repeat_a_day_off(doc: dict) -> None:
    days_off = doc["years"]["2026"]["days_off"]
    days_off.append(dict(days_off[0]))


def _move_a_day_into_another_year(doc: dict) -> None:
    doc["years"]["2026"]["days_off"][0]["date"] = doc["years"]["2025"]["days_off"][0]["date"]


def _make_up_a_weekday(doc: dict) -> None:
    doc["years"]["2026"]["working_days"][0]["date"] = doc["years"]["2026"]["days_off"][1]["date"]  # Fri 02/01


@pytest.mark.parametrize(
    "mutation,message",
    [
        (_repeat_a_day_off, "được liệt kê hai lần"),
        (_move_a_day_into_another_year, "không thuộc năm 2026"),
        (_make_up_a_weekday, "phải là thứ Bảy/Chủ nhật"),
        (lambda doc: doc["years"]["2027"].update(status="maybe"), "status 'maybe' không hợp lệ"),
        (lambda doc: doc.pop("version"), "thiếu 'version'"),
    ],
)
def test_a_broken_shipped_schedule_is_refused(mutation, message):
    doc = _shipped_doc()
    mutation(doc)
    with pytest.raises(InvalidInput, match=message):
        parse_shipped(doc, DATA_FILE)
