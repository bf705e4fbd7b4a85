"""Engine core: Camunda-Modeler diagrams, working-time timers, groups, conflicts, atomic commands (issue 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _start(cli, now=START):
    result = cli("start", "review_fixture", "--applicant", "Công ty TNHH Ánh Dương", "--json", now=now, user="lan")
    assert result.code == 0, result.err
    return result.json()


def _only_task(view):
    assert len(view["tasks"]) == 1, view["tasks"]
    return view["tasks"][0]


def test_deploy_prints_each_definition_with_version_and_hash_and_does_not_reversion_unchanged_files(deployed, fixtures):
    again = deployed("deploy", str(fixtures / "bpmn"), "--json").json()["definitions"]
    assert {d["status"] for d in again} == {"unchanged"}
    assert {d["version"] for d in again} == {1}
    # Sub-folders (tests/fixtures/bpmn/events/ …) are deployed too: pick this folder's own diagram.
    bpmn = next(d for d in again if d["kind"] == "bpmn" and d["file"].endswith("/bpmn/review_fixture.bpmn"))
    assert bpmn["key"] == "review_fixture" and len(bpmn["hash"]) == 64


def test_changed_diagram_gets_a_new_version_and_running_cases_keep_theirs(deployed, fixtures, tmp_path):
    case = _start(deployed)
    changed = tmp_path / "review_fixture.bpmn"
    changed.write_text((fixtures / "bpmn" / "review_fixture.bpmn").read_text(encoding="utf-8").replace(
        'name="Phê duyệt"', 'name="Phê duyệt kết quả"'), encoding="utf-8")
    result = deployed("deploy", str(changed), "--json").json()["definitions"]
    assert result[0]["version"] == 2 and result[0]["status"] == "deployed"
    history = deployed("history", case["case_id"], "--json").json()["events"]
    assert history[0]["payload"]["definition_version"] == 1


def test_start_returns_case_id_due_at_and_the_first_task_with_its_lane(deployed):
    view = _start(deployed)
    assert view["case_id"].startswith("SKHCN-260302-")
    assert {"case_id", "code", "received_at", "due_at", "tasks"} <= set(view)
    task = _only_task(view)
    assert task["element_id"] == "receive"
    assert task["lane"] == "Bộ phận Một cửa" and task["lane_id"] == "Lane_reception"
    assert task["candidate_groups"] == ["reception"]
    assert task["due_at"] == "2026-03-02T10:00:00+07:00"  # 0.25 working day = 2 working hours


@pytest.mark.parametrize(
    ("score", "draft", "next_element"),
    [(7, "12/DT", "approve"), (4, "12/DT", None), (9, "", None)],
)
def test_camunda_condition_routes_on_form_values(deployed, score, draft, next_element):
    view = _start(deployed)
    view = deployed("complete", _only_task(view)["task_id"], "--data", "{}", "--json", now=START, user="lan").json()
    data = {"score": score, "draft_reference": draft} if draft else {"score": score}
    import json

    view = deployed("complete", _only_task(view)["task_id"], "--data", json.dumps(data), "--json",
                    now=START, user="mai").json()
    if next_element:
        assert _only_task(view)["element_id"] == next_element
        assert view["status"] == "active"
    else:
        assert view["tasks"] == [] and view["status"] == "completed"


def test_boundary_timer_of_one_and_a_quarter_days_fires_when_the_clock_passes_its_working_time_due(deployed):
    view = _start(deployed)
    # Reception completed at 09:00 Monday; appraisal has 1.25 working days = 10 working hours:
    # Monday 09:00-11:30 (2.5 h) + 13:30-17:30 (4 h) + Tuesday 07:30-11:00 (3.5 h) → Tuesday 11:00.
    view = deployed("complete", _only_task(view)["task_id"], "--data", "{}", "--json",
                    now="2026-03-02T09:00", user="lan").json()
    appraise = _only_task(view)
    assert appraise["due_at"] == "2026-03-03T11:00:00+07:00"
    early = deployed("tick", "--json", now="2026-03-03T10:59:59").json()
    assert early["fired"] == 0
    exactly = deployed("tick", "--json", now="2026-03-03T11:00:00").json()
    assert exactly["fired"] == 0  # the allotment is used up at 11:00, not exceeded
    late = deployed("tick", "--json", now="2026-03-03T11:00:01").json()
    assert late["fired"] == 1
    assert late["timers"][0]["element_id"] == "Timer_appraise"
    assert late["timers"][0]["due_at"] == "2026-03-03T11:00:00+07:00"


def test_non_interrupting_timer_marks_the_step_overdue_and_leaves_it_open(deployed):
    view = _start(deployed)
    fired = deployed("tick", "--json", now="2026-03-02T10:00:01").json()
    assert fired["fired"] == 1
    assert [e["type"] for e in fired["events"] if e["type"] in ("timer_fired", "step_overdue")] == ["timer_fired", "step_overdue"]
    shown = deployed("show", view["case_id"], "--json", now="2026-03-02T10:00:02").json()
    task = _only_task(shown)
    assert task["element_id"] == "receive" and task["overdue"] is True
    assert [t["element_id"] for t in shown["overdue_steps"]] == ["receive"]
    listed = deployed("tasks", "--json", now="2026-03-02T10:00:02").json()
    assert listed[0]["overdue"] is True
    # The work goes on: the overdue step can still be completed, and the timer does not fire twice.
    deployed("complete", task["task_id"], "--data", "{}", now="2026-03-02T10:30", user="lan")
    assert deployed("tick", "--json", now="2026-03-02T10:31").json()["fired"] == 0


def test_completing_a_task_of_another_group_is_refused_with_exit_5_and_changes_nothing(deployed):
    view = _start(deployed)
    task = _only_task(view)
    before = deployed("history", view["case_id"], "--json").json()["events"]
    result = deployed("complete", task["task_id"], "--data", "{}", "--json", user="mai")
    assert result.code == 5
    err = result.err_json()
    assert err["error"] == "conflict" and "mai" in err["message"] and "Tiếp nhận hồ sơ" in err["message"]
    assert result.out == ""
    assert deployed("history", view["case_id"], "--json").json()["events"] == before
    assert _only_task(deployed("show", view["case_id"], "--json").json())["task_id"] == task["task_id"]


def test_completing_an_already_completed_task_is_a_conflict(deployed):
    task = _only_task(_start(deployed))
    assert deployed("complete", task["task_id"], "--data", "{}", user="lan").code == 0
    again = deployed("complete", task["task_id"], "--data", "{}", user="lan")
    assert again.code == 5 and "đã được xử lý" in again.err


def test_unknown_task_and_unknown_case_exit_3(deployed):
    assert deployed("complete", "00000000-0000-0000-0000-000000000000", "--data", "{}", user="lan").code == 3
    result = deployed("show", "SKHCN-000000-0001", "--json")
    assert result.code == 3 and result.err_json()["error"] == "not_found" and "SKHCN-000000-0001" in result.err_json()["message"]


def test_unknown_procedure_code_exits_3_and_creates_no_case(deployed):
    result = deployed("start", "9.999999", "--applicant", "A", "--json", user="lan")
    assert result.code == 3 and "9.999999" in result.err
    assert deployed("tasks", "--json").json() == []


def test_invalid_json_data_exits_4_and_changes_nothing(deployed):
    task = _only_task(_start(deployed))
    result = deployed("complete", task["task_id"], "--data", "{not json", user="lan")
    assert result.code == 4
    assert deployed("tasks", "--json").json()[0]["task_id"] == task["task_id"]


def test_form_data_is_validated_and_nothing_is_recorded_on_error(deployed):
    view = _start(deployed)
    deployed("complete", _only_task(view)["task_id"], "--data", "{}", user="lan")
    appraise = _only_task(deployed("show", view["case_id"], "--json").json())
    before = deployed("history", view["case_id"], "--json").json()["events"]
    result = deployed("complete", appraise["task_id"], "--data", '{"score": 11, "extra": 1}', "--json", user="mai")
    assert result.code == 4
    assert "Điểm thẩm định" in result.err_json()["message"]
    assert deployed("history", view["case_id"], "--json").json()["events"] == before


def test_task_id_may_be_given_as_an_unambiguous_prefix(deployed):
    task = _only_task(_start(deployed))
    assert deployed("complete", task["task_id"][:8], "--data", "{}", user="lan").code == 0


def test_tasks_filters_by_lane_case_and_mine(deployed):
    first = _start(deployed)
    _start(deployed)
    assert len(deployed("tasks", "--json").json()) == 2
    assert len(deployed("tasks", "--case", first["case_id"], "--json").json()) == 1
    assert len(deployed("tasks", "--lane", "Lane_reception", "--json").json()) == 2
    assert deployed("tasks", "--lane", "Lane_director", "--json").json() == []
    assert len(deployed("tasks", "--mine", "--json", user="lan").json()) == 2
    assert deployed("tasks", "--mine", "--json", user="son").json() == []
    keys = set(deployed("tasks", "--json").json()[0])
    assert {"task_id", "case_id", "element_id", "name", "lane", "candidate_groups", "started_at", "due_at", "overdue"} <= keys


def test_history_is_hash_chained_in_order(deployed):
    view = _start(deployed)
    events = deployed("history", view["case_id"], "--json").json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "case_started"
    assert events[0]["payload"]["calendar_policy"]["deadline_policy"] == "working-hours"
    assert len({e["hash"] for e in events}) == len(events)


def test_procedures_lists_catalog_entries(cli, fixtures, tmp_path):
    folder = tmp_path / "lib"
    shutil.copytree(fixtures / "bpmn", folder)
    (folder / "catalog.json").write_text(
        '{"procedures": [{"code": "9.000001", "name": "Thủ tục thử", "field": "tdc", "process_id": "review_fixture",'
        ' "total_working_days": "3"}]}', encoding="utf-8")
    assert cli("deploy", str(folder)).code == 0
    rows = cli("procedures", "--json").json()
    assert rows == [{"code": "9.000001", "name": "Thủ tục thử", "process_id": "review_fixture",
                     "total_working_days": 3, "version": 1, "field": "tdc", "code_source": "national"}]
    view = cli("start", "9.000001", "--applicant", "B", "--json", now=START, user="lan").json()
    # 3 working days = 24 working hours from Monday 08:00: Mon 7.5 h, Tue 8 h, Wed 8 h, Thu 07:30-08:00.
    assert view["due_at"] == "2026-03-05T08:00:00+07:00"


def test_receiving_requires_the_reception_group(deployed):
    result = deployed("start", "review_fixture", "--applicant", "A", user="mai")
    assert result.code == 5 and "Một cửa" in result.err


def test_a_dossier_received_after_the_cutoff_has_its_reception_step_counted_from_the_next_morning(deployed):
    view = _start(deployed, now="2026-03-02T15:10")  # Monday, after 15:00: transferred Tuesday 07:30
    assert view["transferred_at"] == "2026-03-03T07:30:00+07:00"
    assert _only_task(view)["due_at"] == "2026-03-03T09:30:00+07:00"  # 0.25 day = 2 h from the transfer
    assert deployed("tick", "--json", now="2026-03-02T17:31").json()["fired"] == 0
