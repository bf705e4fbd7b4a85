"""The readable timeline for `tthc history`: lanes, officers and the working time each completed step took."""

from __future__ import annotations

import io

from rich.console import Console

from engine.audit.history_view import render_timeline, timeline
from engine.audit.records import load_record
from engine.calendar import BusinessCalendar
from engine.store import Store
from test_audit_scenarios import library  # noqa: F401 - session fixture


def _timeline(library, scenario: str) -> dict:
    store = Store.open(library.url)
    try:
        with store.transaction() as tx:
            record = load_record(tx, library.cases[scenario])
    finally:
        store.dispose()
    return timeline(record, BusinessCalendar.default(), {"mai": "Lê Thị Mai", "hung": "Trần Văn Hùng"})


def test_completed_steps_show_their_lane_officer_and_working_time_against_the_allotment(library):
    doc = _timeline(library, "late_step")
    done = [(r["element_id"], r["lane"], r["actor_name"], r["used_working_minutes"], r["timing"])
            for r in doc["events"] if r["type"] == "task_completed"]
    assert done[2] == ("appraise", "Công chức thụ lý", "Lê Thị Mai", 660, "late")
    assert done[1] == ("assign", "Lãnh đạo phòng chuyên môn", "Trần Văn Hùng", 30, "on_time")
    overdue = next(r for r in doc["events"] if r["type"] == "step_overdue")
    assert (overdue["label"], overdue["actor"], overdue["detail"]) == ("Bước quá hạn", None, "hạn 11:00 03/03/2026")


def test_the_timeline_renders_as_a_vietnamese_table(library):
    doc = _timeline(library, "supplement")
    buffer = io.StringIO()
    render_timeline(Console(file=buffer, width=250, highlight=False), doc)
    text = buffer.getvalue()
    assert f"Lịch sử hồ sơ {library.cases['supplement']}" in text
    assert "Tính lại thời hạn" in text and "2 giờ 00 phút / định mức 1,25 ngày" in text
    restart = next(r for r in doc["events"] if r["type"] == "deadline_restarted")
    assert restart["detail"] == "hạn mới 09:00 09/03/2026 (trước: 08:00 05/03/2026)"
