"""Deploy-time checks of cycle timers (`timeCycle`), which run as reminders (engine.dialect.timers.WorkingCycleTimer).

Runs: `R<n>/<duration>` and `R/<duration>` (unbounded) with a working-time duration, on a non-interrupting boundary
event of a user task — a reminder every duration while the step is open, in working time. Refused with the reason:
a cron expression (Camunda 7 accepts Quartz cron; a cron schedule counts calendar hours, while every limit here counts
working time — write the period as an ISO 8601 cycle), a cycle with a start or end date, an expression, and a cycle
anywhere else (an interrupting cycle fires once, which is a `timeDuration`; a catch event waits for one instant).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.dialect.messages import _fail, _local
from engine.dialect.timers import is_cron, parse_cycle
from engine.dialect.xml import NS

if TYPE_CHECKING:  # annotations only
    from lxml import etree


def check_cycles(process: etree._Element, filename: str) -> None:
    by_id = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    for cycle in process.iter(f"{{{NS['bpmn']}}}timeCycle"):
        timer = cycle.getparent()
        event = timer.getparent()
        if _local(event.tag) == "startEvent" and event.getparent() is process:
            continue  # a schedule of cases (engine.dialect.timer_start)
        eid, text = event.get("id"), (cycle.text or "").strip()
        if len([c for c in timer if isinstance(c.tag, str)]) != 1:
            raise _fail(filename, eid, "hẹn giờ phải có đúng một giá trị timeCycle, timeDuration hoặc timeDate",
                        timer.sourceline)
        if is_cron(text):
            raise _fail(filename, eid, f"biểu thức cron '{text}' không được hỗ trợ: lịch cron đếm giờ lịch, còn mọi thời "
                        "hạn ở đây tính theo giờ làm việc; hãy viết chu kỳ ISO 8601 như R3/PT4H hoặc R/P1D",
                        cycle.sourceline)
        if parse_cycle(text) is None:
            raise _fail(filename, eid, f"chu kỳ '{text}' phải có dạng R<số lần>/<thời lượng> hoặc R/<thời lượng> (ví dụ "
                        "R3/PT4H, R/P1D), không có ngày bắt đầu hay kết thúc, không phải biểu thức", cycle.sourceline)
        attached = by_id.get(event.get("attachedToRef") or "")
        if (_local(event.tag) != "boundaryEvent" or event.get("cancelActivity", "true").lower() != "false"
                or attached is None or _local(attached.tag) != "userTask"):
            raise _fail(filename, eid, "hẹn giờ lặp (timeCycle) chỉ dùng làm lời nhắc: sự kiện biên không ngắt "
                        "(cancelActivity=\"false\") gắn vào tác vụ người dùng", event.sourceline)
