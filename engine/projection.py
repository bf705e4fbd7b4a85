"""The projection: from a case and the events one command derived, the case-level consequences and the read model.

SQL-free and SpiffWorkflow-free, so the live engine and replay run exactly the same code (replay swaps the edges — the
store and the clock — never this middle). Two stages, in the order a command runs them:

1. `consequences(case, derived, ...)`: what the workflow's events mean for the case — a supplement request (a step
   or a message catch event marked `restart_deadline` opening / starting to wait) suspends the apology timer; a
   received supplement (that step completed, that event's message correlated) restarts the time limit
   (`deadline_restarted`) and moves the apology timer;
   an apology step's new date issues `apology_issued`; a completed workflow ends the case with its outcome
   (`case_ended`, the outcome from the diagram's policy). Returns the events to append and the changes the runtime must
   make to the workflow (`WorkflowChange`), without touching either.
2. `project(case, events, ...)`: applies all the events to the case row (a dict, updated in place) and to task rows:
   rows to insert for created tasks, value changes for existing ones, the completed rows (for the daily sums) and
   whether the case was resolved by these events. The caller hands in the existing task rows the events touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Mapping, Protocol

from engine.definitions import as_decimal
from engine.history import EventType
from engine.policy import ProcedurePolicy
from engine.rows import CaseRow, Event, TaskRow
from engine.reports.measures import case_time_used, step_time_used

# Event types bound once as plain tokens: looking an enum member up costs more than the comparison or the dict
# it feeds, on every event of every command (and plain strings take the fast path of `history.plain`).
APOLOGY_ISSUED = EventType.APOLOGY_ISSUED.value
CASE_ENDED = EventType.CASE_ENDED.value
CASE_WITHDRAWN = EventType.CASE_WITHDRAWN.value
DEADLINE_RESTARTED = EventType.DEADLINE_RESTARTED.value
END_REACHED = EventType.END_REACHED.value
MESSAGE_AWAITED = EventType.MESSAGE_AWAITED.value
MESSAGE_CORRELATED = EventType.MESSAGE_CORRELATED.value
STEP_OVERDUE = EventType.STEP_OVERDUE.value
TASK_CANCELLED = EventType.TASK_CANCELLED.value
TASK_COMPLETED = EventType.TASK_COMPLETED.value
TASK_CREATED = EventType.TASK_CREATED.value
WORKFLOW_COMPLETED = EventType.WORKFLOW_COMPLETED.value


# The case variables the apology timer of a procedure reads (`timeDate ${apology_at}`) and the start data carries.
APOLOGY_VARIABLE = "apology_at"
# The apology step's form fields: the new date promised to the applicant and why.
NEW_DUE_FIELD = "new_due_date"
APOLOGY_REASON_FIELD = "apology_reason"


class Calendar(Protocol):
    def case_due(self, start: datetime, working_days: Any) -> datetime: ...
    def back(self, at: datetime, working_days: Any) -> datetime: ...
    def previous_working_instant(self, at: datetime) -> datetime: ...


@dataclass(frozen=True)
class WorkflowChange:
    """A change the runtime makes to the workflow for a case-level consequence.
    `variables`: case data to set on every task still to run; `timer_variable`/`timer_due`: move the waiting `timeDate`
    timers reading that variable to `timer_due` (None suspends them)."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    timer_variable: str | None = None
    timer_due: datetime | None = None


@dataclass
class Consequences:
    events: list[Event]
    changes: list[WorkflowChange]


@dataclass
class Projected:
    new_tasks: list[TaskRow] = field(default_factory=list)  # rows to insert, after the case row
    task_updates: list[tuple[str, TaskRow]] = field(default_factory=list)  # (task id, changed values) of stored rows
    completed: list[TaskRow] = field(default_factory=list)  # completed tasks' rows as updated (daily sums)
    resolved: bool = False  # the case got its `resolved_at` from these events
    new_external: list[dict] = field(default_factory=list)  # external task rows to insert (engine.projection_external)
    external_updates: list[tuple[str, dict]] = field(default_factory=list)  # (id, changed values) of stored ones


def judge(done_at: datetime, due_at: datetime | None) -> str | None:
    """Early / on time / late as the control slip and reports say it: late after the due instant; early when done on
    an earlier day than the due day; on time otherwise."""
    if due_at is None:
        return None
    if done_at > due_at:
        return "late"
    return "early" if done_at.date() < due_at.date() else "on_time"


def workflow_completed(derived: list[Event]) -> bool:
    return any(e["type"] == WORKFLOW_COMPLETED for e in derived)


