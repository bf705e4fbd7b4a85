"""`tthc serve` driven over HTTP: a real server process on a free loopback port, on the test's database (SQLite, or
PostgreSQL with TTHC_TEST_PG), spoken to as Camunda Modeler and Camunda 7 clients do.

The server runs with a fixed clock (`--now`), like every CLI test, so that `tthc verify` judges a known history.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
HTTP = ROOT / "tests" / "fixtures" / "http"
BPMN = ROOT / "tests" / "fixtures" / "bpmn"
NOW = "2026-03-02T08:00"
PASSWORDS = {"lan": "mat-khau-lan-01", "mai": "mat-khau-mai-01", "son": "mat-khau-son-01"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["TTHC_SERVER_FAILED_LOGIN_DELAY"] = "0.05"  # the delay itself is checked in one test, with its default
    return env


def set_password(cli, user: str, password: str, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    result = cli("user", "set-password", user)
    assert result.code == 0, result.err


class Server:
    """A `tthc serve` subprocess and a small HTTP client that remembers every response body it saw."""

    def __init__(self, db_url: str, tmp_path: Path, *, workers: int = 1, extra_env: dict | None = None,
                 options: tuple[str, ...] = ()) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/engine-rest"
        self.log = tmp_path / f"server-{self.port}.log"
        env = {**_env(tmp_path), **(extra_env or {})}
        argv = [sys.executable, "-c", "from engine.cli.main import run; run()", "--db", db_url, "--now", NOW,
                "serve", "--port", str(self.port), "--workers", str(workers), *options]
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        self.bodies: list[bytes] = []
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.call("GET", "/version")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.2)

    def call(self, method: str, path: str, *, user: str | None = None, password: str | None = None,
             token: str | None = None, json_body=None, data: bytes | None = None,
             headers: dict | None = None) -> tuple[int, dict, object]:
        headers = dict(headers or {})
        if user is not None:
            secret = password if password is not None else PASSWORDS[user]
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, got, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            status, got, raw = err.code, dict(err.headers), err.read()
        self.bodies.append(raw)
        kind = got.get("content-type", "")
        body = json.loads(raw) if raw and kind.startswith("application/json") else raw
        return status, got, body

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        finally:
            self._log_file.close()
        return self.log.read_text(errors="replace")


@pytest.fixture
def server_for(db_url, tmp_path, cli, monkeypatch):
    started: list[Server] = []

    def start(**kwargs) -> Server:
        for user, password in PASSWORDS.items():
            set_password(cli, user, password, monkeypatch)
        server = Server(db_url, tmp_path, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.stop()
        for raw in server.bodies:  # no response of any test ever carries a Python traceback
            assert b"Traceback" not in raw and b'File "' not in raw, raw[:500]


def deploy_as_modeler(server: Server, user: str = "lan"):
    content_type = (HTTP / "modeler5_deploy.content-type").read_text().strip()
    return server.call("POST", "/deployment/create", user=user, data=(HTTP / "modeler5_deploy.body").read_bytes(),
                       headers={"Content-Type": content_type, "Accept": "application/json"})


def start_case(server: Server, definition_id: str, user: str = "lan", **variables):
    typed = {"applicant_name": {"value": "Công ty Ánh Dương", "type": "String"}}
    typed.update(variables)
    return server.call("POST", f"/process-definition/{definition_id}/start", user=user,
                       json_body={"businessKey": "", "variables": typed})


def open_tasks(server: Server, case_id: str, user: str = "lan") -> list[dict]:
    status, _, tasks = server.call("GET", f"/task?processInstanceId={case_id}", user=user)
    assert status == 200
    return tasks


# --- Camunda's schemas ---------------------------------------------------------------------------------------------
def camunda_validator(name: str, *, strict: bool = True):
    """A JSON Schema validator for one of Camunda's DTOs (vendored in engine/server/camunda7_schemas.json), with
    OpenAPI's `nullable` as JSON Schema's null type; strict: no property Camunda's DTO does not have."""
    schemas = json.loads((ROOT / "engine" / "server" / "camunda7_schemas.json").read_text())["schemas"]

    def convert(node):
        if isinstance(node, dict):
            out = {k: convert(v) for k, v in node.items() if k not in ("nullable", "title")}
            if node.get("nullable") and "type" in node:
                out["type"] = [node["type"], "null"]
                if "enum" in out:
                    out["enum"] = [*out["enum"], None]
            if "$ref" in out:
                out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
            if strict and node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    defs = {key: convert(value) for key, value in schemas.items()}
    return jsonschema.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{name}"})


