"""The control slip (form 06): hand-checked expected slips for scenario cases, per-step status as data, the
coordinating unit, the auditor's HTML view, and designer text that cannot become markup.

The expected slips in tests/golden/ were checked by hand against the calendar (07:30–11:30, 13:30–17:30; a working day
is 8 hours): e.g. in `happy` the appraisal received 10:00 Mon 02/03 with 1.25 days (10 h) is due 14:00 Tue 03/03 and,
done 14:00 Mon, is early; registration received 16:00 Mon with 0.25 day (2 h) is due 08:00 Tue and, done exactly
then, is on time.
"""

from __future__ import annotations

import pytest
from lxml import etree

from conftest import ROOT
from test_audit_scenarios import library  # noqa: F401 - session fixture

GOLDEN = ROOT / "tests" / "golden"
NOW = "2026-03-20T08:00"


@pytest.mark.parametrize("scenario", ["happy", "supplement", "apology"])
def test_the_control_slip_of_a_scenario_case_matches_its_hand_checked_expected_slip(library, scenario):
    result = library.cli()("slip", library.cases[scenario], now=NOW)
    assert result.code == 0, result.err
    assert result.out == (GOLDEN / f"slip_{scenario}.txt").read_text(encoding="utf-8")


def test_slip_rows_judge_each_step_against_its_own_allotment(library):
    doc = library.cli()("slip", library.cases["late_step"], "--format", "json", now=NOW).json()
    rows = [(r["step"]["element_id"], r["timing"], r["step"]["used_working_minutes"]) for r in doc["rows"]]
    # Appraisal received 09:00 Mon with 10 working hours is due 11:00 Tue; done 14:00 Tue: late, 6.5 + 4.5 = 11 h used.
    # Review received 14:00 Tue with 4 h is due 08:00 Wed; done 15:00 Tue, an earlier day: early. Approval received
    # 15:00 Tue with 2 h is due 17:00 Tue; done 16:00 the same day: on time.
    assert rows == [("receive", "on_time", 30), ("assign", "on_time", 30), ("appraise", "late", 660),
                    ("review", "early", 60), ("approve", "on_time", 60), ("register", "early", 30),
                    ("return_result", "early", 30)]
    assert doc["rows"][2]["giver"] == {"unit": "Công chức thụ lý", "officer": "mai", "officer_name": "Lê Thị Mai"}
    assert doc["rows"][2]["receivers"] == [{"unit": "Lãnh đạo phòng chuyên môn", "officer": "hung",
                                            "officer_name": "Trần Văn Hùng"}]
    assert "Đã cảnh báo quá hạn bước." in doc["rows"][2]["notes"]
    assert doc["notes"] == ["13:30 03/03/2026, Lê Thị Mai: Chậm do chờ ý kiến phòng chuyên môn khác."]
    assert doc["form"] == {"key": "slip", "number": "06", "title": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                           "legal_basis": "Mẫu số 06 — Thông tư số 03/2025/TT-VPCP của Văn phòng Chính phủ"}


def test_a_procedure_with_a_provincial_office_lane_names_it_as_coordinating_unit(library):
    doc = library.cli()("slip", library.cases["library_tdc_qt02"], "--json", now=NOW).json()
    assert doc["coordinating_units"] == ["Văn phòng UBND tỉnh"]
    assert "provincial_decide" in [r["step"]["element_id"] for r in doc["rows"]]
    plain = library.cli()("slip", library.cases["happy"], "--json", now=NOW).json()
    assert plain["coordinating_units"] == []


def test_a_rework_round_is_noted_on_the_row_that_sent_the_dossier_back(library):
    doc = library.cli()("slip", library.cases["rework"], "--json", now=NOW).json()
    back = [r for r in doc["rows"] if "Trả lại để xử lý lại." in r["notes"]]
    assert [(r["step"]["element_id"], r["receivers"][0]["unit"]) for r in back] == [("review", "Công chức thụ lý")]


def test_a_withdrawn_case_notes_the_stop_notice_and_hands_nothing_to_the_cancelled_step(library):
    doc = library.cli()("slip", library.cases["withdrawal"], "--json", now=NOW).json()
    assert len(doc["rows"]) == 1 and doc["rows"][0]["receivers"][0]["officer"] is None
    assert any("rút hồ sơ" in n and "Mẫu 05" in n for n in doc["notes"])


