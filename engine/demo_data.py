"""Realistic form data for each step of the library's procedures: what an officer would enter.

Used by `tthc demo` and by the scenario tests, so both drive the procedures exactly as operators do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# Who does what in the demo (engine/data/demo_users.toml): one officer per group.
DEMO_USER_OF_GROUP = {
    "reception": "lan", "department_leader": "hung", "staff": "mai", "director": "son",
    "records_clerk": "ha", "provincial_office": "tuan",
}

ALL_COMPONENTS = {
    "has_application": True, "has_legal_documents": True, "has_capacity_documents": True,
    "has_issued_certificate": True, "has_trial_plan": True,
}


def reception(applicant: str, *, complete: bool = True, refuse: bool = False, channel: str = "direct") -> dict[str, Any]:
    components = dict(ALL_COMPONENTS)
    if not complete:
        components["has_application"] = False  # every procedure requires the application form
    return {
        "applicant_name": applicant,
        "applicant_address": "Số 12, phố Kim Đồng, phường Hợp Giang, tỉnh Cao Bằng",
        "applicant_phone": "0912345678",
        "applicant_email": "lienhe@anhduong.vn",
        **components,
        "sets": 1,
        "channel": channel,
        "delivery": "counter",
        "reception_decision": "refuse" if refuse else "receive",
        "reception_note": "Hồ sơ không thuộc thẩm quyền giải quyết của Sở." if refuse else "",
    }


def assignment() -> dict[str, Any]:
    return {"assigned_officer": "mai", "assignment_note": "Đề nghị đồng chí Mai thụ lý."}


def appraisal(conclusion: str = "approve") -> dict[str, Any]:
    reasons = {
        "approve": "Hồ sơ đáp ứng yêu cầu theo quy định.",
        "refuse": "Tổ chức không đáp ứng điều kiện về năng lực theo quy định.",
        "supplement": "Thiếu bản sao quyết định đã được cấp có chứng thực.",
    }[conclusion]
    return {"conclusion": conclusion, "reasons": reasons, "draft_reference": "Dự thảo số 45/DT-TĐC"}


def decision(rework: bool = False) -> dict[str, Any]:
    return {"decision": "rework" if rework else "approve",
            "decision_note": "Đề nghị rà soát lại căn cứ pháp lý." if rework else "Đồng ý."}


def registration(day: date) -> dict[str, Any]:
    return {"document_number": "125/QĐ-SKHCN", "document_date": day.isoformat(), "recipients": "Như trên; Lưu: VT."}


def provincial_decision(day: date) -> dict[str, Any]:
    return {"provincial_document_number": "310/QĐ-UBND", "provincial_document_date": day.isoformat(),
            "provincial_note": "Chuyển kết quả cho Trung tâm Phục vụ hành chính công."}


def result_return() -> dict[str, Any]:
    return {"returned_via": "counter", "return_note": "Đã trả kết quả trực tiếp."}


def supplement_receipt() -> dict[str, Any]:
    return {"supplement_complete": True, "supplement_note": "Đã nhận đủ bản sao có chứng thực."}


def apology(new_due: date) -> dict[str, Any]:
    return {"new_due_date": new_due.isoformat(),
            "apology_reason": "Hồ sơ cần xác minh thêm thông tin với cơ quan liên quan."}


def consultation(opinion: str = "agree") -> dict[str, Any]:
    notes = {"agree": "Thống nhất với nội dung dự thảo.", "disagree": "Đề nghị làm rõ căn cứ pháp lý."}
    return {"opinion": opinion, "opinion_note": notes[opinion]}


def default_step_data(element_id: str, *, applicant: str, today: date) -> dict[str, Any]:
    """The data of the ordinary (happy) path for a step of the library's diagrams."""
    return {
        "receive": lambda: reception(applicant),
        "assign": assignment,
        "appraise": appraisal,
        "review": decision,
        "approve": decision,
        "register": lambda: registration(today),
        "provincial_decide": lambda: provincial_decision(today),
        "return_result": result_return,
        "receive_supplement": supplement_receipt,
        "consult": consultation,
    }[element_id]()
