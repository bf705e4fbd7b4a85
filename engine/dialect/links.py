"""Link events (Camunda 7: an intermediate throw event with a link definition continues at the intermediate catch
event with a link definition of the same name in the same process — a "go to" that spares a long arrow).

SpiffWorkflow 3.2.0 does not read link definitions, so each pair becomes, before the library parses the diagram, an
ordinary sequence flow from the throw event to the catch event, both then plain pass-through events. The stored
diagram is unchanged and the rewrite depends only on it, so every process (and replay) compiles it the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.dialect.messages import _fail, _local
from engine.dialect.xml import NS

if TYPE_CHECKING:  # annotations only
    from lxml import etree

LINK = f"{{{NS['bpmn']}}}linkEventDefinition"


def _links(process, kind: str) -> list:
    return [d for d in process.iter(LINK) if _local(d.getparent().tag) == kind]


def check_links(process: etree._Element, filename: str) -> None:
    """Every link throw names exactly one link catch of its process; a link catch has no way in, a throw no way out."""
    flows = process.findall("bpmn:sequenceFlow", NS)
    catches: dict[str, object] = {}
    for definition in process.iter(LINK):
        event = definition.getparent()
        kind, eid, name = _local(event.tag), event.get("id"), (definition.get("name") or "").strip()
        if kind not in ("intermediateThrowEvent", "intermediateCatchEvent"):
            raise _fail(filename, eid, "sự kiện liên kết (link) chỉ là sự kiện ném hoặc bắt trung gian",
                        event.sourceline)
        if not name:
            raise _fail(filename, eid, "sự kiện liên kết (link) phải có tên (name) để ghép cặp", definition.sourceline)
        if kind == "intermediateCatchEvent":
            if name in catches:
                raise _fail(filename, eid, f"hai sự kiện bắt liên kết cùng tên '{name}'", event.sourceline)
            catches[name] = event
            if any(f.get("targetRef") == eid for f in flows):
                raise _fail(filename, eid, "sự kiện bắt liên kết không được có luồng vào", event.sourceline)
    for definition in _links(process, "intermediateThrowEvent"):
        event = definition.getparent()
        eid, name = event.get("id"), (definition.get("name") or "").strip()
        if name not in catches:
            raise _fail(filename, eid, f"không có sự kiện bắt liên kết tên '{name}' trong quy trình", event.sourceline)
        if any(f.get("sourceRef") == eid for f in flows):
            raise _fail(filename, eid, "sự kiện ném liên kết không được có luồng ra", event.sourceline)


def rewrite_links(root: etree._Element) -> None:
    """Each link throw → catch pair as a sequence flow (in place, on the tree the library is about to parse)."""
    for process in root.findall("bpmn:process", NS):
        catches = {(d.get("name") or "").strip(): d.getparent() for d in _links(process, "intermediateCatchEvent")}
        for definition in _links(process, "intermediateThrowEvent"):
            throw = definition.getparent()
            catch = catches[(definition.get("name") or "").strip()]
            flow_id = f"LinkFlow_{throw.get('id')}"
            flow = process.makeelement(f"{{{NS['bpmn']}}}sequenceFlow",
                                       {"id": flow_id, "sourceRef": throw.get("id"), "targetRef": catch.get("id")})
            process.append(flow)
            for event, tag in ((throw, "outgoing"), (catch, "incoming")):
                ref = event.makeelement(f"{{{NS['bpmn']}}}{tag}", {})
                ref.text = flow_id
                event.insert(0, ref)
            throw.remove(definition)
        for catch in catches.values():
            for definition in catch.findall("bpmn:linkEventDefinition", NS):
                catch.remove(definition)
