"""Signal events as Camunda 7 broadcasts them (issue 14, events): `tthc signal NAME` reaches every element of every
case waiting for it, in one transaction; a signal nobody waits for changes nothing and is not an error; a diagram's
signal throw and end events broadcast the same way, synchronously, inside the command that reaches them, carrying only
the variables their `camunda:in` names; signal start events are refused at deploy with the reason."""

from __future__ import annotations

import pytest

from tests.test_events_messages import EVENTS, START, _case_data, _complete, _history, _start, _types, _verified


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn" / EVENTS), "--json")
    assert result.code == 0, result.err
    return cli


def test_a_signal_reaches_every_waiting_case_and_leaves_the_others(deployed):
    first, second = _start(deployed, "ev_signal")["case_id"], _start(deployed, "ev_signal")["case_id"]
    other = _start(deployed, "ev_message_boundary")["case_id"]
    before = _types(deployed, other)
    result = deployed("signal", "quy_dinh_moi", "--data", '{"so_quy_dinh": "12/2026"}', "--json",
                      now="2026-03-02T09:00", user="hung")
    assert result.code == 0, result.err
    doc = result.json()
    assert [(c["case_id"], c["elements"]) for c in doc["cases"]] == [(first, ["b_rule"]), (second, ["b_rule"])]
    for case_id in (first, second):
        view = deployed("show", case_id, "--json").json()
        assert sorted(t["element_id"] for t in view["tasks"]) == ["ut_recheck", "ut_review"]  # not interrupting
        assert _types(deployed, case_id)[-2:] == [("signal_received", None), ("task_created", "ut_recheck")]
        assert _case_data(deployed, case_id, "ut_review")["so_quy_dinh"] == "12/2026"
        _verified(deployed, case_id)
    assert _types(deployed, other) == before


def test_a_signal_nobody_waits_for_changes_nothing_and_exits_0(deployed):
    case_id = _start(deployed, "ev_signal")["case_id"]
    before = _types(deployed, case_id)
    result = deployed("signal", "mo_lai_he_thong", "--json", now="2026-03-02T09:00", user="hung")
    assert result.code == 0 and result.json()["cases"] == []  # the catch event is not reached yet
    assert _types(deployed, case_id) == before


def test_an_intermediate_signal_catch_moves_the_case_on(deployed):
    view = _start(deployed, "ev_signal")
    case_id = view["case_id"]
    review = next(t for t in view["tasks"] if t["element_id"] == "ut_review")
    result = deployed("complete", review["task_id"], "--data", "{}", "--json", now="2026-03-02T09:00", user="mai")
    assert result.code == 0, result.err
    assert deployed("show", case_id, "--json").json()["tasks"] == []
    doc = deployed("signal", "mo_lai_he_thong", "--json", now="2026-03-02T10:00", user="hung").json()
    assert [c["elements"] for c in doc["cases"]] == [["catch_reopen"]]
    view = deployed("show", case_id, "--json").json()
    assert [t["element_id"] for t in view["tasks"]] == ["ut_final"]
    # The boundary left with its step: the rule signal reaches this case no more.
    assert deployed("signal", "quy_dinh_moi", "--json", now="2026-03-02T11:00", user="hung").json()["cases"] == []
    _complete(deployed, view, "2026-03-02T11:00")
    _verified(deployed, case_id)


def test_a_signal_may_not_overwrite_the_case_identity(deployed):
    _start(deployed, "ev_signal")
    result = deployed("signal", "quy_dinh_moi", "--data", '{"case_id": "X"}', "--json", now=START, user="hung")
    assert result.code == 4 and "case_id" in result.err


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<bpmn:signalEventDefinition id="sed_rule" signalRef="Sig_rule" />',
     '<bpmn:signalEventDefinition id="sed_rule" signalRef="Sig_rule"><bpmn:extensionElements>'
     '<camunda:in source="a" target="b" /></bpmn:extensionElements></bpmn:signalEventDefinition>',
     "phát tín hiệu"),
    ('<bpmn:signal id="Sig_rule" name="quy_dinh_moi" />', '<bpmn:signal id="Sig_rule" />', "tên cố định"),
])
def test_a_signal_the_engine_cannot_broadcast_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    text = (fixtures / "bpmn" / EVENTS / "signal.bpmn").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "s.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "s.bpmn"), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]


