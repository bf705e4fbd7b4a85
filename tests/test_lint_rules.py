"""The project's own diagram, form and decision-table rules (engine.lint), without Node."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import lint_cmd
from engine.errors import InvalidInput, NotFound
from engine.lint import collect_paths, lint_paths, modeler
from engine.lint.timer_values import is_valid_timer_value

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


def findings_of(path: Path) -> list[tuple[str, str | None]]:
    report = lint_paths([path], use_node=False)
    return [(finding.rule, finding.element_id) for finding in report.files[0].findings]


def variant_of_good(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = (FIXTURES / "good.bpmn").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "variant.bpmn"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["good.bpmn", "good.form", "good.dmn"])
def test_good_modeler_file_has_no_findings(name: str) -> None:
    report = lint_paths([FIXTURES / name], use_node=False)
    assert report.ok, report.to_dict()
    assert report.files[0].findings == []


@pytest.mark.parametrize(
    ("fixture", "rule", "element_id"),
    [
        ("bad_executable_process.bpmn", "executable-process", "Process_LintGood"),
        ("bad_modeler_header.bpmn", "modeler-header", "Definitions_LintGood"),
        ("bad_lane_membership.bpmn", "lane-membership", "Event_Reminded"),
        ("bad_lane_drawing.bpmn", "lane-drawing", "Event_Returned"),
        ("bad_empty_lane.bpmn", "empty-lane", "Lane_Leader"),
        ("bad_timer_value_missing.bpmn", "timer-value", "Timer_AppraiseDue"),
        ("bad_timer_value_not_iso.bpmn", "timer-value", "Timer_AppraiseDue"),
        ("bad_boundary_event_definition.bpmn", "boundary-event-definition", "Timer_AppraiseDue"),
        ("bad_user_task_assignee.bpmn", "user-task-assignee", "Task_Appraise"),
        ("bad_user_task_form.bpmn", "user-task-form", "Task_Appraise"),
        ("bad_missing_di.bpmn", "missing-di", "Event_Reminded"),
        ("bad_no_script_task.bpmn", "no-script-task", "Task_Appraise"),
        ("bad_reserved_id.bpmn", "reserved-id", "End"),
        ("bad_form_json.form", "form-json", None),
        ("bad_form_header.form", "modeler-header", None),
        ("bad_form_id.form", "form-id", None),
        ("bad_form_component_id.form", "form-component-id", "Field_Opinion"),
        ("bad_form_unique_key.form", "form-unique-key", "Field_Approved"),
        ("bad_hit_policy.dmn", "hit-policy", "Decision_Fee"),
        ("bad_aggregation.dmn", "hit-policy", "Decision_Fee"),
        ("bad_dmn_header.dmn", "modeler-header", "Definitions_Fee"),
    ],
)
def test_fixture_with_one_defect_fires_exactly_that_rule(fixture: str, rule: str, element_id: str | None) -> None:
    assert findings_of(FIXTURES / fixture) == [(rule, element_id)]


def test_findings_point_at_the_source_line_of_the_element() -> None:
    finding = lint_paths([FIXTURES / "bad_user_task_form.bpmn"], use_node=False).files[0].findings[0]
    lines = (FIXTURES / "bad_user_task_form.bpmn").read_text(encoding="utf-8").splitlines()
    assert 'id="Task_Appraise"' in lines[finding.line - 1]


def test_messages_name_the_element_in_vietnamese() -> None:
    finding = lint_paths([FIXTURES / "bad_empty_lane.bpmn"], use_node=False).files[0].findings[0]
    assert finding.message_vi == (
        "Làn 'Lane_Leader' (Lãnh đạo Sở) không có phần tử nào; hãy xóa làn hoặc đặt bước của bộ phận đó vào."
    )


def test_lane_drawing_names_the_lane_the_shape_is_drawn_in() -> None:
    finding = lint_paths([FIXTURES / "bad_lane_drawing.bpmn"], use_node=False).files[0].findings[0]
    assert "thuộc làn 'Lane_Appraisal'" in finding.message_vi
    assert "được vẽ trong làn 'Lane_Reception'" in finding.message_vi


def test_doctype_with_external_entity_is_refused_without_reading_the_entity() -> None:
    report = lint_paths([FIXTURES / "doctype_entity.bpmn"], use_node=False)
    findings = report.files[0].findings
    assert [(f.rule, f.element_id) for f in findings] == [("no-doctype", None)]
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in findings[0].message_vi


def test_internal_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.bpmn"
    laughs.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">&b;</bpmn:definitions>',
        encoding="utf-8",
    )
    assert findings_of(laughs) == [("no-doctype", None)]


def test_malformed_xml_is_reported_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n<oops>\n', encoding="utf-8")
    finding = lint_paths([broken], use_node=False).files[0].findings[0]
    assert (finding.rule, finding.line is not None) == ("xml-syntax", True)


def test_xml_that_is_not_bpmn_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.bpmn"
    other.write_text('<?xml version="1.0"?>\n<definitions xmlns="urn:other" />\n', encoding="utf-8")
    assert findings_of(other) == [("bpmn-root", None)]


def test_node_in_two_lanes_is_reported(tmp_path: Path) -> None:
    path = variant_of_good(
        tmp_path,
        ("        <bpmn:flowNodeRef>Event_Returned</bpmn:flowNodeRef>\n      </bpmn:lane>",
         "        <bpmn:flowNodeRef>Event_Returned</bpmn:flowNodeRef>\n"
         "        <bpmn:flowNodeRef>Task_Appraise</bpmn:flowNodeRef>\n      </bpmn:lane>"),
    )
    assert findings_of(path) == [("lane-membership", "Task_Appraise")]


def test_process_without_lanes_is_reported_once(tmp_path: Path) -> None:
    text = (FIXTURES / "good.bpmn").read_text(encoding="utf-8")
    start, end = text.index("    <bpmn:laneSet"), text.index("</bpmn:laneSet>\n") + len("</bpmn:laneSet>\n")
    path = tmp_path / "no_lanes.bpmn"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    # The lane shapes now point at nothing; that is the Modeler import's finding, not ours.
    assert findings_of(path) == [("lane-membership", "Process_LintGood")]


def test_lane_reference_to_unknown_element_is_reported(tmp_path: Path) -> None:
    path = variant_of_good(
        tmp_path,
        ("<bpmn:flowNodeRef>Event_Received</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>Event_Received</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Gone</bpmn:flowNodeRef>"),
    )
    assert findings_of(path) == [("lane-membership", "Lane_Reception")]


def test_timer_with_two_values_is_reported(tmp_path: Path) -> None:
    path = variant_of_good(
        tmp_path,
        ("PT2H</bpmn:timeDuration>",
         "PT2H</bpmn:timeDuration>\n        <bpmn:timeDate>2026-03-02T08:00:00+07:00</bpmn:timeDate>"),
    )
    finding = lint_paths([path], use_node=False).files[0].findings
    assert [(f.rule, f.element_id) for f in finding] == [("timer-value", "Timer_AppraiseDue")]
    assert "timeDuration, timeDate" in finding[0].message_vi


@pytest.mark.parametrize(("value", "portable"), [("P0.25D", "PT2H"), ("P1,25D", "P1DT2H"), ("P3.5D", "P3DT4H")])
def test_a_fractional_day_timer_is_a_warning_naming_the_portable_duration(
    tmp_path: Path, value: str, portable: str
) -> None:
    path = variant_of_good(tmp_path, ("PT2H</bpmn:timeDuration>", f"{value}</bpmn:timeDuration>"))
    report = lint_paths([path], use_node=False)
    (finding,) = report.files[0].findings
    assert (finding.rule, finding.element_id, finding.severity) == ("timer-fractional-day", "Timer_AppraiseDue", "warning")
    assert f"hãy viết {portable} " in finding.message_vi and "Camunda 7" in finding.message_vi
    assert report.ok  # tthc runs it: a warning, not an error


def test_a_lint_run_with_only_warnings_prints_them_and_exits_0(tmp_path: Path) -> None:
    path = variant_of_good(tmp_path, ("PT2H</bpmn:timeDuration>", "P0.25D</bpmn:timeDuration>"))
    app = typer.Typer()
    lint_cmd.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["lint", str(path), "--no-node"])
    assert result.exit_code == 0, result.output
    assert "⚠ cảnh báo [timer-fractional-day] dòng 31: Hẹn giờ 'Timer_AppraiseDue' ghi P0.25D" in result.stdout


@pytest.mark.parametrize(
    ("platform", "version"),
    [("Camunda Cloud", "8.6.0"), ("Camunda Platform", "7.18.0"), ("Camunda Platform", "bảy")],
)
def test_foreign_or_unsupported_platform_is_reported(tmp_path: Path, platform: str, version: str) -> None:
    path = variant_of_good(
        tmp_path,
        ('modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0"',
         f'modeler:executionPlatform="{platform}" modeler:executionPlatformVersion="{version}"'),
    )
    assert findings_of(path) == [("modeler-header", "Definitions_LintGood")]


def test_missing_exporter_is_reported(tmp_path: Path) -> None:
    path = variant_of_good(tmp_path, (' exporter="Camunda Modeler" exporterVersion="5.31.0"', ""))
    assert findings_of(path) == [("modeler-header", "Definitions_LintGood")]


def test_candidate_users_or_assignee_also_assign_a_user_task(tmp_path: Path) -> None:
    for attribute in ('camunda:candidateUsers="lan"', 'camunda:assignee="lan"'):
        path = variant_of_good(tmp_path, ('camunda:candidateGroups="appraisal"', attribute))
        assert findings_of(path) == []


def test_form_key_also_gives_a_user_task_its_form(tmp_path: Path) -> None:
    path = variant_of_good(
        tmp_path,
        ('camunda:formRef="appraise" camunda:formRefBinding="latest"',
         'camunda:formKey="camunda-forms:deployment:appraise.form"'),
    )
    assert findings_of(path) == []


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", "P0.25D"),
        ("timeDuration", "PT2H"),
        ("timeDuration", "P1DT4H"),
        ("timeDuration", "P2W"),
        ("timeDuration", "PT0,5H"),
        ("timeDuration", "${appraisalDays}"),
        ("timeDate", "2026-03-02T08:00:00+07:00"),
        ("timeDate", "2026-03-02T01:00:00Z"),
        ("timeCycle", "R3/PT1H"),
        ("timeCycle", "R/2026-03-02T08:00:00+07:00/P1D"),
    ],
)
def test_iso_8601_timer_values_are_accepted(kind: str, value: str) -> None:
    assert is_valid_timer_value(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", ""),
        ("timeDuration", "P"),
        ("timeDuration", "PT"),
        ("timeDuration", "P1DT"),
        ("timeDuration", "7D"),
        ("timeDuration", '"P7D"'),
        ("timeDuration", "P1.5DT2H"),
        ("timeDuration", "2 ngày"),
        ("timeDuration", "${}"),
        ("timeDate", "2026-03-02T08:00:00"),
        ("timeDate", "2026-02-30T08:00:00+07:00"),
        ("timeDate", "02/03/2026"),
        ("timeCycle", "0 0 8 * * ?"),
        ("timeCycle", "R3"),
    ],
)
def test_non_iso_timer_values_are_refused(kind: str, value: str) -> None:
    assert not is_valid_timer_value(kind, value)


def test_folders_are_walked_for_diagrams_forms_and_tables_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "node_modules").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("a.bpmn", "sub/b.form", "sub/c.dmn", "notes.txt", "node_modules/d.bpmn", ".hidden/e.bpmn"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = collect_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.bpmn", "sub/b.form", "sub/c.dmn"]


def test_missing_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="Không tìm thấy tệp hoặc thư mục"):
        lint_paths([tmp_path / "absent.bpmn"], use_node=False)


def test_file_of_another_type_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "readme.txt"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInput, match="readme.txt"):
        lint_paths([other], use_node=False)


def test_folder_without_any_checkable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Không có tệp .bpmn, .form hay .dmn nào"):
        lint_paths([tmp_path], use_node=False)


def test_skipped_modeler_checks_are_named_with_the_reason() -> None:
    report = lint_paths([FIXTURES / "good.bpmn"], use_node=False)
    assert report.files[0].checks_run == ["tthc:bpmn-rules", "modeler: bỏ qua (theo yêu cầu, --no-node)"]


def test_without_node_on_path_the_modeler_checks_are_skipped_and_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    report = lint_paths([FIXTURES / "good.bpmn"], use_node=None)
    assert report.ok
    assert report.files[0].checks_run[-1] == "modeler: bỏ qua (không tìm thấy lệnh node trong PATH)"


def test_missing_node_modules_is_named_as_the_reason_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "modeler-check.mjs").write_text("", encoding="utf-8")
    reason = modeler.unavailable_reason(tmp_path)
    if shutil.which("node") is None:
        assert reason == "không tìm thấy lệnh node trong PATH"
    else:
        assert reason == f"chưa cài các gói npm; hãy chạy `npm ci` trong {tmp_path}"


def test_requiring_node_checks_without_node_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InvalidInput, match="không tìm thấy lệnh node"):
        lint_paths([FIXTURES / "good.bpmn"], use_node=True)


def test_report_serialises_every_file_and_finding() -> None:
    report = lint_paths([FIXTURES / "good.bpmn", FIXTURES / "bad_user_task_assignee.bpmn"], use_node=False)
    data = report.to_dict()
    assert data["ok"] is False
    assert [f["ok"] for f in data["files"]] == [True, False]
    assert data["files"][1]["findings"][0]["rule"] == "user-task-assignee"
    assert set(data["files"][1]["findings"][0]) == {"rule", "element_id", "message_vi", "line", "severity"}


def test_a_step_without_a_form_is_a_warning_as_camunda_7_runs_it() -> None:
    report = lint_paths([FIXTURES / "bad_user_task_form.bpmn"], use_node=False)
    [finding] = report.files[0].findings
    assert (finding.rule, finding.severity) == ("user-task-form", "warning")
    assert report.ok is True


def _cli() -> typer.Typer:
    app = typer.Typer()
    lint_cmd.register(app)

    @app.callback()
    def main() -> None:  # a group, as in the real app, so the command is invoked by name
        pass

    return app


def test_lint_command_lists_checks_and_findings_and_fails_with_invalid_input() -> None:
    result = CliRunner().invoke(_cli(), ["lint", str(FIXTURES / "bad_empty_lane.bpmn"), "--no-node"])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.exit_code == 4
    assert "Đã kiểm tra: tthc:bpmn-rules" in result.stdout
    assert "Không chạy: modeler: bỏ qua (theo yêu cầu, --no-node)" in result.stdout
    assert "[empty-lane]" in result.stdout


def test_lint_command_passes_a_clean_folder() -> None:
    result = CliRunner().invoke(
        _cli(), ["lint", str(FIXTURES / "good.bpmn"), str(FIXTURES / "good.form"), "--no-node"]
    )
    assert result.exit_code == 0, result.output
    assert "2 tệp đã kiểm tra: không có lỗi." in result.stdout


def test_lint_command_prints_one_json_document() -> None:
    result = CliRunner().invoke(_cli(), ["lint", str(FIXTURES / "good.dmn"), "--json", "--no-node"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["files"][0]["kind"] == "dmn"
