"""claim_task / unclaim_task: a candidate takes an unassigned step as its assignee, or gives it back.

Order of steps: in one transaction: the task (by id or prefix) and its case, locked, and the task re-read as of the
lock (a concurrent claim has committed or waits); the case must be active and the task open; the officer allowed
(engine.assignment: Camunda 7's rules — candidates claim, the assignee or an administrator unclaims); `now` read once;
the event projected onto the task row, chained after the history head; the case row's head and version moved. The
workflow does not change: one this process keeps stays valid under the case's new version.
"""

from __future__ import annotations

from engine import assignment
from engine.errors import Conflict
from engine.history import EventType
from engine.projection import project
from engine.usecases import base
from engine.usecases.read import task_view


def claim_task(ctx: base.Context, task_id: str, *, actor: str | None) -> dict:
    return _assign(ctx, task_id, actor, claim=True)


def unclaim_task(ctx: base.Context, task_id: str, *, actor: str | None) -> dict:
    return _assign(ctx, task_id, actor, claim=False)


def _assign(ctx: base.Context, task_id: str, actor: str | None, *, claim: bool) -> dict:
    user = ctx.user(actor)
    with ctx.store.transaction() as tx:
        task_row = tx.resolve_task_id(task_id)
        case = tx.case(task_row["case_id"], lock=True, with_head=True)
        task_row = tx.task(task_row["id"])
        if case["status"] != "active" or task_row["status"] != "open":
            raise Conflict(f"Bước '{task_row['name']}' của hồ sơ '{case['id']}' không còn chờ xử lý.",
                           task=task_row["id"])
        now = ctx.clock.now()
        base_event = {"element_id": task_row["element_id"], "task_id": task_row["id"], "name": task_row["name"]}
        if claim:
            if not assignment.check_claim(user, task_row):  # already this officer's: nothing to record
                return {"case_id": case["id"], **task_view(task_row, now), "changed": False}
            events = [{"type": EventType.TASK_CLAIMED, **base_event, "assignee": user.id}]
        else:
            assignment.check_unclaim(user, task_row, admin=ctx.admin)
            events = [{"type": EventType.TASK_UNCLAIMED, **base_event, "previous_assignee": task_row["assignee"]}]
        definition = base.compiled(ctx, tx, case["definition_id"])
        projected = project(case, events, actor=user.id, now=now, calendar=ctx.calendar, policy=definition.policy,
                            tasks={task_row["id"]: task_row})
        for changed_id, values in projected.task_updates:
            tx.update_task(changed_id, values)
        rows, seq, digest = tx.chain_events(case["id"], case["event_seq"], case["event_hash"], events, user.id, now,
                                            ctx.origin_record)
        version = tx.save_case(case["id"], case["version"], {"event_seq": seq, "event_hash": digest,
                                                              "updated_at": now})
        tx.insert_events(rows)
        workflow = ctx.workflows.take(case["id"], (case["version"], case["event_hash"]))
        if workflow is not None:
            kept = {**case, "version": version, "event_hash": digest}
            base.keep(ctx, tx, kept, workflow)
        return {"case_id": case["id"], **task_view(tx.task(task_row["id"]), now), "changed": True}
