"""The engine's facade: one object the CLI, the worker and the benchmark hold, with one method per use case.

Each method delegates to its use case in `engine.usecases` (one module per command, reading like its order of steps);
the facade only carries the injected collaborators (`Context`: store, settings, clock, calendar, kept workflows).
Every command is one transaction: an error anywhere leaves the database exactly as it was.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from engine.calendar import BusinessCalendar, Clock
from engine.config import Settings
from engine.errors import NotFound
from engine.store import Store
from engine.origin import Origin
# Use-case modules are imported by the method that runs them: a command loads only its own (start-up time).
from engine.usecases import base
from engine.usecases.base import nfc_data
from engine.workflow_cache import WorkflowCache

if TYPE_CHECKING:
    from engine.audit.records import CaseRecord
    from engine.audit.replay import ReplayResult
    from engine.audit.verify import Verdict

MAX_DATA_BYTES = 64 * 1024


class Service:
    def __init__(self, store: Store, settings: Settings, clock: Clock, calendar: BusinessCalendar,
                 origin: Origin | None = None) -> None:
        self.ctx = base.Context(store, settings, clock, calendar, WorkflowCache.shared(store.url), origin)

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock, calendar: BusinessCalendar,
             origin: Origin | None = None) -> "Service":
        return cls(Store.open(settings.db_url), settings, clock, calendar, origin)

    # The collaborators, for callers that were handed a service (tests, the benchmark, the CLI's context).
    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def calendar(self) -> BusinessCalendar:
        return self.ctx.calendar

    @property
    def origin(self) -> Origin | None:
        return self.ctx.origin

    @property
    def workflows(self) -> WorkflowCache:
        return self.ctx.workflows

    @workflows.setter
    def workflows(self, cache: WorkflowCache) -> None:
        """Another cache for this service alone (a benchmark's cold engine keeps nothing: capacity 0)."""
        self.ctx.workflows = cache

    def close(self) -> None:
        self.ctx.store.dispose()

    # --- commands ----------------------------------------------------------------------------------------------
    def deploy(self, paths: Iterable) -> list[dict]:
        from engine.usecases import deploy

        return deploy.deploy(self.ctx, paths)

    def start_case(self, code: str, *, applicant: str, received_at: datetime | None, data: Mapping[str, Any] | None,
                   actor: str | None) -> dict:
        from engine.usecases import start

        return start.start_case(self.ctx, code, applicant=applicant, received_at=received_at, data=data, actor=actor)

    def complete_task(self, task_id: str, data: Mapping[str, Any] | None, *, actor: str | None) -> dict:
        from engine.usecases import complete

        return complete.complete_task(self.ctx, task_id, data, actor=actor)

    def task_bpmn_error(self, task_id: str, code: str, *, message: str | None = None,
                        data: Mapping[str, Any] | None = None, actor: str | None) -> dict:
        """End a step with a business error an error boundary event catches (Camunda 7's handleBpmnError)."""
        from engine.usecases import complete

        return complete.task_bpmn_error(self.ctx, task_id, code, message=message, data=data, actor=actor)

    def task_escalation(self, task_id: str, code: str, *, data: Mapping[str, Any] | None = None,
                        actor: str | None) -> dict:
        """Raise an escalation on a step that an escalation boundary event catches (Camunda 7's handleEscalation)."""
        from engine.usecases import complete

        return complete.task_escalation(self.ctx, task_id, code, data=data, actor=actor)

    def fire_due_timers(self, *, batch: int = 200, limit: int | None = None) -> dict:
        """Fire every timer due at the engine clock. Touches only cases whose next timer is due (indexed)."""
        from engine.usecases import timers

        return timers.fire_due_timers(self.ctx, batch=batch, limit=limit)

    def correlate(self, message: str, *, case_id: str | None = None, business_key: str | None = None,
                  data: Mapping[str, Any] | None = None, applicant: str | None = None,
                  actor: str | None = None) -> dict:
        """Deliver a message to the one element waiting for it, or start the one process it starts (Camunda 7)."""
        from engine.usecases import correlate

        return correlate.correlate_message(self.ctx, message, case_id=case_id, business_key=business_key, data=data,
                                           applicant=applicant, actor=actor)

    def signal(self, signal: str, *, data: Mapping[str, Any] | None = None, actor: str | None = None) -> dict:
        """Broadcast a signal to every case waiting for it, in one transaction (Camunda 7)."""
        from engine.usecases import signal as signals

        return signals.broadcast_signal(self.ctx, signal, data=data, actor=actor)

    def withdraw(self, case_id: str, reason: str, *, actor: str | None) -> dict:
        from engine.usecases import withdraw

        return withdraw.withdraw(self.ctx, case_id, reason, actor=actor)

    def add_note(self, case_id: str, text: str, *, actor: str | None) -> dict:
        from engine.usecases import note

        return note.add_note(self.ctx, case_id, text, actor=actor)

    def claim_task(self, task_id: str, *, actor: str | None) -> dict:
        """Take an unassigned step as its assignee (a candidate user or a member of a candidate group)."""
        from engine.usecases import claim

        return claim.claim_task(self.ctx, task_id, actor=actor)

    def unclaim_task(self, task_id: str, *, actor: str | None) -> dict:
        """Give a claimed step back to its candidates (its assignee, or an administrator)."""
        from engine.usecases import claim

        return claim.unclaim_task(self.ctx, task_id, actor=actor)

    # --- external tasks (engine.usecases.external: Camunda 7's rules) ----------------------------------------
    # Task ids are the ids `fetch_and_lock` returns (or a unique prefix of 8+ characters); durations are timedeltas.
    def fetch_and_lock(self, topics: Iterable[str] | Mapping[str, Any], worker_id: str, lock_duration: Any = None,
                       max_tasks: int = 10) -> list[dict]:
        """Lock up to `max_tasks` fetchable external tasks of `topics` (names, or topic -> its own lock duration)
        for `worker_id` for `lock_duration` (default 5 minutes); each with `id`, `topic`, `case_id`, `element_id`,
        `lock_expires_at`, `retries`, `error_message` and the case's `variables`."""
        from engine.usecases import external

        return external.fetch_and_lock(self.ctx, topics, worker_id, lock_duration=lock_duration or external.DEFAULT_LOCK,
                                       max_tasks=max_tasks)

    def complete_external_task(self, task_id: str, worker_id: str, variables: Mapping[str, Any] | None = None) -> dict:
        """Complete with `variables` (set on the case); only the worker holding the lock may."""
        from engine.usecases import external

        return external.complete_external_task(self.ctx, task_id, worker_id, variables)

    def handle_failure(self, task_id: str, worker_id: str, error_message: str, *, error_details: str | None = None,
                       retries: int | None = None, retry_timeout: Any = None) -> dict:
        """Report a failure: `retries` left (None: the diagram's failedJobRetryTimeCycle, else 0) and `retry_timeout`
        before it is fetchable again; 0 retries raises an incident."""
        from engine.usecases import external

        return external.handle_failure(self.ctx, task_id, worker_id, error_message, error_details=error_details,
                                       retries=retries, retry_timeout=retry_timeout)

    def handle_bpmn_error(self, task_id: str, worker_id: str, error_code: str, *, error_message: str | None = None,
                          variables: Mapping[str, Any] | None = None) -> dict:
        """Answer with a BPMN error; refused (Conflict) while no error boundary event can catch it."""
        from engine.usecases import external

        return external.handle_bpmn_error(self.ctx, task_id, worker_id, error_code, error_message=error_message,
                                          variables=variables)

    def extend_lock(self, task_id: str, worker_id: str, new_duration: Any) -> dict:
        """The lock now expires `new_duration` (a timedelta) from now; only the holder, before it expired."""
        from engine.usecases import external

        return external.extend_lock(self.ctx, task_id, worker_id, new_duration)

    def unlock(self, task_id: str, *, actor: str | None) -> dict:
        """Release the lock (an operator's command)."""
        from engine.usecases import external

        return external.unlock(self.ctx, task_id, actor=actor)

    def set_external_task_retries(self, task_id: str, retries: int, *, actor: str | None) -> dict:
        """Set the retries left: >0 resolves the incident, 0 raises one."""
        from engine.usecases import external

        return external.set_retries(self.ctx, task_id, retries, actor=actor)

    def resolve_incident(self, task_id: str, *, retries: int = 1, actor: str | None) -> dict:
        """Resolve a failed external task's incident by giving it `retries` (>= 1) again."""
        from engine.usecases import external

        return external.resolve_incident(self.ctx, task_id, retries=retries, actor=actor)

    def external_tasks(self, *, topic: str | None = None, incidents: bool = False,
                       case_id: str | None = None) -> list[dict]:
        """Open external tasks (only those with an incident with `incidents`)."""
        from engine.usecases import external

        return external.list_external_tasks(self.ctx, topic=topic, incidents=incidents, case_id=case_id)

    # --- reads -------------------------------------------------------------------------------------------------
    def procedures(self) -> list[dict]:
        from engine.usecases import read

        return read.procedures(self.ctx)

    def task_form(self, task_id: str, *, actor: str | None = None) -> tuple[dict, Any]:
        from engine.usecases import read

        return read.task_form(self.ctx, task_id, actor=actor)

    def show_case(self, case_id: str) -> dict:
        from engine.usecases import read

        return read.show_case(self.ctx, case_id)

    def list_tasks(self, *, case_id: str | None = None, lane: str | None = None, mine: bool = False,
                   actor: str | None = None, with_definitions: bool = False) -> list[dict]:
        """Open steps, soonest due first; `with_definitions` adds each step's `definition` (key, version)."""
        from engine.usecases import read

        return read.list_tasks(self.ctx, case_id=case_id, lane=lane, mine=mine, actor=actor,
                               with_definitions=with_definitions)

    def history(self, case_id: str) -> list[dict]:
        from engine.usecases import read

        return read.history(self.ctx, case_id)

    def definitions(self, kind: str | None = None, key: str | None = None) -> list[dict]:
        """Every stored definition version (no content), `latest` marked, named by its deployment."""
        from engine.usecases import read

        return read.definitions(self.ctx, kind, key)

    def start_choices(self, key: str) -> tuple[list[dict], list[str]]:
        """Process `key`'s stored versions (`latest` marked) and the codes of the procedures executed on it."""
        from engine.usecases import read

        return read.start_choices(self.ctx, key)

    def definition_source(self, kind: str, key: str, version: int) -> bytes | None:
        from engine.usecases import read

        return read.definition_source(self.ctx, kind, key, version)

    def cases(self, *, ids: list[str] | None = None, process_key: str | None = None,
              active: bool | None = None) -> list[dict]:
        """Cases with their definition's key, version and name and the officer who received them."""
        from engine.usecases import read

        return read.cases(self.ctx, ids=ids, process_key=process_key, active=active)

    # --- credentials for the HTTP server (engine.auth) ------------------------------------------------------------
    def set_password(self, user_id: str, password: str) -> None:
        """Store an officer's password as an argon2id hash (the officer must be in the configuration)."""
        from engine.auth.passwords import set_password

        set_password(self.store, self.settings, user_id, password, now=self.clock.now())

    def create_token(self, user_id: str, *, label: str | None) -> dict:
        """A new API token acting for `user_id`; its secret is in the result only."""
        from engine.auth.tokens import create_token

        return create_token(self.store, self.settings, user_id, label=label, now=self.clock.now())

    def list_tokens(self) -> list[dict]:
        from engine.auth.tokens import list_tokens

        return list_tokens(self.store)

    def revoke_token(self, token_id: str) -> dict:
        from engine.auth.tokens import revoke_token

        return revoke_token(self.store, token_id, now=self.clock.now())

    def decide(self, decision_key: str, data: Mapping[str, Any]) -> dict:
        """Evaluate the latest deployed version of a decision for a designer, with the rules that matched."""
        from engine.definitions import load_dmn_cached
        from engine.rules import evaluate_decision

        with self.store.transaction() as tx:
            row = tx.latest_definition("dmn", decision_key)
            if row is None:  # DMN names decisions too: `tthc decide "Approval Status"`
                named = [r for r in tx.latest_definitions("dmn") if r.get("name") == decision_key]
                row = tx.latest_definition("dmn", named[0]["key"]) if len(named) == 1 else None
            if row is None:
                raise NotFound(f"Không có bảng quyết định '{decision_key}' đã triển khai.", decision=decision_key)
            model = load_dmn_cached(row["content"], row["filename"])
            decision = model.decisions[row["key"]]
            result = evaluate_decision(model.decisions, decision.id, nfc_data(dict(data)))
            descriptions = {rule.id: rule.description for rule in decision.rules}
            doc = result.to_dict()
            doc["version"] = row["version"]
            doc["matched"] = [{"rule": rid, "description": descriptions.get(rid)} for rid in result.matched_rules]
            return doc

    # --- audit and reports (read-only) -------------------------------------------------------------------------
    def replay(self, case_id: str, *, until: datetime | None = None) -> ReplayResult:
        from engine.usecases import audit

        return audit.replay(self.ctx, case_id, until=until)

    def verify(self, case_id: str) -> Verdict:
        from engine.usecases import audit

        return audit.verify(self.ctx, case_id)

    def verify_all(self, on_case: Callable[[str], None] | None = None) -> Iterator:
        from engine.usecases import audit

        return audit.verify_all(self.ctx, on_case)

    def count_cases(self) -> int:
        from engine.usecases import audit

        return audit.count_cases(self.ctx)

    def case_record(self, case_id: str) -> CaseRecord:
        from engine.usecases import audit

        return audit.case_record(self.ctx, case_id)

    def notice(self, case_id: str, kind: str, *, names: Mapping[str, str]) -> dict:
        from engine.usecases import audit

        return audit.notice(self.ctx, case_id, kind, names=names)

    def book(self, start: date, end: date) -> dict:
        from engine.usecases import audit

        return audit.book(self.ctx, start, end)

    def export_xes(self, start: date, end: date, out: Path) -> dict:
        from engine.usecases import audit

        return audit.export_xes(self.ctx, start, end, out)

    def report(self, *, period: Any, by: str = "procedure", procedure: str | None = None,
               with_trend: bool = False) -> dict:
        from engine.usecases import audit

        return audit.report(self.ctx, period=period, by=by, procedure=procedure, with_trend=with_trend)

    def overdue(self, *, period: Any, procedure: str | None = None) -> dict:
        from engine.usecases import audit

        return audit.overdue(self.ctx, period=period, procedure=procedure)
