"""correlate_message: deliver a message to the one element waiting for it, or start the one process it starts.

Camunda 7's `correlate` (MessageCorrelationBuilder / `POST /message`): the candidates are every waiting message
subscription with that name (an intermediate catch event, a receive task, a boundary event of an open step), narrowed
to one case (`--case`, Camunda's processInstanceId) or one business key, plus — when no case is named — every
process whose newest version starts with that message. Exactly one candidate: the message is delivered (its
variables become case variables) or the case is started (the business key and the variables are its start data). No
candidate: NotFound (exit 3). More than one: Conflict (exit 5). Either way nothing changes.

Order of steps: the name and data checked; `now` read once; in one transaction: the candidate cases (an indexed
column, `cases.waiting_messages`, kept by every commit), each locked and its workflow asked (the workflow decides:
a command that committed first has already consumed the subscription); the processes with that start message; one
candidate or an error; then as `complete` does: the workflow runs on, `message_correlated` then the derived events,
the consequences, the commit, the case view.

The business key of a case is its `business_key` start variable when the reception recorded one (the national
portal's dossier code, say), else its case number (what the receipt gives the applicant).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from engine.definitions import START_VARIABLES
from engine.errors import Conflict, InvalidInput, NotFound
from engine.history import EventType, plain
from engine.projection import project
from engine.store import Tx
from engine.usecases import base
from engine.usecases.read import case_view

MESSAGE_CORRELATED = EventType.MESSAGE_CORRELATED.value


def correlate_message(ctx: base.Context, message: str, *, case_id: str | None = None,
                      business_key: str | None = None, data: Mapping[str, Any] | None = None,
                      applicant: str | None = None, actor: str | None = None) -> dict:
    user = ctx.user(actor)
    name = base.nfc_text(message)
    if not name:
        raise InvalidInput("Thiếu tên thông điệp.")
    values = base.nfc_data(dict(data or {}))
    clash = sorted(set(values) & START_VARIABLES)
    if clash:
        raise InvalidInput(f"Dữ liệu của thông điệp không được đặt biến hệ thống '{clash[0]}'.", variable=clash[0])
    key = base.nfc_text(business_key) if business_key is not None else None
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        if case_id is not None:
            tx.case(case_id)  # an unknown case is itself "not found"
        waiting = _subscriptions(ctx, tx, name, case_id, key, now)
        starts = [] if case_id is not None else _start_processes(ctx, tx, name)
        found = len(waiting) + len(starts)
        if found == 0:
            raise NotFound(f"Không có hồ sơ nào đang chờ thông điệp '{name}'{_scope(case_id, key)} và không quy trình "
                           "nào bắt đầu bằng thông điệp đó.", message_name=name)
        if found > 1:
            where = [f"hồ sơ {c['id']} ({s.task_spec.bpmn_id})" for c, *_, s in waiting] + \
                    [f"quy trình {p['key']}" for p, _ in starts]
            raise Conflict(f"Thông điệp '{name}'{_scope(case_id, key)} khớp với nhiều nơi chờ ({', '.join(where)}); "
                           "hãy chỉ rõ --case hoặc --business-key.", message_name=name, matches=len(where))
        if waiting:
            return _deliver(ctx, tx, *waiting[0], name=name, values=values, key=key, actor=user.id, now=now)
        from engine.usecases.message_start import start_by_message

        return start_by_message(ctx, tx, *starts[0], name=name, values=values, key=key, applicant=applicant,
                                user=user, now=now)


def _scope(case_id: str | None, key: str | None) -> str:
    if case_id is not None:
        return f" ở hồ sơ '{case_id}'"
    return f" với khóa nghiệp vụ '{key}'" if key is not None else ""


def _subscriptions(ctx: base.Context, tx: Tx, name: str, case_id: str | None, key: str | None,
                   now: datetime) -> list[tuple]:
    """(case, definition, runtime, workflow, waiting task) for each subscription the locked cases really have."""
    found = []
    for candidate in tx.message_cases(name, case_id=case_id, business_key=key):
        case = tx.case(candidate, lock=True, with_head=True)
        if case["status"] != "active":
            continue
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        found.extend((case, definition, runtime, workflow, task)
                     for task in runtime.message_subscriptions(workflow, name))
    return found


def _start_processes(ctx: base.Context, tx: Tx, name: str) -> list[tuple]:
    """(definition row, compiled) of each newest process version that starts with message `name`."""
    from engine.dialect.messages import start_message

    found = []
    for row in tx.latest_definitions("bpmn"):
        if b"messageEventDefinition" not in row["content"]:
            continue  # most processes: not compiled just to be asked
        compiled = base.compiled(ctx, tx, row["id"])
        if start_message(compiled.spec) == name:
            found.append((row, compiled))
    return found


def correlated_event(name: str, element_id: str, values: Mapping[str, Any], key: str | None) -> dict:
    """The history's record of a delivered message: its name, the element that caught it, its variables and the
    business key it was addressed with (None when addressed by case or by name alone)."""
    return {"type": MESSAGE_CORRELATED, "element_id": element_id, "message": name, "data": dict(values),
            "business_key": key}


def _deliver(ctx: base.Context, tx: Tx, case: dict, definition, runtime, workflow, task, *, name: str,
             values: dict, key: str | None, actor: str, now: datetime) -> dict:
    element_id = task.task_spec.bpmn_id
    derived = runtime.correlate(workflow, task, name, values)
    # Through `follow` with the derived events: a supplement's arrival restarts the limit (engine.projection).
    events = base.follow(runtime, workflow, case, [correlated_event(name, element_id, values, key)] + derived,
                         now=now, calendar=ctx.calendar, definition=definition)
    base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=actor, now=now)
    base.keep(ctx, tx, case, workflow)
    view = case_view(tx, case, now)
    view["events"] = plain(events)
    return view
