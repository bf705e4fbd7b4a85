"""The procedure importer: reading published tables, reporting their defects, refusing bad input, and reproducing
the library in bpmn/ byte for byte from tests/fixtures/seed004.txt."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from lxml import etree
from typer.testing import CliRunner

from engine.cli.import_cmd import register
from engine.errors import InvalidInput, NotFound
from engine.importer import PerformerRules, import_procedures, load_catalog, plan_import, write_import
from engine.importer.text_tables import DAYS, UNSPECIFIED, WORKING_DAYS, parse_duration

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed004.txt"
LIBRARY = ROOT / "bpmn"
PROCESS_IDS = ["tdc_qt01", "tdc_qt02", "tdc_qt03", "tdc_qt04", "tdc_qt05", "cns_qt01", "cns_qt02"]
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

HEADER = "Thứ tự công việc\tNội dung công việc\tNgười thực hiện\tThời gian thực hiện (Ngày làm việc)"
STEPS = [
    ("Bước 1", "Tiếp nhận hồ sơ", "Công chức TTPVHCC tỉnh", "0,5 ngày làm việc"),
    ("Bước 2", "Phân công thụ lý", "Lãnh đạo phòng Quản lý Tiêu chuẩn Đo lường chất lượng", "0,5 ngày làm việc"),
    ("Bước 3", "Thẩm định hồ sơ", "Công chức phòng Quản lý Tiêu chuẩn Đo lường chất lượng", "01 ngày làm việc"),
    ("Bước 4", "Xem xét, trình ký", "Lãnh đạo phòng Quản lý Tiêu chuẩn Đo lường chất lượng", "0,5 ngày làm việc"),
    ("Bước 5", "Phê duyệt", "Giám đốc Sở", "0,25 ngày làm việc"),
    ("Bước 6", "Vào sổ, đóng dấu", "Văn thư Sở", "0,25 ngày làm việc"),
    ("Bước 7", "Trả kết quả", "Công chức TTPVHCC tỉnh", "Không tính thời gian"),
]
ITEM = "- Thủ tục thử nghiệm – Mã TTHC: **1.000001**"


def document(
    steps: list[tuple[str, ...]] = STEPS,
    total: str = "03 ngày làm việc",
    header: str = HEADER,
    items: tuple[str, ...] = (ITEM,),
) -> str:
    """A one-procedure table laid out as in seed 004: heading line 1, group line 3, item line 6, header line 8,
    "Bước k" on line 8 + k, the total right after the steps."""
    lines = [
        "I. LĨNH VỰC TIÊU CHUẨN, ĐO LƯỜNG, CHẤT LƯỢNG (01 QT)",
        "",
        "Quy trình số: 01",
        "",
        "1. Quy trình nội bộ giải quyết TTHC:",
        *items,
        "",
        header,
        *("\t".join(step) for step in steps),
        f"\tTổng thời gian giải quyết TTHC\t\t{total}",
    ]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str | bytes, name: str = "qt.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def refusal(tmp_path: Path, text: str | bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        plan_import([write(tmp_path, text)])
    return caught.value


def warning_codes(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    return [(w.code, w.line) for w in plan_import([write(tmp_path, text)]).warnings]


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A group, as in the real app, so the command keeps its name."""

    register(app)
    return app


# --- the library --------------------------------------------------------------------------------------------------


def test_importing_seed_004_reproduces_the_library_byte_for_byte(tmp_path: Path) -> None:
    result = import_procedures([SEED], tmp_path)
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted([f"{pid}.bpmn" for pid in PROCESS_IDS] + ["catalog.json"])
    for name in written:
        assert (tmp_path / name).read_bytes() == (LIBRARY / name).read_bytes(), (
            f"bpmn/{name} is out of date: run scripts/regenerate_library.py"
        )
    assert [path.name for path in result.files] == [f"{pid}.bpmn" for pid in PROCESS_IDS] + ["catalog.json"]


def test_seed_004_defects_are_reported_as_warnings_with_their_lines() -> None:
    warnings = [(w.code, w.line) for w in plan_import([SEED]).warnings]
    assert warnings == [
        ("draft_decision", 7),
        ("ocr_typo", 16),  # "kiểm định viện"
        ("duplicate_name", 78),  # 1.014889 has 1.014888's name
        ("ocr_typo", 104),  # "hện trả"
        ("missing_code", 122),
        ("unit_is_calendar_days", 125),
        ("ocr_typo", 126),  # "Bru chính"
        ("suspicious_allotment", 126),  # 10,25 days to assign a dossier
        ("foreign_department", 128),
        ("foreign_department", 129),
        ("missing_code", 140),
        ("missing_code", 142),
        ("missing_code", 144),
        ("unit_is_calendar_days", 147),
        ("foreign_department", 148),
        ("foreign_department", 149),
        ("foreign_department", 150),
    ]