# --- stage 1: consequences -------------------------------------------------------------------------------------
def consequences(case: CaseRow, derived: list[Event], *, now: datetime, calendar: Calendar,
                 policy: ProcedurePolicy, final_data: Mapping[str, Any]) -> Consequences:
    """The derived events followed by the case-level events they cause. `final_data` is the workflow's data when it
    completed (read only then; pass {} otherwise)."""
    out = Consequences([], [])
    for event in derived:
        out.events.append(event)
        kind = event["type"]
        if kind in (TASK_CREATED, MESSAGE_AWAITED) and event.get("restart_deadline"):
            # Waiting for the applicant: the current limit is void until the complete dossier restarts it.
            out.changes.append(WorkflowChange(timer_variable=APOLOGY_VARIABLE, timer_due=None))
        if kind == TASK_COMPLETED:
            _after_completion(out, case, event, now, calendar)
        if kind == MESSAGE_CORRELATED and policy.restarts_on_message(event.get("element_id")):
            _restart(out, case, now, calendar)  # the applicant's supplemented dossier arrived
    if workflow_completed(derived):
        out.events.append(_case_ended(derived, policy, final_data))
    return out


def _restart(out: Consequences, case: CaseRow, now: datetime, calendar: Calendar) -> None:
    """The limit counted again from zero from `now`, and the apology timer moved with it."""
    if case.get("total_working_days") is None:
        return
    new_due = calendar.case_due(now, case["total_working_days"])
    new_apology = calendar.back(new_due, 1)
    out.changes.append(WorkflowChange(
        variables={"due_at": new_due.isoformat(), APOLOGY_VARIABLE: new_apology.isoformat()},
        timer_variable=APOLOGY_VARIABLE, timer_due=new_apology))
    out.events.append({"type": DEADLINE_RESTARTED, "previous_due_at": case.get("due_at"),
                       "due_at": new_due, "reason": "supplement_received"})


def _after_completion(out: Consequences, case: CaseRow, event: Event, now: datetime,
                      calendar: Calendar) -> None:
    if event.get("restart_deadline"):
        _restart(out, case, now, calendar)
    data = event.get("data", {})
    if NEW_DUE_FIELD in data:
        # The promised day counts to its end: the last working instant before the next midnight.
        midnight = datetime.combine(data[NEW_DUE_FIELD], time(0), tzinfo=now.tzinfo) + timedelta(days=1)
        out.events.append({"type": APOLOGY_ISSUED, "new_due_at": calendar.previous_working_instant(midnight),
                           "reason": data.get(APOLOGY_REASON_FIELD), "legal_due_at": case.get("due_at"),
                           "notice_form": "04"})


def _case_ended(derived: list[Event], policy: ProcedurePolicy, final_data: Mapping[str, Any]) -> Event:
    end = policy.deciding_end([e["element_id"] for e in derived if e["type"] == END_REACHED])
    return {"type": CASE_ENDED, "status": "completed", "outcome": policy.outcome(end, final_data),
            "end_event": end}


def withdrawal_events(reason: str | None, cancelled: list[Event]) -> list[Event]:
    """A withdrawal: the applicant's request, the steps it cancelled, the end of the case."""
    return ([{"type": CASE_WITHDRAWN, "reason": reason, "notice_form": "05"}] + cancelled
            + [{"type": CASE_ENDED, "status": "withdrawn", "outcome": "withdrawn"}])


