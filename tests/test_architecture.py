"""The architecture the maintainers want, checked (issue 17): procedure meaning comes from the diagram's
camunda:properties (never from element ids in code), replay shares the live engine's public projection, and a
library diagram whose every element id is renamed behaves exactly as before.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from conftest import ROOT, Cli
from golden_histories import CODE, DEPLOYED_AT, SCENARIOS, START
from test_audit_scenarios import Driver

ENGINE = ROOT / "engine"
# The importer writes the library (it names what it generates); the demo drives the library's cases step by step.
NOT_PROCEDURE_CODE = ("importer/", "demo.py", "demo_data.py")
ID_ATTRIBUTES = ("id", "sourceRef", "targetRef", "attachedToRef", "default", "bpmnElement", "messageRef")
ID_TEXTS = ("flowNodeRef", "incoming", "outgoing")


def _library_ids() -> set[str]:
    ids: set[str] = set()
    for path in (ROOT / "bpmn").glob("*.bpmn"):
        root = etree.parse(str(path)).getroot()
        process_ids = {p.get("id") for p in root.iter("{*}process")}
        ids |= {e.get("id") for e in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}*")
                if e.get("id") and e.get("id") not in process_ids}
    return ids


def _string_constants(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_no_element_id_of_a_library_diagram_appears_in_engine_code():
    ids = _library_ids()
    assert {"receive", "approve", "return_result", "EndEvent_refused_at_reception", "Lane_provincial_office"} <= ids
    found = {}
    for path in ENGINE.rglob("*.py"):
        relative = path.relative_to(ENGINE).as_posix()
        if relative.startswith(NOT_PROCEDURE_CODE):
            continue
        hits = _string_constants(path) & ids
        if hits:
            found[relative] = sorted(hits)
    assert found == {}


def test_event_types_are_written_once_as_an_enum_not_as_string_literals():
    from engine.history import EventType

    tokens = {member.value for member in EventType}
    found = {path.relative_to(ENGINE).as_posix(): sorted(_string_constants(path) & tokens)
             for path in ENGINE.rglob("*.py") if path.name != "history.py" and _string_constants(path) & tokens}
    assert found == {}


def test_the_element_id_check_finds_an_id_written_in_code(tmp_path):
    # The check above must be able to fail: an id in a string literal is seen.
    sample = tmp_path / "sample.py"
    sample.write_text('if event["element_id"] == "return_result":\n    pass\n', encoding="utf-8")
    assert _string_constants(sample) & _library_ids() == {"return_result"}


def test_replay_imports_no_private_name_and_builds_no_service():
    tree = ast.parse((ENGINE / "audit" / "replay.py").read_text(encoding="utf-8"))
    imported = [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names]
    assert [name for _, name in imported if name.startswith("_")] == []
    assert all(module != "engine.service" for module, _ in imported)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not names & {"Service", "_NoDatabase", "_NoRows"}


def test_the_cli_and_the_audit_never_reach_for_the_service_store():
    users = [path.relative_to(ENGINE).as_posix() for folder in ("cli", "audit")
             for path in (ENGINE / folder).rglob("*.py") if "service.store" in path.read_text(encoding="utf-8")]
    assert users == []
    # Nor any other way into the store from the CLI: commands call the service's use cases.
    attributes = [path.name for path in (ENGINE / "cli").rglob("*.py")
                  for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(node, ast.Attribute) and node.attr == "store"]
    assert attributes == []


# --- renaming every element id ----------------------------------------------------------------------------------
def _renamed_library(target: Path) -> dict[str, str]:
    """A copy of the library with every element id of tdc_qt01 (the 1.014881 process) renamed; returns old -> new."""
    target.mkdir()
    for path in (ROOT / "bpmn").iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    source = target / "tdc_qt01.bpmn"
    root = etree.parse(str(source)).getroot()
    process_ids = {p.get("id") for p in root.iter("{*}process")}
    ids = sorted({e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")} - process_ids
                 - {root.get("id")})
    mapping = {old: f"Renamed{n:03d}_{old[::-1].strip('_')[:6]}" for n, old in enumerate(ids)}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ID_ATTRIBUTES:
            if element.get(attribute) in mapping:
                element.set(attribute, mapping[element.get(attribute)])
        if etree.QName(element).localname in ID_TEXTS and (element.text or "").strip() in mapping:
            element.text = mapping[element.text.strip()]
        if etree.QName(element).localname == "property" and element.get("name") == "coordinating_lanes":
            element.set("value", ",".join(mapping.get(v.strip(), v.strip()) for v in element.get("value").split(",")))
    source.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return mapping


class RenamedDriver(Driver):
    """Drives a case by the library's element names, on a diagram whose ids were renamed."""

    def __init__(self, cli: Cli, mapping: dict[str, str]) -> None:
        super().__init__(cli)
        self.mapping = mapping

    def task(self, element: str) -> dict:
        return super().task(self.mapping.get(element, element))

    def complete(self, element: str, now: str, data=None, user=None):
        from test_audit_scenarios import STEP_DATA, USERS

        task = self.task(element)
        who = user or USERS[task["candidate_groups"][0]]
        payload = data if data is not None else STEP_DATA[element]
        self.view = self.run("complete", task["task_id"], "--data", json.dumps(payload, ensure_ascii=False),
                             now=now, user=who)
        return self


