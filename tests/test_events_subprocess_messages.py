"""Messages and signals inside embedded and multi-instance sub-processes (issue 14): `tthc correlate` finds an
intermediate message catch event and a receive task inside a sub-process (by name alone, through the indexed
`cases.waiting_messages`), `tthc signal` a signal catch inside one; the same message awaited by three instances of a
multi-instance sub-process is "more than one" (exit 5, nothing changes), as Camunda 7's `correlate()` says.
Driven through the CLI on a fixed clock; replay and verify exact."""

from __future__ import annotations

import json
import threading

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _start(cli, units):
    result = cli("start", "sub_messages_fixture", "--applicant", "Nguyễn Văn An", "--data",
                 json.dumps({"units": units}), "--json", now=START, user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["tasks"] == []  # waiting for the payment inside the sub-process
    return view


def _history(cli, case_id):
    return cli("history", case_id, "--json").json()["events"]


def _verified(cli, case_id):
    assert cli("verify", case_id, now="2026-03-09T08:00").code == 0
    replay = cli("replay", case_id, "--json", now="2026-03-09T08:00")
    assert replay.code == 0, replay.out + replay.err
    assert replay.json()["differences"] == []


def _paid_and_signalled(cli, case_id):
    result = cli("correlate", "thanh_toan", "--data", '{"so_bien_lai": "BL-0001"}', "--json",
                 now="2026-03-02T09:00", user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["case_id"] == case_id
    [task] = view["tasks"]
    assert task["element_id"] == "check_payment"
    result = cli("complete", task["task_id"], "--data", "{}", "--json", now="2026-03-02T09:30", user="mai")
    assert result.code == 0, result.err
    assert result.json()["tasks"] == []  # now waiting for the signal inside the sub-process
    signal = cli("signal", "quy_dinh_moi", "--json", now="2026-03-02T10:00", user="hung")
    assert signal.code == 0, signal.err
    assert [c["case_id"] for c in signal.json()["cases"]] == [case_id]
    return cli("show", case_id, "--json").json()


def test_a_message_and_a_signal_caught_inside_a_sub_process(deployed):
    view = _start(deployed, ["so_tai_chinh"])
    view = _paid_and_signalled(deployed, view["case_id"])
    events = _history(deployed, view["case_id"])
    [correlated] = [e for e in events if e["type"] == "message_correlated"]
    assert correlated["element_id"] == "Catch_payment"
    created = [e for e in events if e["type"] == "task_created" and e["element_id"] == "check_payment"][0]
    assert created["payload"]["sub_process"] == "payment"
    [received] = [e for e in events if e["type"] == "signal_received"]
    assert received["payload"]["elements"] == ["Catch_rule"]
    # One consulted unit: its receive task is the only subscription, so the message finds it.
    result = deployed("correlate", "y_kien_don_vi", "--case", view["case_id"], "--data", '{"y_kien": "đồng ý"}',
                      "--json", now="2026-03-02T11:00", user="lan")
    assert result.code == 0, result.err
    [task] = result.json()["tasks"]
    assert task["element_id"] == "record"
    record = [e for e in _history(deployed, view["case_id"]) if e["type"] == "task_created"
              and e["element_id"] == "record"][0]
    assert record["payload"]["sub_process"] == "consult_units"
    result = deployed("complete", task["task_id"], "--data", "{}", "--json", now="2026-03-02T11:30", user="mai")
    assert result.json()["status"] == "completed"
    _verified(deployed, view["case_id"])


def test_one_message_awaited_by_three_instances_is_more_than_one_match_and_changes_nothing(deployed):
    view = _start(deployed, ["so_tai_chinh", "so_xay_dung", "cong_an"])
    view = _paid_and_signalled(deployed, view["case_id"])
    before = _history(deployed, view["case_id"])
    result = deployed("correlate", "y_kien_don_vi", "--case", view["case_id"], "--json", now="2026-03-02T11:00",
                      user="lan")
    assert result.code == 5, result.out
    assert result.err_json()["message"].count("wait_reply") == 3
    assert _history(deployed, view["case_id"]) == before
    _verified(deployed, view["case_id"])


def test_a_message_nobody_inside_waits_for_yet_is_not_found(deployed):
    view = _start(deployed, ["so_tai_chinh"])
    result = deployed("correlate", "y_kien_don_vi", "--case", view["case_id"], "--json", now="2026-03-02T09:00",
                      user="lan")
    assert result.code == 3, result.out


def test_four_officers_correlating_into_a_sub_process_at_once_deliver_it_exactly_once(deployed, db_url):
    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.errors import NotFound
    from engine.service import Service

    case_id = _start(deployed, ["so_tai_chinh"])["case_id"]
    services = [Service.open(load_settings(None, db_url), clock=FixedClock(parse_instant("2026-03-02T09:00")),
                             calendar=BusinessCalendar.default()) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(services))

    def deliver(service):
        barrier.wait()
        try:
            service.correlate("thanh_toan", case_id=case_id, data={}, actor="lan")
            outcomes.append("delivered")
        except NotFound:
            outcomes.append("not found")
        except Exception as exc:  # handed to the main thread, which asserts on it
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=deliver, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for service in services:
        service.store.dispose()
    assert sorted(outcomes) == ["delivered"] + ["not found"] * 3, outcomes
    assert [e["type"] for e in _history(deployed, case_id)].count("message_correlated") == 1
    _verified(deployed, case_id)
