"""The receipt and the notices (forms 01–05), printed from each case's own data and events."""

from __future__ import annotations

import pytest
from lxml import etree

from test_audit_scenarios import library  # noqa: F401 - session fixture

NOW = "2026-03-20T08:00"


def _notice(library, scenario: str, kind: str) -> dict:
    result = library.cli()("notice", library.cases[scenario], kind, "--json", now=NOW)
    assert result.code == 0, result.err
    return result.json()


def test_the_receipt_gives_the_appointment_components_and_book_number(library):
    doc = _notice(library, "happy", "receipt")
    assert (doc["form"]["number"], doc["form"]["title"]) == ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    text = "\n".join(doc["paragraphs"])
    assert "Thời gian nhận hồ sơ: 08 giờ 00 phút, ngày 02/03/2026" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: 08 giờ 00 phút, ngày 05/03/2026" in text
    assert "Đơn đề nghị (theo mẫu)" in text and "Số lượng hồ sơ: 1 bộ" in text
    assert "Quyển số: 2026, Số thứ tự: 1" in text
    assert doc["signatures"][1] == {"title": "NGƯỜI TIẾP NHẬN HỒ SƠ", "name": "Nguyễn Thị Lan"}


@pytest.mark.parametrize("scenario, expected", [
    ("supplement", "Thiếu bản sao quyết định đã cấp"),
    ("supplement_at_desk", "Bản chính giấy chứng nhận hoặc quyết định đã được cấp"),
])
def test_the_supplement_request_lists_what_is_missing(library, scenario, expected):
    doc = _notice(library, scenario, "02")
    assert doc["kind"] == "supplement"
    assert f"Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau: {expected}" in doc["paragraphs"]


@pytest.mark.parametrize("scenario, reason", [
    ("refused_at_reception", "Thủ tục không thuộc thẩm quyền của Sở"),
    ("refusal", "Chuẩn đo lường không còn hiệu lực"),
])
def test_the_refusal_gives_the_reason(library, scenario, reason):
    doc = _notice(library, scenario, "refusal")
    assert any(p.endswith(f"với lý do: {reason}") for p in doc["paragraphs"])


def test_the_apology_gives_the_legal_due_time_the_reason_and_the_new_date(library):
    doc = _notice(library, "apology", "apology")
    text = "\n".join(doc["paragraphs"])
    assert "theo quy định: 08 giờ 00 phút, ngày 05/03/2026" in text
    assert "vì lý do: Cần xác minh thêm hồ sơ kỹ thuật của chuẩn đo lường" in text
    assert "vào 17 giờ 30 phút, ngày 10/03/2026" in text
    assert doc["signatures"] == [{"title": "THỦ TRƯỞNG CƠ QUAN", "name": "Hoàng Minh Sơn"}]


def test_the_stop_notice_gives_the_withdrawal_time_and_reason(library):
    doc = _notice(library, "withdrawal", "stop")
    assert doc["form"]["number"] == "05"
    assert ("Lúc 10 giờ 00 phút, ngày 02/03/2026, người nộp đề nghị rút hồ sơ với lý do: "
            "Người nộp xin rút để bổ sung hồ sơ.") in doc["paragraphs"]


def test_a_notice_the_case_does_not_have_is_refused_saying_why(library):
    result = library.cli()("notice", library.cases["happy"], "apology", now=NOW)
    assert result.code == 5
    assert result.err.strip() == (f"Lỗi: Hồ sơ '{library.cases['happy']}' không có phiếu xin lỗi và hẹn lại ngày trả "
                                  "kết quả: chưa có thư xin lỗi nào được lập.")


def test_an_unknown_kind_of_notice_is_refused_naming_the_choices(library):
    result = library.cli()("notice", library.cases["happy"], "07", now=NOW)
    assert result.code == 4 and "receipt, supplement, refusal, apology, stop" in result.err


def test_notices_print_as_text_and_as_self_contained_html(library):
    text = library.cli()("notice", library.cases["happy"], "receipt", now=NOW).out
    assert text.splitlines()[:3] == ["Mẫu số 01 — Thông tư số 03/2025/TT-VPCP của Văn phòng Chính phủ",
                                     "UBND TỈNH CAO BẰNG", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"]
    html = library.cli()("notice", library.cases["withdrawal"], "stop", "--format", "html", now=NOW).out
    page = etree.fromstring(html.split("\n", 1)[1], etree.HTMLParser())
    assert page.findtext(".//h1") == "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"
    assert any("Ông Nông Văn Bình" in (p.text or "") for p in page.iter("p"))