# --- stage 2: the read model -----------------------------------------------------------------------------------
class _Projector:
    def __init__(self, case: CaseRow, *, actor: str | None, now: datetime, calendar: Calendar,
                 policy: ProcedurePolicy, tasks: Mapping[str, TaskRow]) -> None:
        self.case, self.actor, self.now, self.calendar, self.policy = case, actor, now, calendar, policy
        self.tasks = tasks
        self.out = Projected()
        self.resolved_before = case.get("resolved_at") is not None

    def run(self, events: list[Event]) -> Projected:
        for event in events:
            handler = _HANDLERS.get(event["type"])
            if handler is not None:
                handler(self, event)
        self.out.resolved = not self.resolved_before and self.case.get("resolved_at") is not None
        return self.out

    def _resolve(self) -> None:
        case = self.case
        case["resolved_at"] = self.now
        case["timing"] = judge(self.now, case.get("due_at"))
        case.update(case_time_used(self.calendar, case))

    def _change(self, task_id: str, values: TaskRow) -> None:
        created = next((t for t in self.out.new_tasks if t["id"] == task_id), None)
        if created is not None:
            created.update(values)
        else:
            self.out.task_updates.append((task_id, values))

    def task_created(self, e: Event) -> None:
        self.out.new_tasks.append(task_row(self.case["id"], e, self.now))
        case = self.case
        if e.get("restart_deadline"):
            case["stage"] = "supplement_requested"
            case["supplement_rounds"] = (case.get("supplement_rounds") or 0) + 1
        if self.policy.has_role(e["element_id"], "returns_result") and case.get("resolved_at") is None:
            self._resolve()

    def message_awaited(self, e: Event) -> None:
        """The applicant's supplement awaited (a catch event marked `restart_deadline`): as a supplement step opening."""
        if e.get("restart_deadline"):
            self.case["stage"] = "supplement_requested"
            self.case["supplement_rounds"] = (self.case.get("supplement_rounds") or 0) + 1

    def message_correlated(self, e: Event) -> None:
        if self.policy.restarts_on_message(e.get("element_id")):
            self.case["stage"] = "processing"  # the supplemented dossier arrived: the limit runs again

    def task_completed(self, e: Event) -> None:
        due = datetime.fromisoformat(e["due_at"]) if e.get("due_at") else None
        row = self.tasks.get(e["task_id"]) or {}
        done = {"status": "completed", "completed_at": self.now, "completed_by": self.actor,
                "timing": judge(self.now, due), **step_time_used(self.calendar, row, self.now)}
        self.out.task_updates.append((e["task_id"], done))
        if row:
            self.out.completed.append({**row, **done})
        data, case = e.get("data") or {}, self.case
        channel = self.policy.channel(data)
        if channel is not None:
            case["channel"] = channel  # the reception form records how the dossier arrived
        rework = self.policy.is_rework(data)
        if rework:
            case["rework_rounds"] = (case.get("rework_rounds") or 0) + 1
        if self.policy.has_role(e["element_id"], "result") and not rework and case.get("result_at") is None:
            case["result_at"] = self.now
        if e.get("restart_deadline"):
            case["stage"] = "processing"

    def task_assigned(self, e: Event) -> None:
        """A claim sets the assignee, an unclaim clears it (the payload of `task_unclaimed` has none)."""
        self._change(e["task_id"], {"assignee": e.get("assignee")})

    def task_cancelled(self, e: Event) -> None:
        self._change(e["task_id"], {"status": "cancelled", "completed_at": self.now})

    def step_overdue(self, e: Event) -> None:
        self._change(e["task_id"], {"overdue": True})

    def deadline_restarted(self, e: Event) -> None:
        self.case["due_at"] = e["due_at"]
        self.case["restarts"] = (self.case.get("restarts") or 0) + 1

    def apology_issued(self, e: Event) -> None:
        self.case["apology_due_at"] = e["new_due_at"]
        self.case["apologies"] = (self.case.get("apologies") or 0) + 1

    def case_ended(self, e: Event) -> None:
        case = self.case
        case.update(status=e["status"], outcome=e["outcome"], ended_at=self.now, stage=None)
        if e["status"] == "completed" and case.get("resolved_at") is None and e["outcome"] in ("granted", "refused"):
            self._resolve()


_HANDLERS = {
    TASK_CREATED: _Projector.task_created,
    TASK_COMPLETED: _Projector.task_completed,
    TASK_CANCELLED: _Projector.task_cancelled,
    EventType.TASK_CLAIMED.value: _Projector.task_assigned,
    EventType.TASK_UNCLAIMED.value: _Projector.task_assigned,
    STEP_OVERDUE: _Projector.step_overdue,
    DEADLINE_RESTARTED: _Projector.deadline_restarted,
    MESSAGE_AWAITED: _Projector.message_awaited,
    MESSAGE_CORRELATED: _Projector.message_correlated,
    APOLOGY_ISSUED: _Projector.apology_issued,
    CASE_ENDED: _Projector.case_ended,
}


def _register_external_handlers() -> None:
    from engine.projection_external import HANDLERS

    _HANDLERS.update(HANDLERS)


_register_external_handlers()


def task_row(case_id: str, e: Event, now: datetime) -> TaskRow:
    """The task row of a `task_created` event."""
    return {
        "id": e["task_id"], "case_id": case_id, "element_id": e["element_id"], "name": e["name"],
        "lane": e.get("lane"), "lane_id": e.get("lane_id"), "groups": ",".join(e.get("groups") or []),
        "candidate_users": ",".join(e.get("candidate_users") or []), "assignee": e.get("assignee"),
        "step": int(e["step"]) if e.get("step") else None,
        "allotted_working_days": as_decimal(e.get("allotted_working_days")), "status": "open",
        "created_at": now, "due_at": datetime.fromisoformat(e["due_at"]) if e.get("due_at") else None,
        "completed_at": None, "completed_by": None, "overdue": False, "timing": None,
        "restart_deadline": bool(e.get("restart_deadline")),
        "follow_up_at": datetime.fromisoformat(e["follow_up_at"]) if e.get("follow_up_at") else None,
    }


def project(case: CaseRow, events: list[Event], *, actor: str | None, now: datetime, calendar: Calendar,
            policy: ProcedurePolicy, tasks: Mapping[str, TaskRow] | None = None) -> Projected:
    """Apply `events` to `case` (updated in place) and to task rows. `tasks`: the stored rows of the tasks the events
    complete, by id (a completed task's time used is measured from its row)."""
    return _Projector(case, actor=actor, now=now, calendar=calendar, policy=policy, tasks=tasks or {}).run(events)
