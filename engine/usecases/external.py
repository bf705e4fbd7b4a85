"""External tasks: outside workers fetch, lock and answer the steps marked `camunda:type="external"` (Camunda 7's
external task pattern; the Camunda 7 REST reference for `/external-task` is the specification).

Rules, as Camunda 7 has them:
- a task is fetchable while open, its retries are unset or above 0 and its lock is unset or expired (engine clock);
- only the worker holding the most recent lock may complete it, report a failure or a BPMN error, or extend the lock
  (the lock's expiry is not checked on completion, as in Camunda 7; extending an expired lock is refused);
- a failure sets the retries left and a timeout before the task is fetchable again; retries 0 is an **incident**: not
  fetched until an operator sets retries again (`set_retries`), which resolves it;
- unlock is an operator's command: any lock is released.
Where Camunda leaves the retry count to the worker and the worker gives none, the diagram's
`camunda:failedJobRetryTimeCycle` `R<n>/<duration>` decides (the first failure leaves n-1, each next one one less,
each waiting <duration>); without either, the first failure is an incident (retries 0).

Every transition is an event in the case's hash-chained history (actor `worker:<id>` for a worker, the officer for an
operator), projected onto the `external_tasks` row (engine.projection_external) and replayed by engine.audit.replay.

Lock order: every command locks the case row first, then touches its external task rows, as every other command does.
A fetch reads candidates without locks, then locks each candidate's case with SKIP LOCKED (PostgreSQL; a case another
transaction holds is skipped, never waited for) and reads its tasks again: two fetchers never hand out one task and
never deadlock with each other or with a completion.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from engine.dialect.external_task import parse_retry_cycle
from engine.errors import Conflict, InvalidInput
from engine.history import EventType, plain
from engine.projection import project
from engine.store import Tx
from engine.usecases import base

DEFAULT_LOCK = timedelta(minutes=5)
MAX_FETCH = 100
_DURATION = re.compile(r"^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str, what: str = "thời lượng") -> timedelta:
    """An ISO 8601 duration in calendar time (`PT5M`, `P1DT2H`): locks and retry timeouts count real time, as in
    Camunda 7 (they are milliseconds there)."""
    match = _DURATION.match((text or "").strip().upper())
    if match is None:
        raise InvalidInput(f"{what} '{text}' không phải thời lượng ISO 8601 (ví dụ PT5M, PT30S, P1D).", value=text)
    days, hours, minutes, seconds = match.groups()
    return timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                     seconds=float(seconds or 0))


def _worker_actor(worker_id: str) -> str:
    worker_id = base.nfc_text(worker_id)
    if not worker_id:
        raise InvalidInput("Cần mã của hệ thống bên ngoài (--worker).")
    return worker_id


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


# --- fetch and lock --------------------------------------------------------------------------------------------
def fetch_and_lock(ctx: base.Context, topics: Iterable[str] | Mapping[str, timedelta | None], worker_id: str, *,
                   lock_duration: timedelta = DEFAULT_LOCK, max_tasks: int = 10) -> list[dict]:
    """Lock up to `max_tasks` fetchable tasks of `topics` for `worker_id`; each with its case's variables.
    `topics`: topic names, or a mapping topic -> its own lock duration (None: `lock_duration`), as Camunda's
    fetchAndLock takes a lock duration per topic. One transaction."""
    worker_id = _worker_actor(worker_id)
    durations = dict(topics) if isinstance(topics, Mapping) else {t: None for t in topics}
    durations = {base.nfc_text(t): d or lock_duration for t, d in durations.items() if base.nfc_text(t)}
    if not durations:
        raise InvalidInput("Cần ít nhất một chủ đề (--topic).")
    if not 1 <= max_tasks <= MAX_FETCH:
        raise InvalidInput(f"Số tác vụ lấy mỗi lần phải từ 1 đến {MAX_FETCH}.", max=str(max_tasks))
    if any(d <= timedelta(0) for d in durations.values()):
        raise InvalidInput("Thời hạn khóa phải lớn hơn 0.")
    actor = f"worker:{worker_id}"
    fetched: list[dict] = []
    with ctx.store.transaction() as tx:
        now = ctx.clock.now()
        candidates = tx.fetchable_external_tasks(durations, now, max_tasks * 4 + 10)
        by_case: dict[str, list[str]] = {}
        for row in candidates:
            by_case.setdefault(row["case_id"], []).append(row["id"])
        for case_id in sorted(by_case):  # one lock order among fetchers
            if len(fetched) >= max_tasks:
                break
            case = tx.case_for_fetch(case_id)
            if case is None or case["status"] != "active":
                continue
            rows = [r for r in tx.case_external_tasks(case_id)
                    if r["id"] in by_case[case_id] and fetchable(r, now)][: max_tasks - len(fetched)]
            if not rows:
                continue
            events = [locked_event(r, worker_id, durations[r["topic"]], now) for r in rows]
            definition = base.compiled(ctx, tx, case["definition_id"])
            runtime = base.runtime_at(ctx, tx, now)
            workflow = runtime.restore(definition, case["state"])
            _commit_plain(ctx, tx, case, events, definition=definition, actor=actor, now=now)
            for row, event in zip(rows, events):
                fetched.append({
                    "id": row["id"], "topic": row["topic"], "worker_id": worker_id, "case_id": case_id,
                    "element_id": row["element_id"], "name": row["name"], "lock_expires_at": event["lock_expires_at"],
                    "retries": row["retries"], "error_message": row["error_message"],
                    "variables": plain(runtime.task_data(workflow, row["id"])),
                })
    return fetched


def fetchable(row: Mapping[str, Any], now: datetime) -> bool:
    return (row["status"] == "open" and (row["retries"] is None or row["retries"] > 0)
            and (row["lock_expires_at"] is None or row["lock_expires_at"] <= now))


def locked_event(row: Mapping[str, Any], worker_id: str, duration: timedelta, now: datetime) -> dict:
    return {"type": EventType.EXTERNAL_TASK_LOCKED, "element_id": row["element_id"], "task_id": row["id"],
            "topic": row["topic"], "worker_id": worker_id, "lock_duration_ms": _ms(duration),
            "lock_expires_at": now + duration}


# --- a worker's answers ----------------------------------------------------------------------------------------
def complete_external_task(ctx: base.Context, task_id: str, worker_id: str,
                           variables: Mapping[str, Any] | None = None) -> dict:
    """The worker that locked the task completes it; `variables` are set on the case and the workflow runs on."""
    worker_id = _worker_actor(worker_id)
    values = base.nfc_data(dict(variables or {}))
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        _check_worker(row, worker_id)
        now = ctx.clock.now()
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        derived = completion_events(runtime, workflow, row["id"], values, worker_id)
        events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=f"worker:{worker_id}",
                    now=now)
        base.keep(ctx, tx, case, workflow)
        return _answer(tx, row["id"], case, events, now)


def completion_events(runtime: Any, workflow: Any, task_id: str, values: Mapping[str, Any], worker_id: str) -> list:
    """The workflow's events of a completion, the completion naming its worker (live and in replay)."""
    derived = runtime.complete_external(workflow, task_id, values)
    for event in derived:
        if event["type"] == EventType.EXTERNAL_TASK_COMPLETED and event["task_id"] == task_id:
            event["worker_id"] = worker_id
    return derived


