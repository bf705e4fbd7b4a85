"""The read model of external tasks: what each external-task event does to its row (`external_tasks`).

Part of the projection (engine.projection registers these handlers), so the live engine and replay run the same
code. A handler gets the projector (its `now`, `case` and `out`) and the event; rows are plain dicts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.history import EventType

if TYPE_CHECKING:  # annotations only: engine.projection imports this module
    from engine.projection import _Projector


def _at(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _change(projector: _Projector, task_id: str, values: dict) -> None:
    created = next((r for r in projector.out.new_external if r["id"] == task_id), None)
    if created is not None:
        created.update(values)
    else:
        projector.out.external_updates.append((task_id, values))


def created(projector: _Projector, e: dict) -> None:
    projector.out.new_external.append({
        "id": e["task_id"], "case_id": projector.case["id"], "element_id": e["element_id"], "name": e["name"],
        "topic": e["topic"], "status": "open", "worker_id": None, "lock_expires_at": None, "retries": None,
        "error_message": None, "error_details": None, "incident": False, "incident_at": None,
        "created_at": projector.now, "completed_at": None,
    })


def locked(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"worker_id": e["worker_id"], "lock_expires_at": _at(e["lock_expires_at"])})


def unlocked(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"worker_id": None, "lock_expires_at": None})


def completed(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"status": "completed", "completed_at": projector.now, "lock_expires_at": None})


def cancelled(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"status": "cancelled", "completed_at": projector.now, "lock_expires_at": None})


def failed(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"retries": e["retries"], "error_message": e.get("error_message"),
                                      "error_details": e.get("error_details"),
                                      "lock_expires_at": _at(e["lock_expires_at"])})


def retries_set(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"retries": e["retries"]})


def incident_created(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"incident": True, "incident_at": projector.now})


def incident_resolved(projector: _Projector, e: dict) -> None:
    _change(projector, e["task_id"], {"incident": False, "incident_at": None})


HANDLERS = {
    EventType.EXTERNAL_TASK_CREATED.value: created,
    EventType.EXTERNAL_TASK_LOCKED.value: locked,
    EventType.EXTERNAL_TASK_LOCK_EXTENDED.value: locked,
    EventType.EXTERNAL_TASK_UNLOCKED.value: unlocked,
    EventType.EXTERNAL_TASK_COMPLETED.value: completed,
    EventType.EXTERNAL_TASK_CANCELLED.value: cancelled,
    EventType.EXTERNAL_TASK_FAILED.value: failed,
    EventType.EXTERNAL_TASK_RETRIES_SET.value: retries_set,
    EventType.INCIDENT_CREATED.value: incident_created,
    EventType.INCIDENT_RESOLVED.value: incident_resolved,
}
