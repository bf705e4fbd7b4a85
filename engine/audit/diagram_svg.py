"""A case's BPMN diagram drawn as inline SVG from the definition's own BPMNDI, with the path the case took.

Drawn by the engine (no bpmn-js, no network): pool and lanes as bands with rotated names, tasks as rounded boxes with
wrapped labels, events as circles (end events thick, timers with a clock face), gateways as diamonds with X or +,
sequence flows as polylines with arrowheads, and the modeller's label positions. Steps are stroked by how the case
went: early green, on time blue, late red, waiting orange, passed through dark; flows the case took are bold.
Every piece of designer text goes through lxml as text or attribute values, so it is escaped, never markup.
"""

from __future__ import annotations

import math

from lxml import etree

from engine.audit.diagram_model import Bounds, Node, ProcessDiagram
from engine.audit.steps import PathMarks

SVG_NS = "http://www.w3.org/2000/svg"
COLOURS = {
    "early": "#15803d", "on_time": "#1d4ed8", "late": "#b91c1c", "open": "#d97706", "reached": "#1f2937",
    None: "#9ca3af",
}
STATUS_TEXT = {"early": "trước hạn", "on_time": "đúng hạn", "late": "quá hạn", "open": "đang xử lý",
               "reached": "đã đi qua", None: "chưa đi qua"}
TASK_KINDS = {"userTask", "businessRuleTask", "task", "manualTask", "scriptTask", "serviceTask"}
GATEWAY_KINDS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway"}
FONT = "font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif"
MARGIN = 20


