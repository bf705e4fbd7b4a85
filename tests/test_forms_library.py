"""The procedure library's forms in forms/: they load, keep the keys the diagrams and decision tables use, and read
as Camunda Modeler saves them for Camunda Platform 7."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from engine.errors import InvalidInput
from engine.forms import load_form_library, validate_submission

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "forms"
BPMN_DIR = ROOT / "bpmn"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# The contract with the diagrams and decision tables: form id → [(key, component type, required)].
CONTRACT: dict[str, list[tuple[str, str, bool]]] = {
    "reception": [
        ("applicant_name", "textfield", True),
        ("applicant_address", "textfield", True),
        ("applicant_phone", "textfield", False),
        ("applicant_email", "textfield", False),
        ("has_application", "checkbox", False),
        ("has_legal_documents", "checkbox", False),
        ("has_capacity_documents", "checkbox", False),
        ("has_issued_certificate", "checkbox", False),
        ("has_trial_plan", "checkbox", False),
        ("sets", "number", True),
        ("channel", "radio", True),
        ("delivery", "radio", True),
        ("reception_decision", "radio", True),
        ("reception_note", "textarea", False),
    ],
    "assignment": [("assigned_officer", "textfield", True), ("assignment_note", "textarea", False)],
    "appraisal": [
        ("conclusion", "radio", True),
        ("reasons", "textarea", False),
        ("draft_reference", "textfield", False),
    ],
    "decision": [("decision", "radio", True), ("decision_note", "textarea", False)],
    "registration": [
        ("document_number", "textfield", True),
        ("document_date", "datetime", True),
        ("recipients", "textarea", False),
    ],
    "provincial_decision": [
        ("provincial_document_number", "textfield", True),
        ("provincial_document_date", "datetime", True),
        ("provincial_note", "textarea", False),
    ],
    "result_return": [("returned_via", "radio", True), ("return_note", "textarea", False)],
    "supplement_receipt": [("supplement_complete", "checkbox", True), ("supplement_note", "textarea", False)],
    "apology": [("new_due_date", "datetime", True), ("apology_reason", "textarea", True)],
    "consultation_opinion": [("opinion", "radio", True), ("opinion_note", "textarea", False)],
}

CHOICES = {
    ("reception", "channel"): [("direct", "Trực tiếp"), ("online", "Trực tuyến"), ("postal", "Bưu chính công ích")],
    ("reception", "delivery"): [("counter", "Tại Bộ phận Một cửa"), ("postal", "Qua dịch vụ bưu chính")],
    ("reception", "reception_decision"): [
        ("receive", "Tiếp nhận"),
        ("refuse", "Từ chối tiếp nhận (không thuộc thẩm quyền)"),
    ],
    ("appraisal", "conclusion"): [
        ("approve", "Đề nghị giải quyết"),
        ("refuse", "Đề nghị từ chối giải quyết"),
        ("supplement", "Yêu cầu bổ sung hồ sơ"),
    ],
    ("decision", "decision"): [("approve", "Đồng ý"), ("rework", "Trả lại để xử lý lại")],
    ("result_return", "returned_via"): [("counter", "Tại Bộ phận Một cửa"), ("postal", "Qua dịch vụ bưu chính")],
}


@pytest.fixture(scope="module")
def library():
    return load_form_library(FORMS_DIR)


def test_every_library_form_loads_and_is_named_after_its_id(library):
    assert sorted(library) == sorted(CONTRACT)
    assert sorted(p.stem for p in FORMS_DIR.glob("*.form")) == sorted(CONTRACT)


@pytest.mark.parametrize("form_id", sorted(CONTRACT))
def test_library_form_has_the_keys_types_and_required_flags_of_the_contract(library, form_id):
    assert [(f.key, f.type, f.required) for f in library[form_id].fields] == CONTRACT[form_id]


@pytest.mark.parametrize("form_id,key", sorted(CHOICES))
def test_library_choices_have_the_agreed_values_and_labels(library, form_id, key):
    assert library[form_id].field(key).values == CHOICES[(form_id, key)]


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.form")), ids=lambda p: p.stem)
def test_library_form_is_saved_as_camunda_modeler_does_for_camunda_7(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["type"] == "default"
    assert raw["executionPlatform"] == "Camunda Platform"
    assert raw["executionPlatformVersion"] == "7.22.0"
    assert raw["exporter"] == {"name": "Camunda Modeler", "version": "5.31.0"}
    assert raw["schemaVersion"] == 16


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.form")), ids=lambda p: p.stem)
def test_library_components_have_ids_rows_and_nfc_vietnamese_text(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    stack = list(raw["components"])
    while stack:
        component = stack.pop()
        stack.extend(component.get("components", []))
        if "key" in component:
            assert component["id"] == f"Component_{component['key']}"
        assert component["id"].startswith("Component_")
        assert component["layout"]["row"].startswith(f"Row_{raw['id']}_")
        texts = [component.get(name) for name in ("label", "dateLabel", "description", "text")]
        texts += [v["label"] for v in component.get("values", [])]
        for text in filter(None, texts):
            assert text == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("form_id", sorted(CONTRACT))
def test_every_library_field_has_a_vietnamese_label(library, form_id):
    for field in library[form_id].fields:
        assert field.label and field.label != field.key
        assert any(ord(ch) > 127 for ch in field.label), field.label  # written with diacritics, not in English


def test_reception_explains_why_dossier_components_are_checkboxes():
    raw = json.loads((FORMS_DIR / "reception.form").read_text(encoding="utf-8"))
    dossier = next(c for c in raw["components"] if c["id"] == "Component_group_dossier")
    hint = next(c for c in dossier["components"] if c["type"] == "text")
    assert "bảng quyết định" in hint["text"]


def test_reception_defaults_let_an_officer_submit_only_the_applicant(library):
    submitted = {"applicant_name": "Lê Văn Bình", "applicant_address": "Cao Bằng"}
    result = validate_submission(library["reception"], submitted)
    assert result == {
        "applicant_name": "Lê Văn Bình",
        "applicant_address": "Cao Bằng",
        "has_application": False,
        "has_legal_documents": False,
        "has_capacity_documents": False,
        "has_issued_certificate": False,
        "has_trial_plan": False,
        "sets": 1,
        "channel": "direct",
        "delivery": "counter",
        "reception_decision": "receive",
    }


def test_reception_checks_name_length_phone_email_and_number_of_sets(library):
    data = {
        "applicant_name": "A" * 201,
        "applicant_address": "Cao Bằng",
        "applicant_phone": "912345678",
        "applicant_email": "lan.gov.vn",
        "sets": 21,
    }
    with pytest.raises(InvalidInput) as caught:
        validate_submission(library["reception"], data)
    assert [p["key"] for p in caught.value.details["problems"]] == [
        "applicant_name", "applicant_phone", "applicant_email", "sets"
    ]
    assert "Họ và tên người nộp: tối đa 200 ký tự" in caught.value.message
    assert "Số bộ hồ sơ: phải ≤ 20" in caught.value.message


@pytest.mark.parametrize("phone", ["0912345678", "+84912345678", "02063852123"])
def test_reception_accepts_vietnamese_phone_numbers(library, phone):
    data = {"applicant_name": "Lan", "applicant_address": "Cao Bằng", "applicant_phone": phone}
    assert validate_submission(library["reception"], data)["applicant_phone"] == phone


def test_registration_document_number_follows_the_vietnamese_notation(library):
    submitted = {"document_number": "125/QĐ-SKHCN", "document_date": "02/03/2026"}
    ok = validate_submission(library["registration"], submitted)
    assert ok == {"document_number": "125/QĐ-SKHCN", "document_date": dt.date(2026, 3, 2)}
    with pytest.raises(InvalidInput, match=r"Số, ký hiệu văn bản: không đúng định dạng yêu cầu \(Ví dụ: 125/QĐ-SKHCN"):
        validate_submission(library["registration"], {"document_number": "QĐ-125", "document_date": "2026-03-02"})


def test_supplement_receipt_must_be_ticked_as_checked(library):
    with pytest.raises(InvalidInput, match=r"Đã nhận và kiểm tra hồ sơ bổ sung: phải được đánh dấu"):
        validate_submission(library["supplement_receipt"], {})
    assert validate_submission(library["supplement_receipt"], {"supplement_complete": True}) == {
        "supplement_complete": True
    }


def test_apology_needs_a_new_date_and_a_reason_of_ten_characters(library):
    with pytest.raises(InvalidInput) as caught:
        validate_submission(library["apology"], {"apology_reason": "Chậm"})
    assert caught.value.details["problems"] == [
        {"key": "new_due_date", "label": "Ngày hẹn trả kết quả mới", "problem": "bắt buộc"},
        {"key": "apology_reason", "label": "Lý do chậm giải quyết", "problem": "cần ít nhất 10 ký tự (đang có 4)"},
    ]


def _user_task_form_ids(path: Path) -> list[tuple[str, str | None]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    tree = etree.parse(str(path), parser)
    assert tree.docinfo.doctype == "", f"{path.name} has a DOCTYPE"
    found = []
    for task in tree.iter(f"{{{BPMN_NS}}}userTask"):
        ref = task.get(f"{{{CAMUNDA_NS}}}formRef")
        key = task.get(f"{{{CAMUNDA_NS}}}formKey") or ""
        if ref is None and key.startswith("camunda-forms:"):
            ref = key.rsplit(":", 1)[-1].removesuffix(".form")
        found.append((task.get("id"), ref))
    return found


def test_every_user_task_in_the_diagrams_has_a_form_that_loads(library):
    diagrams = sorted(BPMN_DIR.glob("*.bpmn"))
    if not diagrams:
        pytest.skip("bpmn/ chưa có sơ đồ nào để đối chiếu biểu mẫu")
    missing = [
        (path.name, task_id, ref)
        for path in diagrams
        for task_id, ref in _user_task_form_ids(path)
        if ref not in library
    ]
    assert missing == []
