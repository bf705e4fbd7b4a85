"""The importer on another department's tables (issue 16, part 5): tests/fixtures/import_any_department.txt is laid
out as the published appendix (seed 004) but its fields ("Sở hữu trí tuệ", "Hoạt động khoa học và công nghệ") and
its performers ("Lãnh đạo Trung tâm Thông tin, Thống kê KH&CN", "Viên chức Trung tâm …", "Chi cục trưởng …",
"Bộ phận Một cửa (…)") appear nowhere else in the repository. QT03 of the first field has a performer no role
pattern places ("Tổ thư ký Hội đồng …", line 51)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from lxml import etree
from typer.testing import CliRunner

from engine.cli.import_cmd import register
from engine.errors import EngineError, InvalidInput
from engine.importer import FieldKeys, PerformerRules, plan_import
from engine.importer.fields import derive_key, slug
from engine.importer.roles import role_group
from engine.importer.lanes import normalise
from engine.library import library_paths
from library_driver import CaseDriver

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "fixtures" / "import_any_department.txt"
SAMPLE_RULES = ROOT / "docs" / "performer_rules.sample.toml"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
SHTT, KHCN = "so_huu_tri_tue", "hoat_dong_khoa_hoc_va_cong_nghe"
WRITTEN = [f"{SHTT}_qt01", f"{SHTT}_qt02", f"{KHCN}_qt01"]


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A group, as in the real app, so the command keeps its name."""

    register(app)
    return app


def run(*args: str):
    return CliRunner().invoke(cli(), ["import-procedures", *args])


def exit_code(result) -> int:
    """The process's exit code: an EngineError is mapped to its code by `engine.cli.main.run`, outside typer."""
    return result.exception.exit_code if isinstance(result.exception, EngineError) else result.exit_code


def groups_of(path: Path) -> dict[str, str]:
    tree = etree.parse(str(path), SAFE_PARSER)
    return {task.get("id"): task.get(CAMUNDA + "candidateGroups") for task in tree.iter("{*}userTask")}


