"""The process of a stored definition as the auditor's view needs it: nodes, flows, lanes and their BPMNDI geometry.

Read from the definition's own XML with the engine's safe parser (no entities, no DTD, no network; a DOCTYPE is
refused). Names are designer text and stay plain strings here; whoever draws them must escape them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from engine.dialect.xml import NS, parse_xml

# Nodes the engine runs through without waiting: a path between two steps may only pass through these.
PASSABLE = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "businessRuleTask", "task",
                      "manualTask", "intermediateThrowEvent"})


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float


@dataclass
class Node:
    id: str
    kind: str  # the BPMN local tag: userTask, exclusiveGateway, endEvent, ...
    name: str
    lane_id: str | None = None
    attached_to: str | None = None
    timer: bool = False
    terminate: bool = False
    bounds: Bounds | None = None
    label: Bounds | None = None


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str
    waypoints: list[tuple[float, float]] = field(default_factory=list)
    label: Bounds | None = None


@dataclass
class Lane:
    id: str
    name: str
    bounds: Bounds | None = None


@dataclass
class ProcessDiagram:
    process_id: str
    name: str
    pool_name: str | None
    pool: Bounds | None
    lanes: list[Lane]
    nodes: dict[str, Node]
    flows: dict[str, Flow]

    def outgoing(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.source == node_id]

    def path(self, source: str, target: str) -> list[str] | None:
        """Flow ids of the shortest path from `source` to `target` through nodes that do not wait, or None."""
        if source not in self.nodes or target not in self.nodes:
            return None
        seen = {source}
        queue: deque[tuple[str, list[str]]] = deque([(source, [])])
        while queue:
            node_id, flows = queue.popleft()
            for flow in self.outgoing(node_id):
                if flow.target == target:
                    return flows + [flow.id]
                nxt = self.nodes.get(flow.target)
                if nxt is not None and nxt.kind in PASSABLE and nxt.id not in seen:
                    seen.add(nxt.id)
                    queue.append((nxt.id, flows + [flow.id]))
        return None

    def back_path(self, target: str, reached: set[str]) -> list[str] | None:
        """Flow ids of the shortest path into `target` from any node in `reached`, through nodes that do not wait."""
        seen = {target}
        queue: deque[tuple[str, list[str]]] = deque([(target, [])])
        while queue:
            node_id, flows = queue.popleft()
            for flow in (f for f in self.flows.values() if f.target == node_id):
                if flow.source in reached:
                    return [flow.id] + flows
                prev = self.nodes.get(flow.source)
                if prev is not None and prev.kind in PASSABLE and prev.id not in seen:
                    seen.add(prev.id)
                    queue.append((prev.id, [flow.id] + flows))
        return None

    def lane_name(self, lane_id: str | None) -> str | None:
        return next((lane.name for lane in self.lanes if lane.id == lane_id), None)


def _bounds(element) -> Bounds | None:
    if element is None:
        return None
    try:
        return Bounds(*(float(element.get(k)) for k in ("x", "y", "width", "height")))
    except (TypeError, ValueError):
        return None


def _local(tag) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def read_diagram(content: bytes, filename: str) -> ProcessDiagram:
    root = parse_xml(content, filename)
    process = root.find("bpmn:process", NS)
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    lanes = [Lane(lane.get("id"), lane.get("name") or lane.get("id")) for lane in process.iter(f"{{{NS['bpmn']}}}lane")]
    lane_of = {ref.text.strip(): lane.get("id") for lane in process.iter(f"{{{NS['bpmn']}}}lane")
               for ref in lane.findall("bpmn:flowNodeRef", NS) if ref.text}
    nodes: dict[str, Node] = {}
    flows: dict[str, Flow] = {}
    for child in process:
        kind = _local(child.tag)
        ident = child.get("id")
        if not ident or kind in ("laneSet", "documentation", "extensionElements", "textAnnotation", "association"):
            continue
        if kind == "sequenceFlow":
            flows[ident] = Flow(ident, child.get("sourceRef"), child.get("targetRef"), child.get("name") or "")
            continue
        nodes[ident] = Node(
            ident, kind, child.get("name") or "", lane_of.get(ident), child.get("attachedToRef"),
            timer=child.find("bpmn:timerEventDefinition", NS) is not None,
            terminate=child.find("bpmn:terminateEventDefinition", NS) is not None,
        )
    pool = None
    for shape in root.iter(f"{{{NS['bpmndi']}}}BPMNShape"):
        ref = shape.get("bpmnElement")
        bounds = _bounds(shape.find("dc:Bounds", NS))
        label = _bounds(shape.find("bpmndi:BPMNLabel/dc:Bounds", NS))
        if ref in nodes:
            nodes[ref].bounds, nodes[ref].label = bounds, label
        elif participant is not None and ref == participant.get("id"):
            pool = bounds
        else:
            for lane in lanes:
                if lane.id == ref:
                    lane.bounds = bounds
    for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge"):
        flow = flows.get(edge.get("bpmnElement"))
        if flow is None:
            continue
        points = []
        for point in edge.findall("di:waypoint", NS):
            try:
                points.append((float(point.get("x")), float(point.get("y"))))
            except (TypeError, ValueError):
                continue
        flow.waypoints = points
        flow.label = _bounds(edge.find("bpmndi:BPMNLabel/dc:Bounds", NS))
    return ProcessDiagram(
        process_id=process.get("id"), name=process.get("name") or process.get("id"),
        pool_name=participant.get("name") if participant is not None else None, pool=pool,
        lanes=lanes, nodes=nodes, flows=flows,
    )