def _el(parent, tag: str, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for key, value in attrs.items():
        element.set(key.rstrip("_").replace("_", "-"), str(value))
    return element


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _extent(diagram: ProcessDiagram) -> Bounds:
    xs: list[float] = []
    ys: list[float] = []
    boxes = [diagram.pool] + [lane.bounds for lane in diagram.lanes]
    boxes += [n.bounds for n in diagram.nodes.values()] + [n.label for n in diagram.nodes.values()]
    boxes += [f.label for f in diagram.flows.values()]
    for box in boxes:
        if box is not None:
            xs += [box.x, box.x + box.width]
            ys += [box.y, box.y + box.height]
    for flow in diagram.flows.values():
        xs += [p[0] for p in flow.waypoints]
        ys += [p[1] for p in flow.waypoints]
    if not xs:
        return Bounds(0, 0, 400, 200)
    return Bounds(min(xs) - MARGIN, min(ys) - MARGIN, max(xs) - min(xs) + 2 * MARGIN, max(ys) - min(ys) + 2 * MARGIN)


def wrap(text: str, width: float, size: float = 11.0) -> list[str]:
    """Words on lines that fit `width` (an average glyph is about 0.55 em)."""
    limit = max(4, int(width / (size * 0.55)))
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= limit or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _text_block(parent, text: str, box: Bounds, *, size: float = 11.0, anchor_middle: bool = True,
                max_lines: int | None = None) -> None:
    lines = wrap(text, box.width, size)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,;: ") + "…"
    height = len(lines) * size * 1.2
    top = box.y + (box.height - height) / 2 + size
    x = box.x + box.width / 2 if anchor_middle else box.x
    node = _el(parent, "text", x=_fmt(x), y=_fmt(top), font_size=_fmt(size),
               text_anchor="middle" if anchor_middle else "start", style=FONT, fill="#111827")
    for index, line in enumerate(lines):
        span = _el(node, "tspan", x=_fmt(x), dy="0" if index == 0 else _fmt(size * 1.2))
        span.text = line


def _band_label(parent, text: str, x: float, y: float, height: float) -> None:
    cx, cy = x + 15, y + height / 2
    label = _el(parent, "text", x=_fmt(cx), y=_fmt(cy), font_size="12", text_anchor="middle",
                dominant_baseline="middle", transform=f"rotate(-90 {_fmt(cx)} {_fmt(cy)})", style=FONT,
                fill="#111827")
    label.text = text


def render_svg(diagram: ProcessDiagram, marks: PathMarks | None = None) -> str:
    marks = marks or PathMarks()
    box = _extent(diagram)
    root = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    for key, value in {"viewBox": f"{_fmt(box.x)} {_fmt(box.y)} {_fmt(box.width)} {_fmt(box.height)}",
                       "width": _fmt(box.width), "height": _fmt(box.height), "role": "img",
                       "class": "bpmn-diagram", "preserveAspectRatio": "xMinYMin meet"}.items():
        root.set(key, value)
    _el(root, "title").text = diagram.pool_name or diagram.name
    defs = _el(root, "defs")
    for ident, colour in (("arrow", "#6b7280"), ("arrow-taken", "#111827")):
        marker = _el(defs, "marker", id=ident, viewBox="0 0 10 10", refX="9", refY="5", markerWidth="11",
                     markerHeight="11", markerUnits="userSpaceOnUse", orient="auto-start-reverse")
        _el(marker, "path", d="M 0 0 L 10 5 L 0 10 z", fill=colour)
    background = _el(root, "g", class_="pool")
    if diagram.pool is not None:
        p = diagram.pool
        _el(background, "rect", x=_fmt(p.x), y=_fmt(p.y), width=_fmt(p.width), height=_fmt(p.height),
            fill="#ffffff", stroke="#374151", stroke_width="1.5")
        _band_label(background, diagram.pool_name or diagram.name, p.x, p.y, p.height)
    for lane in diagram.lanes:
        if lane.bounds is None:
            continue
        b = lane.bounds
        group = _el(background, "g", class_="lane")
        group.set("data-lane-id", lane.id)
        _el(group, "rect", x=_fmt(b.x), y=_fmt(b.y), width=_fmt(b.width), height=_fmt(b.height),
            fill="#f9fafb", stroke="#9ca3af", stroke_width="1")
        _el(group, "line", x1=_fmt(b.x + 30), y1=_fmt(b.y), x2=_fmt(b.x + 30), y2=_fmt(b.y + b.height),
            stroke="#d1d5db", stroke_width="1")
        _band_label(group, lane.name, b.x, b.y, b.height)
    flows = _el(root, "g", class_="flows")
    for flow in diagram.flows.values():
        if len(flow.waypoints) < 2:
            continue
        taken = flow.id in marks.flows
        group = _el(flows, "g", class_="flow taken" if taken else "flow")
        group.set("data-element-id", flow.id)
        _el(group, "polyline", points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in flow.waypoints), fill="none",
            stroke="#111827" if taken else "#6b7280", stroke_width="3.5" if taken else "1.5",
            marker_end="url(#arrow-taken)" if taken else "url(#arrow)")
        if flow.name and flow.label is not None:
            _text_block(group, flow.name, flow.label, size=10)
    shapes = _el(root, "g", class_="shapes")
    # Boundary events last, so they sit on the edge of their task.
    for node in sorted(diagram.nodes.values(), key=lambda n: n.kind == "boundaryEvent"):
        if node.bounds is not None:
            _node(shapes, node, marks.status.get(node.id))
    return etree.tostring(root, encoding="unicode")


