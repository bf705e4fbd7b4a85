"""Read models: the case view every command returns, task lists, the history, the catalog, a step's form.

Each read takes the moment it shows (`now`, read once by the caller) to judge open steps overdue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from engine import assignment
from engine.definitions import load_form_cached
from engine.errors import NotFound
from engine.store import Tx
from engine.usecases import base


def task_view(row: Mapping[str, Any], now: datetime) -> dict:
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
        **({"follow_up_at": row["follow_up_at"]} if row.get("follow_up_at") else {}),  # camunda:followUpDate
    }


def case_view(tx: Tx, case: Mapping[str, Any], now: datetime) -> dict:
    rows = tx.view_tasks(case["id"])
    # The orders of Tx.open_tasks (due first, undated last) and of Tx.case_tasks (as created), in Python.
    open_rows = sorted((r for r in rows if r["status"] == "open"),
                       key=lambda r: (r["due_at"] is None, r["due_at"] or r["created_at"], r["created_at"]))
    overdue_rows = sorted((r for r in rows if r["overdue"]),
                          key=lambda r: (r["created_at"], r["step"] is not None, r["step"] or 0))
    return {
        "case_id": case["id"], "code": case["procedure_code"], "process_id": case["process_id"],
        "status": case["status"], "stage": case.get("stage"), "outcome": case.get("outcome"),
        "applicant": case["applicant_name"], "received_at": case["received_at"],
        "transferred_at": case.get("transferred_at"), "due_at": case.get("due_at"),
        "first_due_at": case.get("first_due_at"), "apology_due_at": case.get("apology_due_at"),
        "resolved_at": case.get("resolved_at"), "ended_at": case.get("ended_at"), "timing": case.get("timing"),
        "restarts": case.get("restarts", 0), "supplement_rounds": case.get("supplement_rounds", 0),
        "rework_rounds": case.get("rework_rounds", 0), "apologies": case.get("apologies", 0),
        "tasks": [task_view(t, now) for t in open_rows], "overdue_steps": [task_view(t, now) for t in overdue_rows],
        "version": case["version"],
        # Message correlation (engine/usecases/correlate.py): the key outside systems use, what the case waits for.
        "business_key": case.get("business_key"),
        "waiting_messages": [m for m in (case.get("waiting_messages") or "").split("\n") if m],
    }


def show_case(ctx: base.Context, case_id: str) -> dict:
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        case = tx.case(case_id)
        view = case_view(tx, case, now)
        view["steps"] = [task_view(t, now) for t in tx.case_tasks(case_id)]
        from engine.usecases.external import case_external_views

        view["external_tasks"] = case_external_views(tx, case_id, now)  # open ones, each with its incident if any
        # Call activities (engine/usecases/call.py): the calling case, and the child cases this one started.
        view["parent_case_id"] = case.get("parent_case_id")
        view["children"] = [{"id": c["id"], "process_id": c["process_id"], "status": c["status"],
                             "outcome": c["outcome"], "task_id": c["parent_task_id"]} for c in tx.child_cases(case_id)]
        return view


def list_tasks(ctx: base.Context, *, case_id: str | None = None, lane: str | None = None, mine: bool = False,
               actor: str | None = None, with_definitions: bool = False) -> list[dict]:
    """Open steps; `with_definitions` adds each one's `definition` (key, version) from the same transaction."""
    user = ctx.user(actor) if mine else None
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        ref = tx.case_definition_ref(case_id) if case_id else None  # NotFound for an unknown case
        rows = tx.open_tasks(case_id=case_id, lane=lane)
        if user is not None:
            rows = [r for r in rows if assignment.is_mine(user, r)]
        views = [task_view(r, now) for r in rows]
        if with_definitions:
            refs = {case_id: ref} if case_id else tx.definition_refs(v["case_id"] for v in views)
            for view in views:
                view["definition"] = refs.get(view["case_id"])
        return views


def history(ctx: base.Context, case_id: str) -> list[dict]:
    with ctx.store.transaction() as tx:
        tx.case(case_id)
        return [
            {"seq": e["seq"], "type": e["type"], "at": e["at"], "actor": e["actor"], "origin": e.get("origin"),
             "element_id": e["element_id"], "payload": e["payload"], "hash": e["hash"]}
            for e in tx.case_events(case_id)
        ]


def procedures(ctx: base.Context) -> list[dict]:
    with ctx.store.transaction() as tx:
        out = []
        for row in tx.procedures():
            latest = tx.latest_definition("bpmn", row["process_id"])
            out.append({
                "code": row["code"], "name": row["name"], "process_id": row["process_id"],
                "total_working_days": row["total_working_days"], "version": latest["version"] if latest else None,
                "field": row["field"], "code_source": row["code_source"],
            })
        return out


def task_form(ctx: base.Context, task_id: str, *, actor: str | None = None) -> tuple[dict, Any]:
    with ctx.store.transaction() as tx:
        task = tx.resolve_task_id(task_id)
        if not assignment.is_open_to_all(task):
            assignment.authorize(ctx.user(actor), task)  # a step's form only for who may work on it
        case = tx.case(task["case_id"])
        info = base.compiled(ctx, tx, case["definition_id"]).info.user_task(task["element_id"])
        form = info.form_data if info is not None else None  # camunda:formData (engine.forms.form_data)
        if form is None and info and info.form_ref:
            row = tx.latest_definition("form", info.form_ref)
            if row is None:
                raise NotFound(f"Không có biểu mẫu '{info.form_ref}' của bước '{task['name']}'.", form=info.form_ref)
            form = load_form_cached(row["content"], row["filename"])
        return task, form


# --- repository and instance lists (the REST server's) ---------------------------------------------------------
def deployment_id(deployed_at: datetime) -> str:
    """All definitions stored by one deploy share its instant: that instant names the deployment."""
    from datetime import timezone

    return "dep-" + deployed_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def definitions(ctx: base.Context, kind: str | None = None, key: str | None = None) -> list[dict]:
    """Every stored version, each marked `latest` or not and named by its deployment."""
    with ctx.store.transaction() as tx:
        rows = tx.definition_list(kind, key)
    return _mark_latest(rows)


def _mark_latest(rows: list[dict]) -> list[dict]:
    latest: dict[tuple[str, str], int] = {}
    for row in rows:
        latest[(row["kind"], row["key"])] = max(latest.get((row["kind"], row["key"]), 0), row["version"])
    for row in rows:
        row["latest"] = latest[(row["kind"], row["key"])] == row["version"]
        row["deployment_id"] = deployment_id(row["deployed_at"])
    return rows


def start_choices(ctx: base.Context, key: str) -> tuple[list[dict], list[str]]:
    """What starting process `key` needs, read together: its stored versions (as `definitions`) and the codes of the
    procedures executed on it."""
    with ctx.store.transaction() as tx:
        rows = tx.version_list("bpmn", key)
        codes = tx.procedure_codes_of(key)
    _mark_latest(rows)
    return rows, codes


def definition_source(ctx: base.Context, kind: str, key: str, version: int) -> bytes | None:
    with ctx.store.transaction() as tx:
        return tx.definition_content_at(kind, key, version)


def cases(ctx: base.Context, *, ids: list[str] | None = None, process_key: str | None = None,
          active: bool | None = None) -> list[dict]:
    with ctx.store.transaction() as tx:
        return tx.case_list(ids=ids, process_key=process_key, active=active)