def _run(cli: Cli, driver: Driver, scenario: str, library: Path) -> dict:
    deployed = cli("deploy", str(library), str(ROOT / "forms"), "--json", now=DEPLOYED_AT)
    assert deployed.code == 0, deployed.err
    driver.start(CODE, "Công ty TNHH Ánh Dương", START)
    SCENARIOS[scenario](driver)
    final = driver.run("show", driver.case_id, now="2026-03-20T08:00")
    report = cli("report", "--from", "2026-03-01", "--to", "2026-03-31", "--json", now="2026-04-01T08:00")
    slip = cli("slip", driver.case_id, now="2026-03-20T08:00")
    assert report.code == 0 and slip.code == 0, (report.err, slip.err)
    return {"case": final, "report": report.json(), "slip": slip.out}


def _without_ids(doc: dict, back: dict[str, str]) -> dict:
    """A case view or report with task ids dropped and element (and lane) ids mapped back to the library's."""
    text = json.dumps(doc, ensure_ascii=False)
    text = re.sub(r'"task_id": "[0-9a-f-]{36}"', '"task_id": ""', text)
    for new, old in back.items():
        text = text.replace(f'"{new}"', f'"{old}"')
    return json.loads(text)


@pytest.mark.parametrize("scenario", ["happy", "refused_at_reception", "refusal_after_appraisal",
                                      "supplement_restart", "late_step_apology", "withdrawal"])
def test_a_library_diagram_with_every_element_id_renamed_ends_with_the_same_outcome_statistics_and_slip(
        cli, tmp_path, scenario):
    original = _run(cli, Driver(cli), scenario, ROOT / "bpmn")
    mapping = _renamed_library(tmp_path / "renamed")
    other = Cli(f"sqlite:///{tmp_path / 'renamed.db'}")
    renamed = _run(other, RenamedDriver(other, mapping), scenario, tmp_path / "renamed")
    assert renamed["case"]["outcome"] == original["case"]["outcome"] is not None
    assert _without_ids(renamed["case"], {v: k for k, v in mapping.items()}) == _without_ids(original["case"], {})
    assert _without_ids(renamed["report"], {v: k for k, v in mapping.items()}) == original["report"]
    assert renamed["slip"] == original["slip"]


def test_lint_names_a_policy_property_with_an_unknown_value(cli, tmp_path):
    text = (ROOT / "bpmn" / "tdc_qt01.bpmn").read_text(encoding="utf-8")
    text = text.replace('name="outcome" value="refused_at_reception"', 'name="outcome" value="refusedd"')
    (tmp_path / "bad.bpmn").write_text(text, encoding="utf-8")
    result = cli("lint", str(tmp_path / "bad.bpmn"), "--no-node", "--json")
    findings = [f for r in result.json()["files"] for f in r["findings"] if f["rule"] == "procedure-policy"]
    assert [(f["element_id"], "refusedd" in f["message_vi"]) for f in findings] == [
        ("EndEvent_refused_at_reception", True)]


def test_the_state_codec_keeps_its_fragments_beside_the_workflow_and_never_flips_the_registry_flag(cli):
    from engine import state_codec
    from golden_histories import produce

    source = (ENGINE / "state_codec.py").read_text(encoding="utf-8")
    assert source.count("_encoder_mode") == 1  # set once at import
    assert "__dict__" not in source
    produce(cli, "rework")
    assert state_codec._registry._encoder_mode is True
    # Fragments live in a WeakKeyDictionary: a workflow that is dropped takes its fragments with it.
    import gc

    from engine.workflow_cache import WorkflowCache

    assert len(state_codec._fragments) >= 1  # the workflow this process kept after the last command
    WorkflowCache.clear_shared()
    gc.collect()
    assert len(state_codec._fragments) == 0