def _node(parent, node: Node, status: str | None) -> None:
    b = node.bounds
    colour = COLOURS.get(status, COLOURS[None])
    width = "3" if status in ("early", "on_time", "late", "open") else ("2" if status == "reached" else "1.2")
    group = _el(parent, "g", class_=f"node {node.kind} status-{status or 'none'}")
    group.set("data-element-id", node.id)
    _el(group, "title").text = f"{node.name or node.id} — {STATUS_TEXT.get(status, STATUS_TEXT[None])}"
    if node.kind in TASK_KINDS:
        _el(group, "rect", x=_fmt(b.x), y=_fmt(b.y), width=_fmt(b.width), height=_fmt(b.height), rx="10", ry="10",
            fill="#ffffff", stroke=colour, stroke_width=width)
        if node.kind == "businessRuleTask":  # a small table: the decision table marker
            _el(group, "rect", x=_fmt(b.x + 6), y=_fmt(b.y + 6), width="16", height="11", fill="none",
                stroke="#374151", stroke_width="1")
            _el(group, "line", x1=_fmt(b.x + 6), y1=_fmt(b.y + 10), x2=_fmt(b.x + 22), y2=_fmt(b.y + 10),
                stroke="#374151", stroke_width="1")
        _text_block(group, node.name, Bounds(b.x + 4, b.y + 4, b.width - 8, b.height - 8), size=10.5,
                    max_lines=max(1, int((b.height - 8) // 12.6)))
        return
    if node.kind in GATEWAY_KINDS:
        cx, cy = b.x + b.width / 2, b.y + b.height / 2
        points = [(cx, b.y), (b.x + b.width, cy), (cx, b.y + b.height), (b.x, cy)]
        _el(group, "polygon", points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points), fill="#ffffff",
            stroke=colour, stroke_width=width)
        r = b.width * 0.2
        if node.kind == "parallelGateway":
            _el(group, "path", d=f"M {_fmt(cx - r)} {_fmt(cy)} H {_fmt(cx + r)} M {_fmt(cx)} {_fmt(cy - r)} V {_fmt(cy + r)}",
                stroke="#111827", stroke_width="3")
        elif node.kind == "exclusiveGateway":
            _el(group, "path", d=f"M {_fmt(cx - r)} {_fmt(cy - r)} L {_fmt(cx + r)} {_fmt(cy + r)} "
                                 f"M {_fmt(cx + r)} {_fmt(cy - r)} L {_fmt(cx - r)} {_fmt(cy + r)}",
                stroke="#111827", stroke_width="3")
        else:
            _el(group, "circle", cx=_fmt(cx), cy=_fmt(cy), r=_fmt(r), fill="none", stroke="#111827", stroke_width="2.5")
    else:
        cx, cy, r = b.x + b.width / 2, b.y + b.height / 2, b.width / 2
        thick = {"endEvent": "4", "startEvent": "2"}.get(node.kind, width)
        if node.terminate:
            _el(group, "circle", cx=_fmt(cx), cy=_fmt(cy), r=_fmt(r * 0.55), fill=colour)
        _el(group, "circle", cx=_fmt(cx), cy=_fmt(cy), r=_fmt(r), fill="#ffffff" if not node.terminate else "none",
            stroke=colour, stroke_width=thick if node.kind in ("endEvent", "startEvent") else width)
        if node.kind in ("intermediateCatchEvent", "boundaryEvent", "intermediateThrowEvent"):
            _el(group, "circle", cx=_fmt(cx), cy=_fmt(cy), r=_fmt(r - 3), fill="none", stroke=colour, stroke_width="1")
        if node.timer:
            _clock(group, cx, cy, r * 0.55)
    if node.name:
        label = node.label or Bounds(b.x - 30, b.y + b.height + 2, b.width + 60, 28)
        _text_block(group, node.name, label, size=10)


def _clock(parent, cx: float, cy: float, r: float) -> None:
    _el(parent, "circle", cx=_fmt(cx), cy=_fmt(cy), r=_fmt(r), fill="#ffffff", stroke="#111827", stroke_width="1.2")
    for hour in range(12):
        angle = math.radians(hour * 30)
        _el(parent, "line", x1=_fmt(cx + math.sin(angle) * r * 0.8), y1=_fmt(cy - math.cos(angle) * r * 0.8),
            x2=_fmt(cx + math.sin(angle) * r), y2=_fmt(cy - math.cos(angle) * r), stroke="#111827", stroke_width="0.8")
    _el(parent, "path", d=f"M {_fmt(cx)} {_fmt(cy)} L {_fmt(cx)} {_fmt(cy - r * 0.7)} M {_fmt(cx)} {_fmt(cy)} "
                          f"L {_fmt(cx + r * 0.5)} {_fmt(cy)}", stroke="#111827", stroke_width="1.2", fill="none")