def test_the_auditors_html_view_draws_the_diagram_with_the_path_and_statuses_next_to_the_slip(library, tmp_path):
    out = tmp_path / "view.html"
    result = library.cli()("slip", library.cases["apology"], "--format", "html", "--out", str(out), now=NOW)
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    page = etree.fromstring(text.split("\n", 1)[1], etree.HTMLParser())
    svg = page.find(".//svg")
    assert svg is not None
    status = {g.get("data-element-id"): g.get("class").split()[-1] for g in svg.iter("g") if "node" in (g.get("class") or "")}
    assert status["appraise"] == "status-late" and status["review"] == "status-on_time"
    assert status["receive"] == "status-on_time" and status["issue_apology"] == "status-reached"
    assert status["EndEvent_refused_at_reception"] == "status-none"
    taken = {g.get("data-element-id") for g in svg.iter("g") if g.get("class") == "flow taken"}
    assert {"Flow_start", "Flow_fork_apology", "Flow_apology_due", "Flow_to_register"} <= taken
    assert "Flow_refused_at_reception" not in taken and "Flow_review_rework" not in taken
    lanes = [t.text for t in svg.iter("text") if t.getparent().get("class") == "lane"]
    assert "Lãnh đạo Sở" in lanes
    assert [td.text for td in page.iter("td") if td.get("class") == "late"] == ["Quá hạn", "Quá hạn"]


def test_the_html_view_of_a_supplement_round_draws_the_path_through_the_message_wait(library, tmp_path):
    out = tmp_path / "view.html"
    result = library.cli()("slip", library.cases["supplement"], "--format", "html", "--out", str(out), now=NOW)
    assert result.code == 0, result.err
    page = etree.fromstring(out.read_text(encoding="utf-8").split("\n", 1)[1], etree.HTMLParser())
    svg = page.find(".//svg")
    status = {g.get("data-element-id"): g.get("class").split()[-1] for g in svg.iter("g") if "node" in (g.get("class") or "")}
    assert status["Event_supplement_received"] == "status-reached"
    assert status["receive_supplement"] == "status-reached"  # the desk's check has no allotment to judge it by
    taken = {g.get("data-element-id") for g in svg.iter("g") if g.get("class") == "flow taken"}
    assert {"Flow_to_supplement", "Flow_supplement_arrived", "Flow_supplement_received"} <= taken
    # The request to the applicant and the desk's check of what arrived are rows of the slip.
    doc = library.cli()("slip", library.cases["supplement"], "--json", now=NOW).json()
    request = next(r for r in doc["rows"] if any("Mẫu 02" in n for n in r["notes"]))
    assert request["step"]["element_id"] == "appraise" and request["receivers"][0]["unit"] == "Tổ chức, cá nhân nộp hồ sơ"
    check = next(r for r in doc["rows"] if r["step"]["element_id"] == "receive_supplement")
    assert any(n.startswith("Đã nhận đủ hồ sơ bổ sung; thời hạn tính lại") for n in check["notes"])


def test_designer_text_in_a_diagram_is_escaped_never_markup(tmp_path):
    from engine.audit.diagram_model import read_diagram
    from engine.audit.diagram_svg import render_svg
    from engine.audit.steps import PathMarks

    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    content = (ROOT / "bpmn" / "tdc_qt01.bpmn").read_bytes().replace(
        'name="Lãnh đạo Sở"'.encode(), f'name="{hostile.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}"'.encode())
    diagram = read_diagram(content, "hostile.bpmn")
    svg = render_svg(diagram, PathMarks())
    assert "<script" not in svg and "<img" not in svg
    parsed = etree.fromstring(svg.encode())
    assert hostile in ["".join(t.itertext()) for t in parsed.iter("{http://www.w3.org/2000/svg}text")]


def test_a_diagram_with_a_doctype_is_refused_by_the_safe_parser():
    from engine.audit.diagram_model import read_diagram
    from engine.errors import InvalidInput

    content = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><definitions>&e;</definitions>'
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        read_diagram(content, "evil.bpmn")


def test_an_unknown_slip_format_is_refused_naming_the_choices(library):
    result = library.cli()("slip", library.cases["happy"], "--format", "pdf", now=NOW)
    assert result.code == 4
    assert "text, json, html" in result.err