def handle_failure(ctx: base.Context, task_id: str, worker_id: str, error_message: str, *,
                   error_details: str | None = None, retries: int | None = None,
                   retry_timeout: timedelta | None = None) -> dict:
    """The worker reports that it could not do the task: retries left and the wait before the next fetch (from the
    worker, else the diagram's retry cycle); at 0 retries an incident."""
    worker_id = _worker_actor(worker_id)
    message = base.nfc_text(error_message)
    if not message:
        raise InvalidInput("Cần mô tả lỗi (--message).")
    if retries is not None and retries < 0:
        raise InvalidInput("Số lần thử lại phải lớn hơn hoặc bằng 0.", retries=str(retries))
    if retry_timeout is not None and retry_timeout < timedelta(0):
        raise InvalidInput("Thời gian chờ thử lại phải lớn hơn hoặc bằng 0.")
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        _check_worker(row, worker_id)
        now = ctx.clock.now()
        definition = base.compiled(ctx, tx, case["definition_id"])
        events = failure_events(definition, row, now, message=message, details=error_details, retries=retries,
                                timeout=retry_timeout, worker_id=worker_id)
        _commit_plain(ctx, tx, case, events, definition=definition, actor=f"worker:{worker_id}", now=now)
        return _answer(tx, row["id"], case, events, now)


