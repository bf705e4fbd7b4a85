"""The tracking book (form 07): one line per dossier presented at the desk, numbered continuously per year."""

from __future__ import annotations

import csv
import io

from lxml import etree

from test_audit_scenarios import clone, library  # noqa: F401 - shared fixtures

NOW = "2026-03-20T08:00"


def test_the_book_numbers_dossiers_in_receipt_order_and_keeps_numbers_when_printing_part_of_the_year(library):
    cli = library.cli()
    whole = cli("book", "--from", "2026-03-01", "--to", "2026-03-31", "--json", now=NOW).json()
    assert [r["no"] for r in whole["rows"]] == list(range(1, len(library.cases) + 1))
    assert [r["case_id"] for r in whole["rows"]] == sorted(library.cases.values())
    part = cli("book", "--from", "2026-03-03", "--to", "2026-03-03", "--json", now=NOW).json()
    numbers = {r["case_id"]: r["no"] for r in whole["rows"]}
    assert [(r["case_id"], r["no"]) for r in part["rows"]] == [(cid, numbers[cid]) for cid in sorted(
        c for c in library.cases.values() if c.startswith("SKHCN-260303"))]
    assert part["rows"][0]["no"] == 10


def test_a_book_line_carries_the_dossier_its_dates_and_what_became_of_it(library):
    doc = library.cli()("book", "--from", "2026-03-02", "--to", "2026-03-02", "--json", now=NOW).json()
    rows = {r["case_id"]: r for r in doc["rows"]}
    happy = rows[library.cases["happy"]]
    assert (happy["sets"], happy["contact"]) == (1, "Số 12 phố Kim Đồng, Cao Bằng, 0912345678")
    assert (happy["received_at"], happy["due_at"], happy["resolved_at"], happy["returned_at"]) == (
        "2026-03-02T08:00:00+07:00", "2026-03-05T08:00:00+07:00", "2026-03-03T08:00:00+07:00",
        "2026-03-03T09:00:00+07:00")
    assert rows[library.cases["refused_at_reception"]]["notes"] == "Từ chối tiếp nhận hồ sơ"
    assert "Hẹn lại theo phiếu xin lỗi: 17:30 10/03/2026" in rows[library.cases["apology"]]["notes"]
    assert doc["form"]["number"] == "07" and doc["form"]["title"] == "SỔ THEO DÕI HỒ SƠ"


def test_numbering_starts_again_at_one_with_each_year(clone):
    for received in ("2025-12-30T09:00", "2025-12-31T09:00"):
        started = clone("start", "1.014881", "--applicant", "Bà Lục Thị Hoa", "--received-at", received, "--json",
                        now="2026-03-20T08:00", user="lan")
        assert started.code == 0, started.err
    doc = clone("book", "--from", "2025-12-01", "--to", "2026-03-02", "--json", now=NOW).json()
    assert [(r["year"], r["no"]) for r in doc["rows"]][:4] == [(2025, 1), (2025, 2), (2026, 1), (2026, 2)]


def test_the_book_prints_as_csv_with_the_official_column_labels(library):
    out = library.cli()("book", "--from", "2026-03-02", "--to", "2026-03-02", "--format", "csv", now=NOW).out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["Số thứ tự", "Mã hồ sơ", "Tên thủ tục hành chính"]
    assert rows[1][:2] == ["1", library.cases["happy"]] and rows[1][7] == "08:00 02/03/2026"
    assert len(rows) == 1 + sum(1 for c in library.cases.values() if c.startswith("SKHCN-260302"))


def test_the_book_prints_as_a_self_contained_html_table(library):
    out = library.cli()("book", "--from", "2026-03-02", "--to", "2026-03-02", "--format", "html", now=NOW).out
    page = etree.fromstring(out.split("\n", 1)[1], etree.HTMLParser())
    assert page.findtext(".//h1") == "SỔ THEO DÕI HỒ SƠ"
    assert len(page.findall(".//tbody/tr")) == 9 and "<script" not in out


def test_a_period_ending_before_it_starts_is_refused(library):
    result = library.cli()("book", "--from", "2026-03-31", "--to", "2026-03-01", now=NOW)
    assert result.code == 4 and "trước ngày bắt đầu" in result.err


def test_a_malformed_date_is_refused_naming_the_option(library):
    result = library.cli()("book", "--from", "31/03/2026", "--to", "2026-03-31", now=NOW)
    assert result.code == 4 and "--from" in result.err