# --- designers -----------------------------------------------------------------------------------------------------
def test_camunda_modelers_deploy_request_deploys_the_diagram_and_its_forms_with_content_hashed_versions(server_for):
    server = server_for()
    assert server.call("GET", "/version")[2] == {"version": "7.22.0"}  # public: the Modeler asks before logging in
    status, _, listed = server.call("GET", "/deployment?maxResults=0", user="lan")  # the Modeler's connection check
    assert (status, listed) == (200, [])

    status, _, doc = deploy_as_modeler(server)
    assert status == 200, doc
    assert doc["name"] == "review_fixture" and doc["source"] == "Camunda Modeler"
    assert list(doc["deployedProcessDefinitions"]) == ["review_fixture:1"]
    definition = doc["deployedProcessDefinitions"]["review_fixture:1"]
    assert definition["key"] == "review_fixture" and definition["version"] == 1
    assert definition["deploymentId"] == doc["id"]
    camunda_validator("ProcessDefinitionDto").validate(definition)
    assert not list(camunda_validator("DeploymentWithDefinitionsDto", strict=False).iter_errors(doc))

    # The same files again: nothing new (content hashes), the same version answered so the Modeler can start it.
    status, _, again = deploy_as_modeler(server)
    assert status == 200 and list(again["deployedProcessDefinitions"]) == ["review_fixture:1"]
    status, _, latest = server.call("GET", "/process-definition?key=review_fixture&latestVersion=true", user="lan")
    assert [d["id"] for d in latest] == ["review_fixture:1"]
    for item in latest:
        camunda_validator("ProcessDefinitionDto").validate(item)
    status, _, xml = server.call("GET", "/process-definition/key/review_fixture/xml", user="lan")
    assert xml["bpmn20Xml"] == (BPMN / "review_fixture.bpmn").read_text(encoding="utf-8")
    camunda_validator("ProcessDefinitionDiagramDto").validate(xml)
    status, _, deployments = server.call("GET", "/deployment", user="lan")
    assert [d["id"] for d in deployments] == [doc["id"]]
    for item in deployments:
        camunda_validator("DeploymentDto").validate(item)

    # A changed diagram is a new version; the CLI's deploy-time refusals come back in Camunda's error shape.
    changed = (BPMN / "review_fixture.bpmn").read_bytes().replace(b"</bpmn:definitions>",
                                                                 b"<!-- v2 -->\n</bpmn:definitions>")
    status, _, second = _deploy_files(server, {"review_fixture.bpmn": changed})
    assert status == 200 and list(second["deployedProcessDefinitions"]) == ["review_fixture:2"]
    broken = changed.replace(b'targetRef="approve"', b'targetRef="nowhere"')
    status, _, refused = _deploy_files(server, {"review_fixture.bpmn": broken})
    assert status == 400 and refused["type"] == "InvalidRequestException", refused
    assert "review_fixture.bpmn" in refused["message"] and "tthc-deploy-" not in refused["message"]
    status, _, hostile = _deploy_files(server, {"x.bpmn": b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM '
                                                          b'"file:///etc/passwd">]><a>&e;</a>'})
    assert status == 400 and "root:" not in hostile["message"]
    status, _, python = _deploy_files(server, {"x.py": b"print(1)"})
    assert status == 400 and "x.py" in python["message"]
    assert server.call("GET", "/process-definition/count", user="lan")[2] == {"count": 2}


def _deploy_files(server: Server, files: dict[str, bytes], **fields: str):
    boundary = "----tthcTestBoundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="deployment-name"\r\n\r\ntest\r\n'.encode()]
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, content in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                     f"Content-Type: text/xml\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return server.call("POST", "/deployment/create", user="lan", data=body,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


