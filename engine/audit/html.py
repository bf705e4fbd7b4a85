"""Self-contained HTML pages (inline CSS, no scripts, nothing fetched): the auditor's case view (diagram next to the
control slip), the tracking book and the notices.

Pages are built as lxml trees, so every value — names typed by designers and officers included — is escaped by the
serializer. The diagram arrives as SVG text that lxml itself serialized (`engine.audit.diagram_svg`) and takes the
place of a marker comment that only this module writes.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from lxml import etree

from engine.audit.diagram_svg import COLOURS
from engine.audit.labels import OUTCOME_NOTES, STATUS_LABELS, slip_time, working_minutes

_DIAGRAM_MARK = "tthc-diagram-svg"
CSS = """
body{font-family:'Noto Serif','DejaVu Serif','Times New Roman',serif;margin:24px;color:#111827;background:#fff}
h1{font-size:18px;text-align:center;margin:8px 0}
.basis{font-size:12px;text-align:right;font-style:italic}
.agency{text-align:center;font-weight:bold;font-size:13px}
.header td{padding:2px 8px;font-size:14px;vertical-align:top}
table.slip,table.book{border-collapse:collapse;width:100%;font-size:13px}
table.slip th,table.slip td,table.book th,table.book td{border:1px solid #374151;padding:4px 6px;vertical-align:top}
table.slip th,table.book th{background:#f3f4f6}
.early{color:#15803d;font-weight:bold}.on_time{color:#1d4ed8;font-weight:bold}.late{color:#b91c1c;font-weight:bold}
.layout{display:flex;gap:20px;align-items:flex-start}
.diagram{flex:3 1 0;min-width:0;border:1px solid #d1d5db;overflow:auto}
.diagram svg{width:100%;min-width:1100px;height:auto;display:block}
.slip-panel{flex:2 1 0;min-width:420px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;border:3px solid}
.notes li{font-size:13px}
.notice p{font-size:15px;line-height:1.5}
.sign{display:flex;justify-content:space-between;margin-top:36px;text-align:center;font-size:14px}
@media print{.diagram{display:none}.slip-panel{min-width:0}}
"""


def _page(title: str) -> tuple[etree._Element, etree._Element]:
    html = etree.Element("html", lang="vi")
    head = etree.SubElement(html, "head")
    etree.SubElement(head, "meta", charset="utf-8")
    etree.SubElement(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "style").text = CSS
    body = etree.SubElement(html, "body")
    return html, body


def _add(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, tag, **{k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _serialize(html: etree._Element, svg: str | None = None) -> str:
    text = "<!DOCTYPE html>\n" + etree.tostring(html, method="html", encoding="unicode")
    if svg is not None:
        text = text.replace(f"<!--{_DIAGRAM_MARK}-->", svg, 1)
    return text


def _header_block(body, doc: Mapping[str, Any]) -> None:
    form = doc["form"]
    _add(body, "div", form["legal_basis"], class_="basis")
    agency = doc.get("agency") or {}
    _add(body, "div", (agency.get("governing_body") or "").upper(), class_="agency")
    _add(body, "div", (agency.get("name") or "").upper(), class_="agency")
    _add(body, "h1", form["title"])


def _slip_table(parent, slip: Mapping[str, Any]) -> None:
    header = _add(parent, "table", class_="header")
    rows = [
        ("Mã hồ sơ", slip["case_id"]),
        ("Thủ tục", f"{slip['procedure']['code']} — {slip['procedure']['name'] or ''}".rstrip(" —")),
        ("Người nộp", slip["applicant"]["name"]),
        ("Ngày, giờ tiếp nhận", slip_time(slip["received_at"])),
        ("Ngày, giờ hẹn trả kết quả", slip_time(slip["due_at"])),
    ]
    if slip.get("first_due_at") and slip["first_due_at"] != slip["due_at"]:
        rows.append(("Hẹn ban đầu (trước khi tính lại)", slip_time(slip["first_due_at"])))
    if slip.get("apology_due_at"):
        rows.append(("Hẹn lại theo phiếu xin lỗi", slip_time(slip["apology_due_at"])))
    rows += [("Cơ quan giải quyết hồ sơ", slip["handling_unit"] or "—"),
             ("Cơ quan phối hợp", ", ".join(slip["coordinating_units"]) or "—"),
             ("Tình trạng", STATUS_LABELS.get(slip["status"], slip["status"])
              + (f" — {OUTCOME_NOTES[slip['outcome']]}" if slip.get("outcome") in OUTCOME_NOTES else ""))]
    for label, value in rows:
        tr = _add(header, "tr")
        _add(tr, "td", f"{label}:")
        _add(tr, "td", value)
    table = _add(parent, "table", class_="slip")
    tr = _add(_add(table, "thead"), "tr")
    for column in slip["columns"]:
        _add(tr, "th", column)
    body = _add(table, "tbody")
    for row in slip["rows"]:
        tr = _add(body, "tr")
        tr.set("data-element-id", row["step"]["element_id"])
        unit = _add(tr, "td")
        _add(unit, "div", f"{row['no']}. Giao: {_party(row['giver'])}")
        for receiver in row["receivers"]:
            _add(unit, "div", f"Nhận: {_party(receiver)}")
        _add(tr, "td", slip_time(row["at"]))
        _add(tr, "td", row["timing_label"], class_=row["timing"] or "none")
        notes = _add(tr, "td")
        used = row["step"]["used_working_minutes"]
        if used is not None:
            _add(notes, "div", f"{row['step']['name']}: {working_minutes(used)} làm việc.")
        for note in row["notes"]:
            _add(notes, "div", note)
    if slip["notes"]:
        _add(parent, "h3", "Ghi chú")
        ul = _add(parent, "ul", class_="notes")
        for note in slip["notes"]:
            _add(ul, "li", note)


def _party(party: Mapping[str, Any]) -> str:
    who = party.get("officer_name")
    return f"{party['unit']} — {who}" if who else party["unit"]


def case_view_html(slip: Mapping[str, Any], svg: str | None) -> str:
    """The auditor's view: the case's diagram with the path taken, next to its control slip."""
    html, body = _page(f"{slip['form']['title']} — {slip['case_id']}")
    _header_block(body, slip)
    legend = _add(body, "div", class_="legend")
    for status, label in (("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Quá hạn"),
                          ("open", "Đang xử lý"), ("reached", "Đã đi qua")):
        span = _add(legend, "span")
        _add(span, "i", style=f"border-color:{COLOURS[status]}")
        span[-1].tail = label
    layout = _add(body, "div", class_="layout")
    diagram = _add(layout, "div", class_="diagram")
    if svg is not None:
        diagram.append(etree.Comment(_DIAGRAM_MARK))
    else:
        _add(diagram, "p", "Không còn định nghĩa quy trình của hồ sơ nên không vẽ được sơ đồ.")
    _slip_table(_add(layout, "div", class_="slip-panel"), slip)
    return _serialize(html, svg)


def slip_html(slip: Mapping[str, Any]) -> str:
    html, body = _page(f"{slip['form']['title']} — {slip['case_id']}")
    _header_block(body, slip)
    _slip_table(body, slip)
    return _serialize(html)


def book_html(book: Mapping[str, Any]) -> str:
    html, body = _page(book["form"]["title"])
    _header_block(body, book)
    _add(body, "p", f"Từ ngày {book['from_text']} đến ngày {book['to_text']}")
    table = _add(body, "table", class_="book")
    tr = _add(_add(table, "thead"), "tr")
    for _key, label in book["columns"]:
        _add(tr, "th", label)
    tbody = _add(table, "tbody")
    for row in book["rows"]:
        tr = _add(tbody, "tr")
        for key, _label in book["columns"]:
            _add(tr, "td", _cell(row.get(key)))
    return _serialize(html)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    return str(value)


def notice_html(notice: Mapping[str, Any]) -> str:
    html, body = _page(f"{notice['form']['title']} — {notice['case_id']}")
    _header_block(body, notice)
    section = _add(body, "div", class_="notice")
    for paragraph in notice["paragraphs"]:
        _add(section, "p", paragraph)
    sign = _add(body, "div", class_="sign")
    for signature in notice["signatures"]:
        block = _add(sign, "div")
        _add(block, "strong", signature["title"])
        _add(block, "div", "(Ký, ghi rõ họ tên)")
        _add(block, "div", signature["name"])
    return _serialize(html)


def paragraphs(lines: Iterable[str]) -> list[str]:
    return [line for line in lines if line]
