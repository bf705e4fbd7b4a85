"""Properties of working-time arithmetic, over starts in 2025–2026 and limits up to 60 working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import TZ, BusinessCalendar

DEFAULT = BusinessCalendar.default()
# A 7.5 h day from 01/06/2026 with a later afternoon: exercises dated schedules and unequal day lengths.
SEASONAL = BusinessCalendar.from_config(
    {"schedule": [{"from": "2026-06-01", "periods": ["07:00-11:30", "14:00-17:00"]}]}
)
ONE_MICROSECOND = timedelta(microseconds=1)
BOUNDARIES = [time(7, 0), time(7, 30), time(11, 30), time(13, 30), time(14, 0), time(15, 0), time(17, 0), time(17, 30)]

examples = settings(max_examples=200, deadline=None)

_any_minute = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ)
)
# Boundaries are where off-by-one errors live, so they are drawn often on purpose.
_on_a_boundary = st.builds(
    lambda d, t: datetime.combine(d, t, tzinfo=TZ),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    st.sampled_from(BOUNDARIES),
)
starts = st.one_of(_any_minute, _on_a_boundary)
days = st.one_of(
    st.integers(min_value=0, max_value=6000).map(lambda n: Decimal(n) / 100),
    st.sampled_from([Decimal(x) for x in ("0.25", "0.5", "1.25", "3", "7", "10.25", "15", "60")]),
)
positive_days = days.filter(lambda d: d > 0)
calendars = st.sampled_from([DEFAULT, SEASONAL])


@examples
@given(calendars, starts, starts, days)
def test_due_is_monotone_in_start(cal, s1, s2, d):
    early, late = sorted((s1, s2))
    assert cal.due(early, d) <= cal.due(late, d)


@examples
@given(calendars, starts, days, days)
def test_due_is_monotone_in_days(cal, s, d1, d2):
    small, large = sorted((d1, d2))
    assert cal.due(s, small) <= cal.due(s, large)


@examples
@given(calendars, starts, days)
def test_working_time_from_start_to_due_is_the_number_of_days(cal, s, d):
    assert cal.working_time_between(s, cal.due(s, d)).days == d


@examples
@given(starts, days)
def test_working_minutes_from_start_to_due_are_days_times_480(s, d):
    assert DEFAULT.working_time_between(s, DEFAULT.due(s, d)).minutes == int((d * 480).to_integral_value())


@examples
@given(starts, days, positive_days)
def test_due_of_a_due_is_the_due_of_the_sum(s, a, b):
    # With b = 0 the boundary rule does not compose: due(17:30 Friday, 0) is Monday 07:30, not Friday 17:30.
    assert DEFAULT.due(DEFAULT.due(s, a), b) == DEFAULT.due(s, a + b)


@examples
@given(calendars, starts, positive_days)
def test_a_due_time_is_inside_a_working_period_or_at_its_end(cal, s, d):
    result = cal.due(s, d)
    # The instant just before is working time: the result is inside a period or exactly at its end, never at the
    # start of one (the boundary rule) and never in a break.
    assert cal.is_working_time(result - ONE_MICROSECOND)


@examples
@given(calendars, starts)
def test_zero_days_is_the_counting_start(cal, s):
    result = cal.due(s, 0)
    assert result >= s
    assert cal.is_working_time(result)
    assert result == (s if cal.is_working_time(s) else cal.next_working_instant(s))


@examples
@given(starts, positive_days)
def test_back_undoes_due_up_to_the_counting_start(s, d):
    # Only with one day length: back() uses the standard day where counting back starts, due() where it starts.
    assert DEFAULT.back(DEFAULT.due(s, d), d) == DEFAULT.next_working_instant(s)


@examples
@given(calendars, starts, days)
def test_a_duration_in_days_is_due_like_the_same_number_of_days(cal, s, d):
    assert cal.duration_due(s, f"P{d}D") == cal.due(s, d)


@examples
@given(calendars, starts, starts)
def test_working_time_between_is_antisymmetric(cal, a, b):
    forward, backward = cal.working_time_between(a, b), cal.working_time_between(b, a)
    assert forward.minutes == -backward.minutes
    assert (forward.minutes >= 0) == (a <= b) or forward.minutes == 0


@examples
@given(calendars, starts)
def test_transfer_is_working_time_before_the_cutoff_and_never_earlier_than_receipt(cal, s):
    transferred = cal.transfer_time(s)
    assert transferred >= s
    assert cal.is_working_time(transferred)
    assert transferred.time() < time(15, 0)
    waiting = cal.next_working_instant(s)
    if waiting.time() < time(15, 0):
        assert transferred == waiting  # s itself in working time, else e.g. 13:30 after a lunch-time receipt
    else:
        assert transferred.date() > waiting.date()
        assert transferred == cal.next_working_instant(datetime.combine(transferred.date(), time(0), tzinfo=TZ))


# -- an independent oracle: step minute by minute through the published days off ---------------------------------


def _exceptions(cal: BusinessCalendar) -> tuple[set[date], set[date]]:
    off: set[date] = set()
    work: set[date] = set()
    for year in cal.known_years:
        listing = cal.days(year)
        off |= {date.fromisoformat(d["date"]) for d in listing["days_off"]}
        work |= {date.fromisoformat(d["date"]) for d in listing["working_days"]}
    return off, work


_OFF, _WORK = _exceptions(DEFAULT)
_PERIODS = [(time(7, 30), time(11, 30)), (time(13, 30), time(17, 30))]


def _is_working_minute(t: datetime) -> bool:
    day = t.date()
    if not (day in _WORK or (day.weekday() < 5 and day not in _OFF)):
        return False
    return any(start <= t.time() < end for start, end in _PERIODS)


def _stepped_due(start: datetime, minutes: int) -> datetime:
    t = start
    while minutes > 0:
        if _is_working_minute(t):
            minutes -= 1
        t += timedelta(minutes=1)
    return t


@settings(max_examples=100, deadline=None)
@given(_any_minute, st.integers(min_value=1, max_value=8 * 4).map(lambda quarters: Decimal(quarters) / 4))
def test_due_agrees_with_stepping_minute_by_minute(s, d):
    assert DEFAULT.due(s, d) == _stepped_due(s, int(d * 480))