def test_the_duplicate_name_warning_names_both_codes() -> None:
    warning = next(w for w in plan_import([SEED]).warnings if w.code == "duplicate_name")
    assert "1.014889" in warning.message_vi and "1.014888" in warning.message_vi
    assert warning.file == "seed004.txt"


def test_the_ocr_typo_bru_is_matched_as_the_digital_department_and_kept_in_the_documentation() -> None:
    rules = PerformerRules.load()
    performer = "Lãnh đạo phòng Quản lý Bru chính, Viễn thông và Chuyển đổi số"
    assert [f.key for f in rules.fields_named_in(performer)] == ["cns"]
    assert rules.lane_for(performer) == "department_leader"
    text = (LIBRARY / "cns_qt01.bpmn").read_text(encoding="utf-8")
    assert "Quản lý Bru chính" in text


def test_uncoded_digital_procedures_get_the_stable_local_keys() -> None:
    entries = {e.code: e for e in plan_import([SEED]).entries}
    local = {code: (e.process_id, e.name.split(" ")[2]) for code, e in entries.items() if e.code_source == "local"}
    assert local == {
        "CNS.01": ("cns_qt01", "thử"),
        "CNS.02.1": ("cns_qt02", "gia"),
        "CNS.02.2": ("cns_qt02", "kết"),
        "CNS.02.3": ("cns_qt02", "điều"),
    }


def test_page_break_artefacts_are_absorbed_into_the_step_they_split() -> None:
    plan = plan_import([SEED])
    qt05 = next(p for p in plan.documents[0].procedures if p.process_id == "tdc_qt05")
    step1 = qt05.steps[0]
    # Row split across a repeated table header (lines 104–107).
    assert "quét (scan) và lưu trữ hồ sơ điện tử" in step1.content
    assert step1.performer.endswith(
        "công chức TTPVHCC các xã, phường được giao tiếp nhận hồ sơ lĩnh vực tiêu chuẩn, đo lường, chất lượng"
    )
    assert (len(qt05.steps), qt05.total.days, qt05.total_line) == (7, Decimal("10"), 116)
    qt02 = next(p for p in plan.documents[0].procedures if p.process_id == "tdc_qt02")
    # Row continued after a blank line (lines 44–46).
    assert qt02.steps[6].content.endswith("tại Trung tâm phục vụ hành chính công")
    assert "của tổ chức cung cấp dịch vụ kiểm định" in qt02.steps[6].content


def test_the_catalog_reads_back_with_all_22_codes() -> None:
    entries = load_catalog(LIBRARY / "catalog.json")
    assert len(entries) == 22
    assert len({e.code for e in entries}) == 22
    assert {e.process_id for e in entries} == set(PROCESS_IDS)
    qt03 = [e for e in entries if e.process_id == "tdc_qt03"]
    assert [(e.code, e.total_working_days, e.reception_decision) for e in qt03] == [
        ("3.000450", Decimal("5"), "reception_check_tdc"),
        ("3.000463", Decimal("5"), "reception_check_tdc"),
    ]


# --- reading times ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default_unit", "days", "unit"),
    [
        ("0,25 ngày làm việc", None, Decimal("0.25"), WORKING_DAYS),
        ("10,25 ngày", None, Decimal("10.25"), DAYS),
        ("01 ngày", None, Decimal("1"), DAYS),
        ("04 ngày làm việc", None, Decimal("4"), WORKING_DAYS),
        ("1.5 ngày làm việc", None, Decimal("1.5"), WORKING_DAYS),
        ("04", WORKING_DAYS, Decimal("4"), WORKING_DAYS),
        ("04", None, Decimal("4"), UNSPECIFIED),
        ("Không tính thời gian", WORKING_DAYS, None, None),
    ],
)
def test_time_cells_are_read_with_decimal_commas_and_units(text, default_unit, days, unit) -> None:
    duration = parse_duration(text, default_unit)
    assert (duration.days, duration.unit) == (days, unit)


def test_a_time_cell_that_is_not_a_duration_is_not_read() -> None:
    assert parse_duration("ba ngày", WORKING_DAYS) is None


# --- defects reported, not fixed ----------------------------------------------------------------------------------


