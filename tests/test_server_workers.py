"""Camunda 7's external-task, message, signal and incident resources over HTTP (issue 15), against a real server
process: fetch-and-lock with per-topic lock durations and variable filters, long polling that returns as soon as a
task appears, complete / failure → incident → retries / extendLock / unlock, a BPMN error nothing catches, message
correlation errors in Camunda's shape, signals; the case verifies afterwards."""

from __future__ import annotations

import threading
import time

from tests.test_server_http import _deploy_files, open_tasks, server_for  # noqa: F401 (fixture)
from tests.test_server_http import ROOT

EXTERNAL = ROOT / "tests" / "fixtures" / "external" / "external_fixture.bpmn"


def _fetch(server, topic, worker="w1", **extra):
    status, _, body = server.call("POST", "/external-task/fetchAndLock", user="lan", json_body={
        "workerId": worker, "maxTasks": 5, "topics": [{"topicName": topic, "lockDuration": 600000, **extra}]})
    assert status == 200, body
    return body


def _at_portal(server):
    assert _deploy_files(server, {"external_fixture.bpmn": EXTERNAL.read_bytes()})[0] == 200
    status, _, case = server.call("POST", "/process-definition/key/external_fixture/start", user="lan", json_body={
        "variables": {"applicant_name": {"value": "Nguyễn Văn An", "type": "String"}}})
    assert status == 200, case
    [task] = open_tasks(server, case["id"])
    assert server.call("POST", f"/task/{task['id']}/complete", user="lan",
                       json_body={"variables": {"phone": {"value": "0912345678", "type": "String"}}})[0] == 204
    return case["id"]


def test_a_worker_fetches_locks_completes_fails_and_an_operator_resolves_the_incident(server_for):
    server = server_for()
    case_id = _at_portal(server)
    assert server.call("POST", "/external-task/fetchAndLock", json_body={"workerId": "w1", "topics": []})[0] == 401
    started = time.monotonic()
    status, _, empty = server.call("POST", "/external-task/fetchAndLock", user="lan", json_body={
        "workerId": "w1", "maxTasks": 1, "asyncResponseTimeout": 400,
        "topics": [{"topicName": "registry", "lockDuration": 1000}]})
    assert status == 200 and empty == [] and time.monotonic() - started >= 0.35  # waited, then answered empty
    [task] = _fetch(server, "portal-sync", variables=["phone"])
    assert task["topicName"] == "portal-sync" and task["workerId"] == "w1" and task["processInstanceId"] == case_id
    assert task["variables"] == {"phone": {"value": "0912345678", "type": "String", "valueInfo": {}}}
    assert _fetch(server, "portal-sync", worker="w2") == []  # locked
    status, _, refused = server.call("POST", f"/external-task/{task['id']}/complete", user="lan",
                                     json_body={"workerId": "w2"})
    assert status == 409 and "w2" in refused["message"]
    assert server.call("POST", f"/external-task/{task['id']}/complete", user="lan", json_body={
        "workerId": "w1", "variables": {"portal_id": {"value": "G-17", "type": "String"}}})[0] == 204

    [registry] = _fetch(server, "registry")
    status, _, refused = server.call("POST", f"/external-task/{registry['id']}/bpmnError", user="lan",
                                     json_body={"workerId": "w1", "errorCode": "NOT_FOUND"})
    assert status == 409, refused  # no error boundary event on the task: nothing changes
    assert server.call("POST", f"/external-task/{registry['id']}/failure", user="lan", json_body={
        "workerId": "w1", "errorMessage": "Cơ sở dữ liệu không phản hồi", "retries": 0})[0] == 204
    status, _, incidents = server.call("GET", f"/incident?processInstanceId={case_id}", user="lan")
    assert status == 200 and [(i["incidentType"], i["activityId"], i["incidentMessage"]) for i in incidents] == [
        ("failedExternalTask", "check_registry", "Cơ sở dữ liệu không phản hồi")]
    assert server.call("GET", "/incident/count", user="lan")[2] == {"count": 1}
    assert _fetch(server, "registry") == []  # an incident is not fetched
    assert server.call("PUT", f"/external-task/{registry['id']}/retries", user="lan", json_body={"retries": 1})[0] == 204
    assert server.call("GET", "/incident", user="lan")[2] == []
    [again] = _fetch(server, "registry")
    assert server.call("POST", f"/external-task/{again['id']}/extendLock", user="lan",
                       json_body={"workerId": "w1", "newDuration": 900000})[0] == 204
    assert server.call("POST", f"/external-task/{again['id']}/unlock", user="lan")[0] == 204
    status, _, listed = server.call("GET", "/external-task?topicName=registry&notLocked=true", user="lan")
    assert status == 200 and [t["id"] for t in listed] == [again["id"]]
    assert server.call("GET", "/external-task/count?locked=true", user="lan")[2] == {"count": 0}
    [last] = _fetch(server, "registry")
    assert server.call("POST", f"/external-task/{last['id']}/complete", user="lan", json_body={
        "workerId": "w1", "variables": {"registry_ok": {"value": True, "type": "Boolean"}}})[0] == 204
    assert server.call("GET", f"/tthc/cases/{case_id}/verify", user="lan")[0] == 200


