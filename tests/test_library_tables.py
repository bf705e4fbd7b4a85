"""The procedure library in bpmn/: every step's lane and allotment against seed 004's tables (written out by hand
below), and the structure the engine, the forms and the decision tables rely on: ids, lanes, timers, gateways,
forms, and a drawing where every shape sits in its lane and every flow has an orthogonal edge."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from engine.calendar.parsing import parse_duration

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "bpmn"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
CAMUNDA = "{%s}" % NS["camunda"]
# xs:duration without years and months (XML Schema 1.1 part 2, 3.3.6): only seconds may have a fraction.
XSD_DURATION = re.compile(r"P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")
WORKING_DAY_SECONDS = 8 * 3600

R, DL, ST, DI, RC, PO = "reception", "department_leader", "staff", "director", "records_clerk", "provincial_office"
# Seed 004, step by step: (task id, lane, allotted working days or None when not counted).
SEED_004 = {
    "tdc_qt01": [("receive", R, "0.25"), ("assign", DL, "0.5"), ("appraise", ST, "1.25"), ("review", DL, "0.5"),
                 ("approve", DI, "0.25"), ("register", RC, "0.25"), ("return_result", R, None)],
    "tdc_qt02": [("receive", R, "0.25"), ("assign", DL, "0.5"), ("appraise", ST, "0.75"), ("review", DL, "0.5"),
                 ("approve", DI, "0.25"), ("register", RC, "0.25"), ("provincial_decide", PO, "0.5"),
                 ("return_result", R, None)],
    "tdc_qt03": [("receive", R, "0.25"), ("assign", DL, "0.5"), ("appraise", ST, "1.5"), ("review", DL, "0.5"),
                 ("approve", DI, "0.5"), ("register", RC, "0.25"), ("provincial_decide", PO, "1.5"),
                 ("return_result", R, None)],
    "tdc_qt04": [("receive", R, "0.25"), ("assign", DL, "0.5"), ("appraise", ST, "4"), ("review", DL, "1.25"),
                 ("approve", DI, "0.5"), ("register", RC, "0.5"), ("return_result", R, None)],
    "tdc_qt05": [("receive", R, "0.25"), ("assign", DL, "0.5"), ("appraise", ST, "7"), ("review", DL, "1.25"),
                 ("approve", DI, "0.5"), ("register", RC, "0.5"), ("return_result", R, None)],
    "cns_qt01": [("receive", R, "0.25"), ("assign", DL, "10.25"), ("appraise", ST, "30"), ("review", DL, "5"),
                 ("approve", DI, "5"), ("register", RC, "0.5"), ("provincial_decide", PO, "9"),
                 ("return_result", R, None)],
    "cns_qt02": [("receive", R, "0.25"), ("assign", DL, "0.75"), ("appraise", ST, "5"), ("review", DL, "2"),
                 ("approve", DI, "0.5"), ("register", RC, "0.5"), ("provincial_decide", PO, "6"),
                 ("return_result", R, None)],
}
TOTALS = {"tdc_qt01": "3", "tdc_qt02": "3", "tdc_qt03": "5", "tdc_qt04": "7", "tdc_qt05": "10", "cns_qt01": "60",
          "cns_qt02": "15"}
CODES = {
    "tdc_qt01": ["1.014881", "1.014885", "1.014891", "1.014894", "1.014897"],
    "tdc_qt02": ["3.000452"],
    "tdc_qt03": ["3.000450", "3.000463"],
    "tdc_qt04": ["1.014880", "1.014883", "1.014888", "1.014889", "1.014892", "1.014893", "1.014895", "1.014896"],
    "tdc_qt05": ["1.014879", "1.014882"],
    "cns_qt01": ["CNS.01"],
    "cns_qt02": ["CNS.02.1", "CNS.02.2", "CNS.02.3"],
}
FORMS = {"receive": "reception", "assign": "assignment", "appraise": "appraisal", "review": "decision",
         "approve": "decision", "register": "registration", "provincial_decide": "provincial_decision",
         "return_result": "result_return", "receive_supplement": "supplement_receipt", "issue_apology": "apology"}
LANES = [("Lane_reception", "Bộ phận Một cửa (TTPVHCC)"), ("Lane_department_leader", "Lãnh đạo phòng chuyên môn"),
         ("Lane_staff", "Công chức thụ lý"), ("Lane_director", "Lãnh đạo Sở"), ("Lane_records_clerk", "Văn thư Sở"),
         ("Lane_provincial_office", "Văn phòng UBND tỉnh")]
FLOW_NODES = ("startEvent", "endEvent", "userTask", "businessRuleTask", "exclusiveGateway", "parallelGateway",
              "intermediateCatchEvent", "boundaryEvent")
PIDS = list(SEED_004)


def parse(pid: str) -> etree._ElementTree:
    content = (LIBRARY / f"{pid}.bpmn").read_bytes()
    assert b"<!DOCTYPE" not in content
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.ElementTree(etree.fromstring(content, parser))


def xp(tree, path: str) -> list:
    return tree.xpath(path, namespaces=NS)


def properties(element) -> dict[str, str]:
    path = "bpmn:extensionElements/camunda:properties/camunda:property"
    return {p.get("name"): p.get("value") for p in xp(element, path)}


def flow_nodes(tree) -> list:
    return [e for e in xp(tree, "//bpmn:process/*") if etree.QName(e).localname in FLOW_NODES]


def lane_of(tree) -> dict[str, str]:
    return {ref.text: ref.getparent().get("id") for ref in xp(tree, "//bpmn:lane/bpmn:flowNodeRef")}


def bounds(tree) -> dict[str, tuple[int, int, int, int]]:
    return {
        shape.get("bpmnElement"): tuple(int(shape.find("dc:Bounds", NS).get(k)) for k in ("x", "y", "width", "height"))
        for shape in xp(tree, "//bpmndi:BPMNShape")
    }


@pytest.mark.parametrize("pid", PIDS)
def test_every_step_has_the_lane_and_allotment_of_seed_004(pid: str) -> None:
    tree = parse(pid)
    lanes = lane_of(tree)
    steps = sorted(
        (int(properties(task)["step"]), task) for task in xp(tree, "//bpmn:userTask") if "step" in properties(task)
    )
    assert [number for number, _ in steps] == list(range(1, len(SEED_004[pid]) + 1))
    found = []
    for _, task in steps:
        task_id = task.get("id")
        timers = xp(tree, f"//bpmn:boundaryEvent[@attachedToRef='{task_id}']")
        allotment = properties(task).get("allotted_working_days")
        assert task.get(CAMUNDA + "candidateGroups") == lanes[task_id].removeprefix("Lane_")
        if allotment is None:
            assert timers == []
        else:
            (timer,) = timers
            duration = xp(timer, "string(bpmn:timerEventDefinition/bpmn:timeDuration)")
            assert XSD_DURATION.fullmatch(duration), f"{task_id}: {duration} is not an xs:duration"
            parsed = parse_duration(duration)
            assert parsed.days + parsed.seconds / WORKING_DAY_SECONDS == Decimal(allotment)
        found.append((task_id, task.get(CAMUNDA + "candidateGroups"), allotment))
    assert found == SEED_004[pid]


@pytest.mark.parametrize("pid", PIDS)
def test_timed_steps_have_a_non_interrupting_timer_leading_to_an_overdue_end_in_the_same_lane(pid: str) -> None:
    tree = parse(pid)
    lanes = lane_of(tree)
    timed = [(task_id, days) for task_id, _, days in SEED_004[pid] if days is not None]
    for task_id, days in timed:
        (timer,) = xp(tree, f"//bpmn:boundaryEvent[@id='Timer_{task_id}']")
        assert timer.get("cancelActivity") == "false"
        assert timer.get("attachedToRef") == task_id
        assert timer.get("name") == f"Quá {days.replace('.', ',')} ngày làm việc"
        definition = timer.find("bpmn:timerEventDefinition", NS)
        assert definition.get("id") == f"TimerEventDefinition_{task_id}"
        assert definition.find("bpmn:timeDuration", NS).get(f"{{{NS['xsi']}}}type") == "bpmn:tFormalExpression"
        (flow,) = xp(tree, f"//bpmn:sequenceFlow[@id='Flow_overdue_{task_id}']")
        assert (flow.get("sourceRef"), flow.get("targetRef")) == (f"Timer_{task_id}", f"EndEvent_overdue_{task_id}")
        assert lanes[f"Timer_{task_id}"] == lanes[f"EndEvent_overdue_{task_id}"] == lanes[task_id]
    assert len(xp(tree, "//bpmn:boundaryEvent")) == len(timed)


@pytest.mark.parametrize("pid", PIDS)
def test_files_carry_the_camunda_modeler_header(pid: str) -> None:
    content = (LIBRARY / f"{pid}.bpmn").read_text(encoding="utf-8")
    assert content.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions ')
    root = parse(pid).getroot()
    assert root.get("id") == f"Definitions_{pid}"
    assert root.get("exporter") == "Camunda Modeler"
    assert root.get("exporterVersion") == "5.31.0"
    assert root.get(f"{{{NS['modeler']}}}executionPlatform") == "Camunda Platform"
    assert root.get(f"{{{NS['modeler']}}}executionPlatformVersion") == "7.22.0"
    assert "\n  <bpmn:collaboration" in content  # two-space indentation, as the Modeler saves


@pytest.mark.parametrize("pid", PIDS)
def test_the_process_carries_its_codes_field_and_total(pid: str) -> None:
    tree = parse(pid)
    (process,) = xp(tree, "//bpmn:process")
    assert (process.get("id"), process.get("isExecutable"), process.get(CAMUNDA + "historyTimeToLive")) == (
        pid,
        "true",
        "3650",
    )
    assert process.get("name").startswith(f"QT{pid[-2:]} ")
    assert properties(process) == {
        "procedure_codes": ", ".join(CODES[pid]),
        "field": pid[:3],
        "total_working_days": TOTALS[pid],
        "internal_procedure": f"QT{pid[-2:]}",
        # The procedure policy (engine.policy): the engine reads meaning from these, never from element ids.
        "channel_variable": "channel",
        "result_kind_variable": "routing.result_kind",
        "rework_decision": "decision=rework",
        **({"coordinating_lanes": "Lane_provincial_office"} if pid in ("tdc_qt02", "tdc_qt03", "cns_qt01", "cns_qt02") else {}),
    }
    documentation = process.find("bpmn:documentation", NS).text
    assert all(code in documentation for code in CODES[pid])
    (participant,) = xp(tree, "//bpmn:participant")
    assert (participant.get("id"), participant.get("processRef")) == (f"Participant_{pid}", pid)
    assert xp(tree, "//bpmn:collaboration/@id") == [f"Collaboration_{pid}"]


@pytest.mark.parametrize("pid", PIDS)
def test_ids_are_unique_and_every_flow_node_is_in_exactly_one_nonempty_lane(pid: str) -> None:
    tree = parse(pid)
    ids = xp(tree, "//@id")
    assert len(ids) == len(set(ids))
    refs = [ref.text for ref in xp(tree, "//bpmn:lane/bpmn:flowNodeRef")]
    assert sorted(refs) == sorted(node.get("id") for node in flow_nodes(tree))
    lanes = [(lane.get("id"), lane.get("name")) for lane in xp(tree, "//bpmn:lane")]
    used = {lane for _, lane, _ in SEED_004[pid]}
    assert lanes == [(i, n) for i, n in LANES if i.removeprefix("Lane_") in used]
    assert all(xp(lane, "bpmn:flowNodeRef") for lane in xp(tree, "//bpmn:lane"))


@pytest.mark.parametrize("pid", PIDS)
def test_user_tasks_have_their_group_form_documentation_and_performer(pid: str) -> None:
    tree = parse(pid)
    lanes = lane_of(tree)
    tasks = {task.get("id"): task for task in xp(tree, "//bpmn:userTask")}
    assert set(tasks) == {task_id for task_id, _, _ in SEED_004[pid]} | {"receive_supplement", "issue_apology"}
    for task_id, task in tasks.items():
        assert task.get(CAMUNDA + "formRef") == FORMS[task_id]
        assert task.get(CAMUNDA + "formRefBinding") == "latest"
        assert task.get(CAMUNDA + "candidateGroups") == lanes[task_id].removeprefix("Lane_")
        assert task.find("bpmn:documentation", NS).text
    for task_id, _, _ in SEED_004[pid]:
        performer = properties(tasks[task_id])["performer"]
        assert tasks[task_id].find("bpmn:documentation", NS).text.endswith(f"\nNgười thực hiện: {performer}")
        assert tasks[task_id].get("name").startswith(f"Bước {properties(tasks[task_id])['step']}: ")
    assert properties(tasks["receive_supplement"]) == {}  # the desk's check; the limit restarts on the message
    assert lanes["issue_apology"] == "Lane_director" and lanes["receive_supplement"] == "Lane_reception"


@pytest.mark.parametrize("pid", PIDS)
def test_decisions_gateways_and_ends_are_wired_as_the_engine_expects(pid: str) -> None:
    tree = parse(pid)

    def flow(flow_id: str) -> tuple[str, str, str | None]:
        (element,) = xp(tree, f"//bpmn:sequenceFlow[@id='{flow_id}']")
        condition = element.find("bpmn:conditionExpression", NS)
        return element.get("sourceRef"), element.get("targetRef"), None if condition is None else condition.text

    (check,) = xp(tree, "//bpmn:businessRuleTask[@id='check_completeness']")
    assert check.get(CAMUNDA + "decisionRef") == f"reception_check_{pid[:3]}"
    assert check.get(CAMUNDA + "resultVariable") == "reception"
    assert check.get(CAMUNDA + "mapDecisionResult") == "singleResult"
    (route,) = xp(tree, "//bpmn:businessRuleTask[@id='route_appraisal']")
    assert route.get(CAMUNDA + "decisionRef") == "appraisal_routing"
    assert route.get(CAMUNDA + "resultVariable") == "routing"

    assert xp(tree, "//bpmn:exclusiveGateway[@id='Gateway_reception']/bpmn:outgoing/text()") == [
        "Flow_refused_at_reception", "Flow_supplement_at_reception", "Flow_received"]
    assert flow("Flow_refused_at_reception") == (
        "Gateway_reception", "EndEvent_refused_at_reception", '${reception_decision == "refuse"}')
    assert flow("Flow_supplement_at_reception") == (
        "Gateway_reception", "EndEvent_supplement_at_reception",
        '${reception_decision != "refuse" && reception.result == "supplement"}')
    assert flow("Flow_received") == ("Gateway_reception", "Gateway_fork", None)
    assert flow("Flow_to_supplement") == (
        "Gateway_appraisal", "Event_supplement_received", '${routing.route == "supplement"}')
    # The applicant's supplement is a message the case waits for (Camunda 7: intermediate message catch event),
    # marked as voiding the limit; the desk checks what arrived.
    (catch,) = xp(tree, "//bpmn:intermediateCatchEvent[@id='Event_supplement_received']")
    assert properties(catch) == {"restart_deadline": "true"} and lane_of(tree)[catch.get("id")] == "Lane_reception"
    (definition,) = xp(catch, "bpmn:messageEventDefinition")
    assert xp(tree, f"//bpmn:message[@id='{definition.get('messageRef')}']/@name") == ["ho_so_bo_sung"]
    assert flow("Flow_supplement_arrived") == ("Event_supplement_received", "receive_supplement", None)
    assert flow("Flow_supplement_received")[:2] == ("receive_supplement", "Gateway_rework_merge")
    assert flow("Flow_review_rework") == ("Gateway_review", "Gateway_rework_merge", '${decision == "rework"}')
    assert flow("Flow_approve_rework") == ("Gateway_approve", "Gateway_rework_merge", '${decision == "rework"}')
    assert flow("Flow_assigned")[:2] == ("assign", "Gateway_rework_merge")
    assert flow("Flow_to_appraisal")[:2] == ("Gateway_rework_merge", "appraise")
    defaults = {g.get("id"): g.get("default") for g in xp(tree, "//bpmn:exclusiveGateway[@default]")}
    assert {g: flow(f)[1] for g, f in defaults.items()} == {
        "Gateway_reception": "Gateway_fork", "Gateway_appraisal": "review", "Gateway_review": "approve",
        "Gateway_approve": "register"}
    provincial = any(task_id == "provincial_decide" for task_id, _, _ in SEED_004[pid])
    after_register = "provincial_decide" if provincial else "return_result"
    assert flow("Flow_registered")[:2] == ("register", after_register)
    assert flow("Flow_returned")[:2] == ("return_result", "EndEvent_done")
    assert xp(tree, "//bpmn:endEvent[@id='EndEvent_done']/bpmn:terminateEventDefinition") != []
    assert xp(tree, "string(//bpmn:intermediateCatchEvent[@id='Timer_apology']//bpmn:timeDate)") == "${apology_at}"
    assert xp(tree, "//bpmn:parallelGateway[@id='Gateway_fork']/bpmn:outgoing/text()") == [
        "Flow_fork_main", "Flow_fork_apology"]


@pytest.mark.parametrize("pid", PIDS)
def test_incoming_and_outgoing_elements_match_the_sequence_flows(pid: str) -> None:
    tree = parse(pid)
    flows = xp(tree, "//bpmn:sequenceFlow")
    for node in flow_nodes(tree):
        node_id = node.get("id")
        assert xp(node, "bpmn:incoming/text()") == [f.get("id") for f in flows if f.get("targetRef") == node_id]
        assert xp(node, "bpmn:outgoing/text()") == [f.get("id") for f in flows if f.get("sourceRef") == node_id]


@pytest.mark.parametrize("pid", PIDS)
def test_every_shape_lies_inside_its_lane_band_and_the_pool(pid: str) -> None:
    tree = parse(pid)
    shapes = bounds(tree)
    lanes = lane_of(tree)
    px, py, pw, ph = shapes[f"Participant_{pid}"]
    lane_ids = [lane.get("id") for lane in xp(tree, "//bpmn:lane")]
    bands = [shapes[lane_id] for lane_id in lane_ids]
    # Bands are stacked without gaps, span the pool right of its name strip, and fill it.
    assert [b[1] for b in bands] == [py + sum(b[3] for b in bands[:i]) for i in range(len(bands))]
    assert all(b[0] > px and b[0] + b[2] == px + pw for b in bands) and sum(b[3] for b in bands) == ph
    for node in flow_nodes(tree):
        x, y, w, h = shapes[node.get("id")]
        lx, ly, lw, lh = shapes[lanes[node.get("id")]]
        assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, node.get("id")
    for label in xp(tree, "//bpmndi:BPMNLabel/dc:Bounds"):
        x, y, w, h = (int(label.get(k)) for k in ("x", "y", "width", "height"))
        assert px < x and x + w < px + pw and py < y and y + h < py + ph
    shape_of = {s.get("bpmnElement"): s for s in xp(tree, "//bpmndi:BPMNShape")}
    for lane_id in lane_ids + [f"Participant_{pid}"]:
        assert shape_of[lane_id].get("isHorizontal") == "true"
    for gateway in xp(tree, "//bpmn:exclusiveGateway"):
        assert shape_of[gateway.get("id")].get("isMarkerVisible") == "true"


@pytest.mark.parametrize("pid", PIDS)
def test_the_main_path_runs_left_to_right_centred_in_the_lanes(pid: str) -> None:
    tree = parse(pid)
    shapes = bounds(tree)
    lanes = lane_of(tree)
    main = ["StartEvent_received", "receive", "check_completeness", "Gateway_reception", "Gateway_fork", "assign",
            "Gateway_rework_merge", "appraise", "route_appraisal", "Gateway_appraisal", "review", "Gateway_review",
            "approve", "Gateway_approve", "register"]
    main += [t for t, _, _ in SEED_004[pid][6:]] + ["EndEvent_done"]
    centres = [(shapes[n][0] + shapes[n][2] / 2, shapes[n][1] + shapes[n][3] / 2) for n in main]
    assert [c[0] for c in centres] == sorted(c[0] for c in centres)
    assert len({c[0] for c in centres}) == len(centres)
    for node_id, (_, cy) in zip(main, centres):
        _, ly, _, lh = shapes[lanes[node_id]]
        assert cy == ly + lh / 2, node_id


def _segments(points: list[tuple[int, int]]):
    return list(zip(points, points[1:]))


def _on_border(point: tuple[int, int], box: tuple[int, int, int, int]) -> bool:
    x, y = point
    bx, by, bw, bh = box
    return (bx <= x <= bx + bw and y in (by, by + bh)) or (by <= y <= by + bh and x in (bx, bx + bw))


def _crosses(points, box) -> bool:
    bx, by, bw, bh = box
    for (x1, y1), (x2, y2) in _segments(points):
        if x1 == x2 and bx < x1 < bx + bw and min(y1, y2) < by + bh and max(y1, y2) > by:
            return True
        if y1 == y2 and by < y1 < by + bh and min(x1, x2) < bx + bw and max(x1, x2) > bx:
            return True
    return False


@pytest.mark.parametrize("pid", PIDS)
def test_every_flow_has_an_orthogonal_edge_from_its_source_to_its_target_crossing_no_shape(pid: str) -> None:
    tree = parse(pid)
    shapes = bounds(tree)
    nodes = {node.get("id") for node in flow_nodes(tree)}
    edges = {edge.get("bpmnElement"): edge for edge in xp(tree, "//bpmndi:BPMNEdge")}
    flows = xp(tree, "//bpmn:sequenceFlow")
    assert set(edges) == {f.get("id") for f in flows}
    for flow in flows:
        points = [(int(w.get("x")), int(w.get("y"))) for w in edges[flow.get("id")].findall("di:waypoint", NS)]
        assert len(points) >= 2
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in _segments(points)), flow.get("id")
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert _on_border(points[0], shapes[source]) and _on_border(points[-1], shapes[target]), flow.get("id")
        others = [n for n in nodes if n not in (source, target)]
        assert [n for n in others if _crosses(points, shapes[n])] == [], flow.get("id")


def test_the_catalog_covers_all_22_codes_with_local_keys_for_the_digital_procedures() -> None:
    data = json.loads((LIBRARY / "catalog.json").read_text(encoding="utf-8"))
    entries = data["procedures"]
    assert [(e["process_id"], e["code"]) for e in entries] == [(pid, code) for pid in PIDS for code in CODES[pid]]
    for entry in entries:
        pid = entry["process_id"]
        assert entry["code_source"] == ("local" if pid.startswith("cns") else "national")
        assert entry["field"] == pid[:3]
        assert entry["internal_procedure"] == f"QT{pid[-2:]}"
        assert Decimal(entry["total_working_days"]) == Decimal(TOTALS[pid])
        assert entry["reception_decision"] == f"reception_check_{pid[:3]}"
        assert entry["legal_basis"] is None
    names = {e["field"]: e["field_name"] for e in entries}
    assert names == {"tdc": "Tiêu chuẩn, Đo lường, Chất lượng", "cns": "Công nghiệp công nghệ số"}
    assert "mã nội bộ" in data["source"]["local_codes"]
    assert [f["file"] for f in data["source"]["files"]] == ["seed004.txt"]
