"""Operators and integrations: GET /task (filters, sorting, paging), one task, its form, claim, unclaim, complete,
bpmnError.

The authenticated user is the actor of every command; the Service decides whether that user may act (the same
check as `tthc complete --as USER`), and validates form data as the CLI does.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.errors import InvalidInput, NotFound
from engine.server import shapes
from engine.server.camunda import (
    decode_variables, encode_variable, json_response, parse_date,
)
from engine.server.requests import act, ctx, json_body, page, run, sort, user

_SORT = {
    "id": lambda t: t["id"], "name": lambda t: t["name"], "created": lambda t: t["_created"],
    "dueDate": lambda t: t["_due"], "processInstanceId": lambda t: t["processInstanceId"],
    "assignee": lambda t: t["assignee"], "priority": lambda t: t["priority"],
    "taskDefinitionKey": lambda t: t["taskDefinitionKey"],
}


def _definitions_of(svc, case_ids: set[str]) -> dict[str, tuple[str, int]]:
    if not case_ids:
        return {}
    return {r["id"]: (r["definition_key"], r["definition_version"])
            for r in svc.cases(ids=sorted(case_ids))}


def _definition(defs: dict, case_id: str) -> str | None:
    ref = defs.get(case_id)
    return shapes.definition_id(*ref) if ref else None


def _matches(request: Request, view: dict, groups_of) -> bool:
    q = request.query_params
    groups = set(view.get("candidate_groups") or [])
    if q.get("candidateGroup") and q["candidateGroup"] not in groups:
        return False
    if q.get("candidateGroups") and not groups & set(q["candidateGroups"].split(",")):
        return False
    if q.get("candidateUser"):
        who = q["candidateUser"]
        if view.get("assignee") or not (groups & groups_of(who) or who in (view.get("candidate_users") or [])):
            return False
    if q.get("assignee") and view.get("assignee") != q["assignee"]:
        return False
    if q.get("unassigned") == "true" and view.get("assignee"):
        return False
    if q.get("processInstanceBusinessKey") and view["case_id"] != q["processInstanceBusinessKey"]:
        return False
    if q.get("taskDefinitionKey") and view["element_id"] != q["taskDefinitionKey"]:
        return False
    if q.get("name") and view["name"] != q["name"]:
        return False
    if q.get("taskId") and view["task_id"] != q["taskId"]:
        return False
    return True


def _due_window(request: Request) -> tuple[datetime | None, datetime | None]:
    q = request.query_params
    before = parse_date(q["dueBefore"], "dueBefore") if q.get("dueBefore") else None
    after = parse_date(q["dueAfter"], "dueAfter") if q.get("dueAfter") else None
    return before, after


def _query(request: Request, svc) -> list[dict]:
    settings = ctx(request).settings
    case_id = request.query_params.get("processInstanceId") or None
    before, after = _due_window(request)
    try:
        views = svc.list_tasks(case_id=case_id, with_definitions=True)
    except NotFound:
        if case_id is None:
            raise
        views = []  # a filter matching nothing is an empty list in Camunda, not an error

    def groups_of(user_id: str) -> set[str]:
        member = settings.users.get(user_id)
        return set(member.groups) if member else set()

    views = [v for v in views if _matches(request, v, groups_of)]
    if before is not None:
        views = [v for v in views if v.get("due_at") is not None and _instant(v["due_at"]) < before]
    if after is not None:
        views = [v for v in views if v.get("due_at") is not None and _instant(v["due_at"]) > after]
    key = request.query_params.get("processDefinitionKey")
    if key:
        views = [v for v in views if (v["definition"] or (None,))[0] == key]
    docs = []
    for v in views:
        doc = shapes.task(v, shapes.definition_id(*v["definition"]) if v["definition"] else None)
        doc["_created"], doc["_due"] = _instant(v.get("started_at")), _instant(v.get("due_at"))
        docs.append(doc)
    return docs


def _instant(value):
    if value is None or isinstance(value, datetime):
        return value
    return parse_date(value, "thời điểm")


def _clean(docs: list[dict]) -> list[dict]:
    for d in docs:
        d.pop("_created", None)
        d.pop("_due", None)
    return docs


async def task_list(request: Request) -> Response:
    # One case's steps are a brief command; all the open steps are not (engine.server.pool).
    brief = bool(request.query_params.get("processInstanceId"))
    docs = await run(request, lambda svc: _query(request, svc), brief=brief)
    return json_response(_clean(page(request, sort(request, docs, _SORT))))


async def task_count(request: Request) -> Response:
    docs = await run(request, lambda svc: _query(request, svc))
    return json_response({"count": len(docs)})


def _open_task(svc, task_id: str, actor: str):
    row, form = svc.task_form(task_id, actor=actor)  # only for who may work on the step
    if row["status"] != "open":
        # Camunda's /task is the runtime: a finished step is found under /history/task.
        raise NotFound(f"Không có bước đang chờ xử lý với mã '{task_id}' (bước đã kết thúc).", task=task_id)
    return row, form


async def task_get(request: Request) -> Response:
    task_id, actor = request.path_params["id"], user(request)

    def read(svc):
        row, _ = _open_task(svc, task_id, actor)
        return row, _definitions_of(svc, {row["case_id"]})

    row, defs = await run(request, read, brief=True)
    return json_response(shapes.task(shapes.task_view_from_row(row), _definition(defs, row["case_id"])))


async def form_variables(request: Request) -> Response:
    """Each form field with the case's current value (or the field's default), typed as Camunda does."""
    from engine.server.routes_runtime import case_variables

    task_id, actor = request.path_params["id"], user(request)
    wanted = request.query_params.get("variableNames")
    names = set(wanted.split(",")) if wanted else None

    def read(svc):
        row, form = _open_task(svc, task_id, actor)
        return form, case_variables(svc.history(row["case_id"]))

    form, values = await run(request, read, brief=True)
    out: dict[str, dict] = {}
    for field in (form.describe()["fields"] if form is not None else []):
        key = field["key"]
        if names is not None and key not in names:
            continue
        value = values.get(key, field.get("default"))
        typed = encode_variable(key, value)
        if value is None:
            typed["type"] = _FIELD_TYPES.get(field.get("type"), "String")
        out[key] = typed
    return json_response(out)


async def task_variables(request: Request) -> Response:
    """The variables visible from the step: its case's (Camunda's task scope adds none of its own here)."""
    from engine.server.routes_runtime import case_variables

    task_id, actor = request.path_params["id"], user(request)

    def read(svc):
        row, _ = _open_task(svc, task_id, actor)
        return case_variables(svc.history(row["case_id"]))

    values = await run(request, read, brief=True)
    return json_response({name: encode_variable(name, value) for name, value in values.items()})


_FIELD_TYPES = {"checkbox": "Boolean", "number": "Double", "checklist": "Json", "taglist": "Json"}


async def deployed_form(request: Request) -> Response:
    """The Camunda Form JSON of the step, as deployed (the newest version, as the engine validates against)."""
    task_id, actor = request.path_params["id"], user(request)

    def read(svc):
        row, form = _open_task(svc, task_id, actor)
        if form is None:
            raise NotFound(f"Bước '{row['name']}' không có biểu mẫu.", task=task_id)
        rows = [r for r in svc.definitions("form", form.id) if r["latest"]]
        return svc.definition_source("form", form.id, rows[0]["version"])

    content = await run(request, read, brief=True)
    return Response(content, media_type="application/json")


async def claim(request: Request) -> Response:
    return await _assign(request, "claim_task")


async def unclaim(request: Request) -> Response:
    return await _assign(request, "unclaim_task")


async def _assign(request: Request, method: str) -> Response:
    task_id, actor = request.path_params["id"], user(request)
    body = await json_body(request)
    if method == "claim_task":
        wanted = body.get("userId")
        if wanted not in (None, "", actor):
            raise InvalidInput(f"Chỉ nhận bước cho chính mình ('{actor}'), không nhận thay '{wanted}'.",
                               user=actor)
    await act(request, lambda svc: getattr(svc, method)(task_id, actor=actor), brief=True)
    return Response(status_code=204)


async def complete(request: Request) -> Response:
    """Complete with the form's variables; `withVariablesInReturn` answers the case's variables afterwards."""
    from engine.server.routes_runtime import case_variables

    task_id, actor = request.path_params["id"], user(request)
    body = await json_body(request)
    data = decode_variables(body.get("variables"))
    with_variables = body.get("withVariablesInReturn")
    if with_variables not in (None, True, False):
        raise InvalidInput("withVariablesInReturn phải là true hoặc false.")

    def complete_it(svc):
        view = svc.complete_task(task_id, data, actor=actor)
        return case_variables(svc.history(view["case_id"])) if with_variables else None

    values = await act(request, complete_it, brief=True)
    if not with_variables:
        return Response(status_code=204)
    return json_response({name: encode_variable(name, value) for name, value in values.items()})


async def bpmn_error(request: Request) -> Response:
    """Camunda 7's `POST /task/{id}/bpmnError`: end the step with a business error its error boundary event catches
    (`tthc error`); a code nothing catches is refused (409) and nothing changes."""
    task_id, actor = request.path_params["id"], user(request)
    body = await json_body(request)
    code = body.get("errorCode")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("Thiếu errorCode (mã lỗi nghiệp vụ).")
    message = body.get("errorMessage")
    if message is not None and not isinstance(message, str):
        raise InvalidInput("errorMessage phải là chuỗi.")
    data = decode_variables(body.get("variables"))
    await act(request, lambda svc: svc.task_bpmn_error(task_id, code, message=message, data=data, actor=actor),
              brief=True)
    return Response(status_code=204)


async def bpmn_escalation(request: Request) -> Response:
    """Camunda 7's `POST /task/{id}/bpmnEscalation`: raise an escalation an escalation boundary event catches
    (`tthc escalate`); a code nothing catches is refused (409) and nothing changes."""
    task_id, actor = request.path_params["id"], user(request)
    body = await json_body(request)
    code = body.get("escalationCode")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("Thiếu escalationCode (mã leo thang).")
    data = decode_variables(body.get("variables"))
    await act(request, lambda svc: svc.task_escalation(task_id, code, data=data, actor=actor), brief=True)
    return Response(status_code=204)


ROUTES = [
    Route("/task", task_list, methods=["GET"]),
    Route("/task/count", task_count, methods=["GET"]),
    Route("/task/{id}", task_get, methods=["GET"]),
    Route("/task/{id}/variables", task_variables, methods=["GET"]),
    Route("/task/{id}/form-variables", form_variables, methods=["GET"]),
    Route("/task/{id}/deployed-form", deployed_form, methods=["GET"]),
    Route("/task/{id}/claim", claim, methods=["POST"]),
    Route("/task/{id}/unclaim", unclaim, methods=["POST"]),
    Route("/task/{id}/complete", complete, methods=["POST"]),
    Route("/task/{id}/bpmnError", bpmn_error, methods=["POST"]),
    Route("/task/{id}/bpmnEscalation", bpmn_escalation, methods=["POST"]),
]
