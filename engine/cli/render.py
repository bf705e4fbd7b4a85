"""Human renderings shared by the commands: Vietnamese labels, times as hh:mm dd/mm/yyyy in local time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.calendar.clock import TZ
from engine.config import GROUP_LABELS
from engine.fit_table import Column, fitted_table
from engine.labels import OUTCOME_LABELS, STAGE_LABELS, STATUS_LABELS, TIMING_LABELS  # noqa: F401 - re-exported


def when(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


def number(value: Any) -> str:
    """A number as people write it: 60 (not 60.0000), 0,25 with a decimal comma; — when there is none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = format(exact.normalize(), "f") if exact != exact.to_integral_value() else str(int(exact))
    return text.replace(".", ",")


def deploy_hint() -> str:
    """The command that deploys the shipped procedure library, with paths that work from the current directory."""
    import os

    from engine.library import ROOT

    paths = []
    for name in ("bpmn", "forms"):
        path = ROOT / name
        relative = os.path.relpath(path)
        paths.append(relative if not relative.startswith("..") else str(path))
    return f"tthc deploy {' '.join(paths)}"


KIND_LABELS = {"bpmn": "sơ đồ BPMN", "form": "biểu mẫu", "dmn": "bảng quyết định", "catalog": "danh mục thủ tục"}


def groups_label(groups: Iterable[str]) -> str:
    return ", ".join(GROUP_LABELS.get(g, g) for g in groups) or "—"


LATE_SYMBOL = "⚠"  # late steps get a symbol as well as the colour: for colour-blind readers, NO_COLOR and pipes
LATE = f"{LATE_SYMBOL} quá hạn"


def late_text(overdue: bool) -> Text:
    return Text(LATE, style="bold red") if overdue else Text("")


def shown_task_ids(tasks: list[dict]) -> dict[str, str]:
    """Each task's id as the table shows it: its first 8 characters (what the CLI accepts), longer where two of the
    listed tasks share them, so every id on screen can be typed back."""
    ids = [t["task_id"] for t in tasks]
    shown = {}
    for task_id in ids:
        length = 8
        while length < len(task_id) and any(o != task_id and o[:length] == task_id[:length] for o in ids):
            length += 1
        shown[task_id] = task_id[:length]
    return shown


def tasks_table(console: Console, tasks: list[dict], title: str = "Các bước đang chờ xử lý") -> Table:
    short = shown_task_ids(tasks)
    columns = [Column("Mã bước", "id"), Column("Hồ sơ", "id"), Column("Bước", least=16), Column("Làn", drop=2),
               Column("Nhóm xử lý", drop=3), Column("Người giữ", drop=4), Column("Bắt đầu", drop=1), Column("Hạn")]
    rows = []
    for t in tasks:
        late = bool(t.get("overdue"))
        due = Text(f"{LATE_SYMBOL} {when(t.get('due_at'))}", style="bold red") if late else when(t.get("due_at"))
        rows.append([short[t["task_id"]], t["case_id"], t["name"], t.get("lane") or "—",
                     groups_label(t.get("candidate_groups", [])), t.get("assignee") or "—", when(t.get("started_at")),
                     due])
    caption = Text(f"{LATE_SYMBOL} quá hạn", style="bold red") if any(t.get("overdue") for t in tasks) else None
    return fitted_table(console, columns, rows, title=title, caption=caption, caption_justify="left")