class CountingClock:
    """A fixed clock that counts how often it is asked."""

    def __init__(self, at: str) -> None:
        from engine.calendar import FixedClock

        self.fixed = FixedClock(__import__("datetime").datetime.fromisoformat(at))
        self.reads = 0

    def now(self):
        self.reads += 1
        return self.fixed.now()

    def set(self, at: str) -> None:
        self.fixed.set(__import__("datetime").datetime.fromisoformat(at))


def test_each_command_reads_the_clock_once_and_passes_now_down(db_url):
    from engine import demo_data
    from engine.calendar import BusinessCalendar
    from engine.config import load_settings
    from engine.service import Service

    clock = CountingClock("2026-03-02T08:00:00+07:00")
    service = Service.open(load_settings(None, db_url), clock=clock, calendar=BusinessCalendar.default())
    try:
        service.deploy([ROOT / "bpmn", ROOT / "forms"])
        reads = {}
        clock.reads = 0
        view = service.start_case(CODE, applicant="Công ty TNHH Ánh Dương", received_at=None, data=None, actor="lan")
        reads["start"] = clock.reads
        for element, user, at in (("receive", "lan", "2026-03-02T09:00:00+07:00"),
                                  ("assign", "hung", "2026-03-02T10:00:00+07:00")):
            clock.set(at)
            clock.reads = 0
            task = next(t for t in view["tasks"] if t["element_id"] == element)
            view = service.complete_task(task["task_id"], demo_data.default_step_data(
                element, applicant="Công ty TNHH Ánh Dương", today=clock.fixed.now().date()), actor=user)
            reads[element] = clock.reads
        clock.set("2026-03-04T09:00:00+07:00")
        clock.reads = 0
        assert service.fire_due_timers()["fired"] >= 1  # the appraisal step's timer and the apology timer
        reads["tick"] = clock.reads
    finally:
        service.close()
    assert reads == {"start": 1, "receive": 1, "assign": 1, "tick": 1}


