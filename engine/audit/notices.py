"""The notices a case gives the applicant, printable from the case's own data and events:

    receipt     01  Giấy tiếp nhận hồ sơ và hẹn trả kết quả — once the desk has received the dossier
    supplement  02  Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — at the desk, or the latest request during appraisal
    refusal     03  Phiếu từ chối tiếp nhận giải quyết hồ sơ — refused at the desk, or refused after appraisal
    apology     04  Phiếu xin lỗi và hẹn lại ngày trả kết quả — from the `apology_issued` event
    stop        05  Thông báo dừng giải quyết hồ sơ — from the `case_withdrawn` event

A notice the case does not have (no apology was issued …) is refused with a sentence that says why.
"""

from __future__ import annotations

from typing import Any, Mapping

from engine.audit.book import book_number
from engine.audit.forms_data import OfficialForms, official_forms
from engine.audit.labels import number_vi, slip_time
from engine.audit.records import CaseRecord, definition_versions
from engine.audit.steps import Step, read_steps
from engine.definitions import load_form_cached
from engine.errors import Conflict, InvalidInput
from engine.history import EventType, plain
from engine.policy import ProcedurePolicy
from engine.store import Tx

_Built = tuple[Any, list[str], list[dict]]  # issued at, paragraphs, signatures
KINDS = ("receipt", "supplement", "refusal", "apology", "stop")
ALIASES = {"01": "receipt", "02": "supplement", "03": "refusal", "04": "apology", "05": "stop"}
DELIVERY = {"counter": "tại Bộ phận Một cửa", "postal": "qua dịch vụ bưu chính công ích"}


def notice_kind(text: str) -> str:
    kind = ALIASES.get(text.strip(), text.strip().lower())
    if kind not in KINDS:
        raise InvalidInput(f"Không có loại thông báo '{text}'; chọn một trong: {', '.join(KINDS)} (hoặc 01–05).",
                           kind=text)
    return kind


def build_notice(tx: Tx, record: CaseRecord, kind: str, *, names: Mapping[str, str] | None = None,
                 forms: OfficialForms | None = None) -> dict:
    forms = forms or official_forms()
    names = names or {}
    kind = notice_kind(kind)
    form = forms[kind]
    steps = read_steps(record.events)
    builder = {"receipt": _receipt, "supplement": _supplement, "refusal": _refusal, "apology": _apology,
               "stop": _stop}[kind]
    issued_at, paragraphs, signatures = builder(tx, record, steps, names, forms, form.title.lower())
    case = record.case
    return plain({
        "kind": kind, "form": form.to_dict(), "agency": forms.agency, "case_id": case["id"],
        "applicant": case["applicant_name"], "issued_at": issued_at,
        "paragraphs": [p for p in paragraphs if p], "signatures": signatures,
    })


def _refuse(record: CaseRecord, title: str, why: str) -> Conflict:
    return Conflict(f"Hồ sơ '{record.case_id}' không có {title}: {why}.", case=record.case_id)


def _reception(steps: list[Step], policy: ProcedurePolicy) -> Step | None:
    return next((s for s in steps if policy.has_role(s.element_id, "reception") and s.completed_at is not None),
                None)


def _procedure(record: CaseRecord) -> str:
    name = record.procedure["name"] if record.procedure else None
    return f"{record.case['procedure_code']}" + (f" — {name}" if name else "")


def _sign(title: str, name: str | None) -> dict:
    return {"title": title, "name": name or ""}


def _who(names: Mapping[str, str], user: str | None) -> str:
    return names.get(user, user) if user else ""


def _components(tx: Tx, data: Mapping[str, Any]) -> list[str]:
    """Labels of the dossier components ticked at reception, from the reception form (its newest version)."""
    versions = definition_versions(tx, "form", "reception")
    labels: dict[str, str] = {}
    if versions:
        form = load_form_cached(versions[-1]["content"], versions[-1]["filename"])
        labels = {f.key: f.label for f in form.fields if f.key.startswith("has_")}
    return [labels.get(key, key) for key, value in data.items() if key.startswith("has_") and value is True]


