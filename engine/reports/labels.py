"""Vietnamese labels and number formats shared by the table, CSV and HTML renderings of a report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.calendar import TZ

# Flow columns in the order of the provinces' statistics table: received, resolved, pending, then the rest.
FLOW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("carried_over", "Kỳ trước chuyển sang"),
    ("received", "Tiếp nhận trong kỳ"),
    ("received_online", "Trực tuyến"),
    ("received_direct_postal", "Trực tiếp, bưu chính"),
    ("received_unspecified", "Chưa ghi hình thức nộp"),
    ("resolved", "Đã giải quyết"),
    ("resolved_early", "Trước hạn"),
    ("resolved_on_time", "Đúng hạn"),
    ("resolved_late", "Quá hạn"),
    ("refused", "Từ chối giải quyết"),
    ("pending", "Đang giải quyết"),
    ("pending_within_deadline", "Trong hạn"),
    ("pending_overdue", "Quá hạn (đang giải quyết)"),
    ("pending_awaiting_supplement", "Chờ bổ sung"),
    ("withdrawn", "Rút hồ sơ (dừng giải quyết)"),
    ("ended_otherwise", "Kết thúc khác"),
    ("refused_at_reception", "Từ chối tiếp nhận"),
    ("supplement_at_reception", "Hướng dẫn bổ sung tại quầy"),
    ("supplement_requests", "Yêu cầu bổ sung"),
    ("apologies", "Thư xin lỗi"),
    ("on_time_rate", "Tỷ lệ đúng hạn"),
    ("avg_used_days", "TB thời gian sử dụng (ngày LV)"),
    ("avg_allotted_days", "TB thời hạn (ngày LV)"),
    ("fast_share", "Tỷ lệ nhanh hơn ≥15%"),
    ("case_score", "Điểm chỉ số 1 (TB)"),
    ("supplement_score", "Điểm chỉ số 3 (TB)"),
)

UNIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("steps", "Bước đã xử lý"),
    ("early", "Trước hạn"),
    ("on_time", "Đúng hạn"),
    ("late", "Quá hạn"),
    ("on_time_rate", "Tỷ lệ đúng hạn"),
    ("avg_used_days", "TB thời gian sử dụng (ngày LV)"),
    ("avg_allotted_days", "TB thời gian được giao (ngày LV)"),
    ("late_working_days", "Tổng thời gian chậm (ngày LV)"),
    ("open_overdue", "Bước đang quá hạn"),
    ("score_cases", "Số hồ sơ chấm điểm"),
    ("score", "Điểm chỉ số 2 (TB)"),
)

GROUP_TITLES = {
    "procedure": "Thủ tục", "field": "Lĩnh vực", "month": "Tháng", "lane": "Đơn vị (làn)", "officer": "Cán bộ",
}
RATE_KEYS = {"on_time_rate", "fast_share"}
SCORE_KEYS = {"case_score", "supplement_score", "score"}
DAY_KEYS = {"avg_used_days", "avg_allotted_days", "late_working_days"}


def with_days(row: dict, day_minutes: int) -> dict:
    """Averages in working days (the legal unit) next to the stored minutes."""
    out = dict(row)
    for minutes, days in (("avg_used_minutes", "avg_used_days"), ("avg_allotted_minutes", "avg_allotted_days")):
        if minutes in row:
            out[days] = None if row[minutes] is None else round(row[minutes] / day_minutes, 2)
    return out


def number(value: Any, key: str) -> str:
    """A figure as Vietnamese readers write it: decimal comma, percentages for rates, dash when undefined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    if key in RATE_KEYS:
        return f"{value * 100:.1f}%".replace(".", ",")
    if key in SCORE_KEYS:
        return f"{value:.2f}".replace(".", ",")
    if key in DAY_KEYS:
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def when(value: Any) -> str:
    """An instant as hh:mm dd/mm/yyyy in local time, as on the receipt and the control slip."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


def day_text(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "—"
