"""Use cases: deploy, start_case, complete_task, fire_due_timers, withdraw, and the read models operators see.

Every use case is one transaction: it loads what it needs, lets the runtime apply one command to one workflow,
appends the derived events to the hash-chained history, projects them onto the case and task rows, and saves the
workflow state with an optimistic version check. An error anywhere leaves the database exactly as it was.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Iterable, Mapping

from engine import assignment
from engine.config import Settings, User
from engine.definitions import (
    START_VARIABLES, as_decimal, cached_model, collect, load_dmn_cached, load_form_cached, parse_catalog,
)
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.history import plain
from engine.origin import Origin
from engine.reports.measures import case_time_used, step_time_used
from engine.reports.daily import record_step_stats, record_unit_scores
from engine.runtime import Compiled, Runtime, compile_bpmn, content_hash
from engine.store import Store, Tx
from engine.workflow_cache import WorkflowCache

RESERVED_START_KEYS = START_VARIABLES
_compiled_by_id: dict[tuple[str, int], Compiled] = {}
MAX_DATA_BYTES = 64 * 1024


def nfc_data(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {unicodedata.normalize("NFC", str(k)): nfc_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_data(v) for v in value]
    return value


def judge(done_at: datetime, due_at: datetime | None) -> str | None:
    """Early / on time / late as the control slip and reports say it: late after the due instant; early when done on
    an earlier day than the due day; on time otherwise."""
    if due_at is None:
        return None
    if done_at > due_at:
        return "late"
    return "early" if done_at.date() < due_at.date() else "on_time"


@dataclass
class CommandResult:
    case: dict
    events: list[dict]


class Service:
    def __init__(self, store: Store, settings: Settings, clock, calendar, origin: Origin | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.calendar = calendar
        self.origin = origin  # where the commands come from: recorded on every event (engine.origin)
        self._origin_record = origin.record() if origin is not None else None
        self.workflows = WorkflowCache.shared(store.url) if store is not None else WorkflowCache()
        self._latest: dict[tuple[str, str], tuple[dict | None, Any]] = {}  # newest form/decision per key, at:
        self._latest_head: tuple | None = None  # the definitions head they were looked up at

    @classmethod
    def open(cls, settings: Settings, *, clock, calendar, origin: Origin | None = None) -> "Service":
        return cls(Store.open(settings.db_url), settings, clock, calendar, origin)

    # --- deploy ----------------------------------------------------------------------------------------------
    def deploy(self, paths: Iterable) -> list[dict]:
        files = collect(paths)
        now = self.clock.now()
        results: list[dict] = []
        with self.store.transaction() as tx:
            batch_forms: dict[str, Any] = {}
            batch_decisions: dict[str, Any] = {}
            for src in [f for f in files if f.kind == "form"]:
                form = load_form_cached(src.content, str(src.path))
                batch_forms[form.id] = form
                results.append(self._store_definition(tx, "form", form.id, src, form.id, {}, now))
            for src in [f for f in files if f.kind == "dmn"]:
                model = load_dmn_cached(src.content, str(src.path))
                for key, decision in model.decisions.items():
                    batch_decisions[key] = decision
                    results.append(self._store_definition(
                        tx, "dmn", key, src, getattr(decision, "name", None) or key, {"file_decisions": sorted(model.decisions)}, now))
            process_ids: set[str] = set()
            for src in [f for f in files if f.kind == "bpmn"]:
                compiled = compile_bpmn(src.content, str(src.path))
                self._check_references(tx, compiled, batch_forms, batch_decisions)
                info = compiled.info
                process_ids.add(info.process_id)
                meta = {"properties": info.properties, "lanes": info.lanes,
                        "user_tasks": [t.id for t in info.user_tasks]}
                results.append(self._store_definition(tx, "bpmn", info.process_id, src, info.name, meta, now))
            for src in [f for f in files if f.kind == "catalog"]:
                for entry in parse_catalog(src.content, str(src.path)):
                    if entry["process_id"] not in process_ids and tx.latest_definition("bpmn", entry["process_id"]) is None:
                        raise InvalidInput(
                            f"Danh mục '{src.path}': thủ tục {entry['code']} trỏ tới quy trình "
                            f"'{entry['process_id']}' chưa được triển khai.", code=entry["code"])
                    tx.upsert_procedure(entry)
                results.append({"kind": "catalog", "key": str(src.path.name), "file": str(src.path),
                                "procedures": len(parse_catalog(src.content, str(src.path))), "status": "loaded"})
        return results

    def _store_definition(self, tx: Tx, kind: str, key: str, src, name: str | None, meta: dict, now: datetime) -> dict:
        digest = content_hash(src.content)
        existing = tx.definition_by_hash(kind, key, digest)
        latest = tx.latest_definition(kind, key)
        if existing is not None and latest is not None and latest["id"] == existing["id"]:
            row, status = existing, "unchanged"
        else:
            row = tx.insert_definition(kind=kind, key=key, digest=digest, filename=str(src.path), content=src.content,
                                       name=name, meta=meta, at=now)
            status = "deployed"
        return {"kind": kind, "key": key, "version": row["version"], "hash": digest, "file": str(src.path),
                "status": status}

    def _check_references(self, tx: Tx, compiled: Compiled, forms: dict, decisions: dict) -> None:
        info = compiled.info
        provided = set(START_VARIABLES)
        for task in info.user_tasks:
            if task.form_ref is None:
                continue
            form = forms.get(task.form_ref)
            if form is None:
                row = tx.latest_definition("form", task.form_ref)
                if row is None:
                    raise InvalidInput(
                        f"Tệp '{info.filename}', phần tử '{task.id}': biểu mẫu '{task.form_ref}' chưa được triển khai; "
                        "hãy triển khai tệp .form cùng lúc hoặc trước.", element=task.id, form=task.form_ref)
                form = load_form_cached(row["content"], row["filename"])
            provided |= set(form.provided_keys())
        for ref in info.decisions:
            if ref.decision_ref not in decisions and tx.latest_definition("dmn", ref.decision_ref) is None:
                raise InvalidInput(
                    f"Tệp '{info.filename}', phần tử '{ref.task_id}': bảng quyết định '{ref.decision_ref}' chưa được "
                    "triển khai.", element=ref.task_id, decision=ref.decision_ref)
            if ref.result_variable:
                provided.add(ref.result_variable)
        provided |= assignment.check_variables(compiled.spec, info.filename, provided)
        for cond in info.conditions:
            missing = sorted(v for v in cond.variables if v not in provided)
            if missing:
                raise InvalidInput(
                    f"Tệp '{info.filename}', phần tử '{cond.flow_id}': điều kiện {cond.source} dùng biến "
                    f"'{missing[0]}' mà không biểu mẫu hay dữ liệu khởi tạo nào cung cấp.",
                    element=cond.flow_id, variable=missing[0])

    # --- catalog ---------------------------------------------------------------------------------------------
    def procedures(self) -> list[dict]:
        with self.store.transaction() as tx:
            rows = tx.procedures()
            out = []
            for row in rows:
                latest = tx.latest_definition("bpmn", row["process_id"])
                out.append({
                    "code": row["code"], "name": row["name"], "process_id": row["process_id"],
                    "total_working_days": row["total_working_days"], "version": latest["version"] if latest else None,
                    "field": row["field"], "code_source": row["code_source"],
                })
            return out

    def decide(self, decision_key: str, data: Mapping[str, Any]) -> dict:
        """Evaluate the latest deployed version of a decision for a designer, with the rules that matched."""
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

    # --- runtime plumbing ------------------------------------------------------------------------------------
    def _runtime(self, tx: Tx) -> Runtime:
        def decide(decision_ref: str, data: Mapping[str, Any], mode: str) -> Any:
            from engine.rules import evaluate_decision, map_decision_result

            row, model = self._latest_model(tx, "dmn", decision_ref)
            if row is None:
                raise NotFound(f"Không có bảng quyết định '{decision_ref}'.", decision=decision_ref)
            result = evaluate_decision(model.decisions, decision_ref, data)
            value = map_decision_result(result, mode)
            if value is None or value == []:
                raise InvalidInput(
                    f"Bảng quyết định '{decision_ref}' không có quy tắc nào khớp với dữ liệu của hồ sơ.",
                    decision=decision_ref)
            return value

        return Runtime(self.clock, self.calendar, decide)

    def _latest_model(self, tx: Tx, kind: str, key: str) -> tuple[dict | None, Any]:
        """The newest deployed form or decision model: its content is read (and parsed) once per process and version.
        When the transaction read the definitions head with its case (`Tx.case(with_head=True)`) and no deploy has
        added a version since, what this process found last time is still the newest; otherwise it asks."""
        head = getattr(tx, "definitions_head", None)
        if head is not None:
            if head != self._latest_head:
                self._latest.clear()
                self._latest_head = head
            known = self._latest.get((kind, key))
            if known is not None:
                return known
        found = self._find_latest_model(tx, kind, key)
        if head is not None:
            self._latest[(kind, key)] = found
        return found

    @staticmethod
    def _find_latest_model(tx: Tx, kind: str, key: str) -> tuple[dict | None, Any]:
        ref = tx.latest_definition_ref(kind, key)
        if ref is None:
            return None, None
        model = cached_model(kind, ref["content_hash"])
        if model is None:
            content = ref.get("content") or tx.definition_content(ref["id"])
            model = (load_form_cached if kind == "form" else load_dmn_cached)(content, ref["filename"])
        return ref, model

    def _compiled(self, tx: Tx, definition_id: int) -> Compiled:
        # Definitions are immutable once stored: one read per process and database, not one per command.
        key = (self.store.url, definition_id)
        compiled = _compiled_by_id.get(key)
        if compiled is None:
            row = tx.definition(definition_id)
            compiled = _compiled_by_id[key] = compile_bpmn(row["content"], row["filename"])
        return compiled

    def _workflow(self, tx: Tx, runtime: Runtime, compiled: Compiled, case: dict):
        """The case's workflow at the version just read: the one this process committed last, else restored."""
        workflow = self.workflows.take(case["id"], (case["version"], case["event_hash"]))
        if workflow is None:
            state = case["state"] if "state" in case else tx.case_state(case["id"])
            return runtime.restore(compiled, state)
        workflow.script_engine = runtime.script_engine
        return workflow

    def _keep(self, tx: Tx, case: dict, workflow) -> None:
        case_id, token = case["id"], (case["version"], case["event_hash"])
        tx.after_commit[("workflow", case_id)] = lambda: self.workflows.put(case_id, token, workflow)

    def _user(self, actor: str | None) -> User:
        return self.settings.user(actor)

    # --- start -----------------------------------------------------------------------------------------------
    def start_case(self, code: str, *, applicant: str, received_at: datetime | None, data: Mapping[str, Any] | None,
                   actor: str | None) -> dict:
        user = self._user(actor)
        if "reception" not in user.groups:
            raise Conflict(f"Người dùng '{user.id}' không thuộc Bộ phận Một cửa nên không tiếp nhận hồ sơ được.",
                           user=user.id)
        applicant = unicodedata.normalize("NFC", (applicant or "").strip())
        if not applicant:
            raise InvalidInput("Thiếu tên người nộp hồ sơ (--applicant).")
        extra = nfc_data(dict(data or {}))
        clash = sorted(set(extra) & RESERVED_START_KEYS)
        if clash:
            raise InvalidInput(f"Dữ liệu khởi tạo không được đặt biến hệ thống '{clash[0]}'.", variable=clash[0])
        now = self.clock.now()
        received = received_at or now
        if received > now:
            raise InvalidInput(f"Thời điểm tiếp nhận {received.isoformat()} ở tương lai so với đồng hồ hệ thống.")
        with self.store.transaction() as tx:
            procedure = tx.procedure(code)
            process_id = procedure["process_id"] if procedure else code
            definition = tx.latest_definition_ref("bpmn", process_id)
            if definition is None:
                raise NotFound(f"Không có thủ tục hay quy trình '{code}' đã triển khai.", procedure=code)
            compiled = self._compiled(tx, definition["id"])
            initiator = assignment.start_variables(compiled.spec, user.id)
            if set(initiator) & set(extra):
                raise InvalidInput(f"Dữ liệu khởi tạo không được đặt biến '{next(iter(initiator))}': hệ thống ghi vào "
                                   "đó người tiếp nhận hồ sơ (camunda:initiator).", variable=next(iter(initiator)))
            total = procedure["total_working_days"] if procedure else as_decimal(compiled.info.properties.get("total_working_days"))
            transferred = self.calendar.transfer_time(received)
            due = self.calendar.case_due(received, total) if total is not None else None
            apology_at = self.calendar.back(due, 1) if due is not None else None
            case_id = self._new_case_id(tx, received)
            start_data = {
                **extra, **initiator,
                "case_id": case_id, "procedure_code": code if procedure else compiled.info.process_id,
                "applicant_name": applicant, "received_at": received.isoformat(),
                "transferred_at": transferred.isoformat(),
                "due_at": due.isoformat() if due else None, "apology_at": apology_at.isoformat() if apology_at else None,
            }
            runtime = self._runtime(tx)
            workflow, derived = runtime.start(compiled, start_data)
            policy = self.calendar.policy()
            case = {
                "id": case_id, "procedure_code": start_data["procedure_code"], "process_id": compiled.info.process_id,
                "definition_id": definition["id"], "status": "active", "stage": "processing", "outcome": None,
                "applicant_name": applicant, "channel": extra.get("channel"), "received_at": received,
                "transferred_at": transferred, "due_at": due, "first_due_at": due, "apology_due_at": None,
                "resolved_at": None, "result_at": None, "ended_at": None, "timing": None,
                "total_working_days": total, "restarts": 0, "supplement_rounds": 0, "rework_rounds": 0,
                "apologies": 0, "policy": plain(policy), "state": "", "version": 1, "next_timer_at": None,
                "created_at": now, "updated_at": now, "event_seq": 0, "event_hash": "",
            }
            started = {
                "type": "case_started", "procedure_code": case["procedure_code"], "process_id": case["process_id"],
                "definition_version": definition["version"], "definition_hash": definition["content_hash"],
                "calendar_policy": policy, "received_at": received, "transferred_at": transferred, "due_at": due,
                "total_working_days": total, "applicant_name": applicant, "data": extra,
            }
            events = [started] + self._follow_up(runtime, workflow, case, derived, now)
            new_tasks = self._project(tx, case, events, actor=user.id, now=now)
            case["state"] = runtime.dump(workflow)
            case["next_timer_at"] = runtime.next_timer_at(workflow)
            case["event_seq"], case["event_hash"] = tx.append_events(case_id, 0, "", events, user.id, now,
                                                                     self._origin_record)
            tx.insert_case(case)
            for row in new_tasks:  # after the case row: tasks reference it
                tx.insert_task(row)
            self._keep(tx, case, workflow)
            view = self._case_view(tx, case)
            view["events"] = plain(events)
            return view

    def _new_case_id(self, tx: Tx, received: datetime) -> str:
        day = received.strftime("%y%m%d")
        number = tx.next_number(f"case:{day}")
        return f"SKHCN-{day}-{number:04d}"

    # --- complete --------------------------------------------------------------------------------------------
    def task_form(self, task_id: str, *, actor: str | None = None) -> tuple[dict, Any]:
        with self.store.transaction() as tx:
            task = tx.resolve_task_id(task_id)
            if not assignment.is_open_to_all(task):
                assignment.authorize(self._user(actor), task)  # a step's form only for who may work on it
            case = tx.case(task["case_id"])
            compiled = self._compiled(tx, case["definition_id"])
            info = compiled.info.user_task(task["element_id"])
            form = None
            if info and info.form_ref:
                row = tx.latest_definition("form", info.form_ref)
                if row is None:
                    raise NotFound(f"Không có biểu mẫu '{info.form_ref}' của bước '{task['name']}'.", form=info.form_ref)
                form = load_form_cached(row["content"], row["filename"])
            return task, form

    def complete_task(self, task_id: str, data: Mapping[str, Any] | None, *, actor: str | None) -> dict:
        user = self._user(actor)
        submitted = nfc_data(dict(data or {}))
        with self.store.transaction() as tx:
            task_row = tx.resolve_task_id(task_id)
            case = tx.case(task_row["case_id"], lock=True, with_head=True)
            if not self.store.is_sqlite:
                # The task was read before the lock; a command that waited for it must see what the other one
                # committed (SQLite's BEGIN IMMEDIATE already serialised the whole transaction).
                task_row = tx.task(task_row["id"])
            if case["status"] != "active":
                raise Conflict(f"Hồ sơ '{case['id']}' đã kết thúc ({case['status']}); không xử lý thêm được.", case=case["id"])
            if task_row["status"] != "open":
                raise Conflict(f"Bước '{task_row['name']}' của hồ sơ '{case['id']}' đã được xử lý rồi.", task=task_row["id"])
            assignment.authorize(user, task_row)
            compiled = self._compiled(tx, case["definition_id"])
            values = self._validate_form(tx, compiled, task_row, submitted)
            initiator = assignment.initiator_variable(compiled.spec)
            if initiator in values:
                raise InvalidInput(f"Dữ liệu của bước không được đặt biến '{initiator}' (người tiếp nhận hồ sơ).",
                                   variable=initiator)
            runtime = self._runtime(tx)
            workflow = self._workflow(tx, runtime, compiled, case)
            now = self.clock.now()
            derived = runtime.complete(workflow, task_row["id"], values)
            events = self._follow_up(runtime, workflow, case, derived, now, actor=user)
            return self._commit(tx, runtime, workflow, case, events, actor=user.id, now=now,
                                known_tasks={task_row["id"]: task_row})

    # --- claim / unclaim (engine.assignment has the rules) ----------------------------------------------------
    def claim_task(self, task_id: str, *, actor: str | None) -> dict:
        """Take an unassigned step as its assignee (a candidate user or a member of a candidate group)."""
        user = self._user(actor)
        return self._assign(task_id, user, claim=True)

    def unclaim_task(self, task_id: str, *, actor: str | None) -> dict:
        """Give a claimed step back to its candidates (its assignee, or an administrator)."""
        user = self._user(actor)
        return self._assign(task_id, user, claim=False)

    def _assign(self, task_id: str, user: User, *, claim: bool) -> dict:
        with self.store.transaction() as tx:
            task_row = tx.resolve_task_id(task_id)
            case = tx.case(task_row["case_id"], lock=True, with_head=True)
            task_row = tx.task(task_row["id"])  # as of the lock: a concurrent claim has committed or waits
            if case["status"] != "active" or task_row["status"] != "open":
                raise Conflict(f"Bước '{task_row['name']}' của hồ sơ '{case['id']}' không còn chờ xử lý.",
                               task=task_row["id"])
            base = {"element_id": task_row["element_id"], "task_id": task_row["id"], "name": task_row["name"]}
            if claim:
                if not assignment.check_claim(user, task_row):
                    return {"case_id": case["id"], **self._task_view(task_row), "changed": False}
                events = [{"type": "task_claimed", **base, "assignee": user.id}]
            else:
                assignment.check_unclaim(user, task_row, admin=bool(self.origin and self.origin.admin))
                events = [{"type": "task_unclaimed", **base, "previous_assignee": task_row["assignee"]}]
            now = self.clock.now()
            self._project(tx, case, events, actor=user.id, now=now)
            rows, seq, digest = tx.chain_events(case["id"], case["event_seq"], case["event_hash"], events, user.id,
                                                now, self._origin_record)
            version = tx.save_case(case["id"], case["version"], {"event_seq": seq, "event_hash": digest,
                                                                  "updated_at": now})
            tx.insert_events(rows)
            # The workflow did not change: one this process holds stays valid under the case's new version.
            workflow = self.workflows.take(case["id"], (case["version"], case["event_hash"]))
            if workflow is not None:
                tx.after_commit[("workflow", case["id"])] = lambda: self.workflows.put(case["id"], (version, digest),
                                                                                     workflow)
            return {"case_id": case["id"], **self._task_view(tx.task(task_row["id"])), "changed": True}

    def _validate_form(self, tx: Tx, compiled: Compiled, task_row: dict, submitted: dict) -> dict:
        info = compiled.info.user_task(task_row["element_id"])
        if info is None or info.form_ref is None:
            return submitted
        row, form = self._latest_model(tx, "form", info.form_ref)
        if row is None:
            raise NotFound(f"Không có biểu mẫu '{info.form_ref}' của bước '{task_row['name']}'.", form=info.form_ref)
        from engine.forms import validate_submission

        values = validate_submission(form, submitted, today=self.clock.now().date())
        # A field left empty still reaches the case as null, so a gateway can test `empty x` instead of failing
        # on an unknown variable.
        for field in form.fields:
            if "." not in field.key:
                values.setdefault(field.key, None)
        return values

    # --- timers ----------------------------------------------------------------------------------------------
    def fire_due_timers(self, *, batch: int = 200, limit: int | None = None) -> dict:
        """Fire every timer due at the engine clock. Touches only cases whose next timer is due (indexed)."""
        now = self.clock.now()
        fired: list[dict] = []
        failed: list[dict] = []
        seen: set[str] = set()  # a case is visited once per run, even if its next timer is still due afterwards
        while limit is None or len(seen) < limit:
            with self.store.transaction() as tx:
                due = tx.due_cases(now, batch if limit is None else min(batch, limit - len(seen)), exclude=seen)
                if not due:
                    break
                for row in due:
                    seen.add(row["id"])
                    try:
                        with tx.conn.begin_nested():  # one case that cannot fire must not block the others
                            fired.extend(self._fire_case(tx, row["id"], now))
                    except EngineError as err:
                        tx.after_commit.pop(("workflow", row["id"]), None)  # rolled back to the savepoint
                        failed.append({"case_id": row["id"], "error": err.code, "message": err.message})
        cases_done = len(seen)
        timer_events = [e for e in fired if e["type"] == "timer_fired"]
        return {"fired": len(timer_events), "cases": cases_done, "events": fired, "failed": failed, "at": now}

    def _fire_case(self, tx: Tx, case_id: str, now: datetime) -> list[dict]:
        case = tx.case(case_id, with_head=True)
        compiled = self._compiled(tx, case["definition_id"])
        runtime = self._runtime(tx)
        workflow = self._workflow(tx, runtime, compiled, case)
        derived = runtime.fire_timers(workflow)
        events = self._follow_up(runtime, workflow, case, derived, now)
        # Not kept: a fired case usually waits days for its next step, and a worker sweeping thousands of due timers
        # would otherwise fill its memory with workflows nobody asks for.
        self._commit(tx, runtime, workflow, case, events, actor=None, now=now, view=False, keep=False)
        return [{**e, "case_id": case_id} for e in events]

    # --- withdraw --------------------------------------------------------------------------------------------
    def withdraw(self, case_id: str, reason: str, *, actor: str | None) -> dict:
        user = self._user(actor)
        reason = unicodedata.normalize("NFC", (reason or "").strip())
        if not reason:
            raise InvalidInput("Cần ghi lý do rút hồ sơ (--reason).")
        if "reception" not in user.groups:
            raise Conflict(f"Người dùng '{user.id}' không thuộc Bộ phận Một cửa nên không nhận yêu cầu rút hồ sơ.",
                           user=user.id)
        with self.store.transaction() as tx:
            case = tx.case(case_id, lock=True)
            if case["status"] != "active":
                raise Conflict(f"Hồ sơ '{case_id}' đã kết thúc ({case['status']}); không rút được.", case=case_id)
            if case["result_at"] is not None:
                raise Conflict(
                    f"Hồ sơ '{case_id}' đã có kết quả giải quyết nên không thể rút (theo Điều 21 Nghị định 118/2025).",
                    case=case_id)
            now = self.clock.now()
            runtime = self._runtime(tx)
            workflow = self._workflow(tx, runtime, self._compiled(tx, case["definition_id"]), case)
            derived = runtime.cancel(workflow)
            events = [{"type": "case_withdrawn", "reason": reason, "notice_form": "05"}] + derived
            events.append({"type": "case_ended", "status": "withdrawn", "outcome": "withdrawn"})
            return self._commit(tx, runtime, workflow, case, events, actor=user.id, now=now)

    # --- cause notes -----------------------------------------------------------------------------------------
    def add_note(self, case_id: str, text: str, *, actor: str | None) -> dict:
        user = self._user(actor)
        text = unicodedata.normalize("NFC", (text or "").strip())
        if not text:
            raise InvalidInput("Nội dung ghi chú trống.")
        with self.store.transaction() as tx:
            case = tx.case(case_id, lock=True)
            now = self.clock.now()
            rows, seq, digest = tx.chain_events(case_id, case["event_seq"], case["event_hash"],
                                                [{"type": "note_added", "text": text}], user.id, now,
                                                self._origin_record)
            tx.save_case(case_id, case["version"], {"event_seq": seq, "event_hash": digest, "updated_at": now})
            tx.insert_events(rows)
            return {"case_id": case_id, "seq": seq, "text": text}

    # --- shared mechanics ------------------------------------------------------------------------------------
    def _follow_up(self, runtime: Runtime, workflow, case: dict, derived: list[dict], now: datetime,
                   actor: User | None = None) -> list[dict]:
        """Case-level consequences of what the workflow did: restarted limits, apologies, the end of the case."""
        events: list[dict] = []
        for event in derived:
            events.append(event)
            if event["type"] == "task_created" and event.get("restart_deadline"):
                # Waiting for the applicant: the current limit is void until the complete dossier restarts it.
                runtime.reset_timer_expression(workflow, "apology_at", None)
            if event["type"] == "task_completed" and event.get("restart_deadline") and case.get("total_working_days") is not None:
                new_due = self.calendar.case_due(now, case["total_working_days"])
                new_apology = self.calendar.back(new_due, 1)
                runtime.update_case_data(workflow, {"due_at": new_due.isoformat(), "apology_at": new_apology.isoformat()})
                runtime.reset_timer_expression(workflow, "apology_at", new_apology)
                events.append({"type": "deadline_restarted", "previous_due_at": case.get("due_at"), "due_at": new_due,
                               "reason": "supplement_received"})
            if event["type"] == "task_completed" and "new_due_date" in event.get("data", {}):
                new_day = event["data"]["new_due_date"]
                new_due = self.calendar.previous_working_instant(
                    datetime.combine(new_day, time(0), tzinfo=now.tzinfo) + timedelta(days=1))
                events.append({"type": "apology_issued", "new_due_at": new_due,
                               "reason": event["data"].get("apology_reason"), "legal_due_at": case.get("due_at"),
                               "notice_form": "04"})
        if any(e["type"] == "workflow_completed" for e in derived):
            ends = [e["element_id"] for e in derived if e["type"] == "end_reached"]
            end = next((e for e in ends if not e.startswith("EndEvent_overdue")), ends[-1] if ends else None)
            data = runtime.final_data(workflow)
            outcome = {
                "EndEvent_refused_at_reception": "refused_at_reception",
                "EndEvent_supplement_at_reception": "supplement_at_reception",
            }.get(end or "")
            if outcome is None:
                routing = data.get("routing") if isinstance(data.get("routing"), Mapping) else {}
                outcome = "refused" if routing.get("result_kind") == "refusal" else "granted"
            events.append({"type": "case_ended", "status": "completed", "outcome": outcome, "end_event": end})
        return events

    def _commit(self, tx: Tx, runtime: Runtime, workflow, case: dict, events: list[dict], *, actor: str | None,
                now: datetime, view: bool = True, known_tasks: dict[str, dict] | None = None,
                keep: bool = True) -> dict | None:
        before_version = case["version"]
        original = dict(case)
        completed: list[dict] = []
        for row in self._project(tx, case, events, actor=actor, now=now, known_tasks=known_tasks, completed=completed):
            tx.insert_task(row)
        record_step_stats(tx, case, completed)
        if original.get("resolved_at") is None and case.get("resolved_at") is not None:
            record_unit_scores(tx, case, now)  # indicator 2, fixed when the case is resolved
        rows, seq, digest = tx.chain_events(case["id"], case["event_seq"], case["event_hash"], events, actor, now,
                                            self._origin_record)
        case.update(state=runtime.dump(workflow), next_timer_at=runtime.next_timer_at(workflow) if case["status"] == "active" else None,
                    event_seq=seq, event_hash=digest, updated_at=now)
        # Only the columns that changed: every written column costs its index entries.
        values = {k: v for k, v in case.items() if k not in ("id", "version") and original.get(k, v) != v or k == "state"}
        # The version check comes first: a concurrent writer of the same case waits on the row, then finds the version
        # moved and gets a Conflict before anything of this command is written.
        case["version"] = tx.save_case(case["id"], before_version, values)
        tx.insert_events(rows)
        if keep:
            self._keep(tx, case, workflow)
        if not view:
            return None
        shown = self._case_view(tx, case)
        shown["events"] = plain(events)
        return shown

    def _project(self, tx: Tx, case: dict, events: list[dict], *, actor: str | None, now: datetime,
                 known_tasks: Mapping[str, dict] | None = None, completed: list[dict] | None = None) -> list[dict]:
        """Apply events to the case and existing task rows (the read model; the events stay the truth).
        Returns the rows of tasks the events created, for the caller to insert. `known_tasks` are rows the caller
        already read (not read again); `completed` receives each completed task's row as updated."""
        pending_tasks: list[dict] = []
        for e in events:
            kind = e["type"]
            if kind == "task_created":
                row = {
                    "id": e["task_id"], "case_id": case["id"], "element_id": e["element_id"], "name": e["name"],
                    "lane": e.get("lane"), "lane_id": e.get("lane_id"), "groups": ",".join(e.get("groups") or []),
                    "candidate_users": ",".join(e.get("candidate_users") or []), "assignee": e.get("assignee"),
                    "step": int(e["step"]) if e.get("step") else None,
                    "allotted_working_days": as_decimal(e.get("allotted_working_days")), "status": "open",
                    "created_at": now, "due_at": datetime.fromisoformat(e["due_at"]) if e.get("due_at") else None,
                    "completed_at": None, "completed_by": None, "overdue": False, "timing": None,
                    "restart_deadline": bool(e.get("restart_deadline")),
                }
                pending_tasks.append(row)
                if e.get("restart_deadline"):
                    case["stage"] = "supplement_requested"
                    case["supplement_rounds"] = (case.get("supplement_rounds") or 0) + 1
                if e["element_id"] == "return_result" and case.get("resolved_at") is None:
                    case["resolved_at"] = now
                    case["timing"] = judge(now, case.get("due_at"))
                    case.update(case_time_used(self.calendar, case))
            elif kind == "task_completed":
                due = datetime.fromisoformat(e["due_at"]) if e.get("due_at") else None
                row = (known_tasks or {}).get(e["task_id"]) or tx.task(e["task_id"]) or {}
                done = {"status": "completed", "completed_at": now, "completed_by": actor, "timing": judge(now, due),
                        **step_time_used(self.calendar, row, now)}
                tx.update_task(e["task_id"], done)
                if completed is not None and row:
                    completed.append({**row, **done})
                data = e.get("data") or {}
                if data.get("channel") in ("direct", "online", "postal"):
                    case["channel"] = data["channel"]  # the reception form records how the dossier arrived
                if data.get("decision") == "rework":
                    case["rework_rounds"] = (case.get("rework_rounds") or 0) + 1
                if e["element_id"] == "approve" and data.get("decision") != "rework" and case.get("result_at") is None:
                    case["result_at"] = now
                if e.get("restart_deadline"):
                    case["stage"] = "processing"
            elif kind == "task_cancelled":
                created = next((t for t in pending_tasks if t["id"] == e["task_id"]), None)
                if created is not None:
                    created.update(status="cancelled", completed_at=now)
                else:
                    tx.update_task(e["task_id"], {"status": "cancelled", "completed_at": now})
            elif kind in ("task_claimed", "task_unclaimed"):
                tx.update_task(e["task_id"], {"assignee": e.get("assignee")})
            elif kind == "step_overdue":
                created = next((t for t in pending_tasks if t["id"] == e["task_id"]), None)
                if created is not None:
                    created["overdue"] = True
                else:
                    tx.update_task(e["task_id"], {"overdue": True})
            elif kind == "deadline_restarted":
                case["due_at"] = e["due_at"]
                case["restarts"] = (case.get("restarts") or 0) + 1
            elif kind == "apology_issued":
                case["apology_due_at"] = e["new_due_at"]
                case["apologies"] = (case.get("apologies") or 0) + 1
            elif kind == "case_ended":
                case["status"] = e["status"]
                case["outcome"] = e["outcome"]
                case["ended_at"] = now
                case["stage"] = None
                if e["status"] == "completed" and case.get("resolved_at") is None and e["outcome"] in ("granted", "refused"):
                    case["resolved_at"] = now
                    case["timing"] = judge(now, case.get("due_at"))
                    case.update(case_time_used(self.calendar, case))
        return pending_tasks

    # --- read models -----------------------------------------------------------------------------------------
    def _case_view(self, tx: Tx, case: dict) -> dict:
        rows = tx.view_tasks(case["id"])
        # The orders of Tx.open_tasks (due first, undated last) and of Tx.case_tasks (as created), in Python.
        open_rows = sorted((r for r in rows if r["status"] == "open"),
                           key=lambda r: (r["due_at"] is None, r["due_at"] or r["created_at"], r["created_at"]))
        overdue_rows = sorted((r for r in rows if r["overdue"]),
                              key=lambda r: (r["created_at"], r["step"] is not None, r["step"] or 0))
        open_tasks = [self._task_view(t, case) for t in open_rows]
        overdue = [self._task_view(t, case) for t in overdue_rows]
        return {
            "case_id": case["id"], "code": case["procedure_code"], "process_id": case["process_id"],
            "status": case["status"], "stage": case.get("stage"), "outcome": case.get("outcome"),
            "applicant": case["applicant_name"], "received_at": case["received_at"],
            "transferred_at": case.get("transferred_at"), "due_at": case.get("due_at"),
            "first_due_at": case.get("first_due_at"), "apology_due_at": case.get("apology_due_at"),
            "resolved_at": case.get("resolved_at"), "ended_at": case.get("ended_at"), "timing": case.get("timing"),
            "restarts": case.get("restarts", 0), "supplement_rounds": case.get("supplement_rounds", 0),
            "rework_rounds": case.get("rework_rounds", 0), "apologies": case.get("apologies", 0),
            "tasks": open_tasks, "overdue_steps": overdue, "version": case["version"],
        }

    def _task_view(self, row: dict, case: dict | None = None) -> dict:
        now = self.clock.now()
        due = row.get("due_at")
        return {
            "task_id": row["id"], "case_id": row["case_id"], "element_id": row["element_id"], "name": row["name"],
            "lane": row.get("lane"), "lane_id": row.get("lane_id"),
            "candidate_groups": [g for g in row["groups"].split(",") if g], "step": row.get("step"),
            "assignee": row.get("assignee"),
            "candidate_users": [u for u in (row.get("candidate_users") or "").split(",") if u],
            "status": row["status"], "started_at": row["created_at"], "due_at": due,
            "completed_at": row.get("completed_at"), "completed_by": row.get("completed_by"),
            "overdue": bool(row["overdue"]) or (row["status"] == "open" and due is not None and now > due),
            "timing": row.get("timing"),
        }

    def show_case(self, case_id: str) -> dict:
        with self.store.transaction() as tx:
            case = tx.case(case_id)
            view = self._case_view(tx, case)
            view["steps"] = [self._task_view(t, case) for t in tx.case_tasks(case_id)]
            return view

    def list_tasks(self, *, case_id: str | None = None, lane: str | None = None, mine: bool = False,
                   actor: str | None = None) -> list[dict]:
        user = self._user(actor) if mine else None
        with self.store.transaction() as tx:
            if case_id:
                tx.case(case_id)
            rows = tx.open_tasks(case_id=case_id, lane=lane)
            if user is not None:
                rows = [r for r in rows if assignment.is_mine(user, r)]
            return [self._task_view(r) for r in rows]

    def history(self, case_id: str) -> list[dict]:
        with self.store.transaction() as tx:
            tx.case(case_id)
            return [
                {"seq": e["seq"], "type": e["type"], "at": e["at"], "actor": e["actor"], "origin": e.get("origin"),
                 "element_id": e["element_id"], "payload": e["payload"], "hash": e["hash"]}
                for e in tx.case_events(case_id)
            ]