def failure_events(definition: Any, row: Mapping[str, Any], now: datetime, *, message: str, details: str | None,
                   retries: int | None, timeout: timedelta | None, worker_id: str) -> list[dict]:
    cycle = next((parse_retry_cycle(t.retry_cycle) for t in definition.info.external_tasks
                  if t.id == row["element_id"] and t.retry_cycle), None)
    if retries is None:
        if cycle is not None:
            retries = max((row["retries"] if row["retries"] is not None else cycle.retries) - 1, 0)
        else:
            retries = 0
    if timeout is None:
        timeout = parse_duration(cycle.timeout) if cycle is not None else timedelta(0)
    base_event = {"element_id": row["element_id"], "task_id": row["id"]}
    events = [{"type": EventType.EXTERNAL_TASK_FAILED, **base_event, "worker_id": worker_id,
               "error_message": message, "error_details": details, "retries": retries,
               "retry_timeout_ms": _ms(timeout), "lock_expires_at": now + timeout}]
    if retries == 0 and not row["incident"]:
        events.append({"type": EventType.INCIDENT_CREATED, **base_event, "incident_type": "failedExternalTask",
                       "message": message})
    return events


def handle_bpmn_error(ctx: base.Context, task_id: str, worker_id: str, error_code: str, *,
                      error_message: str | None = None, variables: Mapping[str, Any] | None = None) -> dict:
    """The worker answers with a business error (`error_code`), as Camunda 7's handleBpmnError: an error boundary
    event on the task (or on a sub-process around it) that catches the code ends the task and the case goes on along
    the boundary's flow, `variables` set first. When nothing catches it the command is refused with nothing changed
    (Camunda 7 would raise an incident): the worker should report a failure instead, or the designer draw a
    boundary event."""
    worker_id = _worker_actor(worker_id)
    code = base.nfc_text(error_code)
    if not code:
        raise InvalidInput("Cần mã lỗi nghiệp vụ (--code).")
    message = base.nfc_text(error_message) or None
    values = base.nfc_data(dict(variables or {}))
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        _check_worker(row, worker_id)
        now = ctx.clock.now()
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        if runtime.error_catcher(workflow, row["id"], code) is None:
            raise Conflict(
                f"Không có sự kiện lỗi biên (error boundary event) nào bắt lỗi nghiệp vụ '{code}' của tác vụ ngoài "
                f"'{row['name']}' ({row['id']}); hồ sơ không thay đổi. Hãy báo lỗi bằng `tthc external fail` hoặc vẽ "
                "một sự kiện lỗi biên bắt mã này trên tác vụ.", task=row["id"], code=code)
        derived = bpmn_error_events(runtime, workflow, row, code, message, values, worker_id)
        events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=f"worker:{worker_id}",
                    now=now)
        base.keep(ctx, tx, case, workflow)
        return _answer(tx, row["id"], case, events, now)


def bpmn_error_events(runtime: Any, workflow: Any, row: Mapping[str, Any], code: str, message: str | None,
                      values: Mapping[str, Any], worker_id: str) -> list[dict]:
    """The worker's answer (the command's first event), then what the workflow did (live and in replay)."""
    answer = {"type": EventType.EXTERNAL_TASK_BPMN_ERROR, "element_id": row["element_id"], "task_id": row["id"],
              "worker_id": worker_id, "code": code, "message": message, "data": dict(values)}
    return [answer, *runtime.throw_external_error(workflow, row["id"], code, message, values)]


