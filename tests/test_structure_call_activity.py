"""Call activities (issue 14): the called process runs as a child case with Camunda 7's in/out mappings, business
key, bindings, error propagation and boundary timers, multi-instance; driven through the CLI on a fixed clock; each
case's history replays and verifies exactly."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _ok(result):
    assert result.code == 0, result.err
    return result.json()


def _complete(cli, task, data, user, now):
    return _ok(cli("complete", task["task_id"], "--data", json.dumps(data), "--json", now=now, user=user))


def _show(cli, case_id, now="2026-03-02T16:00"):
    return _ok(cli("show", case_id, "--json", now=now))


def _exact(cli, *case_ids, now="2026-03-20T16:00"):
    for case_id in case_ids:
        assert cli("verify", case_id, now=now).code == 0, case_id
        replayed = cli("replay", case_id, "--json", now=now)
        assert replayed.code == 0, (case_id, replayed.out, replayed.err)
        assert replayed.json()["ok"], replayed.json()["differences"]


def _events(cli, case_id, kind=None):
    events = _ok(cli("history", case_id, "--json"))["events"]
    return [e for e in events if kind is None or e["type"] == kind]


def _start_permit(cli, data=None):
    data = {"permit_no": "GP-123", "fee": 150, "business_key": "G22.50-0001", **(data or {})}
    return _ok(cli("start", "call_parent", "--applicant", "Công ty TNHH Ánh Dương", "--data", json.dumps(data),
                   "--json", now=START, user="lan"))


def test_a_call_activity_starts_a_child_case_with_the_in_variables_and_completes_with_the_out_variables(deployed):
    parent = _start_permit(deployed)
    assert parent["tasks"] == []  # the caller waits for its child
    child_id = parent["case_id"] + ".1"
    child = _show(deployed, child_id)
    assert child["parent_case_id"] == parent["case_id"]
    assert [t["element_id"] for t in child["tasks"]] == ["verify"]
    started = _events(deployed, child_id, "case_started")[0]["payload"]
    assert started["parent_case_id"] == parent["case_id"]
    # camunda:in source / sourceExpression / businessKey="#{execution.processBusinessKey}"
    assert started["data"] == {"permit_no": "GP-123", "high_fee": True, "business_key": "G22.50-0001"}
    assert _show(deployed, parent["case_id"])["children"][0]["id"] == child_id
    view = _complete(deployed, child["tasks"][0], {"valid": True, "note": "Còn hạn"}, "mai", "2026-03-02T10:00")
    assert view["status"] == "completed"
    parent_view = _show(deployed, parent["case_id"])
    assert [t["element_id"] for t in parent_view["tasks"] if t["status"] == "open"] == ["approve"]
    done = _events(deployed, parent["case_id"], "call_activity_completed")
    assert len(done) == 1 and done[0]["payload"]["child_case_id"] == child_id
    assert done[0]["payload"]["data"] == {"permit_valid": True, "check_note": "Còn hạn"}
    assert parent_view["children"][0]["status"] == "completed"
    _exact(deployed, parent["case_id"], child_id)
