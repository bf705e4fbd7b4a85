"""`tthc demo` drives the library on the embedded database; `tthc decide` shows designers which rules matched."""

from __future__ import annotations

import pytest

from engine.library import library_paths


def test_demo_resolves_every_story_as_told(cli):
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    outcomes = {c["code"]: (c["status"], c["outcome"], c["timing"]) for c in doc["cases"]}
    assert outcomes == {
        "1.014881": ("completed", "granted", "early"),
        "3.000452": ("completed", "supplement_at_reception", None),
        "1.014885": ("completed", "refused_at_reception", None),
        "3.000450": ("completed", "granted", "early"),
        "1.014888": ("completed", "granted", "early"),
        "1.014879": ("completed", "refused", "early"),
        "CNS.02.1": ("completed", "granted", "late"),
        "CNS.01": ("withdrawn", "withdrawn", None),
        "lay_y_kien": ("completed", "granted", "early"),
    }
    late = next(c for c in doc["cases"] if c["code"] == "CNS.02.1")
    assert late["apologies"] == 1 and late["apology_due_at"] == "2026-12-11T17:30:00+07:00"
    assert late["due_at"] == "2026-12-08T08:30:00+07:00"  # 15 days from 16/11 08:30, skipping Tue 24/11
    restarted = next(c for c in doc["cases"] if c["code"] == "3.000450")
    assert restarted["restarts"] == 1 and restarted["supplement_rounds"] == 1
    # The supplement round runs through the message: the case waited with no step open, the portal's message
    # (correlate) restarted the limit and opened the desk's check.
    events = cli("history", restarted["case_id"], "--json").json()["events"]
    kinds = [(e["type"], e["element_id"]) for e in events]
    awaited = kinds.index(("message_awaited", "Event_supplement_received"))
    arrived = kinds.index(("message_correlated", "Event_supplement_received"))
    assert [k for k in kinds[awaited:arrived] if k[0] == "task_created"] == []
    assert kinds[arrived + 1:arrived + 3] == [("deadline_restarted", None), ("task_created", "receive_supplement")]
    assert events[arrived]["payload"]["message"] == "ho_so_bo_sung" and events[arrived]["at"].startswith(
        "2026-11-20T08:30")
    assert cli("verify", restarted["case_id"]).code == 0
    assert doc["timers_fired"] >= 3
    # The cases are really stored: the operators' commands see them.
    history = cli("history", late["case_id"], "--json").json()["events"]
    assert [e["type"] for e in history].count("apology_issued") == 1


def test_demo_runs_a_parallel_consultation_with_one_step_per_unit_and_only_the_late_unit_overdue(cli):
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    case = next(c for c in result.json()["cases"] if c["code"] == "lay_y_kien")
    events = cli("history", case["case_id"], "--json").json()["events"]
    created = [e["payload"]["groups"] for e in events if e["type"] == "task_created" and e["element_id"] == "consult"]
    assert created == [["staff"], ["department_leader"], ["provincial_office"]]
    completed = [e["actor"] for e in events if e["type"] == "task_completed" and e["element_id"] == "consult"]
    assert completed == ["mai", "hung", "tuan"]
    overdue = [e for e in events if e["type"] == "step_overdue"]
    late = next(e for e in events if e["type"] == "task_created" and e["payload"]["groups"] == ["provincial_office"])
    assert [e["payload"]["task_id"] for e in overdue] == [late["payload"]["task_id"]]
    assert cli("verify", case["case_id"]).code == 0


@pytest.fixture
def rules(cli):
    assert cli("deploy", *map(str, library_paths())).code == 0
    return cli


def test_decide_shows_the_matched_rule_and_the_result(rules):
    doc = rules("decide", "reception_check_tdc", "--data",
                '{"procedure_code": "1.014893", "has_application": true, "has_legal_documents": false,'
                ' "has_capacity_documents": false, "has_issued_certificate": true}', "--json").json()
    assert doc["entries"][0]["result"] == "supplement"
    assert len(doc["matched"]) == 1 and doc["matched"][0]["description"]
    complete = rules("decide", "reception_check_tdc", "--data",
                     '{"procedure_code": "1.014893", "has_application": true, "has_legal_documents": false,'
                     ' "has_capacity_documents": true, "has_issued_certificate": true}', "--json").json()
    assert complete["entries"][0]["result"] == "complete"


def test_decide_names_a_missing_input_and_an_unknown_decision(rules):
    missing = rules("decide", "appraisal_routing", "--data", "{}", "--json")
    assert missing.code == 4 and "conclusion" in missing.err_json()["message"]
    unknown = rules("decide", "no_such_decision", "--data", "{}")
    assert unknown.code == 3 and "no_such_decision" in unknown.err