def _receipt(tx: Tx, record: CaseRecord, steps: list[Step], names: Mapping[str, str], forms: OfficialForms,
             title: str) -> _Built:
    reception = _reception(steps, record.policy)
    case = record.case
    if reception is None or case.get("outcome") in ("refused_at_reception", "supplement_at_reception"):
        raise _refuse(record, title, "bộ phận một cửa chưa tiếp nhận hồ sơ này")
    data = reception.data
    parts = _components(tx, data)
    received = case["received_at"]
    paragraphs = [
        f"Mã hồ sơ: {case['id']}",
        f"{forms.agency.get('reception_unit', 'Bộ phận Một cửa')} tiếp nhận hồ sơ của: {case['applicant_name']}",
        f"Địa chỉ: {data.get('applicant_address') or '—'}",
        f"Số điện thoại: {data.get('applicant_phone') or '—'}   Thư điện tử: {data.get('applicant_email') or '—'}",
        f"Nội dung yêu cầu giải quyết: {_procedure(record)}",
        "Thành phần hồ sơ nộp gồm: " + ("; ".join(parts) if parts else "—"),
        f"Số lượng hồ sơ: {number_vi(data.get('sets')) if data.get('sets') is not None else '—'} bộ",
        f"Thời gian giải quyết hồ sơ theo quy định: {number_vi(case.get('total_working_days'))} ngày làm việc",
        f"Thời gian nhận hồ sơ: {slip_time(received)}",
        f"Thời gian trả kết quả giải quyết hồ sơ: {slip_time(case.get('first_due_at'))}",
        f"Đăng ký nhận kết quả: {DELIVERY.get(data.get('delivery'), '—')}",
        f"Vào Sổ theo dõi hồ sơ, Quyển số: {received.year}, Số thứ tự: {book_number(tx, case)}",
    ]
    return reception.completed_at, paragraphs, [_sign("NGƯỜI NỘP HỒ SƠ", case["applicant_name"]),
                                                  _sign("NGƯỜI TIẾP NHẬN HỒ SƠ", _who(names, reception.completed_by))]


def _supplement(tx: Tx, record: CaseRecord, steps: list[Step], names: Mapping[str, str], forms: OfficialForms,
                title: str) -> _Built:
    case = record.case
    if case.get("outcome") == "supplement_at_reception":
        decision = next((e for e in reversed(record.events) if e["type"] == EventType.DECISION_EVALUATED
                         and record.policy.has_role(e["element_id"], "completeness_check")), None)
        result = (decision["payload"].get("result") if decision else None) or {}
        missing = result.get("missing") if isinstance(result, Mapping) else None
        reception = _reception(steps, record.policy)
        issued, officer = (reception.completed_at, reception.completed_by) if reception else (case["received_at"], None)
        contents = [missing] if missing else []
    else:
        # A supplement step opening, or the case starting to wait for the applicant's supplement message.
        requests = sorted([(s.created_seq, s.created_at) for s in steps if s.restart_deadline]
                          + [(e["seq"], e["at"]) for e in record.events if e["type"] == EventType.MESSAGE_AWAITED
                             and e["payload"].get("restart_deadline")])
        if not requests:
            raise _refuse(record, title, "hồ sơ chưa có yêu cầu bổ sung nào")
        seq, issued = requests[-1]
        asker = next((s for s in reversed(steps) if s.completed_seq is not None and s.completed_seq < seq), None)
        reasons = asker.data.get("reasons") if asker else None
        officer = asker.completed_by if asker else None
        contents = [reasons] if reasons else []
    paragraphs = [
        f"Mã hồ sơ: {case['id']}",
        f"Lúc {slip_time(case['received_at'])}, {forms.agency.get('reception_unit', 'Bộ phận Một cửa')} tiếp nhận "
        f"hồ sơ của: {case['applicant_name']}",
        f"Nội dung yêu cầu giải quyết: {_procedure(record)}",
        "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau: " + ("; ".join(contents) if contents else "—"),
        "Lý do: hồ sơ chưa đầy đủ, hợp lệ theo quy định.",
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ với "
        f"{forms.agency.get('reception_unit', 'Bộ phận Một cửa')} để được hướng dẫn.",
    ]
    return issued, paragraphs, [_sign("NGƯỜI HƯỚNG DẪN", _who(names, officer))]


