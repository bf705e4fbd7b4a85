"""`POST /task/{id}/bpmnError` (issue 14/15: Camunda 7's handleBpmnError over HTTP) against a real server process: the
step's error boundary event catches the code; a code nothing catches is 409 and nothing changes; no errorCode is 400;
an officer who may not complete the step is 403."""

from __future__ import annotations

from tests.test_server_http import BPMN, _deploy_files, open_tasks, server_for  # noqa: F401 (fixture)


def test_an_officer_ends_a_step_with_a_bpmn_error_over_http(server_for):
    server = server_for()
    status, _, doc = _deploy_files(server, {"user_task_error.bpmn": (BPMN / "errors" / "user_task_error.bpmn").read_bytes()})
    assert status == 200, doc
    status, _, case = server.call("POST", "/process-definition/key/err_user_task/start", user="lan", json_body={
        "variables": {"applicant_name": {"value": "Nguyễn Văn An", "type": "String"}}})
    assert status == 200, case
    [task] = open_tasks(server, case["id"], user="mai")
    assert server.call("POST", f"/task/{task['id']}/bpmnError", user="mai", json_body={})[0] == 400
    status, _, refused = server.call("POST", f"/task/{task['id']}/bpmnError", user="mai",
                                     json_body={"errorCode": "KHAC"})
    assert status == 409 and "KHAC" in refused["message"], refused
    assert server.call("POST", f"/task/{task['id']}/bpmnError", user="son",
                       json_body={"errorCode": "HO_SO_GIA"})[0] == 403
    assert [t["id"] for t in open_tasks(server, case["id"], user="mai")] == [task["id"]]
    status, _, body = server.call("POST", f"/task/{task['id']}/bpmnError", user="mai", json_body={
        "errorCode": "HO_SO_GIA", "errorMessage": "Con dấu giả",
        "variables": {"so_bien_ban": {"value": "BB-12", "type": "String"}}})
    assert status == 204, body
    assert [t["taskDefinitionKey"] for t in open_tasks(server, case["id"], user="son")] == ["ut_report"]
    status, _, verified = server.call("GET", f"/tthc/cases/{case['id']}/verify", user="son")
    assert status == 200, verified


def test_an_officer_raises_an_escalation_over_http(server_for):
    server = server_for()
    body = (BPMN / "errors" / "user_task_escalation.bpmn").read_bytes()
    assert _deploy_files(server, {"user_task_escalation.bpmn": body})[0] == 200
    status, _, case = server.call("POST", "/process-definition/key/esc_user_task/start", user="lan", json_body={
        "variables": {"applicant_name": {"value": "Nguyễn Văn An", "type": "String"}}})
    assert status == 200, case
    [task] = open_tasks(server, case["id"], user="mai")
    assert server.call("POST", f"/task/{task['id']}/bpmnEscalation", user="mai", json_body={})[0] == 400
    assert server.call("POST", f"/task/{task['id']}/bpmnEscalation", user="mai",
                       json_body={"escalationCode": "KHAC"})[0] == 409
    assert server.call("POST", f"/task/{task['id']}/bpmnEscalation", user="mai",
                       json_body={"escalationCode": "KHAN"})[0] == 204
    assert sorted(t["taskDefinitionKey"] for t in open_tasks(server, case["id"], user="son")) == ["ut_check",
                                                                                                 "ut_report"]
