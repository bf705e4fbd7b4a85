"""start_case: receive a dossier.

Order of steps: the officer must belong to reception; the applicant's name and start data are checked; `now` is read
once; in one transaction: the procedure and its newest definition, the legal due time and apology time from the
calendar, a case number (`<prefix>-<yymmdd>-<nnnn>`, the prefix from the configuration), the workflow started, the
case-level consequences, the case and task rows, the history; the case view is returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from engine import assignment
from engine.definitions import START_VARIABLES, as_decimal
from engine.errors import Conflict, InvalidInput, NotFound
from engine.history import EventType, plain
from engine.projection import project
from engine.runtime import Compiled
from engine.store import Tx
from engine.usecases import base
from engine.usecases.read import case_view
from engine.calendar import BusinessCalendar

RESERVED_START_KEYS = START_VARIABLES
BUSINESS_KEY = "business_key"  # the start variable that gives the case its business key


def start_case(ctx: base.Context, code: str, *, applicant: str, received_at: datetime | None,
               data: Mapping[str, Any] | None, actor: str | None) -> dict:
    user = ctx.user(actor)
    if "reception" not in user.groups:
        raise Conflict(f"Người dùng '{user.id}' không thuộc Bộ phận Một cửa nên không tiếp nhận hồ sơ được.",
                       user=user.id)
    applicant = base.nfc_text(applicant)
    if not applicant:
        raise InvalidInput("Thiếu tên người nộp hồ sơ (--applicant).")
    extra = _start_data(data)
    now = ctx.clock.now()
    received = received_at or now
    if received > now:
        raise InvalidInput(f"Thời điểm tiếp nhận {received.isoformat()} ở tương lai so với đồng hồ hệ thống.")
    with ctx.store.transaction() as tx:
        procedure, definition, compiled = _definition(ctx, tx, code)
        refuse_message_start(compiled, code)
        initiator = _initiator(compiled, user.id, extra)
        return start_in(ctx, tx, (procedure, definition, compiled), code, applicant=applicant, received=received,
                        extra=extra, initiator=initiator, actor=user.id, now=now)


def start_in(ctx: base.Context, tx: Tx, found: tuple, code: str, *, applicant: str, received: datetime,
             extra: dict, initiator: dict, actor: str | None, now: datetime) -> dict:
    """A new case inside the caller's transaction (an officer's `start`, or a timer start's schedule)."""
    procedure, definition, compiled = found
    case, started = _new_case(ctx, tx, procedure, definition, compiled, code, applicant, received, extra, now)
    runtime = base.runtime_at(ctx, tx, now)  # a new case runs no decision before its first step, as a rule
    workflow, derived = runtime.start(compiled, workflow_start_data(case, {**extra, **initiator}, ctx.calendar))
    events = [started] + base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar,
                                     definition=compiled)
    projected = project(case, events, actor=actor, now=now, calendar=ctx.calendar, policy=compiled.policy)
    case.update(state=runtime.dump(workflow), next_timer_at=runtime.next_timer_at(workflow),
                waiting_messages=runtime.waiting_messages(workflow), waiting_signals=runtime.waiting_signals(workflow))
    case["event_seq"], case["event_hash"] = tx.append_events(case["id"], 0, "", events, actor, now,
                                                             ctx.origin_record)
    tx.insert_case(case)
    for row in projected.new_tasks:  # after the case row: tasks reference it
        tx.insert_task(row)
    base.write_external(tx, projected)  # an external task right after the start event
    base.keep(ctx, tx, case, workflow)
    base.after_start(ctx, tx, case, events, workflow, compiled, actor=actor, now=now)
    base.broadcast_thrown(ctx, tx, case["id"], events, actor=actor, now=now)
    view = case_view(tx, case, now)
    view["events"] = plain(events)
    return view


def _start_data(data: Mapping[str, Any] | None) -> dict:
    extra = base.nfc_data(dict(data or {}))
    clash = sorted(set(extra) & RESERVED_START_KEYS)
    if clash:
        raise InvalidInput(f"Dữ liệu khởi tạo không được đặt biến hệ thống '{clash[0]}'.", variable=clash[0])
    key = extra.get(BUSINESS_KEY)
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > 200):
        raise InvalidInput(f"'{BUSINESS_KEY}' phải là chuỗi khác rỗng, tối đa 200 ký tự.", variable=BUSINESS_KEY)
    return extra


def _initiator(compiled: Compiled, officer: str, extra: Mapping[str, Any]) -> dict:
    """`camunda:initiator`: the variable the start event names gets the officer who received the dossier; the start
    data may not set it (it would forge who started the case)."""
    initiator = assignment.start_variables(compiled.spec, officer)
    if set(initiator) & set(extra):
        name = next(iter(initiator))
        raise InvalidInput(f"Dữ liệu khởi tạo không được đặt biến '{name}': hệ thống ghi vào đó người tiếp nhận hồ sơ "
                           "(camunda:initiator).", variable=name)
    return initiator


