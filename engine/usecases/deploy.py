"""deploy: BPMN diagrams, DMN decision tables, forms and the procedure catalog into the store.

Order of steps: the files collected within the configured limits, then every file parsed and validated BEFORE the
write transaction opens (a slow or hostile file never holds the lock); `now` read once; in one transaction: forms,
then decisions, then diagrams (each
checked against the forms and decisions of this batch or already deployed: a form field or start variable for every
condition variable), then the catalog (each procedure must point to a deployed process). A file whose content is the
newest version already is `unchanged`; any error leaves the store as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from engine.dialect.multi_instance import local_variables
from engine import assignment
from engine.definitions import (
    START_VARIABLES, SourceFile, collect, load_dmn_cached, load_form_cached, parse_catalog,
)
from engine.errors import InvalidInput
from engine.runtime import Compiled, compile_bpmn, content_hash
from engine.store import Tx
from engine.usecases import base


def deploy(ctx: base.Context, paths: Iterable) -> list[dict]:
    files = collect(paths, ctx.settings.limits)
    forms = [(src, load_form_cached(src.content, str(src.path))) for src in files if src.kind == "form"]
    models = [(src, load_dmn_cached(src.content, str(src.path))) for src in files if src.kind == "dmn"]
    diagrams = [(src, compile_bpmn(src.content, str(src.path))) for src in files if src.kind == "bpmn"]
    catalogs = [(src, parse_catalog(src.content, str(src.path))) for src in files if src.kind == "catalog"]
    now = ctx.clock.now()
    results: list[dict] = []
    with ctx.store.transaction() as tx:
        batch_forms: dict[str, Any] = {}
        batch_decisions: dict[str, Any] = {}
        for src, form in forms:
            batch_forms[form.id] = form
            results.append(store_definition(tx, "form", form.id, src, form.id, {}, now))
        for src, model in models:
            for key, decision in model.decisions.items():
                batch_decisions[key] = decision
                results.append(store_definition(
                    tx, "dmn", key, src, getattr(decision, "name", None) or key,
                    {"file_decisions": sorted(model.decisions)}, now))
        process_ids = _deploy_diagrams(tx, diagrams, batch_forms, batch_decisions, results, now, ctx.calendar)
        for src, entries in catalogs:
            results.append(_deploy_catalog(tx, src, entries, process_ids))
    return results


def _deploy_diagrams(tx: Tx, diagrams: list[tuple[SourceFile, Compiled]], forms: dict, decisions: dict,
                     results: list[dict], now: datetime, calendar: Any) -> set[str]:
    process_ids: set[str] = set()
    for src, compiled in diagrams:
        check_references(tx, compiled, forms, decisions)
        info = compiled.info
        process_ids.add(info.process_id)
        meta = {"properties": info.properties, "lanes": info.lanes, "user_tasks": [t.id for t in info.user_tasks]}
        signal_start = next((s.extensions["signal_start"] for s in compiled.spec.task_specs.values()
                             if (getattr(s, "extensions", None) or {}).get("signal_start")), None)
        if signal_start is not None:  # found by engine.usecases.signal without compiling every definition
            meta["signal_start"] = signal_start
        stored = store_definition(tx, "bpmn", info.process_id, src, info.name, meta, now)
        results.append(stored)
        if stored["status"] == "deployed":  # a new version replaces the schedule of cases, as in Camunda 7
            from engine.usecases.timer_start import schedule_deployed

            schedule_deployed(tx, compiled, now, calendar)
    return process_ids


def _deploy_catalog(tx: Tx, src: SourceFile, entries: list[dict], process_ids: set[str]) -> dict:
    for entry in entries:
        if entry["process_id"] not in process_ids and tx.latest_definition("bpmn", entry["process_id"]) is None:
            raise InvalidInput(
                f"Danh mục '{src.path}': thủ tục {entry['code']} trỏ tới quy trình "
                f"'{entry['process_id']}' chưa được triển khai.", code=entry["code"])
        tx.upsert_procedure(entry)
    return {"kind": "catalog", "key": str(src.path.name), "file": str(src.path), "procedures": len(entries),
            "status": "loaded"}


def store_definition(tx: Tx, kind: str, key: str, src: SourceFile, name: str | None, meta: dict,
                     now: datetime) -> dict:
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


def check_references(tx: Tx, compiled: Compiled, forms: dict, decisions: dict) -> None:
    info = compiled.info
    provided = set(START_VARIABLES)
    for task in info.user_tasks:
        if task.form_data is not None:
            provided |= set(task.form_data.provided_keys())
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
    provided |= local_variables(compiled.all_specs())  # multi-instance element variables, loopCounter
    # camunda:inputOutput parameters declare variables (inputs inside their step, outputs for the steps after it).
    for process in compiled.all_specs():
        for spec in process.task_specs.values():
            extensions = getattr(spec, "extensions", None) or {}
            provided.update(name for name, _value in [*extensions.get("inputs", ()), *extensions.get("outputs", ())])
    for spec in compiled.all_specs():  # user tasks inside embedded sub-processes too
        provided |= assignment.check_variables(spec, info.filename, provided)
    # A condition over a variable nothing declares deploys, as in Camunda 7: a step without a form, a message or an
    # external task may set it, and if it is missing the command reaching the gateway is refused and changes nothing.
    # `tthc lint` warns about it (engine/lint/condition_variables.py).
