"""Deploy-time checks of the BPMN structure elements: embedded sub-processes (issue 14).

An embedded sub-process runs as its own scope (SpiffWorkflow keeps it as a sub-workflow of the case): one start
event, at least one end event, the parent's sequence flows do not cross its border. Event sub-processes
(`triggeredByEvent="true"`) have more rules of their own (engine/dialect/event_subprocess.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.dialect.xml import NS
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree

_BPMN = NS["bpmn"]


def _fail(filename: str, element_id: str | None, reason: str, line: int | None) -> InvalidInput:
    at = f" (dòng {line})" if line else ""
    return InvalidInput(f"Tệp '{filename}', phần tử '{element_id}'{at}: {reason}.", file=filename, element=element_id,
                        line=line)


def check_structure(process: etree._Element, filename: str) -> None:
    from engine.dialect.event_subprocess import check_event_subprocesses

    check_event_subprocesses(process, filename)
    for sub in process.iter(f"{{{_BPMN}}}subProcess"):
        sid, line = sub.get("id"), sub.sourceline
        starts = sub.findall("bpmn:startEvent", NS)
        if len(starts) != 1:
            raise _fail(filename, sid, f"quy trình con phải có đúng một sự kiện bắt đầu, đang có {len(starts)}", line)
        if not sub.findall("bpmn:endEvent", NS):
            raise _fail(filename, sid, "quy trình con phải có ít nhất một sự kiện kết thúc", line)
        inside = {n.get("id") for n in sub.iter() if isinstance(n.tag, str) and n.get("id")}
        for flow in sub.findall("bpmn:sequenceFlow", NS):
            for attr in ("sourceRef", "targetRef"):
                if flow.get(attr) not in inside:
                    raise _fail(filename, flow.get("id"), f"luồng trong quy trình con '{sid}' không được nối ra "
                                "ngoài quy trình con (hãy nối từ chính quy trình con)", flow.sourceline)


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def check_multi_instance(process: etree._Element, filename: str) -> None:
    """Multi-instance on user tasks and embedded sub-processes; a collection and element variable are variable names (Camunda 7 also
    allows any expression for the collection; here it is one variable, so nothing from a diagram runs as code)."""
    import re

    from engine.dialect.expressions import parse_expression

    cns = "http://camunda.org/schema/1.0/bpmn"
    for loop in process.iter(f"{{{_BPMN}}}multiInstanceLoopCharacteristics"):
        owner = loop.getparent()
        oid, line = owner.get("id"), loop.sourceline
        if owner.tag not in (f"{{{_BPMN}}}userTask", f"{{{_BPMN}}}subProcess", f"{{{_BPMN}}}callActivity"):
            kind = owner.tag.split("}", 1)[-1]
            raise _fail(filename, oid, f"nhiều phiên bản (multi-instance) mới chạy trên tác vụ người dùng (user task) và "
                        "quy trình con (sub-process), "
                        f"chưa chạy trên '{kind}'", line)
        collection = (loop.get(f"{{{cns}}}collection") or "").strip()
        element = (loop.get(f"{{{cns}}}elementVariable") or "").strip()
        cardinality = loop.find("bpmn:loopCardinality", NS)
        if not collection and cardinality is None:
            raise _fail(filename, oid, "tác vụ nhiều phiên bản cần camunda:collection hoặc loopCardinality", line)
        if collection:
            bare = collection[2:-1].strip() if collection.startswith("${") and collection.endswith("}") else collection
            if not re.fullmatch(_NAME, bare):
                raise _fail(filename, oid, f"camunda:collection '{collection}' phải là tên một biến (ví dụ ${{units}})",
                            line)
        if element and not re.fullmatch(_NAME, element):
            raise _fail(filename, oid, f"camunda:elementVariable '{element}' phải là tên biến", line)
        for tag, what in (("loopCardinality", "loopCardinality"), ("completionCondition", "completionCondition")):
            node = loop.find(f"bpmn:{tag}", NS)
            if node is None or collection and tag == "loopCardinality":
                continue
            text = (node.text or "").strip()
            try:
                parse_expression(text if text.startswith("${") else "${" + text + "}")
            except InvalidInput as exc:
                raise _fail(filename, oid, f"{what} '{text}' không hợp lệ: {exc.message.rstrip('.')}", node.sourceline) \
                    from exc
        for child in loop:
            if isinstance(child.tag, str) and child.tag.split("}", 1)[-1] in ("loopDataInputRef", "inputDataItem",
                                                                               "loopDataOutputRef", "outputDataItem"):
                raise _fail(filename, oid, "hãy dùng camunda:collection và camunda:elementVariable của Camunda 7 thay "
                            f"cho '{child.tag.split('}', 1)[-1]}'", child.sourceline)