# --- a case end to end ---------------------------------------------------------------------------------------------
def test_a_case_runs_over_http_with_the_clis_rules_for_users_groups_and_forms_and_then_verifies(server_for, cli):
    server = server_for()
    assert deploy_as_modeler(server)[0] == 200

    # Only reception receives a case; the Modeler's Start instance sends the definition id and typed variables.
    status, _, refused = start_case(server, "review_fixture:1", user="mai")
    assert status == 403 and refused["type"] == "AuthorizationException"
    status, _, missing = server.call("POST", "/process-definition/key/review_fixture/start", user="lan",
                                     json_body={"variables": {}})
    assert status == 400 and "applicant_name" in missing["message"]
    status, _, instance = start_case(server, "review_fixture:1", phone={"value": "0901234567", "type": "String"})
    assert status == 200, instance
    case_id = instance["id"]
    assert instance["businessKey"] == case_id and instance["definitionId"] == "review_fixture:1"
    camunda_validator("ProcessInstanceWithVariablesDto", strict=False).validate(instance)

    # Reception's step: visible by candidate group and as a candidate user; the staff officer may not complete it.
    [task] = open_tasks(server, case_id)
    camunda_validator("TaskDto").validate(task)
    assert task["taskDefinitionKey"] == "receive" and task["processDefinitionId"] == "review_fixture:1"
    assert [t["id"] for t in server.call("GET", "/task?candidateGroup=reception", user="mai")[2]] == [task["id"]]
    assert server.call("GET", "/task?candidateGroup=staff", user="mai")[2] == []
    assert [t["id"] for t in server.call("GET", "/task?candidateUser=lan", user="mai")[2]] == [task["id"]]
    assert server.call("GET", "/task?candidateUser=mai", user="mai")[2] == []
    assert server.call("GET", f"/task?processInstanceBusinessKey={case_id}", user="mai")[2][0]["id"] == task["id"]
    form = server.call("GET", f"/task/{task['id']}/deployed-form", user="lan")[2]
    assert form["id"] == "fixture_reception"
    assert server.call("GET", f"/task/{task['id']}/form-variables", user="lan")[2] == {
        "applicant_phone": {"type": "String", "value": None, "valueInfo": {}}}
    status, _, wrong = server.call("POST", f"/task/{task['id']}/complete", user="mai", json_body={})
    assert status == 403 and wrong["type"] == "AuthorizationException" and "mai" in wrong["message"]
    status, _, _ = server.call("POST", f"/task/{task['id']}/complete", user="lan",
                               json_body={"variables": {"applicant_phone": {"value": "0901234567", "type": "String"}}})
    assert status == 204
    status, _, gone = server.call("GET", f"/task/{task['id']}", user="lan")
    assert status == 404 and gone["type"] == "InvalidRequestException"

    # Appraisal: invalid form data is refused with the field list, nothing changes; valid data moves the case on.
    [appraise] = open_tasks(server, case_id)
    status, _, invalid = server.call("POST", f"/task/{appraise['id']}/complete", user="mai",
                                     json_body={"variables": {"score": {"value": 42, "type": "Integer"}}})
    assert status == 400 and invalid["type"] == "InvalidRequestException"
    assert [f["key"] for f in invalid["fields"]] == ["score"]
    status, _, badtype = server.call("POST", f"/task/{appraise['id']}/complete", user="mai",
                                     json_body={"variables": {"score": {"value": "bảy", "type": "Integer"}}})
    assert status == 400 and "score" in badtype["message"]
    assert [t["id"] for t in open_tasks(server, case_id)] == [appraise["id"]]
    status, _, values = server.call("POST", f"/task/{appraise['id']}/complete", user="mai", json_body={
        "variables": {"score": {"value": 8, "type": "Integer"}, "draft_reference": {"value": "DT-01", "type": "String"}},
        "withVariablesInReturn": True})
    assert status == 200 and values["score"] == {"type": "Integer", "value": 8, "valueInfo": {}}
    assert values["applicant_name"]["value"] == "Công ty Ánh Dương" and values["phone"]["value"] == "0901234567"
    [approve] = open_tasks(server, case_id)
    seen = server.call("GET", f"/task/{approve['id']}/variables", user="son")[2]
    assert seen["score"] == values["score"] and seen["draft_reference"]["value"] == "DT-01"

    # The director's step, by the director, with a token as an integration would.
    assert cli("token", "create", "--user", "son", "--json").code == 0
    token = json.loads(cli("token", "create", "--user", "son", "--json").out)["token"]
    status, _, _ = server.call("POST", f"/task/{approve['id']}/complete", token=token,
                               json_body={"variables": {"decision": {"value": "approve", "type": "String"}}})
    assert status == 204
    assert open_tasks(server, case_id) == []
    assert server.call("GET", f"/process-instance/{case_id}", user="lan")[0] == 404  # ended: history only

    # The history, as Camunda's history resources and as the engine's own.
    status, _, past = server.call("GET", f"/history/process-instance?processInstanceId={case_id}", user="lan")
    assert past[0]["state"] == "COMPLETED" and past[0]["startUserId"] == "lan"
    status, _, steps = server.call("GET", f"/history/task?processInstanceId={case_id}", user="lan")
    assert sorted((s["taskDefinitionKey"], s["assignee"], s["taskState"]) for s in steps) == [
        ("appraise", "mai", "Completed"), ("approve", "son", "Completed"), ("receive", "lan", "Completed")]
    status, _, activities = server.call("GET", f"/history/activity-instance?processInstanceId={case_id}", user="lan")
    assert [a["activityId"] for a in activities] == ["receive", "appraise", "approve"]
    assert all(a["endTime"] for a in activities)
    status, _, variables = server.call("GET", f"/history/variable-instance?processInstanceId={case_id}&"
                                              "variableName=score", user="lan")
    assert [(v["name"], v["value"]) for v in variables] == [("score", 8)]
    status, _, history = server.call("GET", f"/tthc/cases/{case_id}/history", user="lan")
    assert [e["actor"] for e in history["events"] if e["type"] == "task_completed"] == ["lan", "mai", "son"]
    if "origin" in history["events"][0]:  # an engine that records where commands came from (engine.origin)
        commands = [e for e in history["events"] if e["type"] in ("case_started", "task_completed")]
        assert {(e["origin"]["channel"], e["origin"]["account"] == e["actor"], e["origin"]["host"])
                for e in commands} == {("http", True, "127.0.0.1")}
    assert server.call("GET", f"/tthc/cases/{case_id}/verify", user="lan")[2] == {"case_id": case_id, "ok": True}
    status, headers, page = server.call("GET", f"/tthc/cases/{case_id}/view", user="lan")
    assert status == 200 and headers["content-type"].startswith("text/html") and case_id.encode() in page
    status, headers, csv = server.call("GET", "/tthc/reports?period=month&format=csv", user="lan")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    server.stop()

    verified = cli("verify", "--all", "--json")
    assert verified.code == 0 and verified.json()["ok"] == 1, verified.out


