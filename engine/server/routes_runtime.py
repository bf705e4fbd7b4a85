"""Running and past cases as Camunda process instances, their variables, and the history resources."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.history import EventType
from engine.errors import InvalidInput, NotFound
from engine.server import shapes
from engine.server.camunda import encode_variable, fmt_date, json_response, parse_date
from engine.server.requests import bool_param, page, run, sort

_START_FIELDS = ("procedure_code", "applicant_name", "received_at", "transferred_at", "due_at")


def case_variables(events: list[dict]) -> dict[str, Any]:
    """A case's variables as the history states them: the start data, then each completed form, in order.

    (The workflow's own data is the engine's; this read model is what the history proves, so an auditor and a
    client see the same values.)"""
    values: dict[str, Any] = {}
    for event in events:
        payload = event.get("payload") or {}
        if event["type"] == EventType.CASE_STARTED:
            for name in _START_FIELDS:
                if name in payload:
                    values[name] = payload[name]
            values.update(payload.get("data") or {})
        elif event["type"] == EventType.TASK_COMPLETED:
            values.update(payload.get("data") or {})
    return values


def _variable_items(case_id: str, events: list[dict]) -> list[tuple[str, Any, Any]]:
    """(name, value, first set at) for the history's variable instances."""
    seen: dict[str, tuple[Any, Any]] = {}
    for event in events:
        payload = event.get("payload") or {}
        data: dict = {}
        if event["type"] == EventType.CASE_STARTED:
            data = {name: payload[name] for name in _START_FIELDS if name in payload}
            data.update(payload.get("data") or {})
        elif event["type"] == EventType.TASK_COMPLETED:
            data = payload.get("data") or {}
        for name, value in data.items():
            created = seen.get(name, (None, event["at"]))[1]
            seen[name] = (value, created)
    return [(name, value, created) for name, (value, created) in seen.items()]


def _case_filter(request: Request) -> dict:
    q = request.query_params
    ids = None
    if q.get("processInstanceIds"):
        ids = q["processInstanceIds"].split(",")
    for name in ("processInstanceId", "businessKey", "processInstanceBusinessKey"):
        if q.get(name):
            ids = [q[name]] if ids is None else [i for i in ids if i == q[name]]
    return {"ids": ids, "process_key": q.get("processDefinitionKey") or None}


async def instance_list(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.cases(active=True, **_case_filter(request)))
    docs = [shapes.process_instance(r["id"], shapes.definition_id(r["definition_key"], r["definition_version"]))
            for r in rows]
    docs = sort(request, docs, {"instanceId": lambda d: d["id"], "definitionId": lambda d: d["definitionId"],
                                "businessKey": lambda d: d["businessKey"]})
    return json_response(page(request, docs))


async def instance_count(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.cases(active=True, **_case_filter(request)))
    return json_response({"count": len(rows)})


def _active_case(svc, case_id: str) -> dict:
    rows = svc.cases(ids=[case_id])
    if not rows or rows[0]["status"] != "active":
        # Camunda's runtime knows running instances only; an ended case is under /history/process-instance.
        raise NotFound(f"Không có hồ sơ đang xử lý với mã '{case_id}'.", case=case_id)
    return rows[0]


async def instance_get(request: Request) -> Response:
    case_id = request.path_params["id"]
    row = await run(request, lambda svc: _active_case(svc, case_id), brief=True)
    return json_response(shapes.process_instance(row["id"], shapes.definition_id(row["definition_key"],
                                                                               row["definition_version"])))


async def instance_variables(request: Request) -> Response:
    case_id = request.path_params["id"]

    def read(svc):
        _active_case(svc, case_id)
        return case_variables(svc.history(case_id))

    values = await run(request, read, brief=True)
    return json_response({name: encode_variable(name, value) for name, value in values.items()})


# --- history ------------------------------------------------------------------------------------------------------
async def history_instances(request: Request) -> Response:
    finished, unfinished = bool_param(request, "finished"), bool_param(request, "unfinished")
    active = None
    if finished and not unfinished:
        active = False
    elif unfinished and not finished:
        active = True
    q = request.query_params
    started_before = parse_date(q["startedBefore"], "startedBefore") if q.get("startedBefore") else None
    started_after = parse_date(q["startedAfter"], "startedAfter") if q.get("startedAfter") else None
    rows = await run(request, lambda svc: svc.cases(active=active, **_case_filter(request)))
    if started_before is not None:
        rows = [r for r in rows if r["received_at"] < started_before]
    if started_after is not None:
        rows = [r for r in rows if r["received_at"] > started_after]
    docs = [shapes.historic_process_instance(r) for r in rows]
    starts = {r["id"]: r["received_at"] for r in rows}
    docs = sort(request, docs, {"instanceId": lambda d: d["id"], "startTime": lambda d: starts[d["id"]],
                                "definitionKey": lambda d: d["processDefinitionKey"],
                                "businessKey": lambda d: d["businessKey"]})
    return json_response(page(request, docs))


