"""Safe XML parsing for every file a designer deploys: no entities, no DTD, no network."""

from __future__ import annotations

from lxml import etree

from engine.errors import InvalidInput

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False)


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """Parse `content`; a DOCTYPE (and so any entity declaration) is refused outright."""
    if not content.strip():
        raise InvalidInput(f"Tệp '{filename}' rỗng.", file=filename)
    try:
        tree = etree.fromstring(content, safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidInput(
            f"Tệp '{filename}' không phải XML hợp lệ (dòng {line}): {exc.msg}.", file=filename, line=line
        ) from exc
    if tree.docinfo.doctype:
        raise InvalidInput(
            f"Tệp '{filename}' có khai báo DOCTYPE/thực thể; vì an toàn, hệ thống không nhận tệp như vậy.",
            file=filename,
        )
    return tree.getroot()


def qname(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"