def reception_decision(key: str) -> str:
    """The smallest reception check a designer would write for a new field: every dossier is complete."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_reception_check_{key}"
  name="Kiểm tra hồ sơ" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="reception_check_{key}" name="Kiểm tra hồ sơ">
    <decisionTable id="DecisionTable_{key}" hitPolicy="FIRST">
      <input id="Input_code" label="Mã thủ tục">
        <inputExpression id="InputExpression_code" typeRef="string"><text>procedure_code</text></inputExpression>
      </input>
      <output id="Output_result" label="Kết quả" name="result" typeRef="string" />
      <output id="Output_missing" label="Còn thiếu" name="missing" typeRef="string" />
      <rule id="Rule_{key}_complete">
        <inputEntry id="UnaryTests_{key}_1"><text>-</text></inputEntry>
        <outputEntry id="LiteralExpression_{key}_1"><text>"complete"</text></outputEntry>
        <outputEntry id="LiteralExpression_{key}_2"><text>""</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_no_packaged_rule_seed_or_library_file_names_the_fixture_fields_or_performers() -> None:
    """The fixture is placed by role patterns and derived keys, not by wording added for it."""
    plan = plan_import([SOURCE])
    performers = {normalise(step.performer) for doc in plan.documents for p in doc.procedures for step in p.steps}
    seed = plan_import([ROOT / "tests" / "fixtures" / "seed004.txt"])
    assert performers & {normalise(s.performer) for d in seed.documents for p in d.procedures for s in p.steps} == set()
    fragments = {"thống kê kh&cn", "chi cục trưởng", "sở hữu trí tuệ", "hoạt động khoa học và công nghệ",
                 "tổ thư ký", "trung tâm thông tin", "viên chức"}
    sources = [ROOT / "engine" / "data" / "performer_rules.toml", ROOT / "tests" / "fixtures" / "seed004.txt"]
    sources += sorted((ROOT / "bpmn").iterdir()) + sorted((ROOT / "forms").iterdir())
    for path in sources:
        text = normalise(path.read_text(encoding="utf-8"))
        for fragment in fragments:
            assert normalise(fragment) not in text, f"{fragment!r} is in {path}"


@pytest.mark.parametrize(
    ("performer", "group"),
    [
        ("Lãnh đạo Trung tâm Thông tin, Thống kê KH&CN", "department_leader"),
        ("Viên chức Trung tâm Thông tin, Thống kê KH&CN được phân công", "staff"),
        ("Chi cục trưởng Chi cục Tiêu chuẩn Đo lường Chất lượng", "department_leader"),
        ("Phó Chi cục trưởng phụ trách", "department_leader"),
        ("Phó Giám đốc Trung tâm Thông tin, Thống kê KH&CN", "department_leader"),
        ("Phó Giám đốc Sở được phân công", "director"),
        ("Phó Giám đốc", "director"),
        ("Chuyên viên phòng Quản lý khoa học", "staff"),
        ("Văn thư Sở", "records_clerk"),
        ("Bộ phận Một cửa (Trung tâm Phục vụ hành chính công tỉnh)", "reception"),
        ("Chuyên viên của Sở tại Trung tâm Phục vụ hành chính công", "reception"),
        ("Văn phòng UBND tỉnh", "provincial_office"),
        ("Chuyên viên Phòng Kinh tế ngành - Văn phòng Ủy ban nhân dân tỉnh", "provincial_office"),
        ("Trưởng phòng Quản lý khoa học", "department_leader"),
        ("Tổ thư ký Hội đồng xét tặng giải thưởng", None),
        ("Văn thưởng", None),
    ],
)
def test_role_patterns_place_a_performer_whatever_unit_follows(performer: str, group: str | None) -> None:
    assert role_group(normalise(performer)) == group


def test_new_fields_and_wordings_are_written_and_the_unplaceable_procedure_alone_fails(tmp_path: Path) -> None:
    result = run(str(SOURCE), "--out", str(tmp_path), "--json")
    assert exit_code(result) == 4, result.output
    data = json.loads(result.stdout)
    assert [Path(f).name for f in data["files"]] == [f"{pid}.bpmn" for pid in WRITTEN] + ["catalog.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(Path(f).name for f in data["files"])
    assert [(p["code"], p["process_id"]) for p in data["procedures"]] == [
        ("2.002307", f"{SHTT}_qt01"),
        ("2.002311", f"{SHTT}_qt02"),
        ("2.002312", f"{SHTT}_qt02"),
        ("1.008371", f"{KHCN}_qt01"),
        ("1.008374", f"{KHCN}_qt01"),
    ]
    (failure,) = data["failed"]
    assert (failure["code"], failure["file"], failure["line"], failure["process_id"]) == (
        "unknown_performer", SOURCE.name, 51, f"{SHTT}_qt03"
    )
    assert failure["suggestion"] == '[[lanes]]\ngroup = "department_leader"\nstarts_with_any = ["tổ thư ký"]'
    assert [(w["code"], w["line"]) for w in data["warnings"]] == [("derived_field_key", 7), ("derived_field_key", 57)]
    assert "2.002315" not in (tmp_path / "catalog.json").read_text(encoding="utf-8")


def test_each_new_wording_lands_in_its_lane(tmp_path: Path) -> None:
    run(str(SOURCE), "--out", str(tmp_path))
    one_stop = {"receive": "reception", "assign": "department_leader", "appraise": "staff",
                "review": "department_leader", "approve": "director", "register": "records_clerk",
                "return_result": "reception"}
    for pid in WRITTEN:
        groups = groups_of(tmp_path / f"{pid}.bpmn")
        expected = dict(one_stop, **({"provincial_decide": "provincial_office"} if pid.endswith("qt02") else {}))
        assert {task: groups[task] for task in expected} == expected, pid


def test_the_failure_is_printed_with_its_line_and_rule_and_the_exit_code_is_4(tmp_path: Path) -> None:
    result = run(str(SOURCE), "--out", str(tmp_path))
    assert exit_code(result) == 4
    assert isinstance(result.exception, InvalidInput)
    assert "1 quy trình không ghi được (xem ở trên); 3 quy trình còn lại đã được ghi" in str(result.exception)
    assert f"Lỗi {SOURCE.name}:51 [unknown_performer]" in result.stderr
    assert 'starts_with_any = ["tổ thư ký"]' in result.stderr
    assert f"Cảnh báo {SOURCE.name}:7 [derived_field_key]" in result.stderr
    assert f"Đã ghi {tmp_path / (SHTT + '_qt02.bpmn')} (2 thủ tục, 6.75 ngày làm việc)" in result.stdout


def test_strict_stops_on_the_failure_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(str(SOURCE), "--out", str(out), "--strict")
    assert exit_code(result) == 4
    assert "1 quy trình không xếp được và đã bật --strict (đầu tiên: import_any_department.txt dòng 51" in str(
        result.exception
    )
    assert not out.exists()


def test_the_suggested_rule_in_a_rules_file_of_ones_own_places_the_last_procedure(tmp_path: Path) -> None:
    first = plan_import([SOURCE]).failures[0]
    rules = tmp_path / "so_khcn_lang_son.toml"
    rules.write_text(SAMPLE_RULES.read_text(encoding="utf-8") + "\n" + first.suggestion + "\n", encoding="utf-8")
    result = run(str(SOURCE), "-o", str(tmp_path / "out"), "--rules", str(rules), "--json")
    assert exit_code(result) == 0, result.output
    data = json.loads(result.stdout)
    assert data["failed"] == []
    # The sample's [fields.shtt] names the heading, so its key replaces the derived one (and its warning).
    assert [Path(f).name for f in data["files"]][:3] == ["shtt_qt01.bpmn", "shtt_qt02.bpmn", "shtt_qt03.bpmn"]
    assert [(w["code"], w["line"]) for w in data["warnings"]] == [("derived_field_key", 57)]
    assert groups_of(tmp_path / "out" / "shtt_qt03.bpmn")["review"] == "department_leader"


def test_field_key_overrides_the_derived_key_and_silences_its_warning(tmp_path: Path) -> None:
    plan = plan_import([SOURCE], field_keys=FieldKeys.parse(["Sở hữu trí tuệ=shtt", "HOẠT ĐỘNG KHOA HỌC VÀ CÔNG NGHỆ=khcn"]))
    assert [p.process_id for p in plan.processes] == ["shtt_qt01", "shtt_qt02", "khcn_qt01"]
    assert [w.code for w in plan.warnings] == []
    assert {e.reception_decision for e in plan.entries} == {"reception_check_shtt", "reception_check_khcn"}


def test_field_key_for_a_heading_the_input_lacks_or_a_bad_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="--field-key nêu đề mục \"năng lượng nguyên tử\""):
        plan_import([SOURCE], field_keys=FieldKeys.parse(["Năng lượng nguyên tử=nlnt"]))
    with pytest.raises(InvalidInput, match="có đúng một lĩnh vực chưa có trong tệp quy tắc"):
        plan_import([SOURCE], field_keys=FieldKeys.parse(["shtt"]))
    result = run(str(SOURCE), "--out", str(tmp_path / "out"), "--field-key", "Sở hữu trí tuệ=SHTT")
    assert exit_code(result) == 4 and "khóa 'SHTT' phải bắt đầu bằng chữ thường" in str(result.exception)
    assert not (tmp_path / "out").exists()


def test_a_derived_key_is_the_ascii_slug_of_the_heading_and_stable() -> None:
    assert slug("SỞ HỮU TRÍ TUỆ") == "so_huu_tri_tue"
    assert derive_key("Đo lường, chất lượng") == "do_luong_chat_luong"
    assert derive_key("KHOA HỌC, CÔNG NGHỆ VÀ ĐỔI MỚI SÁNG TẠO CẤP TỈNH") == "khoa_hoc_cong_nghe_va_doi_moi"
    assert len(derive_key("Năng lượng nguyên tử, an toàn bức xạ và hạt nhân cấp tỉnh")) <= 32
    assert derive_key("3 LĨNH VỰC") == "f_3_linh_vuc"


def test_the_written_diagrams_deploy_and_a_case_runs_on_them(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert exit_code(run(str(SOURCE), "--out", str(out))) == 4  # QT03 is reported, the rest is written
    for key in (SHTT, KHCN):
        (out / f"reception_check_{key}.dmn").write_text(reception_decision(key), encoding="utf-8")
    bpmn, forms = library_paths()
    shutil.copy(bpmn / "appraisal_routing.dmn", out)
    result = cli("deploy", str(out), str(forms), "--json")
    assert result.code == 0, result.err
    case = CaseDriver(cli, "1.008374")
    view = case.start("2026-03-02T08:00")
    assert view["due_at"] == "2026-03-09T08:00:00+07:00"  # 5 working days
    assert case.task("receive")["due_at"] == "2026-03-02T10:00:00+07:00"  # PT2H
    case.do("receive", "2026-03-02T09:00")
    assert case.open_elements("2026-03-02T09:01") == ["assign"]


def test_the_documented_sample_rules_file_loads_and_places_its_example() -> None:
    rules = PerformerRules.load(SAMPLE_RULES)
    assert rules.lane_for("Thủ trưởng cơ quan") == "director"
    assert rules.lane_for("Lãnh đạo Trung tâm Thông tin") == "department_leader"  # role patterns still apply
