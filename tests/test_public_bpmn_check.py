"""scripts/check_public_bpmn.py (issue 14): public BPMN files deploy through the engine's own deploy, or are refused
with the engine's reason and a class that says whether it is code (allowed), a construct still being added, another
unsupported construct, a Camunda 8 diagram, a drawing that is not executable, or something else.

The fixtures in tests/fixtures/public_check/ are our own small Modeler-style diagrams, one or more per class (public
files are never committed: docs/public_bpmn.md says how to fetch them). Also here: the two deploy refusals that the
public files showed to be wrong per Camunda 7 — extensions under the old Activiti namespace, and form keys that point
to a form of the web application.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from engine.lint import lint_paths
from engine.runtime import compile_bpmn

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "tests" / "fixtures" / "public_check"
EXPECTED = {
    "activiti_embedded_forms.bpmn": ("deployed", None),
    "pass_through_tasks.bpmn": ("deployed", None),
    "event_subprocess.bpmn": ("deployed", None),
    "code_java_delegate.bpmn": ("code", "serviceTask"),
    "code_script_task.bpmn": ("code", "scriptTask"),
    "code_then_compensation.bpmn": ("code", "scriptTask"),
    "unsupported_compensation.bpmn": ("unsupported", "boundaryEvent (compensateEventDefinition)"),
    "camunda8_zeebe.bpmn": ("camunda8", None),
    "not_executable_pool.bpmn": ("not_executable", None),
    "other_not_a_diagram.bpmn": ("other", None),
}


def _script():
    spec = importlib.util.spec_from_file_location("check_public_bpmn", ROOT / "scripts" / "check_public_bpmn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def report(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no developer's config
    assert _script().main([str(FOLDER), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_of_our_fixtures_is_deployed_or_refused_with_its_class(report):
    rows = {row["file"]: row for row in report["files"]}
    assert sorted(rows) == sorted(EXPECTED)
    for name, (kind, construct) in EXPECTED.items():
        assert (rows[name]["class"], rows[name]["construct"]) == (kind, construct), rows[name]
        assert (rows[name]["result"] == "deployed") == (kind == "deployed"), rows[name]
    assert rows["activiti_embedded_forms.bpmn"]["processes"] == ["kiem_tra_cu"]
    assert all(row["reason"] for row in rows.values() if row["result"] == "refused")


def test_a_file_refused_for_code_is_deployed_again_without_it_to_show_what_else_blocks_it(report):
    rows = {row["file"]: row for row in report["files"]}
    # Only code: with the delegate or the script replaced by an external task, the copy deploys.
    assert rows["code_java_delegate.bpmn"]["without_code"] == {"class": "deployed", "construct": None, "reason": None}
    assert rows["code_script_task.bpmn"]["without_code"]["class"] == "deployed"
    # Code first, and behind it a compensation event: the second verdict names it, and the file the user gave.
    after = rows["code_then_compensation.bpmn"]["without_code"]
    assert (after["class"], after["construct"]) == ("unsupported", "boundaryEvent (compensateEventDefinition)")
    assert f"'{FOLDER / 'code_then_compensation.bpmn'}'" in after["reason"]
    assert all("without_code" not in row for row in rows.values() if row["class"] != "code")


def test_the_totals_count_every_class(report):
    assert report["count"] == len(EXPECTED)
    assert sum(report["totals"].values()) == report["count"]
    assert report["totals"]["code"] == 3 and report["totals"]["camunda8"] == 1 and report["totals"]["deployed"] == 3


def test_the_reason_is_the_one_tthc_deploy_gives(cli, report):
    """No second code path: the script's reason is word for word what `tthc deploy FILE` prints."""
    row = next(row for row in report["files"] if row["file"] == "code_java_delegate.bpmn")
    result = cli("deploy", str(FOLDER / "code_java_delegate.bpmn"), "--json")
    assert result.code == 4
    message = result.err_json()["message"]
    assert message.split(": ", 1)[1] == row["reason"].split(": ", 1)[1]
    assert "camunda:class" in message


