"""Safe XML parsing for every file a designer deploys: no entities, no DTD, no network."""

from __future__ import annotations

import re

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
        # Entities the parser refuses to load surface as syntax errors; name the real cause, the DOCTYPE.
        if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content[:65536]:
            raise _doctype(filename) from None
        line = getattr(exc, "lineno", None)
        raise InvalidInput(
            f"Tệp '{filename}' không phải XML hợp lệ (dòng {line}): {syntax_message(exc)}.", file=filename, line=line
        ) from None
    if tree.docinfo.doctype:
        raise _doctype(filename)
    return tree.getroot()


def _doctype(filename: str) -> InvalidInput:
    return InvalidInput(
        f"Tệp '{filename}' có khai báo DOCTYPE/thực thể; vì an toàn, hệ thống không nhận tệp như vậy.", file=filename)


def syntax_message(exc: etree.XMLSyntaxError) -> str:
    """libxml2's message on one line, without the position it repeats (the sentence gives the line already)."""
    text = " ".join(str(exc.msg or exc).split())
    return re.sub(r",? line \d+, column \d+\.?$", "", text).strip().rstrip(".")


def qname(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"