def _complete_with(cli, case_id, element_id, data, now, user):
    view = cli("show", case_id, "--json").json()
    task = next(t for t in view["tasks"] if t["element_id"] == element_id)
    result = cli("complete", task["task_id"], "--data", data, "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _payloads(cli, case_id, kind):
    return [e["payload"] for e in _history(cli, case_id) if e["type"] == kind]


def test_a_thrown_signal_reaches_the_other_waiting_cases_in_the_same_command_with_its_in_variables(deployed):
    first, second = _start(deployed, "ev_signal")["case_id"], _start(deployed, "ev_signal")["case_id"]
    thrower = _start(deployed, "ev_signal_throw")["case_id"]
    _complete_with(deployed, thrower, "ut_draft", '{"so_quy_dinh": "15/2026", "so_trang": 12, "ghi_chu": "nội bộ"}',
                   "2026-03-02T09:00", "mai")
    thrown = _payloads(deployed, thrower, "signal_thrown")
    # Only what camunda:in names travels: the source variable and the expression's value, not the rest.
    assert thrown == [{"name": "Quy định mới có hiệu lực", "signal": "quy_dinh_moi",
                       "data": {"so_quy_dinh": "15/2026", "quy_dinh_dai": True}}]
    for case_id in (first, second):
        received = _payloads(deployed, case_id, "signal_received")
        assert received == [{"signal": "quy_dinh_moi", "elements": ["b_rule"],
                             "data": {"so_quy_dinh": "15/2026", "quy_dinh_dai": True},
                             "thrown_by": {"case_id": thrower, "element_id": "throw_rule"}}]
        assert sorted(t["element_id"] for t in deployed("show", case_id, "--json").json()["tasks"]) == [
            "ut_recheck", "ut_review"]
        assert "ghi_chu" not in _case_data(deployed, case_id, "ut_review")
        _verified(deployed, case_id)
    _verified(deployed, thrower)


def test_a_signal_end_event_with_all_variables_moves_a_waiting_catch_event_on(deployed):
    waiting = _start(deployed, "ev_signal")["case_id"]
    _complete_with(deployed, waiting, "ut_review", "{}", "2026-03-02T09:00", "mai")  # now at catch_reopen
    thrower = _start(deployed, "ev_signal_throw")["case_id"]
    _complete_with(deployed, thrower, "ut_draft", '{"so_quy_dinh": "16/2026", "so_trang": 3}', "2026-03-02T09:30", "mai")
    assert [t["element_id"] for t in deployed("show", waiting, "--json").json()["tasks"]] == []  # not the rule signal
    _complete_with(deployed, thrower, "ut_publish", '{"ngay_mo_lai": "2026-03-03"}', "2026-03-02T10:00", "son")
    assert deployed("show", thrower, "--json").json()["status"] == "completed"
    assert [t["element_id"] for t in deployed("show", waiting, "--json").json()["tasks"]] == ["ut_final"]
    received = _payloads(deployed, waiting, "signal_received")[-1]
    assert received["thrown_by"] == {"case_id": thrower, "element_id": "end_reopen"}
    assert received["data"]["ngay_mo_lai"] == "2026-03-03" and received["data"]["so_quy_dinh"] == "16/2026"
    assert "case_id" not in received["data"] and "applicant_name" not in received["data"]  # the engine's own stay
    _verified(deployed, waiting)
    _verified(deployed, thrower)


def test_signals_thrown_back_and_forth_without_end_are_stopped_and_nothing_changes(deployed):
    cases = [_start(deployed, "ev_signal_echo")["case_id"] for _ in range(2)]
    before = {c: _types(deployed, c) for c in cases}
    result = deployed("signal", "vong_lap", "--json", now="2026-03-02T09:00", user="hung")
    assert result.code == 5, result.out + result.err
    assert "vong_lap" in result.err and "không hồ sơ nào bị thay đổi" in result.err
    assert {c: _types(deployed, c) for c in cases} == before


@pytest.fixture
def with_signal_start(deployed, fixtures):
    # Outside tests/fixtures/bpmn/ on purpose: a process opened by `quy_dinh_moi` would change the case lists the
    # other signal tests check.
    result = deployed("deploy", str(fixtures / "signal_start"), "--json")
    assert result.code == 0, result.err
    return deployed


def test_a_signal_opens_a_case_of_each_process_whose_start_event_it_is(with_signal_start):
    waiting = _start(with_signal_start, "ev_signal")["case_id"]
    doc = with_signal_start("signal", "quy_dinh_moi", "--data", '{"so_quy_dinh": "20/2026"}', "--json",
                            now="2026-03-02T09:00", user="hung").json()
    assert [c["case_id"] for c in doc["cases"] if not c.get("started")] == [waiting]
    [opened] = [c["case_id"] for c in doc["cases"] if c.get("started")]
    view = with_signal_start("show", opened, "--json").json()
    assert view["applicant"] == "Rà soát theo quy định mới" and view["process_id"] == "rule_review"
    assert [t["element_id"] for t in view["tasks"]] == ["ut_report"]
    assert _case_data(with_signal_start, opened, "ut_report")["so_quy_dinh"] == "20/2026"
    started = _history(with_signal_start, opened)[0]
    assert started["type"] == "case_started" and started["actor"] == "hung"
    _verified(with_signal_start, opened)


def test_a_thrown_signal_opens_one_too(with_signal_start):
    thrower = _start(with_signal_start, "ev_signal_throw")["case_id"]
    _complete_with(with_signal_start, thrower, "ut_draft", '{"so_quy_dinh": "21/2026", "so_trang": 2}',
                   "2026-03-02T09:00", "mai")
    opened = [e for e in _history(with_signal_start, thrower) if e["type"] == "signal_thrown"]
    assert len(opened) == 1
    result = with_signal_start("tasks", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    reviews = [t for t in (doc if isinstance(doc, list) else doc["tasks"]) if t["element_id"] == "ut_report"]
    assert len(reviews) == 1
    assert _case_data(with_signal_start, reviews[0]["case_id"], "ut_report")["so_quy_dinh"] == "21/2026"
    _verified(with_signal_start, reviews[0]["case_id"])


def test_a_signal_start_beside_another_start_event_is_refused(cli, fixtures, tmp_path):
    text = (fixtures / "signal_start" / "rule_review.bpmn").read_text(encoding="utf-8")
    old = '<bpmn:userTask id="ut_report"'
    new = ('<bpmn:startEvent id="start_hand"><bpmn:outgoing>p9</bpmn:outgoing></bpmn:startEvent>'
           '<bpmn:sequenceFlow id="p9" sourceRef="start_hand" targetRef="ut_report" />' + old)
    (tmp_path / "r.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    result = cli("deploy", str(tmp_path / "r.bpmn"))
    assert result.code == 4 and "start_schedule" in result.err and "duy nhất" in result.err, result.err


def test_a_business_key_for_the_cases_a_signal_opens_is_refused_with_the_reason(cli, fixtures, tmp_path):
    text = (fixtures / "bpmn" / EVENTS / "signal_throw.bpmn").read_text(encoding="utf-8")
    old = '<camunda:in source="so_quy_dinh" target="so_quy_dinh" />'
    (tmp_path / "t.bpmn").write_text(text.replace(old, old + '<camunda:in businessKey="${so_quy_dinh}" />'),
                                     encoding="utf-8")
    result = cli("deploy", str(tmp_path / "t.bpmn"))
    assert result.code == 4 and "throw_rule" in result.err and "businessKey" in result.err, result.err