def test_the_text_report_ends_with_the_totals(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert _script().main([str(FOLDER)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith(f"{len(EXPECTED)} files: deployed ")
    assert any(line.startswith("code_script_task.bpmn: code [scriptTask]: ") for line in lines)
    assert "    without code: unsupported [boundaryEvent (compensateEventDefinition)]: " in "\n".join(lines)


def test_extensions_under_the_activiti_namespace_are_read_as_camunda_ones():
    """Camunda 7 reads `http://activiti.org/bpmn` as its own namespace; so do we, rather than skip what it says."""
    info = compile_bpmn((FOLDER / "activiti_embedded_forms.bpmn").read_bytes(), "activiti_embedded_forms.bpmn").info
    assert info.user_task("xem_xet").assignee == "demo"
    assert info.user_task("phe_duyet").candidate_groups == ("director",)
    assert info.user_task("phe_duyet").form_data is not None


def test_an_activiti_assignee_decides_who_may_complete_the_step(cli):
    assert cli("deploy", str(FOLDER / "activiti_embedded_forms.bpmn")).code == 0
    view = cli("start", "kiem_tra_cu", "--applicant", "Nguyễn Văn An", "--json", now="2026-03-02T08:00", user="lan")
    assert view.code == 0, view.err
    task = view.json()["tasks"][0]
    assert task["element_id"] == "xem_xet" and task["assignee"] == "demo"
    refused = cli("complete", task["task_id"], "--data", "{}", "--json", now="2026-03-02T09:00", user="lan")
    assert refused.code == 5, refused.err


def test_a_form_key_of_the_web_application_deploys_and_lint_says_it_has_no_effect(tmp_path):
    path = FOLDER / "activiti_embedded_forms.bpmn"
    report = lint_paths([path], use_node=False)
    notices = {(n.rule, n.element_id) for n in report.files[0].notices}
    assert {("camunda-no-effect", "StartEvent_1"), ("camunda-no-effect", "xem_xet")} <= notices
    assert any("embedded:app:forms/review.html" in n.message_vi for n in report.files[0].notices)
    assert "camunda-refused" not in [f.rule for f in report.files[0].findings]
    # The step has no form of ours: it takes any JSON object, as Camunda 7's engine does with an embedded form.
    info = compile_bpmn(path.read_bytes(), path.name).info
    assert info.user_task("xem_xet").form_ref is None and info.user_task("xem_xet").form_data is None


@pytest.mark.parametrize(("agreed", "end"), [(True, "EndEvent_sent"), (False, "EndEvent_returned")])
def test_an_undefined_task_and_a_manual_task_are_passed_through_as_camunda_7_does(cli, agreed, end):
    """react-example.bpmn (Camunda's own example) stopped for good at its undefined tasks; Camunda 7 passes through."""
    assert cli("deploy", str(FOLDER / "pass_through_tasks.bpmn")).code == 0
    view = cli("start", "pass_through_tasks", "--applicant", "Trần Thị Bình", "--json", now="2026-03-02T08:00",
               user="lan").json()
    task = view["tasks"][0]
    done = cli("complete", task["task_id"], "--data", json.dumps({"dongY": agreed}), "--json", now="2026-03-02T09:00",
               user="lan")
    assert done.code == 0, done.err
    assert done.json()["status"] == "completed" and done.json()["tasks"] == []
    events = cli("history", view["case_id"], "--json").json()["events"]
    assert [e["element_id"] for e in events if e["type"] == "end_reached"] == [end]
    assert cli("verify", view["case_id"]).code == 0
    assert cli("replay", view["case_id"]).code == 0


def test_a_camunda_8_diagram_is_refused_rather_than_run_without_its_zeebe_assignments(cli):
    """Its user task is assigned in `zeebe:assignmentDefinition`, which nothing here reads: deploying it would let
    anyone complete the step."""
    result = cli("deploy", str(FOLDER / "camunda8_zeebe.bpmn"), "--json")
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    assert "'step'" in message and "Camunda Cloud" in message and "Camunda 7" in message
    started = cli("start", "camunda8_zeebe", "--applicant", "Lê Văn Cường", "--json", user="lan")
    assert started.code == 3, started.out  # nothing was deployed