def _one_case(request: Request) -> str:
    case_id = request.query_params.get("processInstanceId")
    if not case_id:
        # Folding every case's history for one answer would not scale; ask for one case, as Cockpit does.
        raise InvalidInput("Cần tham số processInstanceId (mã hồ sơ) cho tài nguyên lịch sử này.")
    return case_id


def _case_with_definition(svc, case_id: str) -> tuple[dict, str]:
    rows = svc.cases(ids=[case_id])
    if not rows:
        raise NotFound(f"Không có hồ sơ '{case_id}'.", case=case_id)
    row = rows[0]
    return row, shapes.definition_id(row["definition_key"], row["definition_version"])


async def history_activities(request: Request) -> Response:
    case_id = _one_case(request)

    def read(svc):
        row, definition = _case_with_definition(svc, case_id)
        return row, definition, svc.history(case_id)

    row, definition, events = await run(request, read)
    docs: dict[str, dict] = {}
    for event in events:
        payload = event.get("payload") or {}
        task_id = payload.get("task_id")
        if event["type"] == EventType.TASK_CREATED and task_id:
            docs[task_id] = {
                "id": f"{event['element_id']}:{task_id}", "parentActivityInstanceId": case_id,
                "activityId": event["element_id"], "activityName": payload.get("name"), "activityType": "userTask",
                "processDefinitionKey": row["definition_key"], "processDefinitionId": definition,
                "processInstanceId": case_id, "executionId": case_id, "taskId": task_id, "calledProcessInstanceId": None,
                "calledCaseInstanceId": None, "assignee": None, "startTime": fmt_date(event["at"]), "endTime": None,
                "durationInMillis": None, "canceled": False, "completeScope": False, "tenantId": None,
                "removalTime": None, "rootProcessInstanceId": case_id, "_start": event["at"],
            }
        elif event["type"] in (EventType.TASK_COMPLETED, EventType.TASK_CANCELLED) and task_id in docs:
            doc = docs[task_id]
            doc["endTime"] = fmt_date(event["at"])
            doc["durationInMillis"] = int((_as_dt(event["at"]) - _as_dt(doc["_start"])).total_seconds() * 1000)
            doc["canceled"] = event["type"] == EventType.TASK_CANCELLED
            doc["assignee"] = event.get("actor") if event["type"] == EventType.TASK_COMPLETED else None
    out = []
    for doc in docs.values():
        doc.pop("_start")
        out.append(doc)
    return json_response(page(request, out))


def _as_dt(value):
    return value if not isinstance(value, str) else parse_date(value, "thời điểm")


async def history_tasks(request: Request) -> Response:
    case_id = request.query_params.get("processInstanceId") or _one_case(request)

    def read(svc):
        row, definition = _case_with_definition(svc, case_id)
        return row, definition, svc.show_case(case_id)["steps"]

    row, definition, steps = await run(request, read)
    docs = [shapes.historic_task(step, definition, row["definition_key"]) for step in steps]
    if request.query_params.get("finished") == "true":
        docs = [d for d in docs if d["endTime"] is not None]
    if request.query_params.get("unfinished") == "true":
        docs = [d for d in docs if d["endTime"] is None]
    return json_response(page(request, docs))


async def history_variables(request: Request) -> Response:
    case_id = _one_case(request)
    wanted = request.query_params.get("variableName")

    def read(svc):
        row, definition = _case_with_definition(svc, case_id)
        return row, definition, svc.history(case_id)

    row, definition, events = await run(request, read)
    docs = []
    for name, value, created in _variable_items(case_id, events):
        if wanted and name != wanted:
            continue
        typed = encode_variable(name, value)
        docs.append({
            "id": f"{case_id}:{name}", "name": name, "type": typed["type"], "value": typed["value"],
            "valueInfo": typed["valueInfo"], "processDefinitionKey": row["definition_key"],
            "processDefinitionId": definition, "processInstanceId": case_id, "executionId": case_id,
            "activityInstanceId": case_id, "caseDefinitionKey": None, "caseDefinitionId": None,
            "caseInstanceId": None, "caseExecutionId": None, "taskId": None, "tenantId": None, "errorMessage": None,
            "state": "CREATED", "createTime": fmt_date(created), "removalTime": None,
            "rootProcessInstanceId": case_id,
        })
    return json_response(page(request, docs))


ROUTES = [
    Route("/process-instance", instance_list, methods=["GET"]),
    Route("/process-instance/count", instance_count, methods=["GET"]),
    Route("/process-instance/{id}", instance_get, methods=["GET"]),
    Route("/process-instance/{id}/variables", instance_variables, methods=["GET"]),
    Route("/history/process-instance", history_instances, methods=["GET"]),
    Route("/history/activity-instance", history_activities, methods=["GET"]),
    Route("/history/task", history_tasks, methods=["GET"]),
    Route("/history/variable-instance", history_variables, methods=["GET"]),
]
