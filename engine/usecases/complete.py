"""complete_task: a ready step's form data in, the workflow advanced.

Order of steps: the submitted data normalised (NFC); in one transaction: the task (by id or prefix) and its case,
locked; `now` read once; the case must be active, the task open, the officer allowed (engine.assignment:
Camunda 7's rules); the data validated against the
step's form (the newest version); the workflow (kept, or restored) completes the step and runs on; the case-level
consequences; the commit (projection, task rows, daily sums, history, case row); the case view.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping

from engine import assignment
from engine.errors import Conflict, InvalidInput, NotFound
from engine.history import EventType, plain
from engine.runtime import Compiled
from engine.store import Tx
from engine.usecases import base
from engine.usecases.read import case_view

TASK_BPMN_ERROR = EventType.TASK_BPMN_ERROR.value
TASK_ESCALATED = EventType.TASK_ESCALATED.value


def complete_task(ctx: base.Context, task_id: str, data: Mapping[str, Any] | None, *, actor: str | None) -> dict:
    user = ctx.user(actor)
    submitted = base.nfc_data(dict(data or {}))
    with ctx.store.transaction() as tx:
        task_row, case = _locked_task(ctx, tx, task_id)
        now = ctx.clock.now()
        assignment.authorize(user, task_row)
        definition = base.compiled(ctx, tx, case["definition_id"])
        values = validate_form(definition, task_row, submitted, today=now.date(),
                               latest=lambda kind, key: base.latest_model(ctx, tx, kind, key))
        initiator = assignment.initiator_variable(definition.spec)
        if initiator in values:
            raise InvalidInput(f"Dữ liệu của bước không được đặt biến '{initiator}' (người tiếp nhận hồ sơ).",
                               variable=initiator)
        runtime = base.runtime_at(ctx, tx, now, definition)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        derived = runtime.complete(workflow, task_row["id"], values)
        events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=user.id, now=now,
                    known_tasks={task_row["id"]: task_row})
        base.keep(ctx, tx, case, workflow)
        view = case_view(tx, case, now)
        view["events"] = plain(events)
        return view


def task_bpmn_error(ctx: base.Context, task_id: str, code: str, *, message: str | None = None,
                    data: Mapping[str, Any] | None = None, actor: str | None = None) -> dict:
    """An officer ends a step with a business error instead of completing it (Camunda 7's
    `TaskService.handleBpmnError`): the variables set, the error thrown from the step and caught by an error
    boundary event on it or on a sub-process around it. The officer must be allowed to complete the step; when nothing
    catches the code the command is refused and nothing changes (Camunda 7 would fail the same way)."""
    user = ctx.user(actor)
    code = base.nfc_text(code)
    if not code:
        raise InvalidInput("Cần mã lỗi nghiệp vụ (--code).")
    values = base.nfc_data(dict(data or {}))
    with ctx.store.transaction() as tx:
        task_row, case = _locked_task(ctx, tx, task_id)
        now = ctx.clock.now()
        assignment.authorize(user, task_row)
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now, definition)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        if runtime.error_catcher(workflow, task_row["id"], code) is None:
            raise Conflict(f"Không có sự kiện lỗi biên (error boundary event) nào bắt lỗi nghiệp vụ '{code}' của bước "
                           f"'{task_row['name']}'; hồ sơ không thay đổi.", task=task_row["id"], code=code)
        derived = task_error_events(runtime, workflow, task_row, code, base.nfc_text(message) or None, values)
        events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=user.id, now=now,
                    known_tasks={task_row["id"]: task_row})
        base.keep(ctx, tx, case, workflow)
        view = case_view(tx, case, now)
        view["events"] = plain(events)
        return view


def task_escalation(ctx: base.Context, task_id: str, code: str, *,
                    data: Mapping[str, Any] | None = None, actor: str | None = None) -> dict:
    """An officer raises an escalation on a step (Camunda 7's `TaskService.handleEscalation`): the variables set, the
    escalation caught by an escalation boundary event on the step or on a sub-process around it — an interrupting one
    ends the step, a non-interrupting one runs its path beside it. The officer must be allowed to complete the step;
    when nothing catches the code the command is refused and nothing changes."""
    user = ctx.user(actor)
    code = base.nfc_text(code)
    if not code:
        raise InvalidInput("Cần mã leo thang (--code).")
    values = base.nfc_data(dict(data or {}))
    with ctx.store.transaction() as tx:
        task_row, case = _locked_task(ctx, tx, task_id)
        now = ctx.clock.now()
        assignment.authorize(user, task_row)
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now, definition)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        if runtime.escalation_catcher(workflow, task_row["id"], code) is None:
            raise Conflict(f"Không có sự kiện biên leo thang (escalation boundary event) nào bắt mã '{code}' của bước "
                           f"'{task_row['name']}'; hồ sơ không thay đổi.", task=task_row["id"], code=code)
        derived = task_escalation_events(runtime, workflow, task_row, code, values)
        events = base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=user.id, now=now,
                    known_tasks={task_row["id"]: task_row})
        base.keep(ctx, tx, case, workflow)
        view = case_view(tx, case, now)
        view["events"] = plain(events)
        return view


def task_escalation_events(runtime: Any, workflow: Any, task_row: Mapping[str, Any], code: str,
                           values: Mapping[str, Any]) -> list[dict]:
    """The officer's escalation (the command's first event), then what the workflow did (live and in replay)."""
    raised = {"type": TASK_ESCALATED, "element_id": task_row["element_id"], "task_id": task_row["id"], "code": code,
              "data": dict(values)}
    return [raised, *runtime.escalate(workflow, task_row["id"], code, values)]


def task_error_events(runtime: Any, workflow: Any, task_row: Mapping[str, Any], code: str, message: str | None,
                      values: Mapping[str, Any]) -> list[dict]:
    """The officer's error (the command's first event), then what the workflow did (live and in replay)."""
    answer = {"type": TASK_BPMN_ERROR, "element_id": task_row["element_id"], "task_id": task_row["id"],
              "code": code, "message": message, "data": dict(values)}
    return [answer, *runtime.throw_external_error(workflow, task_row["id"], code, message, values)]


def _locked_task(ctx: base.Context, tx: Tx, task_id: str) -> tuple[dict, dict]:
    task_row = tx.resolve_task_id(task_id)
    case = tx.case(task_row["case_id"], lock=True, with_head=True)
    if not ctx.store.is_sqlite:
        # The task was read before the lock; a command that waited for it must see what the other one
        # committed (SQLite's BEGIN IMMEDIATE already serialised the whole transaction).
        task_row = tx.task(task_row["id"])
    if case["status"] != "active":
        raise Conflict(f"Hồ sơ '{case['id']}' đã kết thúc ({case['status']}); không xử lý thêm được.", case=case["id"])
    if task_row["status"] != "open":
        raise Conflict(f"Bước '{task_row['name']}' của hồ sơ '{case['id']}' đã được xử lý rồi.", task=task_row["id"])
    return task_row, case


def validate_form(definition: Compiled, task_row: Mapping[str, Any], submitted: dict, *, today: date,
                  latest: Callable[[str, str], tuple[dict | None, Any]], recorded: bool = False) -> dict:
    """The submitted data checked against the step's form (`latest(kind, key)` finds the form's version in force),
    with its values typed; data of a step without a form as submitted. `recorded`: the data is a completion's recorded
    values (replay), which carry the read-only fields' defaults the form itself filled in."""
    info = definition.info.user_task(task_row["element_id"])
    if info is not None and info.form_data is not None:
        from engine.forms import validate_submission

        if recorded:
            submitted = {k: v for k, v in submitted.items() if not _readonly(info.form_data, k)}
        values = validate_submission(info.form_data, submitted, today=today)
        for field in info.form_data.fields:
            values.setdefault(field.key, None)
        return values
    if info is None or info.form_ref is None:
        return submitted
    row, form = latest("form", info.form_ref)
    if row is None:
        raise NotFound(f"Không có biểu mẫu '{info.form_ref}' của bước '{task_row['name']}'.", form=info.form_ref)
    from engine.forms import validate_submission

    if recorded:
        submitted = {k: v for k, v in submitted.items() if not _readonly(form, k)}
    values = validate_submission(form, submitted, today=today)
    # A field left empty still reaches the case as null, so a gateway can test `empty x` instead of failing
    # on an unknown variable.
    for field in form.fields:
        if "." not in field.key:
            values.setdefault(field.key, None)
    return values


def _readonly(form: Any, key: str) -> bool:
    field = form.field(key)
    return field is not None and field.readonly
