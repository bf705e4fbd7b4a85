"""What happened to a case, step by step, read from its events alone: the steps, the handovers between them and the
part of the diagram the case went through. The control slip, the history view, the diagram highlight and the XES
export are all drawn from this.

Handover: completing step A hands the dossier to every step B that the same transaction created and that A reaches
through the diagram without waiting (gateways, decision tables). Steps a timer created (the apology branch) are not
handovers of the dossier. Without a diagram the order of the events decides: steps created after A's completion and
before the next completion or timer in that transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from engine.audit.diagram_model import ProcessDiagram
from engine.calendar import WorkingTime
from engine.definitions import as_decimal
from engine.projection import judge
from engine.history import EventType
from engine.calendar import BusinessCalendar


@dataclass
class Step:
    task_id: str
    element_id: str
    name: str
    lane: str | None
    lane_id: str | None
    groups: list[str]
    number: int | None
    allotted_working_days: Decimal | None
    created_at: datetime
    created_seq: int
    created_by: str | None
    due_at: datetime | None
    restart_deadline: bool = False
    completed_at: datetime | None = None
    completed_by: str | None = None
    completed_seq: int | None = None
    cancelled_at: datetime | None = None
    overdue: bool = False
    data: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.completed_at is not None:
            return "completed"
        return "cancelled" if self.cancelled_at is not None else "open"

    @property
    def timing(self) -> str | None:
        """Early / on time / late against the step's own due time, by the engine's rule (`service.judge`)."""
        return judge(self.completed_at, self.due_at) if self.completed_at is not None else None

    def used(self, calendar: BusinessCalendar) -> WorkingTime | None:
        if self.completed_at is None:
            return None
        return calendar.working_time_between(self.created_at, self.completed_at)


@dataclass
class Handover:
    giver: Step
    receivers: list[Step]
    at: datetime
    to_applicant: bool = False  # the case ended with this completion: the dossier or result goes back out
    # The completion asked the applicant for a supplement and the case now waits for their message (`message_awaited`
    # of an element marked restart_deadline): the request goes out to the applicant through the desk.
    supplement_request: bool = False


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def read_steps(events: Iterable[dict]) -> list[Step]:
    """Every user step the case had, in creation order, with what became of it."""
    steps: dict[str, Step] = {}
    for e in events:
        p = e["payload"]
        kind = e["type"]
        if kind == EventType.TASK_CREATED:
            steps[p["task_id"]] = Step(
                task_id=p["task_id"], element_id=e["element_id"], name=p.get("name") or e["element_id"],
                lane=p.get("lane"), lane_id=p.get("lane_id"), groups=list(p.get("groups") or []),
                number=int(p["step"]) if p.get("step") else None,
                allotted_working_days=as_decimal(p.get("allotted_working_days")),
                created_at=e["at"], created_seq=e["seq"], created_by=e["actor"], due_at=_instant(p.get("due_at")),
                restart_deadline=bool(p.get("restart_deadline")),
            )
        elif kind == EventType.TASK_COMPLETED and p.get("task_id") in steps:
            step = steps[p["task_id"]]
            step.completed_at, step.completed_by, step.completed_seq = e["at"], e["actor"], e["seq"]
            step.data = dict(p.get("data") or {})
        elif kind == EventType.TASK_CANCELLED and p.get("task_id") in steps:
            steps[p["task_id"]].cancelled_at = e["at"]
        elif kind == EventType.STEP_OVERDUE and p.get("task_id") in steps:
            steps[p["task_id"]].overdue = True
    return list(steps.values())


def _runs(events: list[dict]) -> list[list[dict]]:
    runs: list[list[dict]] = []
    for e in events:
        if runs and e["at"] == runs[-1][-1]["at"] and e["actor"] == runs[-1][-1]["actor"] and e["type"] != EventType.CASE_STARTED:
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def read_handovers(events: list[dict], steps: list[Step], diagram: ProcessDiagram | None) -> list[Handover]:
    by_id = {s.task_id: s for s in steps}
    handovers: list[Handover] = []
    for run in _runs(events):
        for index, e in enumerate(run):
            if e["type"] != EventType.TASK_COMPLETED or e["payload"].get("task_id") not in by_id:
                continue
            giver = by_id[e["payload"]["task_id"]]
            later = run[index + 1:]
            if diagram is not None:
                created = [by_id[x["payload"]["task_id"]] for x in later
                           if x["type"] == EventType.TASK_CREATED and x["payload"].get("task_id") in by_id]
                receivers = [s for s in created if diagram.path(giver.element_id, s.element_id) is not None]
            else:
                receivers = []
                for x in later:
                    if x["type"] in (EventType.TASK_COMPLETED, EventType.TIMER_FIRED):
                        break
                    if x["type"] == EventType.TASK_CREATED and x["payload"].get("task_id") in by_id:
                        receivers.append(by_id[x["payload"]["task_id"]])
            ended = any(x["type"] == EventType.CASE_ENDED for x in later)
            awaits = not receivers and any(x["type"] == EventType.MESSAGE_AWAITED and x["payload"].get("restart_deadline")
                                           for x in later)
            if receivers or ended or awaits:
                handovers.append(Handover(giver, receivers, e["at"], to_applicant=(ended or awaits) and not receivers,
                                          supplement_request=awaits))
    return handovers


@dataclass
class PathMarks:
    """What of the diagram the case went through: nodes reached, flows taken, and each step's latest status."""

    nodes: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)
    status: dict[str, str] = field(default_factory=dict)  # element id -> early | on_time | late | open | reached


