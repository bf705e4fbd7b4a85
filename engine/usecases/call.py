"""Call activities: the called process runs as a child case, in the calling command's transaction.

After a command's events are written (`base.commit`, `start_case`), `after_commit` looks at them:
- `call_activity_started`: a child case of the called process starts — its own number (`<caller>.<n>`, n counting
  the caller's children from 1), its own hash-chained history whose `case_started` names the caller
  (`parent_case_id`, `parent_task_id`), its own steps in their lanes; its variables are the call activity's
  `camunda:in` mappings; it has a legal limit of its own only when the called process declares
  `total_working_days` (the caller's limit keeps running either way);
- `call_activity_cancelled` (a boundary timer or error interrupted the call activity, the caller was withdrawn): the
  child, if still active, is withdrawn with it;
- the case is a child and its workflow completed: the caller's call activity completes with the `camunda:out`
  variables, or — when the child ended at an error end event — the error is thrown from the call activity and its
  error boundary catches it (Camunda 7: an error nothing catches ends the child like a none end event, so the caller
  then goes on normally). The caller records `call_activity_completed`: the command replay re-applies.

A command by the engine itself (a timer) writes the child's commands as actor `engine`, so each chain stays one
transaction per run (engine.audit.replay cuts histories at actor changes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from lxml import etree

from engine.definitions import as_decimal
from engine.errors import NotFound
from engine.history import EventType
from engine.projection import project, withdrawal_events
from engine.store import Tx
from engine.usecases import base

ENGINE_ACTOR = "engine"
STARTED = EventType.CALL_ACTIVITY_STARTED.value
CANCELLED = EventType.CALL_ACTIVITY_CANCELLED.value
COMPLETED = EventType.CALL_ACTIVITY_COMPLETED.value
WORKFLOW_COMPLETED = EventType.WORKFLOW_COMPLETED.value
CASE_WITHDRAWN = EventType.CASE_WITHDRAWN.value
END_REACHED = EventType.END_REACHED.value
PARENT_WITHDRAWN = "Bước gọi quy trình của hồ sơ cha đã bị hủy"
INTERRUPTING = frozenset({EventType.ERROR_CAUGHT.value, EventType.TIMER_FIRED.value})
_CALLS: dict[str, bool] = {}  # content hash -> whether the process has a call activity


def calls_anything(definition: Any) -> bool:
    """Whether a compiled process has a call activity anywhere (its commands then look after child cases)."""
    found = _CALLS.get(definition.content_hash)
    if found is None:
        from engine.dialect.call_activity import CallActivityTask

        found = _CALLS[definition.content_hash] = any(
            isinstance(s, CallActivityTask) for spec in definition.all_specs() for s in spec.task_specs.values())
    return found


def _waiting(workflow: Any, task_id: str) -> bool:
    """Whether the call activity task `task_id` still waits in the caller's workflow."""
    from uuid import UUID

    from SpiffWorkflow.exceptions import TaskNotFoundException
    from SpiffWorkflow.util.task import TaskState

    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:  # dropped with its multi-instance body
        return False
    return task is not None and task.state == TaskState.READY


def after_commit(ctx: base.Context, tx: Tx, case: dict, events: list[dict], workflow: Any, definition: Any, *,
                 actor: str | None, now: datetime) -> None:
    """Start, cancel or finish the child cases the command's events call for (see the module docstring)."""
    for event in events:
        if event["type"] == STARTED:
            start_child(ctx, tx, case, event, actor=actor, now=now)
        elif event["type"] == CANCELLED:
            cancel_child(ctx, tx, case["id"], event["task_id"], actor=actor, now=now)
    if any(e["type"] in INTERRUPTING for e in events):
        # An error or timer boundary on a multi-instance call activity ends the body: the library drops its other
        # instances without a state change to derive an event from, so their children are found by their links.
        for child in tx.child_cases(case["id"]):
            if child["status"] == "active" and not _waiting(workflow, child["parent_task_id"]):
                cancel_child(ctx, tx, case["id"], child["parent_task_id"], actor=actor, now=now)
    if case.get("parent_case_id") and any(e["type"] == WORKFLOW_COMPLETED for e in events) \
            and not any(e["type"] == CASE_WITHDRAWN for e in events):
        finish_parent(ctx, tx, case, events, workflow, definition, actor=actor, now=now)


