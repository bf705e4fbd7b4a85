"""broadcast_signal: a signal to every element of every case waiting for it (`tthc signal`), Camunda 7's
`signalEventReceived`.

Camunda 7 delivers a signal to every subscription synchronously, in the transaction that sends it; so do we: one
transaction for all the cases, so a signal is received by all of them or — when one of them cannot go on (a decision
table that matches nothing, say) — by none, with that case named. A signal nobody waits for is not an error (a
broadcast has no addressee): the result lists no case.

Order of steps: the name and data checked; `now` read once; in one transaction: the cases waiting for the signal
(an indexed scan of `cases.waiting_signals`, in case-id order, so two broadcasts lock cases in the same order), each
locked, its workflow restored, the signal delivered to all its waiting elements, `signal_received` then the derived
events, the consequences, the commit of that case. Returns the cases and their events.
"""

from __future__ import annotations

from typing import Any, Mapping

from engine.definitions import START_VARIABLES
from engine.errors import InvalidInput
from engine.history import EventType, plain
from engine.usecases import base

SIGNAL_RECEIVED = EventType.SIGNAL_RECEIVED.value


def received_event(name: str, elements: list[str], values: Mapping[str, Any]) -> dict:
    """The history's record of a signal in one case: its name, the elements that caught it, its variables."""
    return {"type": SIGNAL_RECEIVED, "signal": name, "elements": elements, "data": dict(values)}


def broadcast_signal(ctx: base.Context, signal: str, *, data: Mapping[str, Any] | None = None,
                     actor: str | None = None) -> dict:
    user = ctx.user(actor)
    name = base.nfc_text(signal)
    if not name:
        raise InvalidInput("Thiếu tên tín hiệu.")
    values = base.nfc_data(dict(data or {}))
    clash = sorted(set(values) & START_VARIABLES)
    if clash:
        raise InvalidInput(f"Dữ liệu của tín hiệu không được đặt biến hệ thống '{clash[0]}'.", variable=clash[0])
    now = ctx.clock.now()
    delivered: list[dict] = []
    with ctx.store.transaction() as tx:
        after = ""
        while True:
            batch = tx.signal_cases(name, after=after)
            if not batch:
                break
            for case_id in batch:
                case = tx.case(case_id, lock=True, with_head=True)
                definition = base.compiled(ctx, tx, case["definition_id"])
                runtime = base.runtime_at(ctx, tx, now)
                workflow = base.workflow_of(ctx, tx, runtime, definition, case)
                elements = [t.task_spec.bpmn_id for t in runtime.signal_subscriptions(workflow, name)]
                if case["status"] != "active" or not elements:
                    continue
                derived = runtime.signal(workflow, name, values)
                events = [received_event(name, elements, values)] + base.follow(
                    runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
                base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=user.id, now=now)
                delivered.append({"case_id": case_id, "elements": elements, "events": plain(events)})
            after = batch[-1]
    return {"signal": name, "at": now, "cases": delivered}
