"""The supplement wait is not tied to the library's ids: any message catch element a designer marks
`restart_deadline=true` (here in a diagram of the designer's own, other ids, another message name) voids the case's limit
while it waits (`message_awaited`, stage `supplement_requested`) and restarts it from zero when its message is
correlated; a plain wait (the events fixtures) records no `message_awaited`."""

from __future__ import annotations

import json

START = "2026-03-02T08:00"  # Monday; 3 working days → Thu 05/03 08:00


def _run(cli, *args, now, user="lan"):
    result = cli(*args, "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def test_a_message_catch_event_marked_restart_deadline_voids_and_restarts_the_limit(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / "supplement"), "--json").code == 0
    view = _run(cli, "start", "sup_any_ids", "--applicant", "Nguyễn Văn An", now=START)
    case_id = view["case_id"]
    assert view["due_at"] == "2026-03-05T08:00:00+07:00"
    view = _run(cli, "complete", view["tasks"][0]["task_id"], "--data", "{}", now="2026-03-02T09:00", user="mai")
    assert view["tasks"] == [] and view["stage"] == "supplement_requested" and view["supplement_rounds"] == 1
    # Mon 09/03 08:00: 3 working days again from the arrival → Thu 12/03 08:00.
    view = _run(cli, "correlate", "bo_sung_ho_so", "--case", case_id, "--data",
                json.dumps({"so_giay_to": 2}), now="2026-03-09T08:00")
    assert view["due_at"] == "2026-03-12T08:00:00+07:00" and view["restarts"] == 1 and view["stage"] == "processing"
    assert [t["element_id"] for t in view["tasks"]] == ["ut_check"]
    events = _run(cli, "history", case_id, now="2026-03-09T08:00")["events"]
    assert [(e["type"], e["element_id"]) for e in events if e["type"] in (
        "message_awaited", "message_correlated", "deadline_restarted")] == [
        ("message_awaited", "wait_supplement"), ("message_correlated", "wait_supplement"), ("deadline_restarted", None)]
    assert cli("verify", case_id).code == 0


def test_a_plain_message_wait_records_no_awaited_event_and_keeps_the_limit(cli, fixtures):
    assert cli("deploy", str(fixtures / "bpmn" / "events"), "--json").code == 0
    view = _run(cli, "start", "ev_message_catch", "--applicant", "Nguyễn Văn An", now=START)
    view = _run(cli, "complete", view["tasks"][0]["task_id"], "--data", "{}", now="2026-03-02T09:00")
    assert view["waiting_messages"] == ["ho_so_bo_sung"] and view["stage"] != "supplement_requested"
    view = _run(cli, "correlate", "ho_so_bo_sung", "--case", view["case_id"], now="2026-03-02T10:00")
    types = [e["type"] for e in _run(cli, "history", view["case_id"], now="2026-03-02T10:00")["events"]]
    assert "message_awaited" not in types and "deadline_restarted" not in types
