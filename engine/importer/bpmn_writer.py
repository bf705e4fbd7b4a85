"""Writing a process and its drawing as a Camunda Modeler 5 file (Camunda Platform 7 dialect).

Built with lxml so that every text from the source document is escaped by the serializer, never pasted into markup.
Element order and the two-space indentation follow what the Modeler saves, so a designer who opens and saves a
generated file sees a small diff.
"""

from __future__ import annotations

from lxml import etree

from engine.importer.layout import Bounds, Diagram
from engine.importer.lanes import LANE_NAMES
from engine.importer.process_graph import Node, ProcessGraph

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "modeler": "http://camunda.org/schema/modeler/1.0",
}
EXPORTER = "Camunda Modeler"
EXPORTER_VERSION = "5.31.0"
EXECUTION_PLATFORM = "Camunda Platform"
EXECUTION_PLATFORM_VERSION = "7.22.0"
HISTORY_TIME_TO_LIVE = "3650"  # days: ten years, the archive period of the control slip and tracking book
# The procedure policy (engine.policy) the generated diagrams carry: what the one-stop pattern's elements mean, so the
# engine never needs to know their ids. On the process, then per generated element id.
POLICY_PROCESS = (
    ("channel_variable", "channel"),
    ("result_kind_variable", "routing.result_kind"),
    ("rework_decision", "decision=rework"),
)
COORDINATING_LANE = "provincial_office"
POLICY_ELEMENTS = {
    "receive": ("role", "reception"),
    "check_completeness": ("role", "completeness_check"),
    "appraise": ("role", "appraisal"),
    "approve": ("role", "result"),
    "return_result": ("role", "returns_result"),
    "EndEvent_refused_at_reception": ("outcome", "refused_at_reception"),
    "EndEvent_supplement_at_reception": ("outcome", "supplement_at_reception"),
    "EndEvent_done": ("outcome", "result"),
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _sub(
    parent: etree._Element, name: str, attributes: tuple[tuple[str, str], ...] = (), text: str | None = None
) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    for key, value in attributes:
        element.set(_q(key) if ":" in key else key, value)
    if text is not None:
        element.text = text
    return element


def write_bpmn(graph: ProcessGraph, diagram: Diagram) -> bytes:
    pid = graph.process_id
    root = etree.Element(_q("bpmn:definitions"), nsmap=NS)
    for key, value in (
        ("id", f"Definitions_{pid}"),
        ("targetNamespace", "http://bpmn.io/schema/bpmn"),
        ("exporter", EXPORTER),
        ("exporterVersion", EXPORTER_VERSION),
        ("modeler:executionPlatform", EXECUTION_PLATFORM),
        ("modeler:executionPlatformVersion", EXECUTION_PLATFORM_VERSION),
    ):
        root.set(_q(key) if ":" in key else key, value)

    collaboration = _sub(root, "bpmn:collaboration", (("id", f"Collaboration_{pid}"),))
    _sub(
        collaboration,
        "bpmn:participant",
        (("id", f"Participant_{pid}"), ("name", graph.name), ("processRef", pid)),
    )

    process = _sub(
        root,
        "bpmn:process",
        (
            ("id", pid),
            ("name", graph.name),
            ("isExecutable", "true"),
            ("camunda:historyTimeToLive", HISTORY_TIME_TO_LIVE),
        ),
    )
    _sub(process, "bpmn:documentation", text=graph.documentation)
    policy = POLICY_PROCESS
    if COORDINATING_LANE in graph.lanes:
        policy += (("coordinating_lanes", f"Lane_{COORDINATING_LANE}"),)
    _properties(process, graph.properties + policy)
    lane_set = _sub(process, "bpmn:laneSet", (("id", f"LaneSet_{pid}"),))
    for lane in graph.lanes:
        element = _sub(lane_set, "bpmn:lane", (("id", f"Lane_{lane}"), ("name", LANE_NAMES[lane])))
        for node in graph.nodes:
            if node.lane == lane:
                _sub(element, "bpmn:flowNodeRef", text=node.id)
    for node in graph.nodes:
        _flow_node(process, node, graph)
    for flow in graph.flows:
        attributes = [("id", flow.id)]
        if flow.name:
            attributes.append(("name", flow.name))
        attributes += [("sourceRef", flow.source), ("targetRef", flow.target)]
        element = _sub(process, "bpmn:sequenceFlow", tuple(attributes))
        if flow.condition:
            _sub(element, "bpmn:conditionExpression", (("xsi:type", "bpmn:tFormalExpression"),), flow.condition)
    # The messages the catch events wait for: root elements after the process, where the Modeler saves them.
    for name, message_id in dict.fromkeys(node.message for node in graph.nodes if node.message):
        _sub(root, "bpmn:message", (("id", message_id), ("name", name)))

    _diagram(root, graph, diagram)
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _properties(parent: etree._Element, properties: tuple[tuple[str, str], ...]) -> None:
    if not properties:
        return
    container = _sub(_sub(parent, "bpmn:extensionElements"), "camunda:properties")
    for name, value in properties:
        _sub(container, "camunda:property", (("name", name), ("value", value)))


def _flow_node(process: etree._Element, node: Node, graph: ProcessGraph) -> None:
    attributes = [("id", node.id)]
    if node.name:
        attributes.append(("name", node.name))
    attributes += list(node.attributes)
    if node.default:
        attributes.append(("default", node.default))
    element = _sub(process, f"bpmn:{node.kind}", tuple(attributes))
    if node.documentation:
        _sub(element, "bpmn:documentation", text=node.documentation)
    _properties(element, node.properties + ((POLICY_ELEMENTS[node.id],) if node.id in POLICY_ELEMENTS else ()))
    for flow in graph.incoming(node.id):
        _sub(element, "bpmn:incoming", text=flow.id)
    for flow in graph.outgoing(node.id):
        _sub(element, "bpmn:outgoing", text=flow.id)
    if node.timer:
        definition = _sub(element, "bpmn:timerEventDefinition", (("id", node.timer.definition_id),))
        _sub(definition, f"bpmn:{node.timer.kind}", (("xsi:type", "bpmn:tFormalExpression"),), node.timer.expression)
    if node.message:
        _sub(element, "bpmn:messageEventDefinition",
             (("id", f"MessageEventDefinition_{node.id}"), ("messageRef", node.message[1])))
    if node.terminate:
        _sub(element, "bpmn:terminateEventDefinition", (("id", f"TerminateEventDefinition_{node.id}"),))


def _diagram(root: etree._Element, graph: ProcessGraph, diagram: Diagram) -> None:
    pid = graph.process_id
    di = _sub(root, "bpmndi:BPMNDiagram", (("id", "BPMNDiagram_1"),))
    plane = _sub(di, "bpmndi:BPMNPlane", (("id", "BPMNPlane_1"), ("bpmnElement", f"Collaboration_{pid}")))
    _shape(plane, f"Participant_{pid}", diagram.pool, horizontal=True)
    for lane in graph.lanes:
        _shape(plane, f"Lane_{lane}", diagram.lanes[lane], horizontal=True)
    for node in graph.nodes:
        _shape(
            plane,
            node.id,
            diagram.shapes[node.id],
            marker=node.kind == "exclusiveGateway",
            label=diagram.labels.get(node.id),
        )
    for flow in graph.flows:
        edge = _sub(plane, "bpmndi:BPMNEdge", (("id", f"{flow.id}_di"), ("bpmnElement", flow.id)))
        for x, y in diagram.edges[flow.id]:
            _sub(edge, "di:waypoint", (("x", str(x)), ("y", str(y))))
        if flow.id in diagram.labels:
            _bounds(_sub(edge, "bpmndi:BPMNLabel"), diagram.labels[flow.id])


def _shape(
    plane: etree._Element,
    element_id: str,
    bounds: Bounds,
    horizontal: bool = False,
    marker: bool = False,
    label: Bounds | None = None,
) -> None:
    attributes = [("id", f"{element_id}_di"), ("bpmnElement", element_id)]
    if horizontal:
        attributes.append(("isHorizontal", "true"))
    if marker:
        attributes.append(("isMarkerVisible", "true"))
    shape = _sub(plane, "bpmndi:BPMNShape", tuple(attributes))
    _bounds(shape, bounds)
    if label is not None:
        _bounds(_sub(shape, "bpmndi:BPMNLabel"), label)


def _bounds(parent: etree._Element, bounds: Bounds) -> None:
    _sub(
        parent,
        "dc:Bounds",
        (("x", str(bounds.x)), ("y", str(bounds.y)), ("width", str(bounds.width)), ("height", str(bounds.height))),
    )