def test_two_clients_completing_the_same_task_at_once_one_succeeds_the_other_gets_409(server_for, cli):
    server = server_for(workers=2)
    assert deploy_as_modeler(server)[0] == 200
    case_id = start_case(server, "review_fixture:1")[2]["id"]
    [task] = open_tasks(server, case_id)
    barrier = threading.Barrier(2)
    answers: list[tuple[int, object]] = []

    def complete():
        barrier.wait()
        status, _, body = server.call("POST", f"/task/{task['id']}/complete", user="lan", json_body={})
        answers.append((status, body))

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [204, 409], answers
    [conflict] = [body for status, body in answers if status == 409]
    assert conflict["type"] == "OptimisticLockingException" and conflict["message"]
    [appraise] = open_tasks(server, case_id)
    assert appraise["taskDefinitionKey"] == "appraise"  # the case moved on exactly once
    server.stop()
    assert cli("verify", "--all").code == 0


# --- security ------------------------------------------------------------------------------------------------------
def test_every_resource_but_version_needs_credentials_and_failed_logins_are_logged_without_the_password(
        server_for, cli, monkeypatch):
    server = server_for(options=("--credential-ttl", "0"))  # every request checks the database
    for path in ("/task", "/deployment", "/openapi.json", "/process-definition", "/history/process-instance",
                 "/tthc/reports", "/no-such-resource"):
        status, headers, body = server.call("GET", path)
        assert status == 401 and body["type"] == "AuthenticationException", path
        assert headers["www-authenticate"].startswith("Basic")
    assert server.call("GET", "/task", user="lan", password="sai-mat-khau-9")[0] == 401
    assert server.call("GET", "/task", user="ghost", password="whatever-123")[0] == 401
    assert server.call("GET", "/task", user="ha", password="no-password-set")[0] == 401  # configured, no password
    assert server.call("GET", "/task", headers={"Authorization": "Basic !!!"})[0] == 401
    assert server.call("GET", "/task", token="tthc_nope_nope")[0] == 401
    assert server.call("GET", "/task", user="lan")[0] == 200

    created = json.loads(cli("token", "create", "--user", "mai", "--label", "một cửa tỉnh", "--json").out)
    assert server.call("GET", "/task", token=created["token"])[0] == 200
    assert cli("token", "revoke", created["id"]).code == 0
    assert server.call("GET", "/task", token=created["token"])[0] == 401

    # A changed password is the only one that works, at once (no stale memory of the old one).
    set_password(cli, "lan", "mat-khau-moi-02", monkeypatch)
    assert server.call("GET", "/task", user="lan")[0] == 401
    assert server.call("GET", "/task", user="lan", password="mat-khau-moi-02")[0] == 200

    log = server.stop()
    assert "Đăng nhập thất bại" in log and "'lan'" in log and "'ghost'" in log
    assert "sai-mat-khau-9" not in log and "whatever-123" not in log and created["token"] not in log
    assert '"GET /engine-rest/task HTTP/1.1" 200' not in log  # no access log unless asked for