def extend_lock(ctx: base.Context, task_id: str, worker_id: str, new_duration: timedelta) -> dict:
    """The locking worker needs more time: the lock now expires `new_duration` from now (Camunda 7: only an unexpired
    lock of the same worker can be extended)."""
    worker_id = _worker_actor(worker_id)
    if new_duration <= timedelta(0):
        raise InvalidInput("Thời hạn khóa phải lớn hơn 0.")
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        _check_worker(row, worker_id)
        now = ctx.clock.now()
        if row["lock_expires_at"] is None or row["lock_expires_at"] <= now:
            raise Conflict(f"Khóa của tác vụ ngoài '{row['name']}' ({row['id']}) đã hết hạn; hãy lấy lại tác vụ "
                           "(`tthc external fetch`).", task=row["id"])
        event = {**locked_event(row, worker_id, new_duration, now), "type": EventType.EXTERNAL_TASK_LOCK_EXTENDED}
        event.pop("topic")
        definition = base.compiled(ctx, tx, case["definition_id"])
        _commit_plain(ctx, tx, case, [event], definition=definition, actor=f"worker:{worker_id}", now=now)
        return _answer(tx, row["id"], case, [event], now)


def unlock(ctx: base.Context, task_id: str, *, actor: str | None) -> dict:
    """An operator releases the lock: the task is fetchable again at once (its retries unchanged)."""
    user = ctx.user(actor)
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        if row["worker_id"] is None and row["lock_expires_at"] is None:
            raise Conflict(f"Tác vụ ngoài '{row['name']}' ({row['id']}) không bị khóa.", task=row["id"])
        now = ctx.clock.now()
        event = {"type": EventType.EXTERNAL_TASK_UNLOCKED, "element_id": row["element_id"], "task_id": row["id"],
                 "previous_worker_id": row["worker_id"]}
        definition = base.compiled(ctx, tx, case["definition_id"])
        _commit_plain(ctx, tx, case, [event], definition=definition, actor=user.id, now=now)
        return _answer(tx, row["id"], case, [event], now)


def set_retries(ctx: base.Context, task_id: str, retries: int, *, actor: str | None) -> dict:
    """An operator sets the retries left: above 0 resolves the task's incident (fetchable again once its retry
    timeout passed); 0 raises one, as Camunda 7's setRetries does."""
    user = ctx.user(actor)
    if retries < 0:
        raise InvalidInput("Số lần thử lại phải lớn hơn hoặc bằng 0.", retries=str(retries))
    with ctx.store.transaction() as tx:
        row, case = _locked(ctx, tx, task_id)
        now = ctx.clock.now()
        events = retries_events(row, retries)
        definition = base.compiled(ctx, tx, case["definition_id"])
        _commit_plain(ctx, tx, case, events, definition=definition, actor=user.id, now=now)
        return _answer(tx, row["id"], case, events, now)


def retries_events(row: Mapping[str, Any], retries: int) -> list[dict]:
    base_event = {"element_id": row["element_id"], "task_id": row["id"]}
    events = [{"type": EventType.EXTERNAL_TASK_RETRIES_SET, **base_event, "retries": retries,
               "previous_retries": row["retries"]}]
    if retries > 0 and row["incident"]:
        events.append({"type": EventType.INCIDENT_RESOLVED, **base_event, "incident_type": "failedExternalTask"})
    elif retries == 0 and not row["incident"]:
        events.append({"type": EventType.INCIDENT_CREATED, **base_event, "incident_type": "failedExternalTask",
                       "message": row["error_message"]})
    return events


def resolve_incident(ctx: base.Context, task_id: str, *, retries: int = 1, actor: str | None) -> dict:
    """Camunda's way to resolve a failed external task's incident: give it retries again."""
    if retries < 1:
        raise InvalidInput("Để xử lý sự cố, số lần thử lại phải từ 1 trở lên.", retries=str(retries))
    return set_retries(ctx, task_id, retries, actor=actor)


