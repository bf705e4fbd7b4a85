"""Reading a designer's XML without ever expanding entities, loading a DTD or touching the network."""

from __future__ import annotations

from lxml import etree

from engine.dialect.xml import camunda_alias, safe_parser, syntax_message
from engine.lint.report import Finding


def parse_document(content: bytes, filename: str) -> tuple[etree._Element | None, list[Finding]]:
    """The root element, or None and the finding that explains why the file cannot be checked further."""
    refusal = Finding(
        "no-doctype",
        None,
        f"Tệp '{filename}' có khai báo DOCTYPE hoặc thực thể; vì an toàn, hệ thống không đọc tệp như vậy.",
        1,
    )
    try:
        root = etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError as exc:
        # Entities the parser refuses to load surface as syntax errors; name the real cause, the DOCTYPE.
        if b"<!DOCTYPE" in content:
            return None, [refusal]
        line = exc.lineno or None
        return None, [Finding("xml-syntax", None, f"Tệp '{filename}' không phải XML hợp lệ: {syntax_message(exc)}.", line)]
    # A DOCTYPE is how entity tricks (billion laughs, external files) get in; no Modeler file ever has one.
    if root.getroottree().docinfo.doctype:
        return None, [refusal]
    return camunda_alias(root, content), []


def id_lines(root: etree._Element) -> dict[str, int]:
    """Element id → source line, to point Camunda Modeler's findings (which carry only ids) at a line."""
    lines: dict[str, int] = {}
    for element in root.iter(etree.Element):
        element_id = element.get("id")
        if element_id and element.sourceline and element_id not in lines:
            lines[element_id] = element.sourceline
    return lines