def test_steps_that_do_not_add_up_to_the_total_are_reported_at_the_total_line(tmp_path: Path) -> None:
    assert warning_codes(tmp_path, document()) == []
    assert warning_codes(tmp_path, document(total="04 ngày làm việc")) == [("total_mismatch", 16)]


def test_a_number_without_unit_under_a_header_without_unit_is_reported(tmp_path: Path) -> None:
    header = HEADER.replace(" (Ngày làm việc)", "")
    steps = [step if step[0] != "Bước 3" else (*step[:3], "01") for step in STEPS]
    assert ("unit_missing", 11) in warning_codes(tmp_path, document(steps=steps, header=header))


def test_a_timed_return_step_is_reported_and_left_untimed(tmp_path: Path) -> None:
    steps = STEPS[:6] + [("Bước 7", "Trả kết quả", "Công chức TTPVHCC tỉnh", "0,25 ngày làm việc")]
    result = import_procedures([write(tmp_path, document(steps=steps))], tmp_path / "out")
    assert ("timed_return_step", 15) in [(w.code, w.line) for w in result.plan.warnings]
    tree = etree.parse(str(tmp_path / "out" / "tdc_qt01.bpmn"), SAFE_PARSER)
    assert tree.xpath("//*[@attachedToRef='return_result']") == []


def test_a_heading_count_of_internal_procedures_or_of_codes_is_not_a_mismatch(tmp_path: Path) -> None:
    two = (ITEM, "- Thủ tục khác – Mã TTHC: **1.000002**")
    assert warning_codes(tmp_path, document(items=two)) == []  # (01 QT): one "Quy trình số" serving two codes
    assert warning_codes(tmp_path, document(items=two).replace("(01 QT)", "(02 QT)")) == []  # two codes


def test_a_heading_count_that_matches_neither_is_reported_with_both_numbers(tmp_path: Path) -> None:
    two = (ITEM, "- Thủ tục khác – Mã TTHC: **1.000002**")
    path = write(tmp_path, document(items=two).replace("(01 QT)", "(03 QT)"))
    (warning,) = plan_import([path]).warnings
    assert (warning.code, warning.line) == ("count_mismatch", 1)
    assert warning.message_vi.endswith("ghi 3 quy trình nhưng tìm thấy 1 quy trình nội bộ cho 2 thủ tục.")


def test_strict_import_writes_nothing_when_there_are_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InvalidInput, match="17 cảnh báo và đã bật --strict") as caught:
        import_procedures([SEED], out, strict=True)
    assert not out.exists()
    assert len(caught.value.details["warnings"]) == 17


# --- bad input --------------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    err = refusal(tmp_path, "\n \n")
    assert err.message == "Tệp 'qt.txt' rỗng (dòng 1): không có bảng quy trình nào."
    assert err.exit_code == 4


def test_an_unreadable_encoding_is_refused_with_its_line(tmp_path: Path) -> None:
    # A legacy 8-bit encoding on line 3: "ì" as the single byte 0xEC.
    data = document().encode("utf-8").replace("Quy trình".encode(), "Quy trình".encode("latin-1"))
    err = refusal(tmp_path, data)
    assert "không phải văn bản UTF-8: byte không đọc được ở dòng 3" in err.message
    assert err.details["line"] == 3


def test_a_utf16_file_with_its_bom_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xff\xfe" + document().encode("utf-16-le"))
    assert [p.process_id for p in plan_import([path]).documents[0].procedures] == ["tdc_qt01"]


def test_a_table_whose_columns_cannot_be_found_is_refused_with_the_header_line(tmp_path: Path) -> None:
    header = "Thứ tự công việc\tNội dung công việc\tThời gian thực hiện (Ngày làm việc)"
    err = refusal(tmp_path, document(header=header))
    assert "ở dòng 8 thiếu cột: Người thực hiện" in err.message
    assert err.details["line"] == 8


def test_steps_without_a_header_row_are_refused_with_their_line(tmp_path: Path) -> None:
    err = refusal(tmp_path, document(header=""))
    assert "Dòng 9 của tệp 'qt.txt' là một bước của QT01" in err.message
    assert "không xác định được các cột" in err.message


def test_a_row_not_split_into_columns_is_refused_with_its_line(tmp_path: Path) -> None:
    steps = STEPS[:2] + [("Bước 3 Thẩm định hồ sơ Công chức phòng 01 ngày làm việc",)] + STEPS[3:]
    err = refusal(tmp_path, document(steps=steps))
    assert err.message == (
        "Dòng 11 nằm trong bảng các bước của QT01 lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng "
        "nhưng không có các cột ngăn bởi dấu tab."
    )


