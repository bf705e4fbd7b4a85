"""Vietnamese wording and time formats of the official papers (slip, book, notices) and the audit views."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.calendar import TZ
from engine.history import EventType

# As printed in the result column of the control slip.
TIMING_SLIP = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}

EVENT_LABELS = {
    EventType.CASE_STARTED: "Tiếp nhận hồ sơ",
    EventType.TASK_CREATED: "Giao bước",
    EventType.TASK_CLAIMED: "Nhận bước",
    EventType.TASK_UNCLAIMED: "Trả lại bước",
    EventType.TASK_COMPLETED: "Hoàn thành bước",
    EventType.TASK_CANCELLED: "Hủy bước",
    EventType.TIMER_FIRED: "Hẹn giờ đến hạn",
    EventType.STEP_OVERDUE: "Bước quá hạn",
    EventType.DECISION_EVALUATED: "Áp dụng bảng quyết định",
    EventType.END_REACHED: "Kết thúc nhánh",
    EventType.WORKFLOW_COMPLETED: "Quy trình kết thúc",
    EventType.DEADLINE_RESTARTED: "Tính lại thời hạn",
    EventType.APOLOGY_ISSUED: "Xin lỗi và hẹn lại ngày trả kết quả",
    EventType.CASE_WITHDRAWN: "Rút hồ sơ, dừng giải quyết",
    EventType.CASE_ENDED: "Kết thúc hồ sơ",
    EventType.NOTE_ADDED: "Ghi chú",
    EventType.MESSAGE_CORRELATED: "Nhận thông điệp",
    EventType.MESSAGE_AWAITED: "Chờ người nộp bổ sung hồ sơ",
    EventType.SIGNAL_RECEIVED: "Nhận tín hiệu",
    EventType.SIGNAL_THROWN: "Phát tín hiệu",
    EventType.CONDITION_MET: "Điều kiện thỏa",
    EventType.TASK_BPMN_ERROR: "Báo lỗi nghiệp vụ ở bước",
    EventType.TASK_ESCALATED: "Báo leo thang ở bước",
    EventType.ESCALATION_CAUGHT: "Bắt sự kiện leo thang",
    EventType.CALL_ACTIVITY_STARTED: "Gọi quy trình (mở hồ sơ con)",
    EventType.CALL_ACTIVITY_COMPLETED: "Hồ sơ con kết thúc",
    EventType.CALL_ACTIVITY_CANCELLED: "Hủy bước gọi quy trình (dừng hồ sơ con)",
}

OUTCOME_NOTES = {
    "granted": "Đã giải quyết, trả kết quả",
    "refused": "Từ chối giải quyết (có văn bản trả lời nêu rõ lý do)",
    "refused_at_reception": "Từ chối tiếp nhận hồ sơ",
    "supplement_at_reception": "Hướng dẫn bổ sung, hoàn thiện hồ sơ tại quầy (chưa tiếp nhận)",
    "withdrawn": "Người nộp rút hồ sơ, dừng giải quyết",
}

STATUS_LABELS = {"active": "Đang giải quyết", "completed": "Đã kết thúc", "withdrawn": "Đã rút, dừng giải quyết"}


def local(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ)


def slip_time(value: Any) -> str:
    """"08 giờ 00 phút, ngày 02/03/2026", as the official forms write times."""
    moment = local(value)
    if moment is None:
        return "—"
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def short_time(value: Any) -> str:
    moment = local(value)
    return "—" if moment is None else moment.strftime("%H:%M %d/%m/%Y")


def day_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    return value.strftime("%d/%m/%Y")


def number_vi(value: Decimal | int | float | None) -> str:
    """0.25 → "0,25" (Vietnamese decimal comma)."""
    if value is None:
        return "—"
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",")


def working_minutes(minutes: int | None) -> str:
    """Working time as "1 giờ 05 phút" (hours are working hours)."""
    if minutes is None:
        return "—"
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours} giờ {rest:02d} phút"
