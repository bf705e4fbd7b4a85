"""Timer start events (Camunda 7): a process that starts on a schedule rather than when reception receives a dossier
— a monthly statistics report, a quarterly records review.

What runs, checked here at deploy: one timer start event as the process's only start event, with `timeDate` (an ISO
8601 instant: one case then), `timeDuration` (one case that long after the deployment, in working time, as every
duration here) or `timeCycle` `R<n>/<duration>` / `R/<duration>` (a case every duration in working time from the
deployment: n cases, or without end). Refused, with the reason: a cron expression (it counts calendar hours), a cycle
with a start or end date, an expression, a timer start next to other start events.

How it runs: the parser gives the process a plain start event and records the timer on it (`timer_start` in the
spec's extensions); deploy keeps one schedule row per process (`timer_starts`, the latest version's; a new version
replaces it, as Camunda 7 replaces the timer job); `tthc tick` / `tthc worker` start each due case
(engine.usecases.timer_start). `tthc start KEY` still starts one by hand, as Camunda 7's startProcessInstanceByKey.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.calendar import TZ
from engine.dialect.messages import _fail
from engine.dialect.timers import check_time_date, is_cron, is_working_duration, parse_cycle
from engine.dialect.xml import NS
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree

    from engine.calendar import BusinessCalendar

KINDS = ("timeDate", "timeDuration", "timeCycle")


def timer_of(event: etree._Element) -> tuple[str, str] | None:
    """(kind, text) of a start event's timer, or None when it has none."""
    timer = event.find("bpmn:timerEventDefinition", NS)
    if timer is None:
        return None
    values = [(c.tag.split("}")[-1], (c.text or "").strip()) for c in timer if isinstance(c.tag, str)]
    return values[0] if len(values) == 1 and values[0][0] in KINDS else ("", "")


def check_timer_start(process: etree._Element, filename: str) -> None:
    starts = process.findall("bpmn:startEvent", NS)
    for event in starts:
        found = timer_of(event)
        if found is None:
            continue
        eid, (kind, text) = event.get("id"), found
        if len(starts) != 1:
            raise _fail(filename, eid, "sự kiện bắt đầu hẹn giờ phải là sự kiện bắt đầu duy nhất của quy trình",
                        event.sourceline)
        if not kind:
            raise _fail(filename, eid, "hẹn giờ phải có đúng một giá trị timeDate, timeDuration hoặc timeCycle",
                        event.sourceline)
        _check_value(kind, text, filename, eid, event.sourceline)


def _check_value(kind: str, text: str, filename: str, eid: str, line: int | None) -> None:
    if kind == "timeDate":
        try:
            check_time_date(text)
        except InvalidInput as exc:
            raise _fail(filename, eid, exc.message.rstrip("."), line) from exc
    elif kind == "timeDuration" and not is_working_duration(text):
        raise _fail(filename, eid, f"thời lượng '{text}' không phải ISO 8601 dạng ngày/giờ (ví dụ P1D, PT4H)", line)
    elif kind == "timeCycle" and is_cron(text):
        raise _fail(filename, eid, f"biểu thức cron '{text}' không được hỗ trợ: lịch cron đếm giờ lịch, còn mọi thời "
                    "hạn ở đây tính theo giờ làm việc; hãy viết chu kỳ ISO 8601 như R12/P22D hoặc R/P5D", line)
    elif kind == "timeCycle" and parse_cycle(text) is None:
        raise _fail(filename, eid, f"chu kỳ '{text}' phải có dạng R<số lần>/<thời lượng> hoặc R/<thời lượng>, không "
                    "có ngày bắt đầu hay kết thúc, không phải biểu thức", line)


def first_schedule(timer: dict[str, str], deployed_at: datetime, calendar: BusinessCalendar) -> dict[str, Any]:
    """The schedule row's timing when a version is deployed: the first instant a case starts and the repetitions
    left after it (-1: without end; 0: none)."""
    kind, text = timer["kind"], timer["text"]
    if kind == "timeDate":  # without an offset: Vietnam's time, as every other instant a designer writes
        at = datetime.fromisoformat(text)
        return {"next_fire_at": at if at.tzinfo is not None else at.replace(tzinfo=TZ), "remaining": 0}
    if kind == "timeDuration":
        return {"next_fire_at": calendar.duration_due(deployed_at, text), "remaining": 0}
    count, duration = parse_cycle(text)
    return {"next_fire_at": calendar.duration_due(deployed_at, duration), "remaining": count - 1 if count > 0 else -1}


def following(timer: dict[str, str], fired_due: datetime, remaining: int,
              calendar: BusinessCalendar) -> dict[str, Any] | None:
    """After a case started at `fired_due`: the next timing, or None when the schedule is spent."""
    if timer["kind"] != "timeCycle" or remaining == 0:
        return None
    _, duration = parse_cycle(timer["text"])
    return {"next_fire_at": calendar.duration_due(fired_due, duration), "remaining": remaining - 1 if remaining > 0 else -1}
