"""Append-only case history: event records and the SHA-256 hash chain that makes any change detectable.

Each event's hash covers its case, sequence number, type, engine time, actor, element and payload, the origin of the
command (the OS account and host, or an HTTP server's authenticated user and client address; engine.origin) when it
was recorded, and the previous event's hash, in one canonical JSON encoding (sorted keys, no insignificant whitespace,
UTF-8, NFC text). Changing, deleting, inserting or swapping any event breaks the chain from that event on.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, Mapping

GENESIS = "0" * 64


class EventType(StrEnum):
    """Every event type the engine writes: past-tense facts, stable tokens (stored, hashed, exported; never renamed).
    A StrEnum, so a member equals its token and stored rows (plain strings) compare equal to members."""

    CASE_STARTED = "case_started"
    TASK_CREATED = "task_created"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TIMER_FIRED = "timer_fired"
    STEP_OVERDUE = "step_overdue"
    DECISION_EVALUATED = "decision_evaluated"
    END_REACHED = "end_reached"
    WORKFLOW_COMPLETED = "workflow_completed"
    DEADLINE_RESTARTED = "deadline_restarted"
    APOLOGY_ISSUED = "apology_issued"
    CASE_ENDED = "case_ended"
    CASE_WITHDRAWN = "case_withdrawn"
    NOTE_ADDED = "note_added"
    MESSAGE_CORRELATED = "message_correlated"
    # A message catch event that voids the limit (`restart_deadline`, the applicant's supplement) started waiting.
    MESSAGE_AWAITED = "message_awaited"
    SIGNAL_RECEIVED = "signal_received"
    TASK_ESCALATED = "task_escalated"  # an officer raised an escalation on a step (Camunda 7 handleEscalation)
    TASK_BPMN_ERROR = "task_bpmn_error"  # an officer ended a step with a business error (Camunda 7 handleBpmnError)
    CONDITION_MET = "condition_met"  # a conditional event's condition held (engine.dialect.conditional)
    SIGNAL_THROWN = "signal_thrown"  # a signal throw/end event of this case broadcast a signal (engine.usecases.signal)
    ERROR_CAUGHT = "error_caught"  # an error boundary event caught a BPMN error (engine.dialect.error_events)
    ESCALATION_CAUGHT = "escalation_caught"  # a boundary/event sub-process caught an escalation (dialect.escalation)
    # External tasks (engine.usecases.external) and their incidents.
    EXTERNAL_TASK_CREATED = "external_task_created"
    EXTERNAL_TASK_LOCKED = "external_task_locked"
    EXTERNAL_TASK_LOCK_EXTENDED = "external_task_lock_extended"
    EXTERNAL_TASK_UNLOCKED = "external_task_unlocked"
    EXTERNAL_TASK_COMPLETED = "external_task_completed"
    EXTERNAL_TASK_FAILED = "external_task_failed"
    EXTERNAL_TASK_RETRIES_SET = "external_task_retries_set"
    EXTERNAL_TASK_CANCELLED = "external_task_cancelled"
    EXTERNAL_TASK_BPMN_ERROR = "external_task_bpmn_error"  # a worker's BPMN error that a boundary event caught
    INCIDENT_CREATED = "incident_created"
    INCIDENT_RESOLVED = "incident_resolved"
    # Call activities (engine.usecases.call): the child case started, ended (its out variables, or its BPMN error
    # thrown from the call activity), or cancelled with the call activity.
    CALL_ACTIVITY_STARTED = "call_activity_started"
    CALL_ACTIVITY_COMPLETED = "call_activity_completed"
    CALL_ACTIVITY_CANCELLED = "call_activity_cancelled"


def plain(value: Any) -> Any:
    """The JSON form stored in the log: datetimes as ISO 8601 with offset, decimals as strings, NFC text."""
    cls = value.__class__
    # Exact types first: every event of every command goes through here twice (payload, then hash record).
    if cls is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if cls is int or cls is bool or cls is float or value is None:
        return value
    if cls is dict:
        return {(k if k.__class__ is str else str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):  # an EventType member, or another str subclass: stored as the plain token
        return unicodedata.normalize("NFC", str(value))
    return value


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(plain(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(
    case_id: str, seq: int, type_: str, at: datetime, actor: str | None, element_id: str | None,
    payload: Mapping[str, Any], prev_hash: str, origin: Mapping[str, Any] | None = None,
) -> str:
    record = {
        "case_id": case_id, "seq": seq, "type": type_, "at": at.isoformat(timespec="microseconds"),
        "actor": actor, "element_id": element_id, "payload": payload, "prev_hash": prev_hash,
    }
    if origin is not None:
        # Only when recorded: events written before origins existed keep the hashes they were chained with.
        record["origin"] = origin
    return hashlib.sha256(canonical(record)).hexdigest()
