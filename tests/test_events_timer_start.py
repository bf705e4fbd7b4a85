"""Timer start events (issue 14, events): a process whose start event is a timer starts its cases on a schedule in
working time — `timeCycle` R<n>/<duration>, `timeDuration` after the deployment, `timeDate` once — when `tthc tick`
or the worker runs; each case exactly once, also with two tickers at the same moment; a new version replaces the
schedule; cron, expressions and a timer start beside other start events are refused at deploy with the reason.

The fixture lives outside tests/fixtures/bpmn/ on purpose: other tests deploy that folder (recursively) and tick, and
a schedule there would start cases in them."""

from __future__ import annotations

import threading

import pytest
from dateutil.parser import parse

from tests.test_events_messages import _verified

DEPLOYED_AT = "2026-03-02T08:00"  # Monday
CYCLE = ('<bpmn:timeCycle xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         'R2/P5D</bpmn:timeCycle>')


@pytest.fixture
def scheduled(cli, fixtures):
    result = cli("deploy", str(fixtures / "timer_start"), "--json", now=DEPLOYED_AT)
    assert result.code == 0, result.err
    return cli


def _tick(cli, now):
    result = cli("tick", "--json", now=now)
    assert result.code == 0, result.err
    return result.json()


def _variant(fixtures, tmp_path, old, new):
    text = (fixtures / "timer_start" / "periodic_report.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "periodic_report.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path / "periodic_report.bpmn"


def test_a_cycle_starts_one_case_per_period_in_working_time_and_stops_when_spent(scheduled):
    # R2/P5D from Monday 08:00: five working days later is the next Monday 08:00, then the Monday after.
    assert _tick(scheduled, "2026-03-06T17:00")["started"] == []
    first = _tick(scheduled, "2026-03-09T08:30")
    assert len(first["started"]) == 1
    case_id = first["started"][0]
    view = scheduled("show", case_id, "--json").json()
    assert view["applicant"] == "Lập báo cáo thống kê định kỳ"
    assert [(t["element_id"], t["candidate_groups"]) for t in view["tasks"]] == [("ut_report", ["staff"])]
    started = scheduled("history", case_id, "--json").json()["events"][0]
    assert started["type"] == "case_started" and started["actor"] is None  # the system, not an officer
    assert _tick(scheduled, "2026-03-09T09:00")["started"] == []  # exactly once
    second = _tick(scheduled, "2026-03-16T08:30")["started"]
    assert len(second) == 1 and second != first["started"]
    assert _tick(scheduled, "2026-04-30T08:30")["started"] == []  # R2: spent
    for case in (case_id, second[0]):
        _verified(scheduled, case)


def test_a_duration_starts_one_case_that_long_after_the_deployment(cli, fixtures, tmp_path):
    path = _variant(fixtures, tmp_path, CYCLE, "<bpmn:timeDuration>PT4H</bpmn:timeDuration>")
    assert cli("deploy", str(path), now=DEPLOYED_AT).code == 0
    # 08:00 + 4 working hours: 3.5 h until the 11:30 break, then half an hour from 13:30.
    assert _tick(cli, "2026-03-02T13:55")["started"] == []
    assert len(_tick(cli, "2026-03-02T14:05")["started"]) == 1
    assert _tick(cli, "2026-03-20T08:00")["started"] == []


def test_a_date_starts_one_case_at_that_instant(cli, fixtures, tmp_path):
    path = _variant(fixtures, tmp_path, CYCLE, "<bpmn:timeDate>2026-03-31T08:00:00</bpmn:timeDate>")
    assert cli("deploy", str(path), now=DEPLOYED_AT).code == 0
    assert _tick(cli, "2026-03-31T07:59")["started"] == []
    assert len(_tick(cli, "2026-03-31T08:01")["started"]) == 1
    assert _tick(cli, "2026-06-01T08:00")["started"] == []


def test_a_new_version_replaces_the_schedule(scheduled, fixtures, tmp_path):
    path = _variant(fixtures, tmp_path, ">R2/P5D<", ">R/P1D<")
    assert scheduled("deploy", str(path), now="2026-03-04T08:00").code == 0
    # The old version would have started nothing before 03-09; the new one starts daily from 03-05 08:00.
    assert len(_tick(scheduled, "2026-03-05T08:30")["started"]) == 1
    assert len(_tick(scheduled, "2026-03-06T08:30")["started"]) == 1
    plain = _variant(fixtures, tmp_path, '<bpmn:timerEventDefinition id="ted_schedule">\n        <bpmn:timeCycle '
                     'xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">R2/P5D'
                     '</bpmn:timeCycle>\n      </bpmn:timerEventDefinition>', "")
    assert scheduled("deploy", str(plain), now="2026-03-06T09:00").code == 0  # no timer any more: no schedule
    assert _tick(scheduled, "2026-03-20T08:30")["started"] == []


def test_an_officer_may_still_start_one_by_hand(scheduled):
    result = scheduled("start", "periodic_report", "--applicant", "Phòng Kế hoạch", "--json", now=DEPLOYED_AT,
                       user="lan")
    assert result.code == 0, result.err
    assert [t["element_id"] for t in result.json()["tasks"]] == ["ut_report"]


@pytest.mark.parametrize(("old", "new", "needle"), [
    (">R2/P5D<", ">0 0 8 * * ?<", "cron"),
    (">R2/P5D<", ">R2/2026-03-01T08:00/P5D<", "R<số lần>"),
    (">R2/P5D<", ">${chu_ky}<", "R<số lần>"),
    ('<bpmn:userTask id="ut_report"', '<bpmn:startEvent id="start_hand"><bpmn:outgoing>p3</bpmn:outgoing>'
     '</bpmn:startEvent><bpmn:sequenceFlow id="p3" sourceRef="start_hand" targetRef="ut_report" />'
     '<bpmn:userTask id="ut_report"', "duy nhất"),
])
def test_a_schedule_the_engine_cannot_keep_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    result = cli("deploy", str(_variant(fixtures, tmp_path, old, new)), "--json", now=DEPLOYED_AT)
    assert result.code == 4, result.out
    assert needle in result.err
    assert "start_schedule" in result.err or "start_hand" in result.err


def test_two_tickers_at_the_same_moment_start_each_case_once(scheduled, db_url):
    from engine.calendar import BusinessCalendar, FixedClock
    from engine.config import load_settings
    from engine.service import Service
    from sqlalchemy import text

    services = [Service.open(load_settings(None, db_url), clock=FixedClock(parse("2026-03-09T08:30+07:00")),
                             calendar=BusinessCalendar.default()) for _ in range(2)]
    barrier, outcome = threading.Barrier(2), []

    def tick(service):
        barrier.wait(10)
        outcome.append(service.fire_due_timers())

    threads = [threading.Thread(target=tick, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(len(r["started"]) for r in outcome) == [0, 1]
    with services[0].store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 1
    for service in services:
        service.close()
