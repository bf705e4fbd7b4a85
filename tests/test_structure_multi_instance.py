"""Multi-instance user tasks (issue 14) with Camunda 7's semantics: one instance per unit of `camunda:collection`,
each assigned through `${unit}`, a completion condition over nrOf* counters, the body's boundary timer in working
time, parallel and sequential, driven through the CLI on a fixed clock; replay and verify exact."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday
DIAGRAM = "structure/consultation_multi_instance.bpmn"
UNITS = ["staff", "department_leader", "provincial_office"]
OFFICER = {"staff": "mai", "department_leader": "hung", "provincial_office": "tuan"}


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _variant(cli, fixtures, tmp_path, **changes):
    """The fixture diagram with text replaced, deployed as a new version of the same process."""
    text = (fixtures / "bpmn" / DIAGRAM).read_text(encoding="utf-8")
    for old, new in changes.values():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "consultation_multi_instance.bpmn"
    path.write_text(text, encoding="utf-8")
    return cli("deploy", str(path), "--json")


def _complete(cli, task, data, user, now):
    result = cli("complete", task["task_id"], "--data", json.dumps(data), "--json", now=now, user=user)
    assert result.code == 0, result.err
    return result.json()


def _consulting(cli, units=UNITS):
    started = cli("start", "consult_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--data",
                  json.dumps({"units": units}), "--json", now=START, user="lan")
    assert started.code == 0, started.err
    view = started.json()
    return _complete(cli, view["tasks"][0], {}, "lan", "2026-03-02T09:00")


def _check_replay(cli, case_id, now):
    assert cli("verify", case_id, now=now).code == 0
    replayed = cli("replay", case_id, "--json", now=now)
    assert replayed.code == 0 and replayed.json()["ok"] is True, replayed.out


def test_a_parallel_multi_instance_step_opens_one_task_per_unit_each_for_its_own_group(deployed):
    view = _consulting(deployed)
    assert [(t["element_id"], t["candidate_groups"]) for t in view["tasks"]] == [("consult", [u]) for u in UNITS]
    # Each unit's officer sees only the instance for their unit.
    for unit, user in OFFICER.items():
        mine = deployed("tasks", "--mine", "--json", user=user, now="2026-03-02T09:01").json()
        assert [t["candidate_groups"] for t in mine if t["element_id"] == "consult"] == [[unit]]
    events = deployed("history", view["case_id"], "--json").json()["events"]
    created = [e["payload"] for e in events if e["type"] == "task_created" and e["element_id"] == "consult"]
    assert [(p["groups"], p["loop_counter"]) for p in created] == [([u], i) for i, u in enumerate(UNITS)]


def test_the_step_after_waits_for_every_instance_and_the_case_completes_with_replay_exact(deployed):
    view = _consulting(deployed)
    case_id = view["case_id"]
    tasks = {t["candidate_groups"][0]: t for t in view["tasks"]}
    view = _complete(deployed, tasks["staff"], {"score": 7}, "mai", "2026-03-02T10:00")
    assert sorted(t["candidate_groups"][0] for t in view["tasks"]) == ["department_leader", "provincial_office"]
    view = _complete(deployed, tasks["provincial_office"], {"score": 5}, "tuan", "2026-03-02T10:30")
    assert [t["element_id"] for t in view["tasks"]] == ["consult"]
    # Completing one instance twice is refused; the others are unaffected.
    again = deployed("complete", tasks["staff"]["task_id"], "--data", '{"score": 1}', "--json", user="mai",
                     now="2026-03-02T10:40")
    assert again.code == 5
    view = _complete(deployed, tasks["department_leader"], {"score": 9}, "hung", "2026-03-02T11:00")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    shown = deployed("show", case_id, "--json", now="2026-03-02T11:01").json()
    view = _complete(deployed, view["tasks"][0], {"decision": "approve"}, "son", "2026-03-02T14:00")
    assert view["status"] == "completed"
    events = deployed("history", case_id, "--json").json()["events"]
    done = [(e["payload"]["loop_counter"], e["payload"]["data"]["score"]) for e in events
            if e["type"] == "task_completed" and e["element_id"] == "consult"]
    assert done == [(0, 7), (2, 5), (1, 9)]
    assert shown["status"] == "active"
    _check_replay(deployed, case_id, "2026-03-02T15:00")


def test_the_body_timer_fires_once_in_working_time_and_marks_every_open_instance_overdue(deployed):
    view = _consulting(deployed)
    case_id = view["case_id"]
    tasks = {t["candidate_groups"][0]: t for t in view["tasks"]}
    # Entered Monday 09:00; 1 working day = 8 working hours → Tuesday 09:00 (lunch 11:30-13:30 not counted).
    assert {t["due_at"] for t in view["tasks"]} == {"2026-03-03T09:00:00+07:00"}
    _complete(deployed, tasks["staff"], {"score": 7}, "mai", "2026-03-02T10:00")
    assert deployed("tick", "--json", now="2026-03-03T09:00:00").json()["fired"] == 0
    late = deployed("tick", "--json", now="2026-03-03T09:00:01").json()
    assert late["fired"] == 1
    overdue = sorted(e["task_id"] for e in late["events"] if e["type"] == "step_overdue")
    assert overdue == sorted([tasks["department_leader"]["task_id"], tasks["provincial_office"]["task_id"]])
    shown = deployed("show", case_id, "--json", now="2026-03-03T09:01").json()
    assert sorted(t["element_id"] for t in shown["overdue_steps"]) == ["consult", "consult"]
    assert deployed("tick", "--json", now="2026-03-04T09:00").json()["fired"] == 0
    _complete(deployed, tasks["department_leader"], {"score": 9}, "hung", "2026-03-03T10:00")
    view = _complete(deployed, tasks["provincial_office"], {"score": 5}, "tuan", "2026-03-03T10:30")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    _check_replay(deployed, case_id, "2026-03-04T10:00")


def test_a_completion_condition_over_nr_of_completed_instances_cancels_the_remaining_instances(
        deployed, fixtures, tmp_path):
    result = _variant(deployed, fixtures, tmp_path, mi=(
        'camunda:elementVariable="unit" />',
        'camunda:elementVariable="unit">\n        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
        '${nrOfCompletedInstances &gt;= 2 &amp;&amp; nrOfInstances == 3}</bpmn:completionCondition>\n'
        '      </bpmn:multiInstanceLoopCharacteristics>'.replace("</bpmn:multiInstanceLoopCharacteristics>", "")
        + "</bpmn:multiInstanceLoopCharacteristics>"))
    assert result.code == 0, result.err
    view = _consulting(deployed)
    tasks = {t["candidate_groups"][0]: t for t in view["tasks"]}
    view = _complete(deployed, tasks["staff"], {"score": 7}, "mai", "2026-03-02T10:00")
    assert len(view["tasks"]) == 2
    view = _complete(deployed, tasks["department_leader"], {"score": 9}, "hung", "2026-03-02T11:00")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    events = deployed("history", view["case_id"], "--json").json()["events"]
    cancelled = [e["payload"]["task_id"] for e in events if e["type"] == "task_cancelled"]
    assert cancelled == [tasks["provincial_office"]["task_id"]]
    _check_replay(deployed, view["case_id"], "2026-03-02T12:00")


def test_a_sequential_multi_instance_step_opens_the_units_one_after_another(deployed, fixtures, tmp_path):
    result = _variant(deployed, fixtures, tmp_path, mi=(
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection',
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection'))
    assert result.code == 0, result.err
    view = _consulting(deployed)
    seen = []
    for unit in UNITS:
        assert [t["candidate_groups"] for t in view["tasks"]] == [[unit]]
        seen.append(unit)
        view = _complete(deployed, view["tasks"][0], {"score": 6}, OFFICER[unit], "2026-03-02T10:00")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    _check_replay(deployed, view["case_id"], "2026-03-02T12:00")


def test_loop_cardinality_makes_that_many_instances_with_their_loop_counter(deployed, fixtures, tmp_path):
    result = _variant(deployed, fixtures, tmp_path, mi=(
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${units}" camunda:elementVariable="unit" />',
        '<bpmn:multiInstanceLoopCharacteristics>\n        <bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">'
        '2</bpmn:loopCardinality>\n      </bpmn:multiInstanceLoopCharacteristics>'), groups=(
        'camunda:candidateGroups="${unit}"', 'camunda:candidateGroups="staff"'))
    assert result.code == 0, result.err
    view = _consulting(deployed)
    assert [t["candidate_groups"] for t in view["tasks"]] == [["staff"], ["staff"]]
    events = deployed("history", view["case_id"], "--json").json()["events"]
    assert [e["payload"]["loop_counter"] for e in events if e["type"] == "task_created"
            and e["element_id"] == "consult"] == [0, 1]


@pytest.mark.parametrize(("old", "new", "words"), [
    ('camunda:collection="${units}"', 'camunda:collection="${units.list()}"', "phải là tên một biến"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="${units}" camunda:elementVariable="unit" />',
     '<bpmn:standardLoopCharacteristics />', "tác vụ lặp chuẩn"),
])
def test_a_collection_expression_or_a_standard_loop_is_refused_at_deploy_with_the_element(
        deployed, fixtures, tmp_path, old, new, words):
    result = _variant(deployed, fixtures, tmp_path, change=(old, new))
    assert result.code == 4
    assert "'consult'" in result.err and words in result.err


def test_a_multi_instance_sub_process_runs_one_sub_process_per_panel_and_waits_for_all(deployed):
    started = deployed("start", "council_mi_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--data",
                       json.dumps({"panels": ["staff", "department_leader"]}), "--json", now=START, user="lan")
    assert started.code == 0, started.err
    case_id = started.json()["case_id"]
    view = _complete(deployed, started.json()["tasks"][0], {}, "lan", "2026-03-02T09:00")
    appraisals = {t["candidate_groups"][0]: t for t in view["tasks"]}
    assert sorted(appraisals) == ["department_leader", "staff"]
    assert {t["element_id"] for t in view["tasks"]} == {"appraise"}
    view = _complete(deployed, appraisals["staff"], {"score": 7}, "mai", "2026-03-02T10:00")
    # The staff panel's sub-process moved on to its conclusion; the other panel is still appraising.
    assert sorted(t["element_id"] for t in view["tasks"]) == ["appraise", "conclude"]
    conclude = next(t for t in view["tasks"] if t["element_id"] == "conclude")
    view = _complete(deployed, conclude, {"decision": "approve"}, "son", "2026-03-02T10:30")
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]
    view = _complete(deployed, appraisals["department_leader"], {"score": 8}, "hung", "2026-03-02T11:00")
    view = _complete(deployed, view["tasks"][0], {"decision": "approve"}, "son", "2026-03-02T11:30")
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    events = deployed("history", case_id, "--json").json()["events"]
    inside = [e["payload"].get("sub_process") for e in events if e["type"] == "task_created"
              and e["element_id"] in ("appraise", "conclude")]
    assert inside == ["council"] * 4
    view = _complete(deployed, view["tasks"][0], {"decision": "approve"}, "son", "2026-03-02T14:00")
    assert view["status"] == "completed"
    _check_replay(deployed, case_id, "2026-03-02T15:00")


@pytest.mark.parametrize(("data", "words"), [
    ({}, "biến danh sách 'units' chưa có"),
    ({"units": "staff"}, "phải là một danh sách"),
])
def test_a_missing_or_non_list_collection_is_refused_with_exit_4_and_the_case_does_not_change(deployed, data, words):
    started = deployed("start", "consult_fixture", "--applicant", "A", "--data", json.dumps(data), "--json",
                       now=START, user="lan").json()
    before = deployed("history", started["case_id"], "--json").json()["events"]
    task = started["tasks"][0]
    result = deployed("complete", task["task_id"], "--data", "{}", "--json", now="2026-03-02T09:00", user="lan")
    assert result.code == 4 and words in result.err
    assert "Cho ý kiến" in result.err
    assert deployed("history", started["case_id"], "--json").json()["events"] == before
    shown = deployed("show", started["case_id"], "--json").json()
    assert [t["task_id"] for t in shown["tasks"]] == [task["task_id"]]


def test_an_empty_collection_makes_no_instance_and_the_case_moves_on_as_in_camunda(deployed):
    view = _consulting(deployed, units=[])
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]


def test_lint_accepts_lane_references_to_elements_inside_a_sub_process(cli, fixtures):
    result = cli("lint", str(fixtures / "bpmn" / "structure" / "council_subprocess.bpmn"), "--json")
    assert "lane-membership" not in result.out, result.out


def test_the_timer_on_a_multi_instance_sub_process_marks_the_open_step_of_every_instance_overdue(deployed):
    started = deployed("start", "council_mi_fixture", "--applicant", "A", "--data",
                       json.dumps({"panels": ["staff", "department_leader"]}), "--json", now=START, user="lan").json()
    view = _complete(deployed, started["tasks"][0], {}, "lan", "2026-03-02T09:00")
    assert {t["due_at"] for t in view["tasks"]} == {"2026-03-04T09:00:00+07:00"}  # the body's 2 working days
    staff = next(t for t in view["tasks"] if t["candidate_groups"] == ["staff"])
    view = _complete(deployed, staff, {"score": 7}, "mai", "2026-03-02T10:00")
    late = deployed("tick", "--json", now="2026-03-04T09:00:01").json()
    assert late["fired"] == 1
    overdue = sorted(e["element_id"] for e in late["events"] if e["type"] == "step_overdue")
    assert overdue == ["appraise", "conclude"]  # the leader panel's appraisal, the staff panel's conclusion
    _check_replay(deployed, started["case_id"], "2026-03-04T10:00")