def test_a_long_poll_returns_as_soon_as_a_task_appears(server_for):
    server = server_for()
    case_id = _at_portal(server)
    [portal] = _fetch(server, "portal-sync")
    assert server.call("POST", f"/external-task/{portal['id']}/complete", user="lan", json_body={"workerId": "w1"})[0] == 204
    [registry] = _fetch(server, "registry")
    got: dict = {}

    def poll():
        started = time.monotonic()
        got["answer"] = server.call("POST", "/external-task/fetchAndLock", user="lan", json_body={
            "workerId": "sms-1", "maxTasks": 1, "asyncResponseTimeout": 20000,
            "topics": [{"topicName": "sms", "lockDuration": 60000}]})
        got["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    assert server.call("POST", f"/external-task/{registry['id']}/complete", user="lan", json_body={
        "workerId": "w1", "variables": {"registry_ok": {"value": False, "type": "Boolean"}}})[0] == 204
    waiter.join(30)
    status, _, tasks = got["answer"]
    assert status == 200 and [t["activityId"] for t in tasks] == ["notify_sms"]
    assert got["seconds"] < 10, got["seconds"]  # not the 20 s timeout: the sms task appeared
    assert tasks[0]["processInstanceId"] == case_id


def test_messages_and_signals_over_http(server_for):
    server = server_for()
    status, _, body = server.call("POST", "/message", user="lan", json_body={"messageName": "ho_so_bo_sung",
                                                                            "businessKey": "nowhere"})
    assert status == 400 and body["type"] == "RestException" and "ho_so_bo_sung" in body["message"], body
    assert server.call("POST", "/message", user="lan", json_body={})[0] == 400
    assert server.call("POST", "/message", user="lan", json_body={"messageName": "x", "all": True})[0] == 400
    assert server.call("POST", "/signal", user="lan", json_body={"name": "quy_dinh_moi"})[0] == 204
    assert server.call("POST", "/signal", user="lan", json_body={})[0] == 400
    assert server.call("POST", "/signal", json_body={"name": "x"})[0] == 401


def test_a_message_reaches_the_one_case_waiting_for_it_over_http(server_for):
    server = server_for()
    diagram = ROOT / "tests" / "fixtures" / "bpmn" / "events" / "message_catch.bpmn"
    assert _deploy_files(server, {"message_catch.bpmn": diagram.read_bytes()})[0] == 200
    status, _, case = server.call("POST", "/process-definition/key/ev_message_catch/start", user="lan", json_body={
        "variables": {"applicant_name": {"value": "Nguyễn Văn An", "type": "String"}}})
    assert status == 200, case
    [task] = open_tasks(server, case["id"])
    assert server.call("POST", f"/task/{task['id']}/complete", user="lan", json_body={})[0] == 204
    status, _, result = server.call("POST", "/message", user="lan", json_body={
        "messageName": "ho_so_bo_sung", "processInstanceId": case["id"], "resultEnabled": True,
        "processVariables": {"so_trang": {"value": 12, "type": "Integer"}}})
    assert status == 200 and result[0]["processInstance"]["id"] == case["id"], result
    status, _, again = server.call("POST", "/message", user="lan", json_body={
        "messageName": "ho_so_bo_sung", "processInstanceId": case["id"]})
    assert status == 400, again  # nothing waits for it any more: Camunda's MismatchingMessageCorrelation
    assert server.call("GET", f"/tthc/cases/{case['id']}/verify", user="lan")[0] == 200


def test_camundas_own_python_external_task_client_completes_a_task(server_for):
    """The Camunda ecosystem's client (camunda-external-task-client-python3), unchanged, as the worker."""
    from camunda.external_task.external_task_worker import ExternalTaskWorker

    server = server_for()
    case_id = _at_portal(server)
    seen: dict = {}

    def handle(task):
        seen["phone"] = task.get_variable("phone")
        return task.complete({"portal_id": "G-17"})

    worker = ExternalTaskWorker("portal-1", base_url=server.base, config={
        "auth_basic": {"username": "lan", "password": "mat-khau-lan-01"}, "asyncResponseTimeout": 2000,
        "lockDuration": 60000, "maxTasks": 1})
    worker.fetch_and_execute("portal-sync", handle)
    assert seen == {"phone": "0912345678"}
    status, _, history = server.call("GET", f"/tthc/cases/{case_id}/history", user="lan")
    completed = [e for e in history["events"] if e["type"] == "external_task_completed"]
    assert [(e["actor"], e["payload"]["data"]) for e in completed] == [("worker:portal-1", {"portal_id": "G-17"})]
    assert server.call("GET", f"/tthc/cases/{case_id}/verify", user="lan")[0] == 200