def test_a_step_without_a_time_is_refused_with_its_line(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 4" else (*step[:3], "") for step in STEPS]
    err = refusal(tmp_path, document(steps=steps))
    assert err.message == (
        "Bước 4 ở dòng 12 (QT01 lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng) không có thời gian thực hiện."
    )


def test_an_unreadable_time_is_refused_with_its_line(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 3" else (*step[:3], "hai ngày") for step in STEPS]
    err = refusal(tmp_path, document(steps=steps))
    assert err.message.startswith(
        "Bước 3 ở dòng 11 (QT01 lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng) có thời gian \"hai ngày\""
    )


def test_an_unknown_performer_fails_its_procedure_with_its_line_and_the_rule_to_add(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 5" else (step[0], step[1], "Hội đồng thẩm định", step[3]) for step in STEPS]
    plan = plan_import([write(tmp_path, document(steps=steps))])
    assert plan.processes == () and plan.entries == ()
    (failure,) = plan.failures
    assert (failure.code, failure.line, failure.process_id) == ("unknown_performer", 13, "tdc_qt01")
    assert failure.message_vi.startswith(
        "Không xác định được làn của người thực hiện \"Hội đồng thẩm định\" ở bước 5, dòng 13 "
        "(theo mẫu một cửa: làn \"Lãnh đạo Sở\") (QT01 lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng)"
    )
    assert failure.suggestion == '[[lanes]]\ngroup = "director"\nstarts_with_any = ["hội đồng thẩm định"]'
    with pytest.raises(InvalidInput, match="Không ghi tệp nào: không quy trình nào xếp được") as caught:
        write_import(plan, tmp_path / "out")
    assert caught.value.exit_code == 4 and not (tmp_path / "out").exists()


def test_a_designer_extends_the_rules_to_accept_a_new_performer(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 5" else (step[0], step[1], "Thủ trưởng cơ quan", step[3]) for step in STEPS]
    source = write(tmp_path, document(steps=steps))
    assert plan_import([source]).failures[0].suggestion == (
        '[[lanes]]\ngroup = "director"\nstarts_with_any = ["thủ trưởng cơ quan"]'
    )
    packaged = (ROOT / "engine" / "data" / "performer_rules.toml").read_text(encoding="utf-8")
    extended = packaged + '\n[[lanes]]\ngroup = "director"\nstarts_with_any = ["thủ trưởng cơ quan"]\n'
    rules = PerformerRules.from_toml(extended, "rules.toml")
    plan = plan_import([source], rules)
    assert plan.failures == ()
    approve = etree.fromstring(plan.processes[0].content, SAFE_PARSER).xpath("//*[@id='approve']")[0]
    assert approve.get("{http://camunda.org/schema/1.0/bpmn}candidateGroups") == "director"


def test_a_table_that_breaks_the_one_stop_pattern_fails_its_procedure_naming_the_step(tmp_path: Path) -> None:
    steps = [STEPS[0], STEPS[2], STEPS[1], *STEPS[3:]]
    steps = [(f"Bước {i}", *step[1:]) for i, step in enumerate(steps, 1)]
    (failure,) = plan_import([write(tmp_path, document(steps=steps))]).failures
    assert (failure.code, failure.line, failure.suggestion) == ("pattern_mismatch", 10, None)
    assert (
        "bước 2 ở dòng 10 thuộc làn \"Công chức thụ lý\", cần một bước của làn \"Lãnh đạo phòng chuyên môn\""
        in failure.message_vi
    )


def test_steps_out_of_order_are_refused(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 3" else ("Bước 4", *step[1:]) for step in STEPS]
    err = refusal(tmp_path, document(steps=steps))
    assert "Bước 4 ở dòng 11 của QT01 lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng không đúng thứ tự" in err.message


def test_text_after_the_total_row_ends_the_table(tmp_path: Path) -> None:
    text = document() + "\nNơi nhận:\n- Như trên;\n"
    assert [p.last_line for p in plan_import([write(tmp_path, text)]).documents[0].procedures] == [16]


def test_a_missing_total_is_refused(tmp_path: Path) -> None:
    text = document().replace("\tTổng thời gian giải quyết TTHC\t\t03 ngày làm việc\n", "")
    assert "không có dòng \"Tổng thời gian giải quyết TTHC\"" in refusal(tmp_path, text).message


def test_an_unknown_field_gets_a_key_from_its_heading_reported_as_a_warning(tmp_path: Path) -> None:
    plan = plan_import([write(tmp_path, document().replace("TIÊU CHUẨN, ĐO LƯỜNG, CHẤT LƯỢNG", "SỞ HỮU TRÍ TUỆ"))])
    assert [p.process_id for p in plan.processes] == ["so_huu_tri_tue_qt01"]
    assert [(e.field, e.field_name, e.reception_decision) for e in plan.entries] == [
        ("so_huu_tri_tue", "Sở hữu trí tuệ", "reception_check_so_huu_tri_tue")
    ]
    warning = plan.warnings[0]
    assert (warning.code, warning.line) == ("derived_field_key", 1)
    # The table's units are still the TĐC department's: reported, not guessed away.
    assert {w.code for w in plan.warnings[1:]} == {"foreign_department"}
    assert "--field-key \"SỞ HỮU TRÍ TUỆ=KHÓA\"" in warning.message_vi


def test_the_same_code_in_two_groups_is_refused(tmp_path: Path) -> None:
    text = document() + "\n" + document().split("\n", 1)[1].replace("Quy trình số: 01", "Quy trình số: 02")
    err = refusal(tmp_path, text)
    assert err.message.startswith("Mã TTHC 1.000001 ở qt.txt dòng 22 đã dùng ở qt.txt dòng 6")


def test_text_from_the_table_is_escaped_in_the_xml(tmp_path: Path) -> None:
    steps = [step if step[0] != "Bước 3" else (step[0], 'Thẩm định <mẫu> & "ghi chú"', *step[2:]) for step in STEPS]
    plan = plan_import([write(tmp_path, document(steps=steps))])
    appraise = etree.fromstring(plan.processes[0].content, SAFE_PARSER).xpath("//*[@id='appraise']")[0]
    assert appraise.get("name") == 'Bước 3: Thẩm định <mẫu> & "ghi chú"'


def test_a_missing_input_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="Không tìm thấy tệp quy trình") as caught:
        plan_import([tmp_path / "missing.txt"])
    assert caught.value.exit_code == 3


def test_a_missing_rules_file_is_not_found() -> None:
    with pytest.raises(NotFound, match="Không tìm thấy tệp quy tắc người thực hiện"):
        PerformerRules.load(Path("/nonexistent/rules.toml"))


def test_a_rules_file_with_an_unknown_group_is_refused() -> None:
    with pytest.raises(InvalidInput, match="group 'boss' không hợp lệ"):
        PerformerRules.from_toml('[[lanes]]\ngroup = "boss"\ncontains_any = ["sếp"]\n', "r.toml")


def test_a_catalog_with_a_wrong_field_is_refused_naming_where(tmp_path: Path) -> None:
    data = json.loads((LIBRARY / "catalog.json").read_text(encoding="utf-8"))
    data["procedures"][3]["total_working_days"] = "ba"
    path = write(tmp_path, json.dumps(data, ensure_ascii=False), "catalog.json")
    with pytest.raises(InvalidInput, match="không hợp lệ tại procedures/3/total_working_days"):
        load_catalog(path)


# --- the command --------------------------------------------------------------------------------------------------


def test_the_command_prints_one_json_document_and_exits_0_with_warnings(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["import-procedures", str(SEED), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"procedures", "files", "warnings", "failed"}
    assert data["failed"] == []
    assert len(data["procedures"]) == 22
    assert data["files"][-1] == str(tmp_path / "catalog.json")
    assert data["warnings"][7] == {
        "code": "suspicious_allotment",
        "line": 126,
        "message_vi": (
            "Bước 2 (phân công thụ lý) của QT01 lĩnh vực Công nghiệp công nghệ số ở dòng 126 được giao 10,25 ngày, "
            "nhiều hơn mức 2 ngày cho việc phân công: cần đối chiếu với văn bản gốc."
        ),
        "file": "seed004.txt",
    }
    assert result.stderr == ""


def test_the_command_prints_warnings_on_stderr_and_files_on_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["import-procedures", str(SEED), "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert f"Đã ghi {tmp_path / 'cns_qt02.bpmn'} (3 thủ tục, 15 ngày làm việc)" in result.stdout
    assert f"Đã ghi danh mục {tmp_path / 'catalog.json'} (22 thủ tục)." in result.stdout
    assert "Cảnh báo seed004.txt:147 [unit_is_calendar_days]" in result.stderr
    assert "Cảnh báo" not in result.stdout


def test_the_command_with_strict_fails_with_invalid_input_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli(), ["import-procedures", str(SEED), "--out", str(out), "--strict"])
    assert isinstance(result.exception, InvalidInput) and result.exception.exit_code == 4
    assert "Cảnh báo seed004.txt:7 [draft_decision]" in result.stderr
    assert not out.exists()
