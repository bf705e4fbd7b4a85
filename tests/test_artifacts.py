"""Data objects, data stores, groups, text annotations, message flows and collapsed pools deploy and change nothing at
run time (issue 14, part 5). The diagram: tests/fixtures/external/artifacts_fixture.bpmn, as Camunda Modeler saves it:
one user task with a data object read and written, a data store written, a group, an annotation, and a message flow
to a collapsed pool (the national portal)."""

from __future__ import annotations

NOW = "2026-03-02T09:00"


def test_a_diagram_with_data_objects_stores_groups_annotations_and_a_collapsed_pool_runs_as_if_they_were_not_drawn(
        cli, fixtures):
    assert cli("deploy", str(fixtures / "external" / "artifacts_fixture.bpmn"), "--json", now=NOW).code == 0
    started = cli("start", "artifacts_fixture", "--applicant", "Trần Thị Bình", "--json", now=NOW, user="lan")
    assert started.code == 0, started.err
    case = started.json()
    assert [t["element_id"] for t in case["tasks"]] == ["approve"]
    # A step without a form takes any JSON object of variables, as Camunda 7 does; the data object's output
    # association does not move a variable out of the step, nor does its input one put anything in.
    done = cli("complete", case["tasks"][0]["task_id"], "--data", '{"ghi_chu": "đủ", "DataObject_dossier": 1}',
               "--json", now="2026-03-02T09:05", user="lan")
    assert done.code == 0, done.err
    assert done.json()["status"] == "completed"
    events = cli("history", case["case_id"], "--json", now=NOW).json()["events"]
    assert [e["type"] for e in events] == ["case_started", "task_created", "task_completed", "end_reached",
                                           "workflow_completed", "case_ended"]
    replay = cli("replay", case["case_id"], "--json", now="2026-03-03T09:00")
    assert replay.code == 0 and replay.json()["ok"], replay.out
    state = replay.json()["state"]
    assert state is not None
    assert cli("verify", case["case_id"], now="2026-03-03T09:00").code == 0


def test_the_library_never_sees_the_data_associations():
    from engine.dialect.artifacts import INERT, strip_inert
    from engine.dialect.xml import parse_xml
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "external" / "artifacts_fixture.bpmn"
    root = strip_inert(parse_xml(path.read_bytes(), path.name))
    assert not [n for local in INERT for n in root.iter(f"{{http://www.omg.org/spec/BPMN/20100524/MODEL}}{local}")]
    assert root.find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask") is not None
