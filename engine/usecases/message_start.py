"""start_by_message: a case started by the message its process starts with (`tthc correlate` without `--case`).

As `start_case` receives a dossier, with three differences: the procedure is found by its start message instead of
its code; the message's variables (and the business key it was addressed with, as `business_key`) are the start
data; `message_correlated` follows `case_started` in the history, naming the message start event. The officer who runs
the command must belong to reception (the message stands for a dossier received, from the national portal say), and
the applicant's name is required as for any dossier.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from engine.config import User
from engine.errors import Conflict, InvalidInput
from engine.history import plain
from engine.projection import project
from engine.store import Tx
from engine.usecases import base, start
from engine.usecases.read import case_view

if TYPE_CHECKING:  # annotations only
    from engine.runtime import Compiled


def message_start_data(values: Mapping[str, Any], key: str | None) -> dict:
    """The start data of a case started by a message: its variables and the business key it was addressed with."""
    if key is not None and values.get(start.BUSINESS_KEY) not in (None, key):
        raise InvalidInput(f"Dữ liệu của thông điệp đặt '{start.BUSINESS_KEY}' khác khóa nghiệp vụ --business-key.",
                           variable=start.BUSINESS_KEY)
    return {**values, start.BUSINESS_KEY: key} if key is not None else dict(values)


def start_by_message(ctx: base.Context, tx: Tx, definition: dict, compiled: Compiled, *, name: str, values: dict,
                     key: str | None, applicant: str | None, user: User, now: datetime) -> dict:
    from engine.usecases.correlate import correlated_event

    if "reception" not in user.groups:
        raise Conflict(f"Người dùng '{user.id}' không thuộc Bộ phận Một cửa nên không tiếp nhận hồ sơ được.",
                       user=user.id)
    applicant = base.nfc_text(applicant)
    if not applicant:
        raise InvalidInput(f"Thông điệp '{name}' bắt đầu một hồ sơ mới: thiếu tên người nộp hồ sơ (--applicant).",
                           message_name=name)
    extra = start._start_data(message_start_data(values, key))
    procedure = next((p for p in tx.procedures() if p["process_id"] == definition["key"]), None)
    code = procedure["code"] if procedure else definition["key"]
    initiator = start._initiator(compiled, user.id, extra)
    case, started = start._new_case(ctx, tx, procedure, definition, compiled, code, applicant, now, extra, now)
    runtime = base.runtime_at(ctx, tx, now)
    workflow, derived = runtime.start(compiled, start.workflow_start_data(case, {**extra, **initiator}, ctx.calendar))
    subscription = runtime.message_subscriptions(workflow, name)[0]
    derived += runtime.correlate(workflow, subscription, name, values)
    events = [started, correlated_event(name, subscription.task_spec.bpmn_id, values, key)] + base.follow(
        runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=compiled)
    projected = project(case, events, actor=user.id, now=now, calendar=ctx.calendar, policy=compiled.policy)
    case.update(state=runtime.dump(workflow), next_timer_at=runtime.next_timer_at(workflow),
                waiting_messages=runtime.waiting_messages(workflow), waiting_signals=runtime.waiting_signals(workflow))
    case["event_seq"], case["event_hash"] = tx.append_events(case["id"], 0, "", events, user.id, now,
                                                             ctx.origin_record)
    tx.insert_case(case)
    for row in projected.new_tasks:
        tx.insert_task(row)
    base.write_external(tx, projected)  # an external task right after the start event
    base.keep(ctx, tx, case, workflow)
    base.after_start(ctx, tx, case, events, workflow, compiled, actor=user.id, now=now)
    base.broadcast_thrown(ctx, tx, case["id"], events, actor=user.id, now=now)
    view = case_view(tx, case, now)
    view["events"] = plain(events)
    return view
