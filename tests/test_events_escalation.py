"""Escalation events (issue 14), Camunda 7's semantics: an escalation end event inside a sub-process caught by an
interrupting escalation boundary event on it (open work cancelled, the boundary's path taken, the code in
`camunda:escalationCodeVariable`); an escalation nothing catches does nothing (no incident); deploy refuses what
Camunda 7 would not run. Driven through the CLI on a fixed clock; replay and verify exact."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day
FIXTURE = "escalation_boundary.bpmn"


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _consulting(cli):
    result = cli("start", "escalation_boundary_fixture", "--applicant", "Nguyễn Văn An", "--json", now=START,
                 user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert [t["element_id"] for t in view["tasks"]] == ["opinion"]
    return view


def _complete(cli, view, data, now, user):
    result = cli("complete", view["tasks"][0]["task_id"], "--data", json.dumps(data), "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _history(cli, case_id):
    return cli("history", case_id, "--json").json()["events"]


def _verified(cli, case_id):
    assert cli("verify", case_id, now="2026-03-09T08:00").code == 0
    replay = cli("replay", case_id, "--json", now="2026-03-09T08:00")
    assert replay.code == 0, replay.out + replay.err
    assert replay.json()["differences"] == []


def test_an_escalation_end_event_leaves_the_sub_process_by_the_interrupting_boundary(deployed):
    view = _consulting(deployed)
    view = _complete(deployed, view, {"score": 2}, "2026-03-02T09:00", "mai")
    assert [t["element_id"] for t in view["tasks"]] == ["decide_alone"]
    events = _history(deployed, view["case_id"])
    [caught] = [e for e in events if e["type"] == "escalation_caught"]
    assert caught["element_id"] == "Esc_late"
    assert caught["payload"] == {**caught["payload"], "code": "LATE", "thrown_by": "EndEvent_late",
                                 "interrupting": True, "variables": {"escalationCode": "LATE"}}
    assert not [e for e in events if e["element_id"] == "approve"]
    view = _complete(deployed, view, {}, "2026-03-02T10:00", "hung")
    assert view["status"] == "completed"
    ends = [e["element_id"] for e in _history(deployed, view["case_id"]) if e["type"] == "end_reached"]
    assert ends == ["EndEvent_late", "EndEvent_alone"]
    _verified(deployed, view["case_id"])


def test_an_escalation_nothing_catches_does_nothing_and_the_path_goes_on(deployed):
    view = _consulting(deployed)
    view = _complete(deployed, view, {"score": 8}, "2026-03-02T09:00", "mai")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]  # INFO thrown, caught by nobody
    events = _history(deployed, view["case_id"])
    assert not [e for e in events if e["type"] == "escalation_caught"]
    view = _complete(deployed, view, {}, "2026-03-02T10:00", "hung")
    assert view["status"] == "completed"
    _verified(deployed, view["case_id"])


def _variant(tmp_path, fixtures, old, new):
    text = (fixtures / "bpmn" / "eventsub" / FIXTURE).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / FIXTURE
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, needle", [
    # A thrown escalation needs a code to be caught by.
    ('escalationRef="Escalation_late" />', "/>", "escalationCode"),
    ('escalationRef="Escalation_late" />', 'escalationRef="Escalation_nowhere" />', "Escalation_nowhere"),
    # An escalation boundary event belongs on a sub-process or a user task (nothing else throws one).
    ('attachedToRef="consult"', 'attachedToRef="Gateway_late"', "quy trình con"),
    ('escalationCode="LATE"', 'escalationCode="${code}"', "biểu thức"),
])
def test_an_escalation_the_engine_cannot_run_is_refused_at_deploy(cli, fixtures, tmp_path, old, new, needle):
    result = cli("deploy", str(_variant(tmp_path, fixtures, old, new)), "--json")
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"]


@pytest.mark.parametrize("definition", ["compensateEventDefinition", "cancelEventDefinition"])
def test_compensation_and_cancel_stay_refused_with_a_reason(cli, fixtures, tmp_path, definition):
    path = _variant(tmp_path, fixtures, '<bpmn:endEvent id="EndEvent_alone" name="Đã quyết định">',
                    f'<bpmn:endEvent id="EndEvent_alone" name="Đã quyết định"><bpmn:{definition} />')
    result = cli("deploy", str(path), "--json")
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    assert "EndEvent_alone" in message and "không" in message  # the event, and one sentence saying why not


def test_an_escalation_from_one_instance_interrupts_the_whole_multi_instance_sub_process(cli, fixtures, tmp_path):
    import shutil

    folder = tmp_path / "defs"
    shutil.copytree(fixtures / "bpmn", folder)
    path = folder / "eventsub" / FIXTURE
    text = path.read_text(encoding="utf-8")
    old = '<bpmn:subProcess id="consult" name="Lấy ý kiến đơn vị">'
    assert text.count(old) == 1
    path.write_text(text.replace(old, old + '<bpmn:multiInstanceLoopCharacteristics camunda:collection="units" '
                                            'camunda:elementVariable="unit" />'), encoding="utf-8")
    assert cli("deploy", str(folder), "--json").code == 0
    result = cli("start", "escalation_boundary_fixture", "--applicant", "Nguyễn Văn An", "--data",
                 '{"units": ["so_tai_chinh", "so_xay_dung", "cong_an"]}', "--json", now=START, user="lan")
    assert result.code == 0, result.err
    view = result.json()
    opinions = [t for t in view["tasks"] if t["element_id"] == "opinion"]
    assert len(opinions) == 3
    result = cli("complete", opinions[1]["task_id"], "--data", '{"score": 2}', "--json", now="2026-03-02T09:00",
                 user="mai")
    assert result.code == 0, result.err
    view = result.json()
    assert [t["element_id"] for t in view["tasks"]] == ["decide_alone"]
    events = _history(cli, view["case_id"])
    cancelled = sorted(e["payload"]["task_id"] for e in events if e["type"] == "task_cancelled")
    assert cancelled == sorted([opinions[0]["task_id"], opinions[2]["task_id"]])
    [caught] = [e for e in events if e["type"] == "escalation_caught"]
    assert caught["element_id"] == "Esc_late" and caught["payload"]["thrown_by"] == "EndEvent_late"
    _verified(cli, view["case_id"])


def test_a_non_interrupting_escalation_boundary_runs_its_path_alongside(cli, fixtures, tmp_path):
    import shutil

    folder = tmp_path / "defs"
    shutil.copytree(fixtures / "bpmn", folder)
    path = folder / "eventsub" / FIXTURE
    text = path.read_text(encoding="utf-8")
    old = 'attachedToRef="consult"'
    assert text.count(old) == 1
    path.write_text(text.replace(old, old + ' cancelActivity="false"'), encoding="utf-8")
    assert cli("deploy", str(folder), "--json").code == 0
    view = _consulting(cli)
    view = _complete(cli, view, {"score": 2}, "2026-03-02T09:00", "mai")
    # The escalation end event ends its path, so the sub-process completes too; the boundary's path runs beside.
    assert sorted(t["element_id"] for t in view["tasks"]) == ["approve", "decide_alone"]
    [caught] = [e for e in _history(cli, view["case_id"]) if e["type"] == "escalation_caught"]
    assert caught["payload"]["interrupting"] is False
    assert not [e for e in _history(cli, view["case_id"]) if e["type"] == "task_cancelled"]
    _verified(cli, view["case_id"])
