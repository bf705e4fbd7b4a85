"""Message events with Camunda 7's correlation rules (issue 14, events): intermediate catch, receive task, boundary
(interrupting and not), message start; `tthc correlate` with no match → exit 3, more than one → exit 5, nothing
changes; the message's variables become case variables; history replayed and verified exactly."""

from __future__ import annotations

import threading

import pytest

EVENTS = "events"
START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn" / EVENTS), "--json")
    assert result.code == 0, result.err
    return cli


def _start(cli, process, data=None, now=START):
    args = ["start", process, "--applicant", "Nguyễn Văn An", "--json"]
    if data is not None:
        args += ["--data", data]
    result = cli(*args, now=now, user="lan")
    assert result.code == 0, result.err
    return result.json()


def _complete(cli, view, now, user="lan"):
    assert len(view["tasks"]) == 1, view["tasks"]
    result = cli("complete", view["tasks"][0]["task_id"], "--data", "{}", "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _history(cli, case_id):
    result = cli("history", case_id, "--json")
    assert result.code == 0, result.err
    return result.json()["events"]


def _types(cli, case_id):
    return [(e["type"], e["element_id"]) for e in _history(cli, case_id)]


def _verified(cli, case_id):
    result = cli("verify", case_id, "--json")
    assert result.code == 0, result.out + result.err
    replay = cli("replay", case_id, "--json")
    assert replay.code == 0, replay.out + replay.err
    assert replay.json()["differences"] == []


def _case_data(cli, case_id, element_id=None):
    """The case's variables as its stored workflow holds them: every task's data merged, or one element's."""
    from engine.runtime import Runtime, compile_bpmn
    from engine.store import Store

    store = Store.open(cli.db_url)
    try:
        with store.transaction() as tx:
            case = tx.case(case_id)
            row = tx.definition(case["definition_id"])
            workflow = Runtime(None, None).restore(compile_bpmn(row["content"], row["filename"]), case["state"])
            return {k: v for t in workflow.get_tasks() if element_id in (None, t.task_spec.bpmn_id)
                    for k, v in t.data.items()}
    finally:
        store.dispose()


def _service(db_url: str, now: str):
    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.service import Service

    return Service.open(load_settings(None, db_url), clock=FixedClock(parse_instant(now)),
                        calendar=BusinessCalendar.default())


def test_a_case_waits_at_a_message_catch_and_the_message_by_business_key_moves_it_on(deployed):
    view = _start(deployed, "ev_message_catch")
    case_id = view["case_id"]
    assert view["business_key"] == case_id  # no business_key start variable: the case number
    view = _complete(deployed, view, "2026-03-02T09:00")
    assert view["waiting_messages"] == ["ho_so_bo_sung"] and view["tasks"] == []

    result = deployed("correlate", "ho_so_bo_sung", "--business-key", case_id, "--data", '{"so_giay_to": 3}',
                      "--json", now="2026-03-02T10:00", user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["waiting_messages"] == ["xac_nhan_thanh_toan"]  # the receive task now
    correlated = [e for e in _history(deployed, case_id) if e["type"] == "message_correlated"]
    assert [(e["element_id"], e["payload"]["message"], e["payload"]["data"], e["payload"]["business_key"])
            for e in correlated] == [("catch_supplement", "ho_so_bo_sung", {"so_giay_to": 3}, case_id)]
    assert _case_data(deployed, case_id)["so_giay_to"] == 3
    _verified(deployed, case_id)


def test_a_receive_task_takes_the_message_and_its_variables_route_the_gateway(deployed):
    case_id = _start(deployed, "ev_message_catch")["case_id"]
    _complete(deployed, deployed("show", case_id, "--json").json(), "2026-03-02T09:00")
    assert deployed("correlate", "ho_so_bo_sung", "--case", case_id, now="2026-03-02T10:00", user="lan").code == 0

    paid = deployed("correlate", "xac_nhan_thanh_toan", "--case", case_id, "--data", '{"so_tien": 50000}', "--json",
                    now="2026-03-02T11:00", user="lan").json()
    assert [t["element_id"] for t in paid["tasks"]] == ["ut_decide"] and paid["waiting_messages"] == []
    assert _types(deployed, case_id)[-2:] == [("message_correlated", "rt_payment"), ("task_created", "ut_decide")]
    _verified(deployed, case_id)

    other = _start(deployed, "ev_message_catch")["case_id"]
    _complete(deployed, deployed("show", other, "--json").json(), "2026-03-02T09:00")
    deployed("correlate", "ho_so_bo_sung", "--case", other, now="2026-03-02T10:00", user="lan")
    unpaid = deployed("correlate", "xac_nhan_thanh_toan", "--case", other, "--data", '{"so_tien": 10000}', "--json",
                      now="2026-03-02T11:00", user="lan").json()
    assert unpaid["status"] == "completed" and unpaid["tasks"] == []
    assert ("end_reached", "end_unpaid") in _types(deployed, other)
    _verified(deployed, other)


def test_a_message_nobody_waits_for_exits_3_and_changes_nothing(deployed):
    case_id = _start(deployed, "ev_message_catch")["case_id"]
    before = _history(deployed, case_id)
    for args in (("ho_so_bo_sung",), ("ho_so_bo_sung", "--case", case_id), ("xac_nhan_thanh_toan", "--case", case_id),
                 ("ho_so_bo_sung", "--business-key", "KHONG-CO"), ("ho_so_bo_sung", "--case", "KHONG-CO")):
        result = deployed("correlate", *args, "--json", now="2026-03-02T10:00", user="lan")
        assert result.code == 3, (args, result.out, result.err)
        assert "Traceback" not in result.err
    assert _history(deployed, case_id) == before


def test_a_message_two_cases_wait_for_exits_5_until_a_case_or_business_key_names_one(deployed):
    first = _start(deployed, "ev_message_catch", data='{"business_key": "DVC-0001"}')
    second = _start(deployed, "ev_message_catch", data='{"business_key": "DVC-0002"}')
    assert first["business_key"] == "DVC-0001"
    for view in (first, second):
        _complete(deployed, view, "2026-03-02T09:00")
    before = [_history(deployed, v["case_id"]) for v in (first, second)]
    result = deployed("correlate", "ho_so_bo_sung", "--json", now="2026-03-02T10:00", user="lan")
    assert result.code == 5, result.out + result.err
    assert first["case_id"] in result.err_json()["message"] and second["case_id"] in result.err_json()["message"]
    assert [_history(deployed, v["case_id"]) for v in (first, second)] == before

    result = deployed("correlate", "ho_so_bo_sung", "--business-key", "DVC-0002", "--json", now="2026-03-02T10:00",
                      user="lan")
    assert result.code == 0, result.err
    assert result.json()["case_id"] == second["case_id"]
    assert _history(deployed, first["case_id"]) == before[0]
    _verified(deployed, second["case_id"])


def test_a_non_interrupting_boundary_message_opens_a_step_and_leaves_the_step_open(deployed):
    case_id = _start(deployed, "ev_message_boundary")["case_id"]
    assert sorted(deployed("show", case_id, "--json").json()["waiting_messages"]) == ["don_doc", "rut_ho_so"]
    result = deployed("correlate", "don_doc", "--case", case_id, "--data", '{"noi_dung": "Khẩn"}', "--json",
                      now="2026-03-02T10:00", user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert sorted(t["element_id"] for t in view["tasks"]) == ["ut_remind", "ut_review"]
    assert view["status"] == "active"
    # A case variable, as Camunda sets it: the step still open sees it too, not only the path the message opened.
    assert _case_data(deployed, case_id, "ut_review")["noi_dung"] == "Khẩn"
    # Camunda 7 keeps a non-interrupting boundary's subscription while the step runs: a second reminder, a second path.
    assert sorted(view["waiting_messages"]) == ["don_doc", "rut_ho_so"]
    result = deployed("correlate", "don_doc", "--case", case_id, "--json", now="2026-03-02T11:00", user="lan")
    assert result.code == 0, result.err
    assert sorted(t["element_id"] for t in result.json()["tasks"]) == ["ut_remind", "ut_remind", "ut_review"]
    _verified(deployed, case_id)


def test_an_interrupting_boundary_message_cancels_the_step_and_takes_its_path(deployed):
    case_id = _start(deployed, "ev_message_boundary")["case_id"]
    result = deployed("correlate", "rut_ho_so", "--case", case_id, "--json", now="2026-03-02T10:00", user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["status"] == "completed" and view["tasks"] == [] and view["waiting_messages"] == []
    types = _types(deployed, case_id)
    assert types[-5:] == [("message_correlated", "b_withdraw"), ("task_cancelled", "ut_review"),
                          ("end_reached", "end_withdrawn"), ("workflow_completed", None), ("case_ended", None)]
    assert deployed("correlate", "don_doc", "--case", case_id, now="2026-03-02T11:00", user="lan").code == 3
    _verified(deployed, case_id)


def test_a_message_start_event_starts_a_case_with_the_business_key_and_variables(deployed):
    refused = deployed("start", "ev_message_start", "--applicant", "Nguyễn Văn An", "--json", now=START, user="lan")
    assert refused.code == 5 and "correlate" in refused.err
    missing = deployed("correlate", "ho_so_truc_tuyen", "--json", now=START, user="lan")
    assert missing.code == 4 and "--applicant" in missing.err
    assert deployed("correlate", "ho_so_truc_tuyen", "--applicant", "Lê Thị Bình", now=START, user="mai").code == 5

    result = deployed("correlate", "ho_so_truc_tuyen", "--business-key", "DVC-2026-77", "--applicant", "Lê Thị Bình",
                      "--data", '{"linh_vuc": "giáo dục"}', "--json", now=START, user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["business_key"] == "DVC-2026-77" and view["applicant"] == "Lê Thị Bình"
    assert [t["element_id"] for t in view["tasks"]] == ["ut_check"]
    case_id = view["case_id"]
    assert _types(deployed, case_id)[:3] == [("case_started", None), ("message_correlated", "start_online"),
                                             ("task_created", "ut_check")]
    data = _case_data(deployed, case_id)
    assert data["linh_vuc"] == "giáo dục" and data["business_key"] == "DVC-2026-77"
    _complete(deployed, view, "2026-03-02T09:00")
    _verified(deployed, case_id)


def test_a_correlation_may_not_overwrite_the_case_identity(deployed):
    case_id = _start(deployed, "ev_message_boundary")["case_id"]
    result = deployed("correlate", "don_doc", "--case", case_id, "--data", '{"due_at": "2030-01-01"}', "--json",
                      now="2026-03-02T10:00", user="lan")
    assert result.code == 4 and "due_at" in result.err


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<bpmn:endEvent id="end_done" name="Đã thẩm định">',
     '<bpmn:endEvent id="end_done" name="Đã thẩm định"><bpmn:messageEventDefinition id="m_end" messageRef="Msg_remind" />',
     "message throw/end"),
    ('<bpmn:message id="Msg_remind" name="don_doc" />', '<bpmn:message id="Msg_remind" />', "chưa có tên"),
    ('<bpmn:message id="Msg_remind" name="don_doc" />', '<bpmn:message id="Msg_remind" name="${ten}" />', "biểu thức"),
    ('messageRef="Msg_withdraw"', 'messageRef="Msg_none"', "Msg_none"),
    ('<bpmn:messageEventDefinition id="med_withdraw" messageRef="Msg_withdraw" />',
     '<bpmn:messageEventDefinition id="med_withdraw" messageRef="Msg_withdraw" /><bpmn:timerEventDefinition '
     'id="t"><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>', "cổng sự kiện"),
])
def test_a_message_the_engine_cannot_correlate_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    text = (fixtures / "bpmn" / EVENTS / "message_boundary.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "m.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "m.bpmn"), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]


def test_four_officers_correlating_the_same_message_at_once_deliver_it_exactly_once(deployed, db_url):
    from engine.errors import NotFound

    case_id = _start(deployed, "ev_message_catch")["case_id"]
    _complete(deployed, deployed("show", case_id, "--json").json(), "2026-03-02T09:00")
    services = [_service(db_url, "2026-03-02T10:00") for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(services))

    def deliver(service):
        barrier.wait()
        try:
            service.correlate("ho_so_bo_sung", case_id=case_id, data={"lan": 1}, actor="lan")
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
    assert [t for t, _ in _types(deployed, case_id)].count("message_correlated") == 1
    _verified(deployed, case_id)


def _waiting_at_gateway(cli):
    view = _start(cli, "ev_event_gateway")
    view = _complete(cli, view, "2026-03-02T09:00")
    assert view["waiting_messages"] == ["ho_so_bo_sung"]
    return view["case_id"]


def test_an_event_based_gateway_taken_by_the_message_ends_the_timer(deployed):
    won, lost = _waiting_at_gateway(deployed), _waiting_at_gateway(deployed)
    result = deployed("correlate", "ho_so_bo_sung", "--case", won, "--json", now="2026-03-03T09:00", user="lan")
    assert result.code == 0, result.err
    assert [t["element_id"] for t in result.json()["tasks"]] == ["ut_check"]
    assert _types(deployed, won)[-2:] == [("message_correlated", "gw_wait"), ("task_created", "ut_check")]
    # Two working days after 09:00 Monday: only the other case's timer is still there to fire.
    tick = deployed("tick", "--json", now="2026-03-05T09:00").json()
    assert {(e["type"], e["element_id"], e["case_id"]) for e in tick["events"] if e["type"] == "timer_fired"} == {
        ("timer_fired", "gw_wait", lost)}
    _verified(deployed, won)


def test_an_event_based_gateway_taken_by_the_timer_ends_the_wait_for_the_message(deployed):
    case_id = _waiting_at_gateway(deployed)
    assert deployed("tick", "--json", now="2026-03-04T08:59").json()["fired"] == 0  # 2 working days not yet over
    tick = deployed("tick", "--json", now="2026-03-04T09:01").json()
    assert tick["fired"] == 1
    view = deployed("show", case_id, "--json").json()
    assert view["status"] == "completed" and view["waiting_messages"] == []
    assert ("end_reached", "end_expired") in _types(deployed, case_id)
    late = deployed("correlate", "ho_so_bo_sung", "--case", case_id, "--json", now="2026-03-04T10:00", user="lan")
    assert late.code == 3
    _verified(deployed, case_id)


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<bpmn:sequenceFlow id="f3" sourceRef="gw_wait" targetRef="catch_supplement" />',
     '<bpmn:sequenceFlow id="f3" sourceRef="gw_wait" targetRef="ut_check" />', "sau cổng sự kiện"),
    ('<bpmn:sequenceFlow id="f4" sourceRef="gw_wait" targetRef="timer_expired" />',
     '<bpmn:sequenceFlow id="f4" sourceRef="gw_wait" targetRef="timer_expired"><bpmn:conditionExpression '
     'xsi:type="bpmn:tFormalExpression">${a}</bpmn:conditionExpression></bpmn:sequenceFlow>', "không có điều kiện"),
])
def test_an_event_based_gateway_that_does_not_lead_to_catching_events_is_refused(cli, fixtures, tmp_path, old, new,
                                                                                 needle):
    text = (fixtures / "bpmn" / EVENTS / "event_gateway.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "g.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "g.bpmn"), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]
