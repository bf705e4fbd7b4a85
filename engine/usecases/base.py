"""What the use cases share: the context they run in, loading a case's workflow, and committing one command.

Committing, in order: project the events onto the case and task rows (`engine.projection`), write the task rows and
the daily sums, chain the events after the case's history head, save the case row with its optimistic version check
(first among the writes of the case row, so a concurrent writer gets a Conflict before anything else is written), then
insert the events. A command that will likely be followed by another on the same case then `keep`s its workflow
object, put in memory only once the transaction committed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping

from engine.calendar import BusinessCalendar, Clock, FixedClock
from engine.config import Settings, User
from engine.definitions import cached_model, load_dmn_cached, load_form_cached
from engine.errors import InvalidInput, NotFound
from engine.history import EventType
from engine.origin import Origin
from engine.projection import consequences, project, workflow_completed
from engine.rows import CaseRow, Event, TaskRow
from engine.store import Store, Tx
from engine.workflow_cache import DEFINITIONS, WorkflowCache

SIGNAL_THROWN = EventType.SIGNAL_THROWN.value

if TYPE_CHECKING:  # the runtime (SpiffWorkflow) is imported by the functions that run it: reads never load it
    from engine.runtime import Compiled, Runtime


@dataclass
class Context:
    """The engine's collaborators, injected once: the store, settings, the clock (read once per command) and the
    calendar; the workflows kept between commands; the newest form/decision models per definitions head."""

    store: Store
    settings: Settings
    clock: Clock
    calendar: BusinessCalendar
    workflows: WorkflowCache
    origin: Origin | None = None  # where the commands come from (engine.origin), recorded on every event
    latest: dict[tuple[str, str], tuple[dict | None, Any]] = field(default_factory=dict)
    latest_head: tuple | None = None

    def user(self, actor: str | None) -> User:
        return self.settings.user(actor)

    @property
    def origin_record(self) -> dict | None:
        return self.origin.record() if self.origin is not None else None

    @property
    def admin(self) -> bool:
        return bool(self.origin and self.origin.admin)


def nfc_data(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {unicodedata.normalize("NFC", str(k)): nfc_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_data(v) for v in value]
    return value


def nfc_text(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


# --- loading ---------------------------------------------------------------------------------------------------
def compiled(ctx: Context, tx: Tx, definition_id: int) -> Compiled:
    """The compiled BPMN of a stored definition: read from the store once per process and id (definitions never
    change), compiled once per content (`DEFINITIONS`)."""
    from engine.runtime import compile_bpmn

    key = (ctx.store.url, definition_id)
    digest = DEFINITIONS.bpmn_hash.get(key)
    found = DEFINITIONS.compiled.get(digest) if digest is not None else None
    if found is None:
        row = tx.definition(definition_id)
        found = compile_bpmn(row["content"], row["filename"])
        DEFINITIONS.bpmn_hash[key] = found.content_hash
    return found


def latest_model(ctx: Context, tx: Tx, kind: str, key: str) -> tuple[dict | None, Any]:
    """The newest deployed form or decision model: its content is read (and parsed) once per process and version.
    When the transaction read the definitions head with its case (`Tx.case(with_head=True)`) and no deploy has
    added a version since, what this process found last time is still the newest; otherwise it asks."""
    head = tx.definitions_head
    if head is not None:
        if head != ctx.latest_head:
            ctx.latest.clear()
            ctx.latest_head = head
        known = ctx.latest.get((kind, key))
        if known is not None:
            return known
    found = _find_latest_model(tx, kind, key)
    if head is not None:
        ctx.latest[(kind, key)] = found
    return found


def _find_latest_model(tx: Tx, kind: str, key: str) -> tuple[dict | None, Any]:
    ref = tx.latest_definition_ref(kind, key)
    if ref is None:
        return None, None
    model = cached_model(kind, ref["content_hash"])
    if model is None:
        content = ref.get("content") or tx.definition_content(ref["id"])
        model = (load_form_cached if kind == "form" else load_dmn_cached)(content, ref["filename"])
    return ref, model


def decider(latest: Callable[[str, str], tuple[dict | None, Any]]) -> Callable[[str, Mapping[str, Any], str], Any]:
    """The runtime's decision callback: the newest deployed decision table, evaluated on the case data.
    `latest(kind, key)` finds the model (in the store live, in the version in force at the time in a replay)."""

    def decide(decision_ref: str, data: Mapping[str, Any], mode: str) -> Any:
        from engine.rules import evaluate_decision, map_decision_result

        row, model = latest("dmn", decision_ref)
        if row is None:
            raise NotFound(f"Không có bảng quyết định '{decision_ref}'.", decision=decision_ref)
        value = map_decision_result(evaluate_decision(model.decisions, decision_ref, data), mode)
        if value is None or value == []:
            raise InvalidInput(
                f"Bảng quyết định '{decision_ref}' không có quy tắc nào khớp với dữ liệu của hồ sơ.",
                decision=decision_ref)
        return value

    return decide


def runtime_at(ctx: Context, tx: Tx, now: datetime, definition: Compiled | None = None) -> Runtime:
    """A runtime whose clock is the command's one `now` (timers and expressions read it, never the wall clock).
    With the `definition` it will run, the newest version of every decision table the diagram names is read here,
    before the runtime starts (with the case's definitions head these are cache hits), so the runtime does not reach
    back into the store; without it, or for a table the diagram does not name, a table is looked up when a
    business-rule task asks."""
    from engine.runtime import Runtime

    if definition is None:
        latest = lambda kind, key: latest_model(ctx, tx, kind, key)  # noqa: E731
    else:
        tables = {ref.decision_ref: latest_model(ctx, tx, "dmn", ref.decision_ref) for ref in definition.info.decisions}
        latest = lambda kind, key: tables[key] if key in tables else latest_model(ctx, tx, kind, key)  # noqa: E731
    return Runtime(FixedClock(now), ctx.calendar, decider(latest))


def workflow_of(ctx: Context, tx: Tx, runtime: Runtime, definition: Compiled, case: CaseRow) -> Any:
    """The case's workflow at the version just read: the one this process committed last, else restored."""
    workflow = ctx.workflows.take(case["id"], (case["version"], case["event_hash"]))
    if workflow is None:
        state = case["state"] if "state" in case else tx.case_state(case["id"])
        return runtime.restore(definition, state)
    workflow.script_engine = runtime.script_engine
    return workflow


def keep(ctx: Context, tx: Tx, case: CaseRow, workflow: Any) -> None:
    case_id, token = case["id"], (case["version"], case["event_hash"])
    tx.after_commit[("workflow", case_id)] = lambda: ctx.workflows.put(case_id, token, workflow)


def follow(runtime: Runtime, workflow: Any, case: CaseRow, derived: list[Event], *, now: datetime,
           calendar: BusinessCalendar, definition: Compiled) -> list[Event]:
    """The derived events and their case-level consequences, with the workflow changed accordingly."""
    final = runtime.final_data(workflow) if workflow_completed(derived) else {}
    result = consequences(case, derived, now=now, calendar=calendar, policy=definition.policy, final_data=final)
    runtime.apply_changes(workflow, result.changes)
    return result.events


def write_external(tx: Tx, projected: Any) -> None:
    """The external task rows the projection made or changed (engine.projection_external)."""
    for row in projected.new_external:
        tx.insert_external_task(row)
    for task_id, values in projected.external_updates:
        tx.update_external_task(task_id, values)


CALL_EVENTS = frozenset({EventType.CALL_ACTIVITY_STARTED.value, EventType.CALL_ACTIVITY_CANCELLED.value})


# --- committing --------------------------------------------------------------------------------------------------
def commit(ctx: Context, tx: Tx, runtime: Runtime, workflow: Any, case: CaseRow, events: list[Event], *,
           definition: Compiled, actor: str | None, now: datetime,
           known_tasks: Mapping[str, TaskRow] | None = None) -> None:
    """Write one command on an existing case (see the module docstring for the order)."""
    before_version, original = case["version"], dict(case)
    projected = project(case, events, actor=actor, now=now, calendar=ctx.calendar, policy=definition.policy,
                        tasks=known_tasks)
    for task_id, values in projected.task_updates:
        tx.update_task(task_id, values)
    for row in projected.new_tasks:
        tx.insert_task(row)
    write_external(tx, projected)
    tx.record_daily_sums(case, projected.completed, resolved_at=now if projected.resolved else None)
    rows, seq, digest = tx.chain_events(case["id"], case["event_seq"], case["event_hash"], events, actor, now,
                                        ctx.origin_record)
    case.update(state=runtime.dump(workflow),
                next_timer_at=runtime.next_timer_at(workflow) if case["status"] == "active" else None,
                waiting_messages=runtime.waiting_messages(workflow) if case["status"] == "active" else None,
                waiting_signals=runtime.waiting_signals(workflow) if case["status"] == "active" else None,
                event_seq=seq, event_hash=digest, updated_at=now)
    # Only the columns that changed: every written column costs its index entries.
    values = {k: v for k, v in case.items() if k not in ("id", "version") and original.get(k, v) != v or k == "state"}
    case["version"] = tx.save_case(case["id"], before_version, values)
    tx.insert_events(rows)
    if case.get("parent_case_id") or any(e["type"] in CALL_EVENTS for e in events) or _calls(definition):
        from engine.usecases.call import after_commit  # child cases, in this transaction (engine/usecases/call.py)

        after_commit(ctx, tx, case, events, workflow, definition, actor=actor, now=now)
    broadcast_thrown(ctx, tx, case["id"], events, actor=actor, now=now)


def broadcast_thrown(ctx: Context, tx: Tx, case_id: str, events: list[Event], *, actor: str | None,
                     now: datetime) -> None:
    """Signals this case's diagram threw, delivered to the other cases in the same transaction (Camunda 7 delivers a
    thrown signal synchronously); called once the case's own row and events are written."""
    if any(e["type"] == SIGNAL_THROWN for e in events):
        from engine.usecases.signal import deliver_thrown

        deliver_thrown(ctx, tx, case_id, events, actor=actor, now=now)


def _calls(definition: Compiled) -> bool:
    from engine.usecases.call import calls_anything

    return calls_anything(definition)


def after_start(ctx: Context, tx: Tx, case: CaseRow, events: list[Event], workflow: Any, definition: Compiled, *,
                actor: str | None, now: datetime) -> None:
    """A new case whose first step is a call activity starts its child now (engine/usecases/call.py)."""
    if any(e["type"] in CALL_EVENTS for e in events):
        from engine.usecases.call import after_commit

        after_commit(ctx, tx, case, events, workflow, definition, actor=actor, now=now)


