"""Human renderings shared by the commands: Vietnamese labels, times as hh:mm dd/mm/yyyy in local time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from rich.table import Table

from engine.calendar import TZ
from engine.config import GROUP_LABELS
from engine.labels import OUTCOME_LABELS, STAGE_LABELS, STATUS_LABELS, TIMING_LABELS  # noqa: F401 - re-exported

def when(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


def groups_label(groups: Iterable[str]) -> str:
    return ", ".join(GROUP_LABELS.get(g, g) for g in groups) or "—"


def tasks_table(tasks: list[dict], title: str = "Các bước đang chờ xử lý") -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("Mã bước", "Hồ sơ", "Bước", "Làn", "Nhóm xử lý", "Người giữ", "Bắt đầu", "Hạn", "Quá hạn"):
        table.add_column(col)
    for t in tasks:
        table.add_row(t["task_id"][:8], t["case_id"], t["name"], t.get("lane") or "—",
                      groups_label(t.get("candidate_groups", [])), t.get("assignee") or "—",
                      when(t.get("started_at")), when(t.get("due_at")), "có" if t.get("overdue") else "")
    return table
