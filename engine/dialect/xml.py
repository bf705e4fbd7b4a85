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
    return camunda_alias(tree.getroot(), content)


# Camunda 7 reads its extensions under the Activiti namespace too (BpmnParse: CAMUNDA_BPMN_EXTENSIONS_NS has
# ACTIVITI_BPMN_EXTENSIONS_NS as alternative URI), and old Camunda Modeler files and Camunda's own examples use it.
# Renamed in the tree, so that every check and the parser see `camunda:` and nothing in such a file is skipped.
ACTIVITI = "http://activiti.org/bpmn"


def camunda_alias(root: etree._Element, content: bytes) -> etree._Element:
    """`root` with every element and attribute in the Activiti namespace moved to the Camunda namespace."""
    if ACTIVITI.encode() not in content:
        return root
    old, new = f"{{{ACTIVITI}}}", f"{{{NS['camunda']}}}"
    for node in root.iter(etree.Element):
        if node.tag.startswith(old):
            node.tag = new + node.tag[len(old):]
        for name in [a for a in node.attrib if a.startswith(old)]:
            node.set(new + name[len(old):], node.attrib.pop(name))
    return root


def _doctype(filename: str) -> InvalidInput:
    return InvalidInput(
        f"Tệp '{filename}' có khai báo DOCTYPE/thực thể; vì an toàn, hệ thống không nhận tệp như vậy.", file=filename)


def syntax_message(exc: etree.XMLSyntaxError) -> str:
    """libxml2's message on one line, without the position it repeats (the sentence gives the line already)."""
    text = " ".join(str(exc.msg or exc).split())
    return re.sub(r",? line \d+, column \d+\.?$", "", text).strip().rstrip(".")


def qname(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"