def _definition(ctx: base.Context, tx: Tx, code: str):
    procedure = tx.procedure(code)
    process_id = procedure["process_id"] if procedure else code
    definition = tx.latest_definition_ref("bpmn", process_id)
    if definition is None:
        raise NotFound(f"Không có thủ tục hay quy trình '{code}' đã triển khai.", procedure=code)
    return procedure, definition, base.compiled(ctx, tx, definition["id"])


def _new_case(ctx: base.Context, tx: Tx, procedure, definition, compiled, code: str, applicant: str,
              received: datetime, extra: dict, now: datetime) -> tuple[dict, dict]:
    """The case row (before the workflow runs) and its `case_started` event."""
    total = procedure["total_working_days"] if procedure else as_decimal(compiled.info.properties.get("total_working_days"))
    calendar_policy = ctx.calendar.policy()
    case = case_row(new_case_id(ctx, tx, received), code if procedure else compiled.info.process_id, compiled,
                    definition, applicant=applicant, received=received, total=total, extra=extra,
                    calendar=ctx.calendar, calendar_policy=calendar_policy)
    case.update(state="", version=1, created_at=now, updated_at=now, event_seq=0, event_hash="")
    return case, started_event(case, definition, calendar_policy, extra)


def case_row(case_id: str, procedure_code: str, compiled: Compiled, definition: Mapping[str, Any], *, applicant: str,
             received: datetime, total: Any, extra: Mapping[str, Any], calendar: BusinessCalendar,
             calendar_policy: Mapping[str, Any]) -> dict:
    """A new case's read-model row: its limits from the calendar, nothing done yet (replay builds the same)."""
    transferred = calendar.transfer_time(received)
    due = calendar.case_due(received, total) if total is not None else None
    return {
        "id": case_id, "procedure_code": procedure_code, "process_id": compiled.info.process_id,
        "definition_id": definition["id"], "status": "active", "stage": "processing", "outcome": None,
        "applicant_name": applicant, "channel": compiled.policy.start_channel(extra), "received_at": received,
        "transferred_at": transferred, "due_at": due, "first_due_at": due, "apology_due_at": None,
        "resolved_at": None, "result_at": None, "ended_at": None, "timing": None, "total_working_days": total,
        "restarts": 0, "supplement_rounds": 0, "rework_rounds": 0, "apologies": 0, "next_timer_at": None,
        "policy": plain(calendar_policy),
        # What an outside system names the case by when it correlates a message (engine/usecases/correlate.py).
        "business_key": business_key(case_id, extra), "waiting_messages": None, "waiting_signals": None,
    }


def business_key(case_id: str, extra: Mapping[str, Any]) -> str:
    """The `business_key` start variable (the national portal's dossier code, say), else the case number."""
    return str(extra.get(BUSINESS_KEY) or case_id)


def refuse_message_start(compiled: Compiled, code: str) -> None:
    from engine.dialect.messages import start_message

    name = start_message(compiled.spec)
    if name is not None:
        raise Conflict(f"Quy trình '{code}' bắt đầu bằng thông điệp '{name}': hãy dùng `tthc correlate {name}` "
                       "thay cho `tthc start`.", procedure=code, message_name=name)


def started_event(case: Mapping[str, Any], definition: Mapping[str, Any], calendar_policy: Mapping[str, Any],
                  extra: Mapping[str, Any]) -> dict:
    return {
        "type": EventType.CASE_STARTED, "procedure_code": case["procedure_code"], "process_id": case["process_id"],
        "definition_version": definition["version"], "definition_hash": definition["content_hash"],
        "calendar_policy": calendar_policy, "received_at": case["received_at"],
        "transferred_at": case["transferred_at"], "due_at": case["due_at"],
        "total_working_days": case["total_working_days"], "applicant_name": case["applicant_name"], "data": extra,
    }


def workflow_start_data(case: Mapping[str, Any], extra: Mapping[str, Any], calendar: BusinessCalendar) -> dict:
    """What the workflow starts with: the start data and the case's identity and limits (START_VARIABLES); the
    apology timer reads `apology_at`, one working day before the due time."""
    due = case["due_at"]
    apology_at = calendar.back(due, 1) if due is not None else None
    return {
        **extra, "case_id": case["id"], "procedure_code": case["procedure_code"],
        "applicant_name": case["applicant_name"], "received_at": case["received_at"].isoformat(),
        "transferred_at": case["transferred_at"].isoformat(), "due_at": due.isoformat() if due else None,
        "apology_at": apology_at.isoformat() if apology_at else None,
    }


def new_case_id(ctx: base.Context, tx: Tx, received: datetime) -> str:
    day = received.strftime("%y%m%d")
    number = tx.next_number(f"case:{day}")
    return f"{ctx.settings.case_id_prefix}-{day}-{number:04d}"