def _config(tmp_path: Path, prefix_line: str) -> Path:
    from engine.config import load_settings

    users = load_settings(None, "sqlite://").users
    lines = [prefix_line] + [f'[users.{u.id}]\nname = "{u.name}"\ngroups = {json.dumps(list(u.groups))}'
                             for u in users.values()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_case_id_prefix_comes_from_the_configuration(db_url, tmp_path):
    cli = Cli(db_url, config=_config(tmp_path, '[cases]\nid_prefix = "SOTTTT"'))
    assert cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json", now=DEPLOYED_AT).code == 0
    started = cli("start", CODE, "--applicant", "Công ty TNHH Ánh Dương", "--json", now=START, user="lan")
    assert started.code == 0, started.err
    assert started.json()["case_id"] == "SOTTTT-260302-0001"


def test_a_bad_case_id_prefix_is_refused_naming_the_setting(db_url, tmp_path):
    cli = Cli(db_url, config=_config(tmp_path, '[cases]\nid_prefix = "sở-kh"'))
    result = cli("procedures", "--json")
    assert result.code == 4
    assert "id_prefix" in result.err_json()["message"] and "[cases]" in result.err_json()["message"]


def test_policy_problems_name_a_malformed_rework_decision_and_an_unknown_coordinating_lane():
    from engine.dialect.xml import parse_xml
    from engine.policy import problems

    text = (ROOT / "bpmn" / "tdc_qt02.bpmn").read_text(encoding="utf-8")
    text = text.replace('value="decision=rework"', 'value="rework"')
    text = text.replace('name="coordinating_lanes" value="Lane_provincial_office"',
                        'name="coordinating_lanes" value="Lane_provincial_office, Lane_nowhere"')
    text = text.replace('name="role" value="appraisal"', 'name="role" value="appraiser"')
    found = problems(parse_xml(text.encode("utf-8"), "tdc_qt02.bpmn"))
    messages = [message for _, message, _ in found]
    assert [element for element, _, _ in found] == ["appraise", "tdc_qt02", "tdc_qt02"]
    assert "'appraiser'" in messages[0] and "rework_decision" in messages[1] and "Lane_nowhere" in messages[2]
    assert all(line for _, _, line in found)
    assert problems(parse_xml((ROOT / "bpmn" / "tdc_qt02.bpmn").read_bytes(), "tdc_qt02.bpmn")) == []


def test_policy_problems_name_a_restart_deadline_where_it_has_no_effect():
    from engine.dialect.xml import parse_xml
    from engine.policy import problems, policy_of

    text = (ROOT / "bpmn" / "tdc_qt01.bpmn").read_text(encoding="utf-8")
    # On the catch event it counts (the library's supplement); moved onto the apology timer it would do nothing.
    assert policy_of(text.encode("utf-8"), "tdc_qt01.bpmn").restart_messages == {"Event_supplement_received"}
    moved = text.replace('<bpmn:intermediateCatchEvent id="Timer_apology" name="1 ngày làm việc trước hạn">',
                         '<bpmn:intermediateCatchEvent id="Timer_apology" name="1 ngày làm việc trước hạn">'
                         '<bpmn:extensionElements><camunda:properties><camunda:property name="restart_deadline" '
                         'value="true"/></camunda:properties></bpmn:extensionElements>')
    assert moved != text
    found = problems(parse_xml(moved.encode("utf-8"), "tdc_qt01.bpmn"))
    assert [(element, "restart_deadline" in message) for element, message, _ in found] == [("Timer_apology", True)]
    assert policy_of(moved.encode("utf-8"), "tdc_qt01.bpmn").restart_messages == {"Event_supplement_received"}


def test_a_diagram_without_policy_properties_gets_no_outcome_from_its_element_ids():
    from engine.policy import policy_of

    text = (ROOT / "bpmn" / "tdc_qt01.bpmn").read_text(encoding="utf-8")
    stripped = re.sub(r'\s*<camunda:property name="(outcome|role|channel_variable|result_kind_variable|'
                      r'rework_decision|coordinating_lanes)" value="[^"]*"/>', "", text)
    policy = policy_of(stripped.encode("utf-8"), "tdc_qt01.bpmn")
    assert policy.end_outcomes == {} and policy.roles == {} and policy.channel({"channel": "direct"}) is None
    # The desk's refusal end, known only by its id, decides nothing: the case would count as granted.
    assert policy.outcome(policy.deciding_end(["EndEvent_refused_at_reception"]), {}) == "granted"
    assert policy_of(text.encode("utf-8"), "tdc_qt01.bpmn").outcome("EndEvent_refused_at_reception", {}) == \
        "refused_at_reception"


def test_completing_a_step_reads_its_decision_tables_before_the_runtime_runs(db_url, monkeypatch):
    """The walk of `complete` goes down the layers: the newest decision tables the diagram names are read by the use
    case, so the runtime (which evaluates the desk's reception table right after `receive`) never reaches back into
    the store."""
    from engine import demo_data
    from engine.calendar import BusinessCalendar, FixedClock
    from engine.config import load_settings
    from engine.runtime import Runtime
    from engine.service import Service
    from engine.store import Tx

    clock = FixedClock(datetime.fromisoformat("2026-03-02T08:00:00+07:00"))
    service = Service.open(load_settings(None, db_url), clock=clock, calendar=BusinessCalendar.default())
    inside: list[bool] = [False]
    reads_inside: list[str] = []
    real_complete = Runtime.complete

    def complete(self, *args, **kwargs):
        inside[0] = True
        try:
            return real_complete(self, *args, **kwargs)
        finally:
            inside[0] = False

    for name in ("latest_definition_ref", "latest_definition", "definition_content"):
        real = getattr(Tx, name)

        def watched(self, *args, _real=real, _name=name, **kwargs):
            if inside[0]:
                reads_inside.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Tx, name, watched)
    monkeypatch.setattr(Runtime, "complete", complete)
    try:
        service.deploy([ROOT / "bpmn", ROOT / "forms"])
        view = service.start_case(CODE, applicant="Công ty TNHH Ánh Dương", received_at=None, data=None, actor="lan")
        task = next(t for t in view["tasks"] if t["element_id"] == "receive")
        view = service.complete_task(task["task_id"], demo_data.default_step_data(
            "receive", applicant="Công ty TNHH Ánh Dương", today=clock.now().date()), actor="lan")
    finally:
        service.close()
    assert any(e["type"] == "decision_evaluated" for e in view["events"])  # the table really ran inside complete
    assert reads_inside == []