def _refusal(tx: Tx, record: CaseRecord, steps: list[Step], names: Mapping[str, str], forms: OfficialForms,
             title: str) -> _Built:
    case = record.case
    outcome = case.get("outcome")
    if outcome == "refused_at_reception":
        reception = _reception(steps, record.policy)
        reason = reception.data.get("reception_note") if reception else None
        issued, officer = (reception.completed_at if reception else case.get("ended_at")), (
            reception.completed_by if reception else None)
    elif outcome == "refused":
        appraisal = next((s for s in reversed(steps) if record.policy.has_role(s.element_id, "appraisal")
                          and s.data.get("conclusion") == "refuse"), None)
        reason = appraisal.data.get("reasons") if appraisal else None
        issued, officer = case.get("resolved_at") or case.get("ended_at"), (appraisal.completed_by if appraisal else None)
    else:
        raise _refuse(record, title, "hồ sơ không bị từ chối")
    paragraphs = [
        f"Mã hồ sơ: {case['id']}",
        f"{forms.agency.get('reception_unit', 'Bộ phận Một cửa')} tiếp nhận hồ sơ của: {case['applicant_name']}",
        f"Nội dung yêu cầu giải quyết: {_procedure(record)}",
        f"Thời gian tiếp nhận: {slip_time(case['received_at'])}",
        "Qua xem xét, hồ sơ không đủ điều kiện để tiếp nhận, giải quyết với lý do: " + (reason or "—"),
        f"Xin thông báo để {case['applicant_name']} được biết và thực hiện.",
    ]
    return issued, paragraphs, [_sign("NGƯỜI LẬP PHIẾU", _who(names, officer))]


def _apology(tx: Tx, record: CaseRecord, steps: list[Step], names: Mapping[str, str], forms: OfficialForms,
             title: str) -> _Built:
    issued = next((e for e in reversed(record.events) if e["type"] == EventType.APOLOGY_ISSUED), None)
    if issued is None:
        raise _refuse(record, title, "chưa có thư xin lỗi nào được lập")
    p = issued["payload"]
    case = record.case
    paragraphs = [
        f"Mã hồ sơ: {case['id']}",
        f"Lúc {slip_time(case['received_at'])}, {forms.agency.get('name', '')} tiếp nhận hồ sơ đề nghị giải quyết "
        f"thủ tục {_procedure(record)} của: {case['applicant_name']}.",
        f"Thời hạn trả kết quả giải quyết hồ sơ theo quy định: {slip_time(p.get('legal_due_at'))}.",
        f"Tuy nhiên đến nay, {forms.agency.get('name', '')} chưa trả kết quả giải quyết hồ sơ vì lý do: "
        f"{p.get('reason') or '—'}.",
        f"{forms.agency.get('name', '')} xin lỗi {case['applicant_name']} và xin hẹn trả kết quả giải quyết hồ sơ "
        f"vào {slip_time(p.get('new_due_at'))}.",
        "Cơ quan chỉ được hẹn lại ngày trả kết quả một lần.",
    ]
    return issued["at"], paragraphs, [_sign("THỦ TRƯỞNG CƠ QUAN", _who(names, issued['actor']))]


def _stop(tx: Tx, record: CaseRecord, steps: list[Step], names: Mapping[str, str], forms: OfficialForms,
          title: str) -> _Built:
    withdrawn = next((e for e in reversed(record.events) if e["type"] == EventType.CASE_WITHDRAWN), None)
    if withdrawn is None:
        raise _refuse(record, title, "người nộp chưa rút hồ sơ")
    case = record.case
    paragraphs = [
        f"Mã hồ sơ: {case['id']}",
        f"Lúc {slip_time(case['received_at'])}, {forms.agency.get('reception_unit', 'Bộ phận Một cửa')} tiếp nhận "
        f"hồ sơ đề nghị giải quyết thủ tục {_procedure(record)} của: {case['applicant_name']}.",
        f"Lúc {slip_time(withdrawn['at'])}, người nộp đề nghị rút hồ sơ với lý do: "
        f"{withdrawn['payload'].get('reason') or '—'}.",
        f"Hồ sơ chưa có kết quả giải quyết; {forms.agency.get('name', '')} dừng giải quyết hồ sơ theo đề nghị của "
        "người nộp và trả lại hồ sơ (nếu có).",
        f"Căn cứ: {forms.legal.get('decree', '')}.",
    ]
    return withdrawn["at"], paragraphs, [_sign("NGƯỜI LẬP THÔNG BÁO", _who(names, withdrawn['actor']))]


def notice_text(notice: Mapping[str, Any]) -> str:
    form = notice["form"]
    lines = [form["legal_basis"], (notice["agency"].get("governing_body") or "").upper(),
             (notice["agency"].get("name") or "").upper(), "", form["title"], ""]
    lines += notice["paragraphs"]
    lines.append("")
    lines += [f"{s['title']}: {s['name']}".rstrip(": ") for s in notice["signatures"]]
    return "\n".join(lines) + "\n"
