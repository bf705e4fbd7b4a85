"""Cycle timers as reminders (issue 14, events): `R2/PT4H` and `R/P1D` on a non-interrupting boundary event fire in
working time, each cycle exactly once (also with several workers at once), stop with their step, are replayed
exactly; cron expressions and cycles elsewhere are refused at deploy with the reason."""

from __future__ import annotations

import threading

import pytest

from tests.test_events_messages import EVENTS, _service, _start, _types, _verified

REMINDER = "ev_reminder"


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn" / EVENTS), "--json")
    assert result.code == 0, result.err
    return cli


def _fired(cli, case_id):
    return [e for e in cli("history", case_id, "--json").json()["events"] if e["type"] == "timer_fired"]


def test_a_bounded_cycle_reminds_in_working_time_as_many_times_as_it_says(deployed):
    view = _start(deployed, REMINDER)  # Monday 08:00
    case_id = view["case_id"]
    assert view["tasks"][0]["due_at"] is None  # a reminder is not the step's time limit
    assert deployed("tick", "--json", now="2026-03-02T13:59").json()["fired"] == 0
    first = deployed("tick", "--json", now="2026-03-02T14:01").json()  # 4 working hours after 08:00
    assert [(e["type"], e["element_id"]) for e in first["events"]] == [("timer_fired", "b_remind"),
                                                                       ("end_reached", "end_reminded")]
    assert first["events"][0]["cycles_left"] == 1
    assert deployed("tick", "--json", now="2026-03-02T17:00").json()["fired"] == 0  # the next one: Tuesday 08:00
    assert deployed("tick", "--json", now="2026-03-03T08:01").json()["fired"] == 1
    assert deployed("tick", "--json", now="2026-03-10T08:00").json()["fired"] == 0  # R2: spent
    assert [e["payload"]["due_at"] for e in _fired(deployed, case_id)] == ["2026-03-02T14:00:00+07:00",
                                                                          "2026-03-03T08:00:00+07:00"]
    view = deployed("show", case_id, "--json").json()
    assert view["status"] == "active" and [t["element_id"] for t in view["tasks"]] == ["ut_review"]
    _verified(deployed, case_id)


def test_an_unbounded_cycle_reminds_every_working_day_until_its_step_is_done(cli, fixtures, tmp_path):
    text = (fixtures / "bpmn" / EVENTS / "reminder.bpmn").read_text(encoding="utf-8").replace("R2/PT4H", "R/P1D")
    (tmp_path / "daily.bpmn").write_text(text, encoding="utf-8")
    assert cli("deploy", str(tmp_path / "daily.bpmn"), "--json").code == 0
    view = _start(cli, REMINDER)  # Monday 02/03 08:00
    for day in ("2026-03-03T09:00", "2026-03-04T09:00", "2026-03-05T09:00"):
        assert cli("tick", "--json", now=day).json()["fired"] == 1, day
    assert cli("tick", "--json", now="2026-03-05T10:00").json()["fired"] == 0
    done = cli("complete", view["tasks"][0]["task_id"], "--data", "{}", "--json", now="2026-03-05T10:00", user="mai")
    assert done.code == 0 and done.json()["status"] == "completed"
    assert cli("tick", "--json", now="2026-03-20T09:00").json()["fired"] == 0
    assert len(_fired(cli, view["case_id"])) == 3
    _verified(cli, view["case_id"])


def test_four_workers_fire_each_reminder_exactly_once(deployed, db_url):
    cases = [_start(deployed, REMINDER)["case_id"] for _ in range(12)]
    workers = [_service(db_url, "2026-03-02T15:00") for _ in range(4)]
    results: list = []
    barrier = threading.Barrier(len(workers))

    def sweep(service):
        barrier.wait()
        try:
            results.append(service.fire_due_timers(batch=3))
        except Exception as exc:  # handed to the main thread, which asserts on it
            results.append(exc)

    threads = [threading.Thread(target=sweep, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for worker in workers:
        worker.store.dispose()
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["fired"] for r in results) == len(cases)
    for case_id in cases:
        assert len(_fired(deployed, case_id)) == 1
    _verified(deployed, cases[0])


@pytest.mark.parametrize(("cycle", "needles"), [
    ("0 0 9 * * ?", ("cron", "R3/PT4H")),
    ("R3/2026-03-02T08:00:00+07:00/PT4H", ("R<số lần>",)),
    ("${chu_ky}", ("biểu thức",)),
])
def test_a_cycle_the_engine_cannot_count_in_working_time_is_refused(cli, fixtures, tmp_path, cycle, needles):
    text = (fixtures / "bpmn" / EVENTS / "reminder.bpmn").read_text(encoding="utf-8")
    (tmp_path / "c.bpmn").write_text(text.replace("R2/PT4H", cycle), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "c.bpmn"), "--json")
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    assert "b_remind" in message
    for needle in needles:
        assert needle in message, message


def test_an_interrupting_cycle_is_refused_as_a_reminder_must_not_end_its_step(cli, fixtures, tmp_path):
    text = (fixtures / "bpmn" / EVENTS / "reminder.bpmn").read_text(encoding="utf-8")
    (tmp_path / "c.bpmn").write_text(text.replace(' cancelActivity="false"', ""), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "c.bpmn"), "--json")
    assert result.code == 4 and "cancelActivity" in result.err_json()["message"]
