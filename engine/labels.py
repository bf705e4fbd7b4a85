"""Vietnamese labels for the stable status tokens the engine stores (tokens stay English everywhere else)."""

STATUS_LABELS = {
    "active": "đang giải quyết", "completed": "đã kết thúc", "withdrawn": "đã rút (dừng giải quyết)",
    "open": "đang chờ", "cancelled": "đã hủy",
}
OUTCOME_LABELS = {
    "granted": "đã giải quyết", "refused": "từ chối giải quyết (có văn bản trả lời)",
    "refused_at_reception": "từ chối tiếp nhận", "supplement_at_reception": "hướng dẫn bổ sung tại quầy",
    "withdrawn": "rút hồ sơ theo yêu cầu",
}
TIMING_LABELS = {"early": "trước hạn", "on_time": "đúng hạn", "late": "quá hạn"}
STAGE_LABELS = {"processing": "đang xử lý", "supplement_requested": "chờ người nộp bổ sung"}
