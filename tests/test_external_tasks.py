"""External tasks with Camunda 7's rules (issue 14, part 4), driven through the CLI with a fixed clock.

The diagram (tests/fixtures/external/external_fixture.bpmn, as Camunda Modeler saves it) runs
receive (user task, no form) -> sync_portal (service task, topic portal-sync, failedJobRetryTimeCycle R2/PT10M)
-> check_registry (business-rule task, topic registry) -> notify_sms (send task, topic sms)
-> ${registry_ok} ? approve (user task) -> done : refused.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime

import pytest

NOW = "2026-03-02T09:00"


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "external"), "--json", now=NOW)
    assert result.code == 0, result.err
    return cli


def _ok(result):
    assert result.code == 0, (result.out, result.err)
    return result.json()


def _at_portal(cli) -> tuple[str, str]:
    """A case whose receive step is done: its sync_portal external task is waiting. Returns (case id, task id)."""
    case = _ok(cli("start", "external_fixture", "--applicant", "Nguyễn Văn An", "--json", now=NOW, user="lan"))
    _ok(cli("complete", case["tasks"][0]["task_id"], "--data", '{"phone": "0912345678"}', "--json", now=NOW,
            user="lan"))
    listed = _ok(cli("external", "list", "--case", case["case_id"], "--json", now=NOW))
    assert [(t["element_id"], t["topic"], t["status"]) for t in listed] == [("sync_portal", "portal-sync", "open")]
    return case["case_id"], listed[0]["id"]


def _fetch(cli, topic, worker, at, *extra):
    return _ok(cli("external", "fetch", "--topic", topic, "--worker", worker, *extra, "--json", now=at))


def _history(cli, case_id):
    return _ok(cli("history", case_id, "--json", now=NOW))["events"]


def _verified(cli, case_id):
    result = cli("verify", case_id, "--json", now="2026-03-03T09:00")
    assert result.code == 0, (result.out, result.err)
    replay = cli("replay", case_id, "--json", now="2026-03-03T09:00")
    assert replay.code == 0 and replay.json()["ok"], replay.out


def _refused_and_unchanged(cli, case_id, *args, at, code=5):
    before = _history(cli, case_id)
    rows = _ok(cli("external", "list", "--case", case_id, "--json", now=at))
    result = cli(*args, "--json", now=at)
    assert result.code == code, (result.out, result.err)
    assert result.out == ""
    assert _history(cli, case_id) == before
    assert _ok(cli("external", "list", "--case", case_id, "--json", now=at)) == rows
    return result.err_json()


# --- fetch and lock ---------------------------------------------------------------------------------------------

def test_a_fetch_locks_the_waiting_task_for_its_worker_and_hands_it_the_case_variables(deployed):
    case_id, task_id = _at_portal(deployed)
    fetched = _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--lock", "PT10M")
    assert [(t["id"], t["worker_id"], t["case_id"]) for t in fetched] == [(task_id, "portal-1", case_id)]
    assert datetime.fromisoformat(fetched[0]["lock_expires_at"]) == datetime.fromisoformat("2026-03-02T09:11:00+07:00")
    assert fetched[0]["variables"]["phone"] == "0912345678"
    assert fetched[0]["variables"]["applicant_name"] == "Nguyễn Văn An"
    locked = [e for e in _history(deployed, case_id) if e["type"] == "external_task_locked"]
    assert len(locked) == 1 and locked[0]["actor"] == "worker:portal-1"
    assert locked[0]["payload"]["lock_duration_ms"] == 600_000


def test_a_locked_task_is_not_handed_out_again_until_its_lock_expires_on_the_engine_clock(deployed):
    _case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--lock", "PT10M")
    assert _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:10") == []
    again = _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:11")
    assert [(t["id"], t["worker_id"]) for t in again] == [(task_id, "portal-2")]


def test_a_fetch_returns_only_the_topics_asked_for_and_at_most_max_tasks(deployed):
    _at_portal(deployed)
    _at_portal(deployed)
    assert _fetch(deployed, "sms", "sms-1", "2026-03-02T09:01") == []
    assert len(_fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--max", "1")) == 1
    assert len(_fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--max", "5")) == 1


def test_a_bad_lock_duration_or_a_missing_worker_is_refused_with_exit_4(deployed):
    _at_portal(deployed)
    assert deployed("external", "fetch", "--topic", "portal-sync", "--worker", "w", "--lock", "5 phút",
                    now=NOW).code == 4
    assert deployed("external", "fetch", "--topic", "portal-sync", "--worker", " ", now=NOW).code == 4
    assert deployed("external", "fetch", "--topic", "portal-sync", "--worker", "w", "--max", "0", now=NOW).code == 4


# --- completion -------------------------------------------------------------------------------------------------

def test_only_the_worker_holding_the_lock_may_complete_and_nothing_changes_otherwise(deployed):
    case_id, task_id = _at_portal(deployed)
    err = _refused_and_unchanged(deployed, case_id, "external", "complete", task_id, "--worker", "portal-1",
                                 at="2026-03-02T09:01")
    assert err["error"] == "conflict" and "chưa được hệ thống nào lấy" in err["message"]
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01")
    err = _refused_and_unchanged(deployed, case_id, "external", "complete", task_id, "--worker", "portal-2",
                                 at="2026-03-02T09:02")
    assert "'portal-1'" in err["message"] and "'portal-2'" in err["message"]


def test_completed_external_tasks_set_their_variables_and_the_gateway_routes_on_them_to_the_end(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01")
    _ok(deployed("external", "complete", task_id, "--worker", "portal-1", "--data", '{"portal_id": "G-17"}',
                 "--json", now="2026-03-02T09:02"))
    registry = _fetch(deployed, "registry", "registry-1", "2026-03-02T09:03")
    assert registry[0]["element_id"] == "check_registry" and registry[0]["variables"]["portal_id"] == "G-17"
    _ok(deployed("external", "complete", registry[0]["id"], "--worker", "registry-1", "--data",
                 '{"registry_ok": true}', "--json", now="2026-03-02T09:04"))
    sms = _fetch(deployed, "sms", "sms-1", "2026-03-02T09:05")
    assert sms[0]["element_id"] == "notify_sms"
    _ok(deployed("external", "complete", sms[0]["id"], "--worker", "sms-1", "--json", now="2026-03-02T09:06"))
    approve = _ok(deployed("tasks", "--case", case_id, "--json", now="2026-03-02T09:07"))
    assert [t["element_id"] for t in approve] == ["approve"]
    done = _ok(deployed("complete", approve[0]["task_id"], "--data", "{}", "--json", now="2026-03-02T09:08",
                        user="son"))
    assert done["status"] == "completed"
    types = [e["type"] for e in _history(deployed, case_id)]
    assert types.count("external_task_created") == 3 and types.count("external_task_completed") == 3
    completed = [e for e in _history(deployed, case_id) if e["type"] == "external_task_completed"]
    assert completed[0]["payload"]["data"] == {"portal_id": "G-17"}
    assert completed[0]["payload"]["worker_id"] == "portal-1"
    assert _ok(deployed("external", "list", "--case", case_id, "--json", now="2026-03-02T09:08")) == []
    _verified(deployed, case_id)


def test_registry_ok_false_takes_the_default_flow_to_the_refusal_end(deployed):
    case_id, task_id = _at_portal(deployed)
    for topic, data in (("portal-sync", "{}"), ("registry", '{"registry_ok": false}'), ("sms", "{}")):
        task = _fetch(deployed, topic, "w", "2026-03-02T09:01")[0]
        _ok(deployed("external", "complete", task["id"], "--worker", "w", "--data", data, "--json",
                     now="2026-03-02T09:02"))
    ends = [e["element_id"] for e in _history(deployed, case_id) if e["type"] == "end_reached"]
    assert ends == ["EndEvent_refused"]
    _verified(deployed, case_id)


def test_reaching_the_gateway_without_the_variable_it_tests_is_refused_and_changes_nothing(deployed):
    case_id, _ = _at_portal(deployed)
    for topic in ("portal-sync", "registry"):  # neither worker sets registry_ok
        task = _fetch(deployed, topic, "w", "2026-03-02T09:01")[0]
        _ok(deployed("external", "complete", task["id"], "--worker", "w", "--json", now="2026-03-02T09:02"))
    sms = _fetch(deployed, "sms", "w", "2026-03-02T09:03")[0]
    err = _refused_and_unchanged(deployed, case_id, "external", "complete", sms["id"], "--worker", "w",
                                 at="2026-03-02T09:04", code=4)
    assert "registry_ok" in err["message"]
    _ok(deployed("external", "complete", sms["id"], "--worker", "w", "--data", '{"registry_ok": true}', "--json",
                 now="2026-03-02T09:05"))
    _verified(deployed, case_id)


# --- failures, retries and incidents ----------------------------------------------------------------------------

def test_failures_follow_the_diagram_retry_cycle_then_become_an_incident_that_retry_resolves(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01")
    first = _ok(deployed("external", "fail", task_id, "--worker", "portal-1", "--message", "Cổng không phản hồi",
                         "--json", now="2026-03-02T09:02"))
    assert (first["retries"], first["incident"]) == (1, False)  # R2/PT10M: two attempts left after the first, minus one
    assert _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:11") == []  # waits PT10M
    _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:12")
    second = _ok(deployed("external", "fail", task_id, "--worker", "portal-2", "--message", "Vẫn lỗi", "--json",
                          now="2026-03-02T09:13"))
    assert (second["retries"], second["incident"]) == (0, True)
    assert _fetch(deployed, "portal-sync", "portal-3", "2026-03-03T09:00") == []  # an incident is never fetched
    incidents = _ok(deployed("external", "list", "--incidents", "--json", now="2026-03-02T09:30"))
    assert [(i["id"], i["error_message"]) for i in incidents] == [(task_id, "Vẫn lỗi")]
    shown = _ok(deployed("show", case_id, "--json", now="2026-03-02T09:30"))
    assert [(t["id"], t["incident"]) for t in shown["external_tasks"]] == [(task_id, True)]
    assert "Sự cố" in deployed("show", case_id, now="2026-03-02T09:30").out
    assert "Sự cố" in deployed("tasks", now="2026-03-02T09:30").out
    report = _ok(deployed("report", "--json", now="2026-03-02T09:30"))
    assert [(i["case_id"], i["task_id"], i["message"]) for i in report["open_incidents"]] == [(case_id, task_id, "Vẫn lỗi")]
    assert "Sự cố chưa xử lý" in deployed("report", now="2026-03-02T09:30").out
    resolved = _ok(deployed("external", "retry", task_id, "--retries", "2", "--json", now="2026-03-02T09:31",
                            user="lan"))
    assert (resolved["retries"], resolved["incident"]) == (2, False)
    assert _ok(deployed("report", "--json", now="2026-03-02T09:31"))["open_incidents"] == []
    assert [t["id"] for t in _fetch(deployed, "portal-sync", "portal-3", "2026-03-02T09:32")] == [task_id]
    types = [e["type"] for e in _history(deployed, case_id)]
    assert types.count("external_task_failed") == 2
    assert types.index("incident_created") < types.index("incident_resolved")
    _verified(deployed, case_id)


def test_a_worker_given_retry_count_and_timeout_override_the_diagram(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01")
    failed = _ok(deployed("external", "fail", task_id, "--worker", "portal-1", "--message", "tạm lỗi", "--retries",
                          "5", "--retry-timeout", "PT1M", "--json", now="2026-03-02T09:02"))
    assert failed["retries"] == 5
    assert _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:02:59") == []
    assert len(_fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:03")) == 1
    assert deployed("external", "fail", task_id, "--worker", "portal-2", "--message", "x", "--retries", "-1",
                    now="2026-03-02T09:04").code == 4
    _verified(deployed, case_id)


def test_a_task_without_a_retry_cycle_whose_worker_gives_no_count_fails_straight_to_an_incident(deployed):
    case_id, _ = _at_portal(deployed)
    task = _fetch(deployed, "portal-sync", "w", "2026-03-02T09:01")[0]
    _ok(deployed("external", "complete", task["id"], "--worker", "w", "--json", now="2026-03-02T09:02"))
    registry = _fetch(deployed, "registry", "r", "2026-03-02T09:03")[0]
    failed = _ok(deployed("external", "fail", registry["id"], "--worker", "r", "--message", "mất kết nối", "--json",
                          now="2026-03-02T09:04"))
    assert (failed["retries"], failed["incident"]) == (0, True)
    _verified(deployed, case_id)


# --- BPMN error, lock extension, unlock -------------------------------------------------------------------------

def test_a_bpmn_error_nothing_catches_is_refused_with_a_conflict_and_nothing_changes(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01")
    err = _refused_and_unchanged(deployed, case_id, "external", "bpmn-error", task_id, "--worker", "portal-1",
                                 "--code", "NOT_FOUND", at="2026-03-02T09:02")
    assert err["error"] == "conflict" and "NOT_FOUND" in err["message"]


def test_the_holder_extends_its_lock_from_now_but_not_once_it_expired_nor_another_worker(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--lock", "PT5M")
    _refused_and_unchanged(deployed, case_id, "external", "extend-lock", task_id, "--worker", "portal-2", "--lock",
                           "PT30M", at="2026-03-02T09:02")
    extended = _ok(deployed("external", "extend-lock", task_id, "--worker", "portal-1", "--lock", "PT30M", "--json",
                            now="2026-03-02T09:04"))
    assert datetime.fromisoformat(extended["lock_expires_at"]) == datetime.fromisoformat("2026-03-02T09:34:00+07:00")
    assert _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:20") == []
    _refused_and_unchanged(deployed, case_id, "external", "extend-lock", task_id, "--worker", "portal-1", "--lock",
                           "PT30M", at="2026-03-02T09:40")
    _verified(deployed, case_id)


def test_an_operator_unlock_makes_the_task_fetchable_at_once_by_another_worker(deployed):
    case_id, task_id = _at_portal(deployed)
    _fetch(deployed, "portal-sync", "portal-1", "2026-03-02T09:01", "--lock", "PT1H")
    _ok(deployed("external", "unlock", task_id, "--json", now="2026-03-02T09:02", user="lan"))
    assert [t["worker_id"] for t in _fetch(deployed, "portal-sync", "portal-2", "2026-03-02T09:03")] == ["portal-2"]
    unlocked = [e for e in _history(deployed, case_id) if e["type"] == "external_task_unlocked"]
    assert unlocked[0]["payload"]["previous_worker_id"] == "portal-1" and unlocked[0]["actor"] == "lan"
    _verified(deployed, case_id)


def test_a_withdrawn_case_cancels_its_waiting_external_task(deployed):
    case_id, task_id = _at_portal(deployed)
    _ok(deployed("withdraw", case_id, "--reason", "Người nộp rút hồ sơ", "--json", now="2026-03-02T09:05",
                 user="lan"))
    assert _fetch(deployed, "portal-sync", "w", "2026-03-02T09:06") == []
    assert "external_task_cancelled" in [e["type"] for e in _history(deployed, case_id)]
    _verified(deployed, case_id)


def test_an_edited_external_task_row_is_found_by_verify(deployed, db_url):
    from sqlalchemy import create_engine, text

    case_id, task_id = _at_portal(deployed)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE external_tasks SET retries = 9 WHERE id = :id"), {"id": task_id})
    engine.dispose()
    result = deployed("verify", case_id, "--json", now="2026-03-03T09:00")
    assert result.code == 7, result.out


# --- deploy -----------------------------------------------------------------------------------------------------

def _diagram(tmp_path, task: str):
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="x">'
        '<bpmn:process id="p_ext" isExecutable="true">'
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        f'{task}'
        '<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />'
        '</bpmn:process></bpmn:definitions>'
    )
    path = tmp_path / "p_ext.bpmn"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("task, expected", [
    ('<bpmn:serviceTask id="t" camunda:class="vn.gov.Sync" />', "không bao giờ chạy mã"),
    ('<bpmn:serviceTask id="t" camunda:expression="${sync.run()}" />', "không bao giờ chạy mã"),
    ('<bpmn:serviceTask id="t" />', 'camunda:type=\\"external\\"'),
    ('<bpmn:sendTask id="t" />', 'camunda:type=\\"external\\"'),
    ('<bpmn:serviceTask id="t" camunda:type="external" />', "thiếu camunda:topic"),
    ('<bpmn:serviceTask id="t" camunda:type="connector" camunda:topic="x" />', 'camunda:type=\\"external\\"'),
    ('<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:extensionElements>'
     '<camunda:failedJobRetryTimeCycle>R3/5 phút</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>'
     '</bpmn:serviceTask>', "R3/PT5M"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT5M'
     '</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:userTask>', "chỉ có tác dụng trên tác vụ ngoài"),
    ('<bpmn:userTask id="t" camunda:type="external" camunda:topic="x" />', "không có tác dụng trên phần tử loại"),
])
def test_deploy_refuses_what_is_not_an_external_task_with_the_element_and_the_reason(cli, tmp_path, task, expected):
    result = cli("deploy", _diagram(tmp_path, task), "--json", now=NOW)
    assert result.code == 4, (result.out, result.err)
    err = result.err_json()
    assert "'t'" in err["message"] and expected.replace('\\"', '"') in err["message"], err["message"]


def test_an_external_service_task_deploys_and_its_retry_cycle_is_read(cli, tmp_path):
    task = ('<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:extensionElements>'
            '<camunda:failedJobRetryTimeCycle>R3/PT5M</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>'
            '</bpmn:serviceTask>')
    assert cli("deploy", _diagram(tmp_path, task), "--json", now=NOW).code == 0
    from engine.dialect.external_task import parse_retry_cycle

    assert parse_retry_cycle("R3/PT5M").retries == 3 and parse_retry_cycle("R3/PT5M").timeout == "PT5M"
    assert parse_retry_cycle("R3") is None and parse_retry_cycle("3/PT5M") is None


# --- PostgreSQL: concurrent fetchers ----------------------------------------------------------------------------

@pytest.mark.skipif(not os.environ.get("TTHC_TEST_PG"), reason="needs PostgreSQL (TTHC_TEST_PG) for SKIP LOCKED")
def test_two_concurrent_fetchers_on_postgresql_never_hand_out_the_same_task(deployed, db_url):
    from datetime import timedelta

    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.service import Service

    ids = {_at_portal(deployed)[1] for _ in range(12)}
    services = [Service.open(load_settings(None, db_url), clock=FixedClock(parse_instant("2026-03-02T09:01")),
                             calendar=BusinessCalendar.default()) for _ in range(2)]
    got: dict[int, list[str]] = {0: [], 1: []}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def fetch(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(12):
                got[n].extend(t["id"] for t in services[n].fetch_and_lock(["portal-sync"], f"w{n}",
                                                                         timedelta(minutes=5), 1))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for service in services:
        service.close()
    assert not errors, errors
    handed = got[0] + got[1]
    assert len(handed) == len(set(handed)) == 12 and set(handed) == ids


# --- message throw events answered by a worker ------------------------------------------------------------------

def test_message_throw_events_marked_external_wait_for_their_workers_and_the_end_event_ends_the_case(cli, fixtures):
    assert cli("deploy", str(fixtures / "external" / "message_throw_fixture.bpmn"), "--json", now=NOW).code == 0
    case = _ok(cli("start", "message_throw_fixture", "--applicant", "Vũ Hà", "--json", now=NOW, user="lan"))
    _ok(cli("complete", case["tasks"][0]["task_id"], "--data", "{}", "--json", now=NOW, user="lan"))
    portal = _fetch(cli, "portal", "p", "2026-03-02T09:01")
    assert [t["element_id"] for t in portal] == ["notify_portal"]
    failed = _ok(cli("external", "fail", portal[0]["id"], "--worker", "p", "--message", "bận", "--json",
                     now="2026-03-02T09:02"))
    assert failed["retries"] == 2  # the event's own R3/PT1M
    portal = _fetch(cli, "portal", "p", "2026-03-02T09:03")
    _ok(cli("external", "complete", portal[0]["id"], "--worker", "p", "--json", now="2026-03-02T09:04"))
    assert _ok(cli("show", case["case_id"], "--json", now="2026-03-02T09:04"))["status"] == "active"
    sms = _fetch(cli, "sms", "s", "2026-03-02T09:05")
    assert [t["element_id"] for t in sms] == ["EndEvent_sms"]
    _ok(cli("external", "complete", sms[0]["id"], "--worker", "s", "--json", now="2026-03-02T09:06"))
    assert _ok(cli("show", case["case_id"], "--json", now="2026-03-02T09:06"))["status"] == "completed"
    ends = [e["element_id"] for e in _history(cli, case["case_id"]) if e["type"] == "end_reached"]
    assert ends == ["EndEvent_sms"]
    _verified(cli, case["case_id"])


def test_a_message_throw_event_that_is_not_an_external_task_is_refused_at_deploy(cli, fixtures, tmp_path):
    text = (fixtures / "external" / "message_throw_fixture.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "m.bpmn"
    path.write_text(text.replace(' camunda:type="external" camunda:topic="portal"', ""), encoding="utf-8")
    result = cli("deploy", str(path), "--json", now=NOW)
    assert result.code == 4 and "notify_portal" in result.err_json()["message"]
    path.write_text(text.replace(' camunda:topic="sms"', ""), encoding="utf-8")
    result = cli("deploy", str(path), "--json", now=NOW)
    assert result.code == 4 and "thiếu camunda:topic" in result.err_json()["message"]
