"""broadcast_signal: a signal to every element of every case waiting for it (`tthc signal`), Camunda 7's
`signalEventReceived`.

Camunda 7 delivers a signal to every subscription synchronously, in the transaction that sends it; so do we: one
transaction for all the cases, so a signal is received by all of them or — when one of them cannot go on (a decision
table that matches nothing, say) — by none, with that case named. A signal nobody waits for is not an error (a
broadcast has no addressee): the result lists no case. A process whose start event is the signal gets a new case (its
latest version; `started: true` in the result), after the waiting cases.

Order of steps: the name and data checked; `now` read once; in one transaction: the cases waiting for the signal
(an indexed scan of `cases.waiting_signals`, in case-id order, so two broadcasts lock cases in the same order), each
locked, its workflow restored, the signal delivered to all its waiting elements, `signal_received` then the derived
events, the consequences, the commit of that case. Returns the cases and their events.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Mapping

from engine.definitions import START_VARIABLES
from engine.errors import Conflict, InvalidInput
from engine.history import EventType, plain
from engine.usecases import base

SIGNAL_RECEIVED = EventType.SIGNAL_RECEIVED.value
SIGNAL_THROWN = EventType.SIGNAL_THROWN.value
# How many signals may follow one another across cases inside one command (a throws, b catches and throws, ...):
# Camunda 7 has no limit and would loop until its stack overflows; we stop and roll the command back.
MAX_DEPTH = 16
_DEPTH: ContextVar[int] = ContextVar("signal_depth", default=0)  # nesting of deliver() in this thread's command


def received_event(name: str, elements: list[str], values: Mapping[str, Any],
                   thrown_by: Mapping[str, str] | None = None) -> dict:
    """The history's record of a signal in one case: its name, the elements that caught it, its variables, and
    (when a diagram threw it) the case and element that threw it."""
    event = {"type": SIGNAL_RECEIVED, "signal": name, "elements": elements, "data": dict(values)}
    if thrown_by is not None:
        event["thrown_by"] = dict(thrown_by)
    return event


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
    with ctx.store.transaction() as tx:
        delivered = deliver(ctx, tx, name, values, actor=user.id, now=now)
    return {"signal": name, "at": now, "cases": delivered}


def deliver(ctx: base.Context, tx: Any, name: str, values: Mapping[str, Any], *, actor: str | None, now: Any,
            thrown_by: Mapping[str, str] | None = None) -> list[dict]:
    """Deliver signal `name` to every waiting case but the one that threw it, inside the caller's transaction.
    A case that catches it may throw another: base.commit delivers that one too, depth first, up to MAX_DEPTH."""
    depth = _DEPTH.get()
    if depth >= MAX_DEPTH:
        raise Conflict(f"Tín hiệu '{name}' kích hoạt một chuỗi quá {MAX_DEPTH} lần phát tín hiệu liên tiếp giữa các hồ "
                       "sơ (có thể là vòng lặp); không hồ sơ nào bị thay đổi.", signal=name)
    token = _DEPTH.set(depth + 1)
    try:
        return _deliver_all(ctx, tx, name, values, actor=actor, now=now, thrown_by=thrown_by)
    finally:
        _DEPTH.reset(token)


def _deliver_all(ctx: base.Context, tx: Any, name: str, values: Mapping[str, Any], *, actor: str | None, now: Any,
                 thrown_by: Mapping[str, str] | None) -> list[dict]:
    delivered: list[dict] = []
    skip = (thrown_by or {}).get("case_id")
    after = ""
    while True:
        batch = tx.signal_cases(name, after=after)
        if not batch:
            return delivered + _start_cases(ctx, tx, name, values, actor=actor, now=now)
        for case_id in batch:
            if case_id == skip:  # the throwing case caught its own signal inside the library already
                continue
            case = tx.case(case_id, lock=True, with_head=True)
            definition = base.compiled(ctx, tx, case["definition_id"])
            runtime = base.runtime_at(ctx, tx, now)
            workflow = base.workflow_of(ctx, tx, runtime, definition, case)
            elements = [t.task_spec.bpmn_id for t in runtime.signal_subscriptions(workflow, name)]
            if case["status"] != "active" or not elements:
                continue
            derived = runtime.signal(workflow, name, values)
            events = [received_event(name, elements, values, thrown_by)] + base.follow(
                runtime, workflow, case, derived, now=now, calendar=ctx.calendar, definition=definition)
            base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=actor, now=now)
            delivered.append({"case_id": case_id, "elements": elements, "events": plain(events)})
        after = batch[-1]


def _start_cases(ctx: base.Context, tx: Any, name: str, values: Mapping[str, Any], *, actor: str | None,
                 now: Any) -> list[dict]:
    """A case of every process whose start event is this signal (its latest version), the signal's variables as its
    start data and the process's name as its applicant (engine.dialect.signals)."""
    from engine.usecases.start import start_in

    started: list[dict] = []
    for row in tx.signal_start_definitions(name):
        compiled = base.compiled(ctx, tx, row["id"])
        view = start_in(ctx, tx, (None, tx.definition(row["id"]), compiled), compiled.info.process_id,
                        applicant=compiled.info.name or compiled.info.process_id, received=now, extra=dict(values),
                        initiator={}, actor=actor, now=now)
        started.append({"case_id": view["case_id"], "elements": [], "started": True, "events": view["events"]})
    return started


def deliver_thrown(ctx: base.Context, tx: Any, case_id: str, events: list[dict], *, actor: str | None,
                   now: Any) -> None:
    """The signals a case's diagram threw in this command (`signal_thrown` events), broadcast to the other cases."""
    for event in events:
        if event["type"] == SIGNAL_THROWN:
            deliver(ctx, tx, event["signal"], event.get("data") or {}, actor=actor, now=now,
                    thrown_by={"case_id": case_id, "element_id": event["element_id"]})