# --- which definition is called ------------------------------------------------------------------------------------
def _version_tag(row: Mapping[str, Any]) -> str | None:
    root = etree.fromstring(row["content"])
    for process in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
        if process.get("isExecutable") == "true":
            return process.get("{http://camunda.org/schema/1.0/bpmn}versionTag")
    return None


def called_definition(tx: Tx, caller: Mapping[str, Any], event: Mapping[str, Any]) -> dict:
    """The definition the call activity calls, by its binding (Camunda 7): `latest`; `version`; `versionTag` (the
    newest version whose process carries that `camunda:versionTag`); `deployment` (the version in force when the
    caller's own version was deployed: one `tthc deploy` of a folder is one deployment, and a file it left
    unchanged keeps the version it had)."""
    key, binding = event["called_element"], event["binding"]
    versions = tx.definition_versions("bpmn", key)
    if binding == "version":
        found = [v for v in versions if str(v["version"]) == str(event.get("version")).strip()]
    elif binding == "versionTag":
        found = [v for v in versions if _version_tag(v) == (event.get("version_tag") or "").strip()]
    elif binding == "deployment":
        deployed = tx.definition(caller["definition_id"])["deployed_at"]
        found = [v for v in versions if v["deployed_at"] <= deployed]
    else:
        found = versions
    if not found:
        wanted = {"version": f" phiên bản {event.get('version')}", "versionTag": f" nhãn {event.get('version_tag')}",
                  "deployment": " trong lần triển khai của quy trình gọi"}.get(binding, "")
        raise NotFound(f"Bước gọi quy trình '{event['element_id']}' của hồ sơ '{caller['id']}': không có quy trình "
                       f"'{key}'{wanted} đã triển khai; không có gì thay đổi.", case=caller["id"], called_element=key)
    return found[-1]


# --- the child's life ---------------------------------------------------------------------------------------------
def start_child(ctx: base.Context, tx: Tx, parent: Mapping[str, Any], event: Mapping[str, Any], *,
                actor: str | None, now: datetime) -> dict:
    """A child case of the called process, started now with the call activity's in variables."""
    from engine.usecases.start import case_row, started_event, workflow_start_data

    actor = actor or ENGINE_ACTOR
    definition = called_definition(tx, parent, event)
    compiled = base.compiled(ctx, tx, definition["id"])
    extra = dict(event.get("variables") or {})
    if event.get("business_key"):
        extra["business_key"] = event["business_key"]
    child_id = f"{parent['id']}.{len(tx.child_cases(parent['id'])) + 1}"
    policy = ctx.calendar.policy()
    case = case_row(child_id, compiled.info.process_id, compiled, definition, applicant=parent["applicant_name"],
                    received=now, total=as_decimal(compiled.info.properties.get("total_working_days")), extra=extra,
                    calendar=ctx.calendar, calendar_policy=policy)
    link = {"parent_case_id": parent["id"], "parent_task_id": event["task_id"]}
    case.update(state="", version=1, created_at=now, updated_at=now, event_seq=0, event_hash="", **link)
    started = {**started_event(case, definition, policy, extra), **link, "parent_element_id": event["element_id"]}
    runtime = base.runtime_at(ctx, tx, now, compiled)
    from engine.assignment import start_variables

    workflow, derived = runtime.start(compiled, workflow_start_data(
        case, {**extra, **start_variables(compiled.spec, actor)}, ctx.calendar))
    events = [started] + base.follow(runtime, workflow, case, derived, now=now, calendar=ctx.calendar,
                                     definition=compiled)
    projected = project(case, events, actor=actor, now=now, calendar=ctx.calendar, policy=compiled.policy)
    case.update(state=runtime.dump(workflow), next_timer_at=runtime.next_timer_at(workflow),
                waiting_messages=runtime.waiting_messages(workflow), waiting_signals=runtime.waiting_signals(workflow))
    case["event_seq"], case["event_hash"] = tx.append_events(child_id, 0, "", events, actor, now, ctx.origin_record)
    tx.insert_case(case)
    for row in projected.new_tasks:
        tx.insert_task(row)
    base.write_external(tx, projected)
    base.keep(ctx, tx, case, workflow)
    after_commit(ctx, tx, case, events, workflow, compiled, actor=actor, now=now)
    return case


