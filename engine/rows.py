"""The shapes of the rows the engine passes between its layers, as TypedDicts (plain dicts at run time: the store
returns them, the projection updates them, the use cases write them). One per table the commands touch, keys exactly
the columns of `engine.schema`; `total=False` where a command works on part of a row (a case read without its state,
a task row just created before the store fills its measured minutes).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict


class CaseRow(TypedDict, total=False):
    id: str
    procedure_code: str
    process_id: str
    definition_id: int
    status: str  # active | completed | withdrawn
    stage: str | None  # processing | supplement_requested | None once ended
    outcome: str | None  # granted | refused | refused_at_reception | supplement_at_reception | withdrawn
    applicant_name: str
    channel: str | None
    received_at: datetime
    transferred_at: datetime | None
    due_at: datetime | None
    first_due_at: datetime | None
    apology_due_at: datetime | None
    resolved_at: datetime | None
    result_at: datetime | None
    ended_at: datetime | None
    timing: str | None  # early | on_time | late
    total_working_days: Decimal | None
    restarts: int
    supplement_rounds: int
    rework_rounds: int
    apologies: int
    policy: dict[str, Any]  # the calendar policy the case's limits were computed with
    state: str  # the workflow instance (engine.state_codec)
    version: int
    next_timer_at: datetime | None
    created_at: datetime
    updated_at: datetime
    event_seq: int
    event_hash: str
    used_working_minutes: int | None
    allotted_working_minutes: int | None


class TaskRow(TypedDict, total=False):
    id: str
    case_id: str
    element_id: str
    name: str
    lane: str | None
    lane_id: str | None
    groups: str  # candidate groups, comma-separated
    candidate_users: str
    assignee: str | None
    step: int | None
    allotted_working_days: Decimal | None
    status: str  # open | completed | cancelled
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    overdue: bool
    timing: str | None
    used_working_minutes: int | None
    allotted_working_minutes: int | None
    restart_deadline: bool


class EventRow(TypedDict):
    case_id: str
    seq: int
    type: str  # an engine.history.EventType token
    at: datetime
    actor: str | None
    element_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class Event(TypedDict, total=False):
    """An event as a command derives it, before it is numbered and chained: `type` (an EventType), the element it
    concerns, and its payload's keys at the top level."""

    type: str
    element_id: str | None