def mark_path(events: list[dict], steps: list[Step], diagram: ProcessDiagram) -> PathMarks:
    marks = PathMarks()
    starts = [n.id for n in diagram.nodes.values() if n.kind == "startEvent"]
    for run in _runs(events):
        sources: list[str] = []
        targets: list[str] = []
        for e in run:
            kind, element = e["type"], e["element_id"]
            if kind == EventType.CASE_STARTED:
                sources.extend(starts)
                marks.nodes.update(starts)
            elif kind in (EventType.TASK_COMPLETED, EventType.TIMER_FIRED):
                sources.append(element)
            elif kind in (EventType.TASK_CREATED, EventType.END_REACHED, EventType.DECISION_EVALUATED,
                          EventType.MESSAGE_AWAITED):
                targets.append(element)
            if kind == EventType.MESSAGE_CORRELATED:  # the caught message's path goes on from its catch event
                sources.append(element)
            if element and kind in (EventType.TASK_CREATED, EventType.TASK_COMPLETED, EventType.TIMER_FIRED, EventType.END_REACHED,
                                    EventType.DECISION_EVALUATED, EventType.MESSAGE_AWAITED,
                                    EventType.MESSAGE_CORRELATED):
                marks.nodes.add(element)
        for target in targets:
            paths = [p for p in (diagram.path(s, target) for s in sources) if p is not None]
            if paths:
                shortest = min(paths, key=len)
                marks.flows.update(shortest)
                marks.nodes.update(diagram.flows[f].target for f in shortest)
                marks.nodes.update(diagram.flows[f].source for f in shortest)
    # A catch event that fired was reached from the branch that led to it (the fork to the apology timer).
    for node in diagram.nodes.values():
        if node.id in marks.nodes and node.kind == "intermediateCatchEvent" and not any(
                diagram.flows[f].target == node.id for f in marks.flows):
            back = diagram.back_path(node.id, set(marks.nodes))
            if back:
                marks.flows.update(back)
                marks.nodes.update(diagram.flows[f].source for f in back)
    for node_id in marks.nodes:
        marks.status[node_id] = "reached"
    for step in steps:  # creation order: the latest occurrence of a step decides its colour
        if step.status == "open":
            marks.status[step.element_id] = "open"
        elif step.status == "completed":
            marks.status[step.element_id] = step.timing or "reached"
    return marks