def test_access_log_is_written_only_when_asked_for(server_for):
    server = server_for(options=("--access-log",))
    assert server.call("GET", "/task", user="lan")[0] == 200
    log = server.stop()
    assert '"GET /engine-rest/task HTTP/1.1" 200' in log


def test_a_checked_credential_is_trusted_for_credential_ttl_seconds_then_checked_again(server_for, cli, monkeypatch):
    server = server_for(options=("--credential-ttl", "2"))
    created = json.loads(cli("token", "create", "--user", "mai", "--json").out)
    assert server.call("GET", "/task", token=created["token"])[0] == 200
    assert server.call("GET", "/task", user="lan")[0] == 200
    revoked_at = time.monotonic()
    assert cli("token", "revoke", created["id"]).code == 0
    set_password(cli, "lan", "mat-khau-moi-02", monkeypatch)
    if time.monotonic() - revoked_at < 1.5:  # within the TTL the server has not read the database again
        assert server.call("GET", "/task", token=created["token"])[0] == 200
    time.sleep(max(0.0, 2.3 - (time.monotonic() - revoked_at)))
    assert server.call("GET", "/task", token=created["token"])[0] == 401
    assert server.call("GET", "/task", user="lan")[0] == 401
    assert server.call("GET", "/task", user="lan", password="mat-khau-moi-02")[0] == 200
    # A new password is never trusted before it was checked: a wrong one is refused however recent the last check.
    assert server.call("GET", "/task", user="lan", password="sai-mat-khau-9")[0] == 401


def test_serve_refuses_a_credential_ttl_out_of_range(cli):
    result = cli("serve", "--credential-ttl", "7200")
    assert result.code == 2 and "--credential-ttl" in result.out + result.err


def test_failed_logins_are_slowed_down_and_a_client_that_keeps_failing_waits_longer(server_for):
    server = server_for(extra_env={"TTHC_SERVER_FAILED_LOGIN_DELAY": "0.4"})
    waits = []
    for _ in range(3):
        began = time.monotonic()
        assert server.call("GET", "/task", user="lan", password="wrong-password")[0] == 401
        waits.append(time.monotonic() - began)
    began = time.monotonic()
    assert server.call("GET", "/task")[0] == 401  # no credentials at all: answered at once
    assert time.monotonic() - began < 0.4
    assert waits[0] >= 0.4 and waits[2] >= 1.6 > waits[0], waits