def cancel_child(ctx: base.Context, tx: Tx, parent_id: str, task_id: str, *, actor: str | None,
                 now: datetime) -> None:
    """The call activity was interrupted: its child case, if still active, is withdrawn (and its own children)."""
    child_id = tx.child_case_of_task(parent_id, task_id)
    if child_id is None:
        return
    case = tx.case(child_id, lock=True)
    if case["status"] != "active":
        return
    definition = base.compiled(ctx, tx, case["definition_id"])
    runtime = base.runtime_at(ctx, tx, now)
    workflow = base.workflow_of(ctx, tx, runtime, definition, case)
    events = withdrawal_events(PARENT_WITHDRAWN, runtime.cancel(workflow))
    base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=actor or ENGINE_ACTOR, now=now)
    base.keep(ctx, tx, case, workflow)


def _thrown_error(definition: Any, events: list[dict]) -> tuple[str, str | None] | None:
    """The BPMN error the child ended with: an error end event reached at its top level, else None."""
    from engine.dialect.error_events import EngineErrorEventDefinition

    for event in events:
        if event["type"] == END_REACHED and not event.get("sub_process"):
            spec = definition.spec.task_specs.get(event["element_id"])
            found = getattr(spec, "event_definition", None)
            if isinstance(found, EngineErrorEventDefinition) and found.code:
                return found.code, found.error_message
    return None


def finish_parent(ctx: base.Context, tx: Tx, child: Mapping[str, Any], events: list[dict], workflow: Any,
                  definition: Any, *, actor: str | None, now: datetime) -> None:
    """The child ended: the caller's call activity completes with the out variables, or throws the child's error."""
    actor = actor or ENGINE_ACTOR
    parent = tx.case(child["parent_case_id"], lock=True, with_head=True)
    if parent["status"] != "active":
        return
    parent_def = base.compiled(ctx, tx, parent["definition_id"])
    runtime = base.runtime_at(ctx, tx, now, parent_def)
    parent_wf = base.workflow_of(ctx, tx, runtime, parent_def, parent)
    task = runtime.ready_call(parent_wf, child["parent_task_id"])
    if task is None:
        return
    from engine.dialect.call_activity import out_variables

    data = out_variables(task.task_spec.call, runtime_final(workflow))
    error = _thrown_error(definition, events)
    if error is not None and not runtime.call_catches(parent_wf, child["parent_task_id"], error[0]):
        error = None  # nothing catches it: it ended the child like a none end event (Camunda 7)
    if error is not None:
        data = {}  # an interrupted call activity maps nothing out
    made = completed_event(task.task_spec.bpmn_id, child["parent_task_id"], child["id"], data, error)
    derived = apply_completion(runtime, parent_wf, made)
    events = [made] + base.follow(runtime, parent_wf, parent, derived, now=now, calendar=ctx.calendar,
                                  definition=parent_def)
    base.commit(ctx, tx, runtime, parent_wf, parent, events, definition=parent_def, actor=actor, now=now)
    base.keep(ctx, tx, parent, parent_wf)


def runtime_final(workflow: Any) -> dict:
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


def completed_event(element_id: str, task_id: str, child_id: str, data: Mapping[str, Any],
                    error: tuple[str, str | None] | None) -> dict:
    event = {"type": COMPLETED, "element_id": element_id, "task_id": task_id, "child_case_id": child_id,
             "data": dict(data)}
    if error is not None:
        event["error_code"], event["error_message"] = error
    return event


def apply_completion(runtime: Any, workflow: Any, made: Mapping[str, Any]) -> list[dict]:
    """The recorded end of a child applied to the caller's workflow (live, and in replay)."""
    if made.get("error_code") is not None:
        return runtime.throw_call_error(workflow, made["task_id"], made["error_code"], made.get("error_message"))
    return runtime.complete_call(workflow, made["task_id"], made.get("data") or {})
