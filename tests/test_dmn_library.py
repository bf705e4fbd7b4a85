"""The procedure library's decision tables (bpmn/*.dmn): reception completeness per procedure and appraisal routing.

The expected components below are written from the issue (seed 004's procedure groups), independently of the
tables, so a wrong or missing rule in a .dmn file fails here.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from engine.errors import InvalidInput
from engine.rules import evaluate_decision, load_dmn, map_decision_result

BPMN = Path(__file__).resolve().parents[1] / "bpmn"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMNDI_NS = "https://www.omg.org/spec/DMN/20191111/DMNDI/"
DC_NS = "http://www.omg.org/spec/DMN/20180521/DC/"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
UNKNOWN_CODE = "Mã thủ tục không thuộc lĩnh vực này"

TDC_REQUIRED = {
    **dict.fromkeys(
        ["1.014881", "1.014885", "1.014891", "1.014894", "1.014897", "3.000452", "3.000463", "1.014880", "1.014883"],
        ("application", "issued_certificate"),
    ),
    **dict.fromkeys(
        ["3.000450", "1.014888", "1.014889", "1.014892", "1.014895", "1.014879", "1.014882"],
        ("application", "legal_documents", "capacity_documents"),
    ),
    **dict.fromkeys(["1.014893", "1.014896"], ("application", "issued_certificate", "capacity_documents")),
}
TDC_COMPONENTS = ("application", "legal_documents", "capacity_documents", "issued_certificate")
TDC_MISSING = {
    "application": "Đơn đề nghị theo mẫu",
    "legal_documents": "Bản sao giấy tờ pháp lý của tổ chức (quyết định thành lập hoặc giấy chứng nhận đăng ký "
                       "doanh nghiệp)",
    "capacity_documents": "Tài liệu chứng minh năng lực đáp ứng yêu cầu hoạt động đăng ký",
    "issued_certificate": "Bản chính giấy chứng nhận hoặc quyết định đã được cấp",
}

CNS_REQUIRED = {
    "CNS.01": ("application", "legal_documents", "trial_plan"),
    **dict.fromkeys(["CNS.02.1", "CNS.02.2", "CNS.02.3"], ("application", "issued_certificate")),
}
CNS_COMPONENTS = ("application", "legal_documents", "trial_plan", "issued_certificate")
CNS_MISSING = {
    "application": "Văn bản đề nghị theo mẫu",
    "legal_documents": "Bản sao giấy tờ pháp lý của tổ chức, doanh nghiệp đề nghị thử nghiệm",
    "trial_plan": "Phương án thử nghiệm có kiểm soát sản phẩm, dịch vụ ứng dụng công nghệ số",
    "issued_certificate": "Bản sao quyết định cho phép thử nghiệm có kiểm soát đã được cấp",
}

FIELDS = {
    "reception_check_tdc": (TDC_REQUIRED, TDC_COMPONENTS, TDC_MISSING),
    "reception_check_cns": (CNS_REQUIRED, CNS_COMPONENTS, CNS_MISSING),
}


def load(name: str):
    return load_dmn((BPMN / f"{name}.dmn").read_bytes(), f"{name}.dmn")


@pytest.fixture(scope="module")
def decisions():
    merged = {}
    for name in ("reception_check_tdc", "reception_check_cns", "appraisal_routing"):
        merged.update(load(name).decisions)
    return merged


def dossier(key: str, code: object, present: set[str]) -> dict[str, object]:
    _, components, _ = FIELDS[key]
    return {"procedure_code": code, **{f"has_{c}": c in present for c in components}}


def check(decisions, key: str, data: dict[str, object]) -> dict[str, object]:
    return map_decision_result(evaluate_decision(decisions, key, data), "singleResult")


def test_the_issue_lists_18_tdc_procedures_and_4_digital_technology_procedures():
    assert len(TDC_REQUIRED) == 18 and len(CNS_REQUIRED) == 4


# --- files as Camunda Modeler writes them -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reception_check_tdc", "reception_check_cns", "appraisal_routing"])
def test_each_library_file_is_dmn_1_3_saved_by_camunda_modeler_for_camunda_7(name):
    root = etree.fromstring((BPMN / f"{name}.dmn").read_bytes())
    assert root.tag == f"{{{DMN_NS}}}definitions"
    assert root.get("exporter") == "Camunda Modeler" and root.get("exporterVersion").startswith("5.")
    assert root.get(f"{{{MODELER_NS}}}executionPlatform") == "Camunda Platform"
    assert root.get(f"{{{MODELER_NS}}}executionPlatformVersion") == "7.22.0"
    decision_ids = [d.get("id") for d in root.iterchildren(f"{{{DMN_NS}}}decision")]
    assert decision_ids == [name]
    shapes = root.findall(f"{{{DMNDI_NS}}}DMNDI/{{{DMNDI_NS}}}DMNDiagram/{{{DMNDI_NS}}}DMNShape")
    assert [s.get("dmnElementRef") for s in shapes] == decision_ids
    for shape in shapes:
        bounds = shape.find(f"{{{DC_NS}}}Bounds")
        assert all(float(bounds.get(a)) >= 0 for a in ("x", "y", "width", "height"))
        assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0


@pytest.mark.parametrize("name", ["reception_check_tdc", "reception_check_cns", "appraisal_routing"])
def test_every_rule_has_a_vietnamese_description_in_nfc(name):
    raw = (BPMN / f"{name}.dmn").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)
    for rule in load(name).decisions[name].rules:
        assert rule.description and any(ch in rule.description for ch in "ăâđêôơưáàảãạếềệịọủứữ")


@pytest.mark.parametrize(
    ("key", "name", "components"),
    [
        ("reception_check_tdc", "Kiểm tra thành phần hồ sơ — lĩnh vực Tiêu chuẩn, Đo lường, Chất lượng",
         TDC_COMPONENTS),
        ("reception_check_cns", "Kiểm tra thành phần hồ sơ — lĩnh vực Công nghiệp công nghệ số", CNS_COMPONENTS),
    ],
)
def test_reception_tables_have_the_keys_types_and_hit_policy_the_diagrams_use(decisions, key, name, components):
    decision = decisions[key]
    assert (decision.name, decision.hit_policy) == (name, "FIRST")
    assert [(i.expression, i.type_ref) for i in decision.inputs] == [("procedure_code", "string")] + [
        (f"has_{c}", "boolean") for c in components
    ]
    assert [(o.name, o.type_ref) for o in decision.outputs] == [("result", "string"), ("missing", "string")]


# --- reception completeness, per procedure ------------------------------------------------------------------------


def reception_cases(key: str):
    required, _, _ = FIELDS[key]
    return [(key, code) for code in required]


ALL_CODES = reception_cases("reception_check_tdc") + reception_cases("reception_check_cns")


def missing_cases(key: str):
    required, _, _ = FIELDS[key]
    return [(key, code, component) for code, needed in required.items() for component in needed]


@pytest.mark.parametrize(("key", "code"), ALL_CODES)
def test_a_dossier_with_exactly_the_required_components_is_complete(decisions, key, code):
    required, _, _ = FIELDS[key]
    assert check(decisions, key, dossier(key, code, set(required[code]))) == {"result": "complete", "missing": ""}


@pytest.mark.parametrize(("key", "code"), ALL_CODES)
def test_a_dossier_with_every_component_is_complete(decisions, key, code):
    _, components, _ = FIELDS[key]
    assert check(decisions, key, dossier(key, code, set(components)))["result"] == "complete"


@pytest.mark.parametrize(
    ("key", "code", "component"), missing_cases("reception_check_tdc") + missing_cases("reception_check_cns")
)
def test_a_dossier_missing_one_required_component_is_sent_for_supplement_naming_it(decisions, key, code, component):
    required, components, missing = FIELDS[key]
    present = set(components) - {component}  # even with every optional component, the required one is missing
    expected = {"result": "supplement", "missing": missing[component]}
    assert check(decisions, key, dossier(key, code, present)) == expected
    unticked = dossier(key, code, present) | {f"has_{component}": None}  # an unanswered box counts as missing
    assert check(decisions, key, unticked) == expected


@pytest.mark.parametrize(("key", "code"), ALL_CODES)
def test_a_dossier_with_nothing_asks_for_the_application_first(decisions, key, code):
    _, _, missing = FIELDS[key]
    assert check(decisions, key, dossier(key, code, set())) == {"result": "supplement",
                                                                "missing": missing["application"]}


@pytest.mark.parametrize(
    ("key", "code"),
    [("reception_check_tdc", "CNS.01"), ("reception_check_tdc", "1.000000"), ("reception_check_tdc", ""),
     ("reception_check_tdc", None), ("reception_check_cns", "1.014881"), ("reception_check_cns", "CNS.02"),
     ("reception_check_cns", None)],
)
def test_a_procedure_code_outside_the_field_never_passes_silently(decisions, key, code):
    _, components, _ = FIELDS[key]
    result = evaluate_decision(decisions, key, dossier(key, code, set(components)))
    assert result.entries == [{"result": "supplement", "missing": UNKNOWN_CODE}]
    assert result.matched_rules == [f"Rule_{key.rsplit('_', 1)[1]}_unknown_code"]


def test_a_reception_check_without_a_component_answer_is_refused_naming_the_input(decisions):
    data = dossier("reception_check_tdc", "1.014881", {"application"})
    del data["has_issued_certificate"]
    with pytest.raises(InvalidInput, match="đầu vào 'Có giấy chứng nhận đã cấp' \\(has_issued_certificate\\) của "
                                           "quyết định 'reception_check_tdc'"):
        evaluate_decision(decisions, "reception_check_tdc", data)


def test_a_procedure_code_given_as_a_number_is_refused_as_the_wrong_type(decisions):
    data = dossier("reception_check_tdc", 1.014881, {"application", "issued_certificate"})
    with pytest.raises(InvalidInput, match="có kiểu number, không hợp với typeRef string"):
        evaluate_decision(decisions, "reception_check_tdc", data)


# --- appraisal routing --------------------------------------------------------------------------------------------


def test_the_routing_table_has_the_keys_the_diagrams_use(decisions):
    decision = decisions["appraisal_routing"]
    assert decision.hit_policy == "UNIQUE"
    assert [(i.expression, i.type_ref) for i in decision.inputs] == [("conclusion", "string")]
    assert [(o.name, o.type_ref, o.allowed_values) for o in decision.outputs] == [
        ("route", "string", ["review", "supplement"]),
        ("result_kind", "string", ["grant", "refusal", "none"]),
    ]


@pytest.mark.parametrize(
    ("conclusion", "route", "result_kind"),
    [("approve", "review", "grant"), ("refuse", "review", "refusal"), ("supplement", "supplement", "none")],
)
def test_each_appraisal_conclusion_routes_to_one_outcome(decisions, conclusion, route, result_kind):
    result = evaluate_decision(decisions, "appraisal_routing", {"conclusion": conclusion})
    assert result.matched_rules == [f"Rule_{conclusion}"]
    assert map_decision_result(result, "singleResult") == {"route": route, "result_kind": result_kind}


@pytest.mark.parametrize("conclusion", ["approved", "Approve", "", "reject"])
def test_a_conclusion_outside_the_list_is_refused_naming_the_decision(decisions, conclusion):
    with pytest.raises(InvalidInput) as caught:
        evaluate_decision(decisions, "appraisal_routing", {"conclusion": conclusion})
    assert caught.value.details == {"decision": "appraisal_routing", "input": "Input_conclusion"}
    assert "không nằm trong các giá trị cho phép" in caught.value.message


def test_a_missing_conclusion_gives_no_decision_for_the_task_to_treat_as_an_error(decisions):
    result = evaluate_decision(decisions, "appraisal_routing", {"conclusion": None})
    assert result.entries == [] and map_decision_result(result, "singleResult") is None