def test_unknown_ids_unimplemented_resources_and_bad_requests_get_camunda_shaped_errors(server_for):
    server = server_for()
    assert deploy_as_modeler(server)[0] == 200
    for path in ("/task/no-such-task", "/task/no-such-task/form-variables", "/process-definition/key/nope",
                 "/process-definition/nope:1/xml", "/process-instance/SKHCN-000000-0000/variables",
                 "/deployment/dep-nope", "/tthc/cases/SKHCN-000000-0000/history",
                 "/history/task?processInstanceId=SKHCN-000000-0000"):
        status, _, body = server.call("GET", path, user="lan")
        assert status == 404 and body["type"] == "InvalidRequestException" and body["message"], (path, body)
        camunda_validator("ExceptionDto").validate(body)
    status, _, body = server.call("POST", "/task/no-such-task/complete", user="lan", json_body={})
    assert status == 404 and body["type"] == "InvalidRequestException"

    # Resources with nothing behind them here are named (501); anything else Camunda has is a 404.
    for method, path in (("POST", "/condition"), ("GET", "/event-subscription")):
        status, _, body = server.call(method, path, user="lan", json_body={})
        assert status == 501 and body["type"] == "RestException" and path.split("/")[1] in body["message"], path
    status, _, body = server.call("GET", "/job", user="lan")
    assert status == 404 and "/engine-rest/job" in body["message"]
    status, _, body = server.call("DELETE", "/task", user="lan")
    assert status == 404 and "DELETE /engine-rest/task" in body["message"]

    # Bad bodies: not JSON, not an object, untyped garbage, an unsupported variable type, too large.
    case_id = start_case(server, "review_fixture:1")[2]["id"]
    [task] = open_tasks(server, case_id)
    url = f"/task/{task['id']}/complete"
    for raw in (b"{not json", b"[1, 2]", b'{"variables": 3}', b'{"variables": {"x": {"value": NaN}}}',
                b'{"variables": {"x": {"value": "a", "type": "Object"}}}',
                b'{"variables": {"x": {"value": 3000000000, "type": "Integer"}}}'):
        status, _, body = server.call("POST", url, user="lan", data=raw, headers={"Content-Type": "application/json"})
        assert status == 400 and body["type"] == "InvalidRequestException", (raw, body)
    big = json.dumps({"variables": {"x": {"value": "a" * (2 * 1024 * 1024), "type": "String"}}}).encode()
    status, _, body = server.call("POST", url, user="lan", data=big, headers={"Content-Type": "application/json"})
    assert status == 413 and body["type"] == "InvalidRequestException"
    status, _, body = server.call("POST", "/deployment/create", user="lan", data=b"--x\r\nbroken",
                                  headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 400 and body["type"] == "InvalidRequestException"
    status, _, body = _deploy_files(server, {"a.form": b"{}"}, **{"tenant-id": "t1"})
    assert status == 400 and "Tenant" in body["message"]
    status, _, body = _deploy_files(server, {"a.form": b"{}"}, **{"deployment-activation-time": "2026-03-03"})
    assert status == 400 and "deployment-activation-time" in body["message"]
    status, _, body = server.call("GET", "/task?sortBy=dueDate", user="lan")
    assert status == 400 and "sortOrder" in body["message"]
    assert [t["id"] for t in open_tasks(server, case_id)] == [task["id"]]  # nothing changed


def test_task_queries_sort_page_and_filter_by_due_date_as_camunda_does(server_for):
    server = server_for()
    assert deploy_as_modeler(server)[0] == 200
    cases = [start_case(server, "review_fixture:1")[2]["id"] for _ in range(3)]
    first = open_tasks(server, cases[0])[0]
    server.call("POST", f"/task/{first['id']}/complete", user="lan", json_body={})
    status, _, tasks = server.call("GET", "/task?sortBy=dueDate&sortOrder=desc", user="lan")
    dues = [t["due"] for t in tasks]
    assert status == 200 and len(tasks) == 3 and dues == sorted(dues, reverse=True)
    assert tasks[0]["taskDefinitionKey"] == "appraise"  # 1.25 working days, later than reception's quarter day
    status, _, page = server.call("GET", "/task?sortBy=dueDate&sortOrder=asc&firstResult=1&maxResults=1", user="lan")
    assert [t["id"] for t in page] == [t["id"] for t in reversed(tasks)][1:2]
    status, _, soon = server.call("GET", "/task?dueBefore=2026-03-02T12:00:00.000%2B0700", user="lan")
    assert {t["taskDefinitionKey"] for t in soon} == {"receive"} and len(soon) == 2
    assert server.call("GET", "/task/count?candidateGroup=staff", user="lan")[2] == {"count": 1}
    assert server.call("GET", "/task?processInstanceId=SKHCN-000000-0000", user="lan")[:3:2] == (200, [])
    status, _, running = server.call("GET", "/process-instance", user="lan")
    assert sorted(p["id"] for p in running) == sorted(cases)
    for item in running:
        camunda_validator("ProcessInstanceDto").validate(item)


def test_the_openapi_document_describes_exactly_the_served_resources_with_camundas_schemas(server_for):
    from starlette.routing import Mount

    from engine.server.app import create_app
    from engine.server.context import ServerOptions

    server = server_for()
    status, _, doc = server.call("GET", "/openapi.json", user="lan")
    assert status == 200 and doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    app = create_app(ServerOptions(db_url="sqlite://"))
    [mount] = [r for r in app.routes if isinstance(r, Mount)]
    served = {(method, route.path) for route in mount.routes if route.path != "/{path:path}"
              for method in route.methods if method != "HEAD"}
    assert documented == served
    for name in ("ExceptionDto", "TaskDto", "ProcessDefinitionDto", "DeploymentDto", "VariableValueDto"):
        jsonschema.Draft202012Validator.check_schema(camunda_validator(name).schema)
        assert name in doc["components"]["schemas"]


def test_a_stopping_server_finishes_the_requests_in_flight_before_it_exits(server_for):
    server = server_for(extra_env={"TTHC_SERVER_FAILED_LOGIN_DELAY": "2"})
    answers: list[int] = []
    # A failed login is held for two seconds: a request in flight when the server is told to stop.
    slow = threading.Thread(target=lambda: answers.append(
        server.call("GET", "/task", user="lan", password="sai-mat-khau-9")[0]))
    slow.start()
    time.sleep(0.7)
    server.proc.terminate()
    slow.join(timeout=30)
    assert answers == [401]
    # uvicorn re-raises the signal once shut down, so the exit status is the signal's; the log shows the clean stop.
    assert server.proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.stop()
    with pytest.raises(OSError):
        server.call("GET", "/version")


def test_claim_and_unclaim_use_the_services_assignment_rules(server_for):
    server = server_for()
    assert deploy_as_modeler(server)[0] == 200
    case_id = start_case(server, "review_fixture:1")[2]["id"]
    [task] = open_tasks(server, case_id)
    status, _, body = server.call("POST", f"/task/{task['id']}/claim", user="lan", json_body={"userId": "mai"})
    assert status == 400 and "mai" in body["message"]  # nobody claims a step for someone else
    status, _, body = server.call("POST", f"/task/{task['id']}/claim", user="lan", json_body={"userId": "lan"})
    assert status == 204
    assert open_tasks(server, case_id)[0]["assignee"] == "lan"
    assert [t["id"] for t in server.call("GET", "/task?assignee=lan", user="lan")[2]] == [task["id"]]
    status, _, body = server.call("POST", f"/task/{task['id']}/claim", user="mai", json_body={})
    assert status in (403, 409) and body["message"]
    assert server.call("POST", f"/task/{task['id']}/unclaim", user="lan", json_body={})[0] == 204
    assert open_tasks(server, case_id)[0]["assignee"] is None


def test_cors_is_off_unless_origins_are_configured(server_for):
    preflight = {"Origin": "https://portal.example.gov.vn", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
    closed = server_for()
    _, headers, _ = closed.call("GET", "/task", user="lan", headers={"Origin": "https://portal.example.gov.vn"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
    status, headers, _ = closed.call("OPTIONS", "/task", headers=preflight)
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
    closed.stop()

    opened = server_for(options=("--cors-origin", "https://portal.example.gov.vn"))
    status, headers, _ = opened.call("OPTIONS", "/task", headers=preflight)
    assert status == 200 and headers["access-control-allow-origin"] == "https://portal.example.gov.vn"
    _, headers, _ = opened.call("GET", "/task", user="lan", headers={"Origin": "https://portal.example.gov.vn"})
    assert headers["access-control-allow-origin"] == "https://portal.example.gov.vn"
    _, headers, _ = opened.call("GET", "/task", user="lan", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
