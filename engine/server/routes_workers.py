"""External workers and events from other systems: Camunda 7's `/external-task`, `/message`, `/signal` and
`/incident`, on the same Service methods as `tthc external`, `tthc correlate` and `tthc signal`.

Who may act: any authenticated user or API token may be an external worker (the body's `workerId` names the worker;
the history records `worker:<workerId>` as the actor and the authenticated account as the origin), as Camunda 7 lets
any authenticated client fetch; unlocking a task and setting its retries are an operator's commands, recorded with
the authenticated user. Camunda 7 answers a client's mistake here (a task another worker holds, a lock that expired,
no boundary event for a BPMN error) with 500; we answer 409 (a state conflict) or 400 (bad input) so a client does not
read it as a server failure — the same choice the task resources make.

Long polling (`asyncResponseTimeout`): an empty fetch is retried with a growing pause (50 ms up to 1 s) until a task
is locked, the timeout passes or the client goes away; between tries no database connection or pooled Service is
held, so waiting workers cost an event-loop timer each.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.errors import InvalidInput, NotFound
from engine.server.camunda import decode_variables, encode_variables, fmt_date, json_response
from engine.server.requests import act, json_body, run, user

MAX_ASYNC_TIMEOUT_MS = 1_800_000  # Camunda 7's own upper bound for asyncResponseTimeout (30 minutes)


def _text(body: dict, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"Thiếu {name} (chuỗi).")
    return value


def _millis(value: Any, name: str, *, allow_zero: bool = False) -> timedelta:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise InvalidInput(f"{name} phải là số mili giây nguyên {'không âm' if allow_zero else 'dương'}.")
    return timedelta(milliseconds=value)


def _locked_dto(task: dict, wanted: list[str] | None) -> dict:
    variables = task["variables"] if wanted is None else {k: v for k, v in task["variables"].items() if k in wanted}
    return {
        "activityId": task["element_id"], "activityInstanceId": task["id"], "errorMessage": task["error_message"],
        "errorDetails": None, "executionId": task["id"], "id": task["id"],
        "lockExpirationTime": fmt_date(task["lock_expires_at"]), "processDefinitionId": None,
        "processDefinitionKey": None, "processDefinitionVersionTag": None, "processInstanceId": task["case_id"],
        "tenantId": None, "retries": task["retries"], "workerId": task["worker_id"], "priority": 0,
        "topicName": task["topic"], "businessKey": task["case_id"], "variables": encode_variables(variables),
        "extensionProperties": {},
    }


def _topics(body: dict) -> tuple[dict[str, timedelta], dict[str, list[str] | None]]:
    topics = body.get("topics")
    if not isinstance(topics, list) or not topics:
        raise InvalidInput("Cần topics: danh sách {topicName, lockDuration}.")
    durations: dict[str, timedelta] = {}
    variables: dict[str, list[str] | None] = {}
    for item in topics:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi phần tử của topics phải là một đối tượng JSON.")
        name = _text(item, "topicName")
        durations[name] = _millis(item.get("lockDuration"), "lockDuration")
        wanted = item.get("variables")
        if wanted is not None and not (isinstance(wanted, list) and all(isinstance(v, str) for v in wanted)):
            raise InvalidInput("topics[].variables phải là danh sách tên biến.")
        variables[name] = wanted
        if item.get("processVariables"):
            # Camunda filters tasks by their case's variable values before locking; the engine's fetch locks by topic
            # only, so a filter is refused rather than ignored (a worker would get tasks it did not ask for).
            raise InvalidInput("topics[].processVariables (lọc theo giá trị biến) không được hỗ trợ; hãy dùng một "
                               "chủ đề (topic) riêng cho mỗi loại việc.")
    return durations, variables


async def fetch_and_lock(request: Request) -> Response:
    body = await json_body(request)
    worker = _text(body, "workerId")
    max_tasks = body.get("maxTasks", 10)
    if not isinstance(max_tasks, int) or isinstance(max_tasks, bool) or max_tasks < 1:
        raise InvalidInput("maxTasks phải là số nguyên dương.")
    durations, variables = _topics(body)
    timeout = body.get("asyncResponseTimeout")
    wait = _millis(timeout, "asyncResponseTimeout", allow_zero=True).total_seconds() if timeout is not None else 0.0
    if wait * 1000 > MAX_ASYNC_TIMEOUT_MS:
        raise InvalidInput(f"asyncResponseTimeout tối đa {MAX_ASYNC_TIMEOUT_MS} mili giây.")
    deadline, pause = time.monotonic() + wait, 0.05
    while True:
        fetched = await act(request, lambda svc: svc.fetch_and_lock(durations, worker, max_tasks=max_tasks))
        left = deadline - time.monotonic()
        if fetched or left <= 0 or await request.is_disconnected():
            return json_response([_locked_dto(t, variables.get(t["topic"])) for t in fetched])
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


async def complete(request: Request) -> Response:
    task_id, body = request.path_params["id"], await json_body(request)
    worker = _text(body, "workerId")
    values = {**decode_variables(body.get("variables")), **decode_variables(body.get("localVariables"))}
    await act(request, lambda svc: svc.complete_external_task(task_id, worker, values), brief=True)
    return Response(status_code=204)


async def failure(request: Request) -> Response:
    task_id, body = request.path_params["id"], await json_body(request)
    worker = _text(body, "workerId")
    message = _text(body, "errorMessage", required=False) or "Hệ thống bên ngoài báo lỗi."
    details = body.get("errorDetails")
    if details is not None and not isinstance(details, str):
        raise InvalidInput("errorDetails phải là chuỗi.")
    retries = body.get("retries")
    if retries is not None and (not isinstance(retries, int) or isinstance(retries, bool) or retries < 0):
        raise InvalidInput("retries phải là số nguyên không âm.")
    timeout = body.get("retryTimeout")
    retry_timeout = _millis(timeout, "retryTimeout", allow_zero=True) if timeout is not None else None
    await act(request, lambda svc: svc.handle_failure(task_id, worker, message, error_details=details,
                                                      retries=retries, retry_timeout=retry_timeout), brief=True)
    return Response(status_code=204)


async def bpmn_error(request: Request) -> Response:
    task_id, body = request.path_params["id"], await json_body(request)
    worker, code = _text(body, "workerId"), _text(body, "errorCode")
    message = body.get("errorMessage") if isinstance(body.get("errorMessage"), str) else None
    values = decode_variables(body.get("variables"))
    await act(request, lambda svc: svc.handle_bpmn_error(task_id, worker, code, error_message=message,
                                                         variables=values), brief=True)
    return Response(status_code=204)


async def extend_lock(request: Request) -> Response:
    task_id, body = request.path_params["id"], await json_body(request)
    worker = _text(body, "workerId")
    duration = _millis(body.get("newDuration"), "newDuration")
    await act(request, lambda svc: svc.extend_lock(task_id, worker, duration), brief=True)
    return Response(status_code=204)


async def unlock(request: Request) -> Response:
    task_id, actor = request.path_params["id"], user(request)
    await act(request, lambda svc: svc.unlock(task_id, actor=actor), brief=True)
    return Response(status_code=204)


async def set_retries(request: Request) -> Response:
    task_id, actor, body = request.path_params["id"], user(request), await json_body(request)
    retries = body.get("retries")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise InvalidInput("retries phải là số nguyên không âm.")
    await act(request, lambda svc: svc.set_external_task_retries(task_id, retries, actor=actor), brief=True)
    return Response(status_code=204)


def _task_dto(view: dict) -> dict:
    return {
        "activityId": view["element_id"], "activityInstanceId": view["id"], "errorMessage": view["error_message"],
        "executionId": view["id"], "id": view["id"], "lockExpirationTime": fmt_date(view["lock_expires_at"]),
        "processDefinitionId": None, "processDefinitionKey": None, "processDefinitionVersionTag": None,
        "processInstanceId": view["case_id"], "tenantId": None, "retries": view["retries"],
        "suspended": False, "workerId": view["worker_id"], "topicName": view["topic"], "priority": 0,
        "businessKey": view["case_id"],
    }


_FILTERS = {
    "topicName": lambda v, q: v["topic"] == q,
    "workerId": lambda v, q: v["worker_id"] == q,
    "processInstanceId": lambda v, q: v["case_id"] == q,
    "activityId": lambda v, q: v["element_id"] == q,
    "externalTaskId": lambda v, q: v["id"] == q,
    "locked": lambda v, q: q != "true" or v["locked"],
    "notLocked": lambda v, q: q != "true" or not v["locked"],
    "withRetriesLeft": lambda v, q: q != "true" or v["retries"] is None or v["retries"] > 0,
    "noRetriesLeft": lambda v, q: q != "true" or v["retries"] == 0,
}


async def _external_views(request: Request) -> list[dict]:
    views = await run(request, lambda svc: svc.external_tasks())
    for name, keep in _FILTERS.items():
        wanted = request.query_params.get(name)
        if wanted is not None:
            views = [v for v in views if keep(v, wanted)]
    return views


async def task_list(request: Request) -> Response:
    return json_response([_task_dto(v) for v in await _external_views(request)])


async def task_count(request: Request) -> Response:
    return json_response({"count": len(await _external_views(request))})


async def task_get(request: Request) -> Response:
    task_id = request.path_params["id"]
    views = [v for v in await run(request, lambda svc: svc.external_tasks()) if v["id"] == task_id]
    if not views:
        raise NotFound(f"Không có tác vụ ngoài đang mở '{task_id}'.", task=task_id)
    return json_response(_task_dto(views[0]))


# --- messages and signals ------------------------------------------------------------------------------------------
async def message(request: Request) -> Response:
    """`POST /message`: one waiting element (or one message start) gets it; none or several is 400, as Camunda 7
    answers a MismatchingMessageCorrelationException."""
    body, actor = await json_body(request), user(request)
    name = _text(body, "messageName")
    if body.get("all") is True:
        raise InvalidInput("all=true (gửi một thông điệp tới mọi nơi đang chờ) không được hỗ trợ: mỗi thông điệp đi tới "
                           "đúng một hồ sơ; hãy dùng processInstanceId hoặc businessKey, hoặc một tín hiệu (/signal).")
    case_id = body.get("processInstanceId") if isinstance(body.get("processInstanceId"), str) else None
    key = body.get("businessKey") if isinstance(body.get("businessKey"), str) else None
    values = decode_variables(body.get("processVariables"))
    from engine.errors import Conflict
    from engine.server.camunda import error_response

    try:
        view = await act(request, lambda svc: svc.correlate(name, case_id=case_id, business_key=key, data=values,
                                                            actor=actor))
    except (NotFound, Conflict) as err:
        if isinstance(err, Conflict) and "user" in err.details:
            raise
        return error_response(400, "RestException", err.message)
    if not body.get("resultEnabled"):
        return Response(status_code=204)
    instance = {"id": view["case_id"], "businessKey": view.get("business_key"), "ended": view.get("status") != "active"}
    return json_response([{"resultType": "Execution", "execution": {"id": view["case_id"],
                                                                    "processInstanceId": view["case_id"],
                                                                    "ended": instance["ended"]},
                           "processInstance": instance}])


async def signal(request: Request) -> Response:
    body, actor = await json_body(request), user(request)
    name = _text(body, "name")
    if body.get("executionId"):
        raise InvalidInput("executionId không được hỗ trợ: tín hiệu luôn phát tới mọi nơi đang chờ (Camunda 7).")
    values = decode_variables(body.get("variables"))
    await act(request, lambda svc: svc.signal(name, data=values, actor=actor))
    return Response(status_code=204)


# --- incidents -----------------------------------------------------------------------------------------------------
def _incident_dto(view: dict) -> dict:
    return {
        "id": view["id"], "processDefinitionId": None, "processInstanceId": view["case_id"],
        "executionId": view["id"], "incidentTimestamp": fmt_date(view["incident_at"]),
        "incidentType": "failedExternalTask", "activityId": view["element_id"], "failedActivityId": view["element_id"],
        "causeIncidentId": view["id"], "rootCauseIncidentId": view["id"], "configuration": view["id"],
        "tenantId": None, "incidentMessage": view["error_message"], "jobDefinitionId": None, "annotation": None,
    }


async def _incidents(request: Request) -> list[dict]:
    kind = request.query_params.get("incidentType")
    if kind not in (None, "failedExternalTask"):
        return []  # the engine has no jobs: failed external tasks are its only incidents
    views = await run(request, lambda svc: svc.external_tasks(incidents=True))
    for name, field in (("processInstanceId", "case_id"), ("activityId", "element_id"), ("incidentId", "id"),
                        ("configuration", "id")):
        wanted = request.query_params.get(name)
        if wanted is not None:
            views = [v for v in views if v[field] == wanted]
    return views


async def incident_list(request: Request) -> Response:
    return json_response([_incident_dto(v) for v in await _incidents(request)])


async def incident_count(request: Request) -> Response:
    return json_response({"count": len(await _incidents(request))})


ROUTES = [
    Route("/external-task/fetchAndLock", fetch_and_lock, methods=["POST"]),
    Route("/external-task", task_list, methods=["GET"]),
    Route("/external-task/count", task_count, methods=["GET"]),
    Route("/external-task/{id}", task_get, methods=["GET"]),
    Route("/external-task/{id}/complete", complete, methods=["POST"]),
    Route("/external-task/{id}/failure", failure, methods=["POST"]),
    Route("/external-task/{id}/bpmnError", bpmn_error, methods=["POST"]),
    Route("/external-task/{id}/extendLock", extend_lock, methods=["POST"]),
    Route("/external-task/{id}/unlock", unlock, methods=["POST"]),
    Route("/external-task/{id}/retries", set_retries, methods=["PUT"]),
    Route("/message", message, methods=["POST"]),
    Route("/signal", signal, methods=["POST"]),
    Route("/incident", incident_list, methods=["GET"]),
    Route("/incident/count", incident_count, methods=["GET"]),
]
