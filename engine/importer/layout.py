"""BPMNDI layout: a left-to-right drawing with one horizontal band per lane, deterministic to the pixel.

Main nodes sit on a grid: one column per position in the flow order, centred in their lane's band. Nodes that hang off
another node are drawn next to it instead of taking a column: the desk's two early exits above and below their gateway,
an overdue timer on its task's lower border with its end event underneath. Flows are orthogonal; each is given the
first of a few candidate routes (straight, down-then-across, across-then-down, around through a free corridor of a
band) that crosses no shape or label, preferring sides of a node that no other flow uses yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.importer.process_graph import Flow, Node, ProcessGraph

POOL_X = 160
POOL_Y = 80
LANE_HEADER = 30  # the participant's name strip on the left of the pool
LANE_HEIGHT = 250
COLUMN_WIDTH = 150
FIRST_COLUMN = 80  # centre of column 0, from the left edge of the lanes
RIGHT_MARGIN = 150  # room for the labels right of the last column
SIDE_OFFSET = 95  # vertical distance from a band's centre line to nodes hung above or below it
BOUNDARY_OFFSET = 30  # boundary timers sit right of the task's centre, leaving the bottom centre free for flows
CORRIDOR_INSET = 16  # loop-back flows run this far inside a band's edge
CLEARANCE = 4  # a route must pass at least this far from any shape or label
CHAR_WIDTH = 6.5  # label width estimate for 11 px text
LINE_HEIGHT = 14
SIDE_LABEL_WIDTH = 80

SIZES = {
    "userTask": (100, 80),
    "businessRuleTask": (100, 80),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
}
EVENT_SIZE = (36, 36)


@dataclass(frozen=True)
class Bounds:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cx(self) -> int:
        return self.x + self.width // 2

    @property
    def cy(self) -> int:
        return self.y + self.height // 2


Point = tuple[int, int]


@dataclass
class Diagram:
    pool: Bounds
    lanes: dict[str, Bounds]
    shapes: dict[str, Bounds] = field(default_factory=dict)
    labels: dict[str, Bounds] = field(default_factory=dict)  # node or flow id → label bounds
    edges: dict[str, list[Point]] = field(default_factory=dict)


def layout(graph: ProcessGraph) -> Diagram:
    columns = _columns(graph)
    width = LANE_HEADER + FIRST_COLUMN + max(columns.values()) * COLUMN_WIDTH + RIGHT_MARGIN
    pool = Bounds(POOL_X, POOL_Y, width, LANE_HEIGHT * len(graph.lanes))
    lanes = {
        lane: Bounds(POOL_X + LANE_HEADER, POOL_Y + i * LANE_HEIGHT, width - LANE_HEADER, LANE_HEIGHT)
        for i, lane in enumerate(graph.lanes)
    }
    diagram = Diagram(pool=pool, lanes=lanes)
    for node in graph.nodes:
        diagram.shapes[node.id] = _place(node, columns, diagram)
    for node in graph.nodes:
        if node.name and node.kind not in ("userTask", "businessRuleTask"):
            diagram.labels[node.id] = _node_label(node, diagram.shapes[node.id])
    _Router(graph, diagram).route_all(columns)
    for flow in graph.flows:
        if flow.name:
            diagram.labels[flow.id] = _flow_label(flow.name, diagram.edges[flow.id])
    return diagram


def _columns(graph: ProcessGraph) -> dict[str, int]:
    """Longest-path layering of the main nodes over the forward flows; a node moves right while its lane's cell
    is taken."""
    main = [node.id for node in graph.nodes if node.placement == ("column",)]
    order = {node_id: i for i, node_id in enumerate(main)}
    forward = [f for f in graph.flows if not f.loop and f.source in order and f.target in order]
    pending = {node_id: 0 for node_id in main}
    for flow in forward:
        pending[flow.target] += 1
    ready = sorted((node_id for node_id, n in pending.items() if n == 0), key=order.__getitem__)
    columns: dict[str, int] = {}
    taken: set[tuple[str, int]] = set()
    while ready:
        node_id = ready.pop(0)
        lane = graph.node(node_id).lane
        column = max((columns[f.source] + 1 for f in forward if f.target == node_id), default=0)
        while (lane, column) in taken:
            column += 1
        columns[node_id] = column
        taken.add((lane, column))
        for flow in forward:
            if flow.source == node_id:
                pending[flow.target] -= 1
                if pending[flow.target] == 0:
                    ready.append(flow.target)
        ready.sort(key=order.__getitem__)
    return columns


def _size(node: Node) -> tuple[int, int]:
    return SIZES.get(node.kind, EVENT_SIZE)


def _place(node: Node, columns: dict[str, int], diagram: Diagram) -> Bounds:
    width, height = _size(node)
    band = diagram.lanes[node.lane]
    kind, *anchor = node.placement
    if kind == "column":
        cx = band.x + FIRST_COLUMN + columns[node.id] * COLUMN_WIDTH
        cy = band.cy
    else:
        other = diagram.shapes[anchor[0]]
        if kind == "above":
            cx, cy = other.cx, band.cy - SIDE_OFFSET
        elif kind == "below":
            cx, cy = other.cx, band.cy + SIDE_OFFSET
        elif kind == "boundary":
            cx, cy = other.cx + BOUNDARY_OFFSET, other.bottom
        else:  # "under": the end event of an overdue timer
            cx, cy = other.cx, band.cy + SIDE_OFFSET
    return Bounds(cx - width // 2, cy - height // 2, width, height)


def _label_size(text: str, max_width: int) -> tuple[int, int]:
    one_line = math.ceil(len(text) * CHAR_WIDTH)
    lines = math.ceil(one_line / max_width)
    return min(one_line, max_width), lines * LINE_HEIGHT


def _node_label(node: Node, shape: Bounds) -> Bounds:
    kind = node.placement[0]
    if node.kind.endswith("Gateway"):
        # Above and left: the flows leave gateways through the top, the bottom and the right.
        width, height = _label_size(node.name, 90)
        return Bounds(shape.cx - 8 - width, shape.y - 4 - height, width, height)
    if kind in ("above", "below", "under", "boundary"):
        # Beside the event (below it runs the flow that reaches it, or the band ends), narrow enough to leave the
        # next column's vertical flows clear.
        width, height = _label_size(node.name, SIDE_LABEL_WIDTH)
        top = shape.cy + 4 if kind == "boundary" else shape.cy - height // 2
        return Bounds(shape.right + 4, top, width, height)
    width, height = _label_size(node.name, 100)
    return Bounds(shape.cx - width // 2, shape.bottom + 4, width, height)


def _flow_label(name: str, points: list[Point]) -> Bounds:
    width, height = _label_size(name, 90)
    (x1, y1), (x2, y2) = points[0], points[1]
    if x1 == x2:
        return Bounds(x1 + 6, (y1 + y2) // 2 - height // 2, width, height)
    return Bounds((x1 + x2) // 2 - width // 2, y1 - 4 - height, width, height)


@dataclass(frozen=True)
class _Route:
    points: list[Point]
    exit: str  # side of the source the route leaves from
    entry: str  # side of the target it arrives at


class _Router:
    def __init__(self, graph: ProcessGraph, diagram: Diagram) -> None:
        self.graph = graph
        self.diagram = diagram
        self.used: set[tuple[str, str]] = set()  # (node id, side) already carrying a flow
        self.corridors = sorted(
            y for band in diagram.lanes.values() for y in (band.y + CORRIDOR_INSET, band.bottom - CORRIDOR_INSET)
        )

    def route_all(self, columns: dict[str, int]) -> None:
        lane_index = {lane: i for i, lane in enumerate(self.graph.lanes)}
        position = {node.id: i for i, node in enumerate(self.graph.nodes)}

        def lane_distance(flow: Flow) -> int:
            source, target = self.graph.node(flow.source), self.graph.node(flow.target)
            return abs(lane_index[source.lane] - lane_index[target.lane])

        # Forward flows first, a source's farthest target first (it has the fewest free routes), loops last.
        forward = [f for f in self.graph.flows if not f.loop]
        forward.sort(key=lambda f: (position[f.source], -lane_distance(f)))
        for flow in forward + [f for f in self.graph.flows if f.loop]:
            route = self.route(flow)
            self.used.add((flow.source, route.exit))
            self.used.add((flow.target, route.entry))
            self.diagram.edges[flow.id] = route.points

    def route(self, flow: Flow) -> _Route:
        source = self.diagram.shapes[flow.source]
        target = self.diagram.shapes[flow.target]
        candidates = self.candidates(source, target)
        obstacles = [
            (key, bounds)
            for key, bounds in list(self.diagram.shapes.items()) + list(self.diagram.labels.items())
            if key not in (flow.source, flow.target)
        ]
        clear = [route for route in candidates if not any(_crosses(route.points, b) for _, b in obstacles)]
        if not clear:
            return candidates[0]  # a crossing is drawn rather than the flow left out; it is visible, not silent
        # Sharing a side is worst where a flow leaves: two flows leaving together cannot be told apart, while two
        # flows arriving together at a merge read as the join they are.
        return min(
            clear,
            key=lambda route: ((flow.source, route.exit) in self.used, (flow.target, route.entry) in self.used),
        )

    def candidates(self, s: Bounds, t: Bounds) -> list[_Route]:
        routes: list[_Route] = []
        if s.cy == t.cy:
            if t.x >= s.right:
                routes.append(_Route([(s.right, s.cy), (t.x, t.cy)], "right", "left"))
            elif t.right <= s.x:
                routes.append(_Route([(s.x, s.cy), (t.right, t.cy)], "left", "right"))
        if s.cx == t.cx:
            if t.y >= s.bottom:
                routes.append(_Route([(s.cx, s.bottom), (t.cx, t.y)], "bottom", "top"))
            elif t.bottom <= s.y:
                routes.append(_Route([(s.cx, s.y), (t.cx, t.bottom)], "top", "bottom"))
        # Down (or up) first, then across into the target's side.
        if not s.y <= t.cy <= s.bottom and s.cx != t.cx:
            exit_side, exit_y = ("bottom", s.bottom) if t.cy > s.cy else ("top", s.y)
            entry_side, entry_x = ("left", t.x) if t.cx > s.cx else ("right", t.right)
            routes.append(_Route([(s.cx, exit_y), (s.cx, t.cy), (entry_x, t.cy)], exit_side, entry_side))
        # Across first, then down (or up) into the target's top or bottom.
        if not t.y <= s.cy <= t.bottom and not s.x <= t.cx <= s.right:
            exit_side, exit_x = ("right", s.right) if t.cx > s.cx else ("left", s.x)
            entry_side, entry_y = ("top", t.y) if t.cy > s.cy else ("bottom", t.bottom)
            routes.append(_Route([(exit_x, s.cy), (t.cx, s.cy), (t.cx, entry_y)], exit_side, entry_side))
        # Around, through a corridor along a band's edge: for loops back to an earlier node.
        around: list[_Route] = []
        for y in self.corridors:
            if s.cx == t.cx or s.y <= y <= s.bottom or t.y <= y <= t.bottom:
                continue
            exit_side, exit_y = ("top", s.y) if y < s.y else ("bottom", s.bottom)
            entry_side, entry_y = ("top", t.y) if y < t.y else ("bottom", t.bottom)
            points = [(s.cx, exit_y), (s.cx, y), (t.cx, y), (t.cx, entry_y)]
            around.append(_Route(points, exit_side, entry_side))
        around.sort(key=lambda route: _length(route.points))
        return routes + around


def _length(points: list[Point]) -> int:
    return sum(abs(x2 - x1) + abs(y2 - y1) for (x1, y1), (x2, y2) in zip(points, points[1:]))


def _crosses(points: list[Point], box: Bounds) -> bool:
    left, right = box.x - CLEARANCE, box.right + CLEARANCE
    top, bottom = box.y - CLEARANCE, box.bottom + CLEARANCE
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        if x1 == x2:
            low, high = sorted((y1, y2))
            if left < x1 < right and low < bottom and high > top:
                return True
        else:
            low, high = sorted((x1, x2))
            if top < y1 < bottom and low < right and high > left:
                return True
    return False