# --- reads -----------------------------------------------------------------------------------------------------
def external_view(row: Mapping[str, Any], now: datetime) -> dict:
    expires = row.get("lock_expires_at")
    return {
        "id": row["id"], "case_id": row["case_id"], "element_id": row["element_id"], "name": row["name"],
        "topic": row["topic"], "status": row["status"], "worker_id": row["worker_id"],
        "lock_expires_at": expires, "locked": bool(row["worker_id"]) and expires is not None and expires > now,
        "retries": row["retries"], "error_message": row["error_message"], "incident": bool(row["incident"]),
        "incident_at": row["incident_at"], "created_at": row["created_at"], "completed_at": row["completed_at"],
    }


def list_external_tasks(ctx: base.Context, *, topic: str | None = None, incidents: bool = False,
                        case_id: str | None = None) -> list[dict]:
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        if case_id:
            tx.case(case_id)
            rows = [r for r in tx.case_external_tasks(case_id) if r["status"] == "open"
                    and (not incidents or r["incident"]) and (not topic or r["topic"] == topic)]
        else:
            rows = tx.list_external_tasks(topic=topic, incidents=incidents)
        return [external_view(r, now) for r in rows]


def open_incidents(ctx: base.Context, procedure: str | None = None) -> list[dict]:
    """The external tasks with an open incident (of one procedure's cases), for reports."""
    with ctx.store.transaction() as tx:
        out = []
        for row in tx.list_external_tasks(incidents=True):
            code = tx.case(row["case_id"])["procedure_code"]
            if procedure is None or code == procedure:
                out.append({"case_id": row["case_id"], "procedure_code": code, "task_id": row["id"],
                            "name": row["name"], "topic": row["topic"], "message": row["error_message"],
                            "since": row["incident_at"]})
        return out


def case_external_views(tx: Tx, case_id: str, now: datetime) -> list[dict]:
    """The open external tasks of a case (what `show` lists with their incidents)."""
    return [external_view(r, now) for r in tx.case_external_tasks(case_id) if r["status"] == "open"]


# --- shared steps ----------------------------------------------------------------------------------------------
def _locked(ctx: base.Context, tx: Tx, task_id: str) -> tuple[dict, dict]:
    row = tx.resolve_external_task_id(task_id)
    case = tx.case(row["case_id"], lock=True, with_head=True)
    row = tx.external_task(row["id"])  # as of the case lock: a command that waited sees what the other committed
    if case["status"] != "active" or row["status"] != "open":
        raise Conflict(f"Tác vụ ngoài '{row['name']}' ({row['id']}) của hồ sơ '{case['id']}' không còn chờ xử lý "
                       f"({row['status']}).", task=row["id"])
    return row, case


def _check_worker(row: Mapping[str, Any], worker_id: str) -> None:
    if row["worker_id"] != worker_id:
        holder = f"đang do '{row['worker_id']}' giữ" if row["worker_id"] else "chưa được hệ thống nào lấy"
        raise Conflict(f"Tác vụ ngoài '{row['name']}' ({row['id']}) {holder}; '{worker_id}' không được trả lời "
                       "tác vụ này.", task=row["id"], worker=worker_id)


def _commit_plain(ctx: base.Context, tx: Tx, case: dict, events: list[dict], *, definition: Any, actor: str,
                  now: datetime) -> None:
    """Events that change rows but not the workflow: projected, chained, the case's head and version moved. A
    workflow this process keeps stays valid under the new version."""
    projected = project(case, events, actor=actor, now=now, calendar=ctx.calendar, policy=definition.policy)
    base.write_external(tx, projected)
    rows, seq, digest = tx.chain_events(case["id"], case["event_seq"], case["event_hash"], events, actor, now,
                                        ctx.origin_record)
    version = tx.save_case(case["id"], case["version"], {"event_seq": seq, "event_hash": digest, "updated_at": now})
    tx.insert_events(rows)
    workflow = ctx.workflows.take(case["id"], (case["version"], case["event_hash"]))
    case.update(version=version, event_seq=seq, event_hash=digest, updated_at=now)
    if workflow is not None:
        base.keep(ctx, tx, case, workflow)


def _answer(tx: Tx, task_id: str, case: Mapping[str, Any], events: list[dict], now: datetime) -> dict:
    view = external_view(tx.external_task(task_id), now)
    view["case_status"] = case["status"]
    view["events"] = plain(events)
    return view
