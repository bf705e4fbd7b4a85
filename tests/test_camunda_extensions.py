"""Nothing a diagram carries is silently ignored (issue 19): every Camunda 7 extension in camunda-bpmn-moddle's schema
is run, refused at deploy with a reason, or reported by lint as having no effect — from one table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from engine.dialect.extensions import ATTRIBUTES, ELEMENTS, Fate, markdown_table, verdicts
from engine.lint import lint_paths

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "node_modules" / "camunda-bpmn-moddle" / "resources" / "camunda.json"
FIXTURE = ROOT / "tests" / "fixtures" / "bpmn"
DIAGRAM = (FIXTURE / "review_fixture.bpmn").read_text(encoding="utf-8")
USER_TASK = '<bpmn:userTask id="approve" name="Phê duyệt"'


def schema_entries() -> set[str]:
    """Every element type (`Type`) and every property (`Type.property`) of the schema; types that only add properties
    to BPMN elements (`extends`) are covered through their properties."""
    if not SCHEMA.is_file():
        pytest.skip("node_modules absent: run `npm ci`")
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    entries: set[str] = set()
    for kind in document["types"]:
        if not kind.get("extends"):
            entries.add(kind["name"])
        entries.update(f"{kind['name']}.{prop['name']}" for prop in kind.get("properties", []))
    return entries


def _rules():
    return list(ATTRIBUTES.values()) + list(ELEMENTS.values())


def test_every_element_and_property_of_the_camunda_schema_has_a_fate_in_the_table():
    covered = {entry for rule in _rules() for entry in rule.covers}
    missing = sorted(schema_entries() - covered)
    assert missing == [], f"no fate for: {missing}"


def test_the_table_names_only_what_the_schema_has_and_each_entry_once():
    covers = Counter(entry for rule in _rules() for entry in rule.covers)
    assert sorted(set(covers) - schema_entries()) == []
    assert [entry for entry, count in covers.items() if count > 1] == []


def test_every_refusal_and_no_effect_says_why():
    for rule in _rules():
        assert len(rule.why) > 20 and rule.why[0].islower(), rule


def _deploy_refused(cli, tmp_path, text: str, *needles: str) -> str:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    (folder / "review_fixture.bpmn").write_text(text, encoding="utf-8")
    result = cli("deploy", str(folder), "--json")
    assert result.code == 4, result.out
    message = result.err_json()["message"]
    for needle in ("review_fixture.bpmn", *needles):
        assert needle in message, message
    assert "\n" not in message.strip()
    return message


@pytest.mark.parametrize(("extension", "needles"), [
    ('<camunda:executionListener class="org.example.Notify" event="start" />', ("camunda:executionListener", "mã")),
    ('<camunda:executionListener expression="${notifier.send(execution)}" event="end" />',
     ("camunda:executionListener", "tác vụ ngoài")),
    ('<camunda:executionListener event="start"><camunda:script scriptFormat="groovy">x = 1</camunda:script>'
     "</camunda:executionListener>", ("camunda:executionListener",)),
    ('<camunda:taskListener class="org.example.Assign" event="create" />', ("camunda:taskListener",)),
    ('<camunda:taskListener delegateExpression="${assigner}" event="assignment" />', ("camunda:taskListener",)),
    ('<camunda:inputOutput><camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">1</camunda:script>'
     '</camunda:inputParameter></camunda:inputOutput>', ("camunda:inputOutput", "chạy mã lệnh")),  # runs, not scripts
    ('<camunda:formData><camunda:formField id="a" type="file" /></camunda:formData>', ("camunda:formData", "'file'")),
    ("<camunda:failedJobRetryTimeCycleX>R3/PT1M</camunda:failedJobRetryTimeCycleX>", ("failedJobRetryTimeCycleX",)),
])
def test_extension_elements_that_would_run_code_or_be_ignored_are_refused_at_deploy(cli, tmp_path, extension, needles):
    anchor = "<bpmn:incoming>Flow_approved</bpmn:incoming>"
    assert DIAGRAM.count(anchor) == 1  # inside the approve task
    text = DIAGRAM.replace(anchor, f"<bpmn:extensionElements>{extension}</bpmn:extensionElements>{anchor}")
    _deploy_refused(cli, tmp_path, text, "'approve'", *needles)


@pytest.mark.parametrize(("attribute", "needles"), [
    ('camunda:dueDate="${dateTime().plusDays(2)}"', ("camunda:dueDate",)),  # runs, but not with Java calls
    ('camunda:followUpDate="P1D"', ("camunda:followUpDate",)),
    ('camunda:formRefVersion="3"', ("camunda:formRefVersion",)),
    ('camunda:candidateGroup="staff"', ("camunda:candidateGroup", "không có trong Camunda 7")),
    ('camunda:decisionRef="x"', ("camunda:decisionRef", "userTask")),
])
def test_attributes_that_would_not_run_are_refused_at_deploy_naming_element_and_attribute(cli, tmp_path, attribute,
                                                                                         needles):
    _deploy_refused(cli, tmp_path, DIAGRAM.replace(USER_TASK, f"{USER_TASK} {attribute}", 1), "'approve'", *needles)


def test_a_java_delegate_class_is_refused_naming_it(cli, tmp_path):
    text = DIAGRAM.replace(USER_TASK, f'{USER_TASK} camunda:class="org.example.Approve"', 1)
    _deploy_refused(cli, tmp_path, text, "'approve'", "camunda:class", "không bao giờ chạy mã")


def test_a_form_key_of_the_web_application_deploys_and_lint_says_it_has_no_effect(cli, tmp_path):
    # Camunda 7 runs the process whatever form the Tasklist shows; the step is then one without a form of ours.
    text = DIAGRAM.replace('camunda:formKey="camunda-forms:deployment:fixture_appraisal.form"',
                           'camunda:formKey="embedded:app:forms/appraise.html"')
    path = tmp_path / "review_fixture.bpmn"
    path.write_text(text, encoding="utf-8")
    report = lint_paths([path], use_node=False)
    notice = next(n for n in report.files[0].notices if n.element_id == "appraise" and n.rule == "camunda-no-effect")
    assert "embedded:app:forms/appraise.html" in notice.message_vi and "formRef" in notice.message_vi
    folder = tmp_path / "in"
    folder.mkdir()
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    (folder / "review_fixture.bpmn").write_text(text, encoding="utf-8")
    assert cli("deploy", str(folder)).code == 0


def test_what_has_no_effect_is_accepted_at_deploy_and_reported_by_lint(cli, tmp_path):
    text = DIAGRAM.replace(USER_TASK, f'{USER_TASK} camunda:asyncBefore="true" camunda:priority="50"', 1)
    path = tmp_path / "review_fixture.bpmn"
    path.write_text(text, encoding="utf-8")
    report = lint_paths([path], use_node=False)
    notices = [(n.rule, n.element_id) for n in report.files[0].notices]
    assert notices.count(("camunda-no-effect", "approve")) == 2
    assert any("camunda:asyncBefore" in n.message_vi for n in report.files[0].notices)
    assert "camunda-no-effect" not in [f.rule for f in report.files[0].findings]
    folder = tmp_path / "in"
    folder.mkdir()
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    (folder / "review_fixture.bpmn").write_text(text, encoding="utf-8")
    assert cli("deploy", str(folder)).code == 0


def test_lint_reports_a_refused_extension_as_an_error_with_deploys_sentence(tmp_path):
    text = DIAGRAM.replace(USER_TASK, f'{USER_TASK} camunda:formRefVersion="3"', 1)
    path = tmp_path / "review_fixture.bpmn"
    path.write_text(text, encoding="utf-8")
    report = lint_paths([path], use_node=False)
    assert ("camunda-refused", "approve") in [(f.rule, f.element_id) for f in report.files[0].findings]
    assert not report.ok


def test_the_library_runs_every_extension_it_carries_except_history_time_to_live(tmp_path):
    from lxml import etree

    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        found = list(verdicts(etree.parse(str(path)).getroot()))
        assert {(v.fate, v.message.split(" ")[2]) for v in found} <= {(Fate.NO_EFFECT, "camunda:historyTimeToLive")}, path


def test_the_readme_table_is_generated_from_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "regenerate: python3 -c 'from engine.dialect.extensions import markdown_table as t; print(t())'"
