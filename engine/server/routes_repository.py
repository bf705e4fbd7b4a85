"""Designers: GET /version, deployments (Camunda Modeler's Deploy), process definitions, starting an instance."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.definitions import CATALOG_NAME, KINDS
from engine.errors import EngineError, InvalidInput, NotFound
from engine.server import shapes
from engine.server.camunda import decode_variables, json_response, parse_date
from engine.server.requests import act, bool_param, ctx, int_param, json_body, page, run, sort, user

# Multipart text fields Camunda's /deployment/create reads. The engine always deploys changed files only (content
# hashes), so both duplicate-filtering switches are accepted and change nothing.
_TEXT_FIELDS = {"deployment-name", "deployment-source", "deploy-changed-only", "enable-duplicate-filtering",
                "tenant-id", "deployment-activation-time"}
MAX_PARTS = 50


async def version(request: Request) -> Response:
    return json_response({"version": shapes.ENGINE_VERSION})


# --- deployments -------------------------------------------------------------------------------------------------
def _deployments(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["deployed_at"], r["kind"], r["key"])):
        grouped.setdefault(row["deployment_id"], []).append(row)
    return grouped


async def deployment_list(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.definitions())
    grouped = _deployments(rows)
    wanted = request.query_params.get("id")
    docs = [shapes.deployment(dep_id, items) for dep_id, items in grouped.items() if wanted in (None, dep_id)]
    docs = sort(request, docs, {"id": lambda d: d["id"], "name": lambda d: d["name"],
                                "deploymentTime": lambda d: d["id"]})
    return json_response(page(request, docs))


async def deployment_count(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.definitions())
    return json_response({"count": len(_deployments(rows))})


async def deployment_get(request: Request) -> Response:
    dep_id = request.path_params["id"]
    rows = await run(request, lambda svc: svc.definitions())
    items = _deployments(rows).get(dep_id)
    if not items:
        raise NotFound(f"Không có lần triển khai '{dep_id}'.", deployment=dep_id)
    return json_response(shapes.deployment(dep_id, items))


async def deployment_create(request: Request) -> Response:
    form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS,
                              max_part_size=ctx(request).options.max_upload_bytes)
    try:
        fields: dict[str, str] = {}
        files: list[tuple[str, bytes]] = []
        for name, value in form.multi_items():
            if isinstance(value, str):
                if name not in _TEXT_FIELDS:
                    raise InvalidInput(f"Trường '{name[:80]}' không thuộc yêu cầu triển khai của Camunda 7.")
                fields[name] = value
                continue
            filename = PurePath((value.filename or name).replace("\\", "/")).name
            if not (KINDS.get(PurePath(filename).suffix.lower()) or filename == CATALOG_NAME):
                raise InvalidInput(f"Tệp '{filename[:120]}' không phải .bpmn, .form, .dmn hay {CATALOG_NAME}.",
                                   file=filename[:120])
            if any(existing == filename for existing, _ in files):
                raise InvalidInput(f"Tệp '{filename}' có hai lần trong cùng một lần triển khai.", file=filename)
            files.append((filename, await value.read()))
    finally:
        await form.close()
    if fields.get("tenant-id"):
        raise InvalidInput("Máy chủ không chia tenant: hãy bỏ trống Tenant ID khi triển khai.")
    if fields.get("deployment-activation-time"):
        raise InvalidInput("Máy chủ không hẹn giờ kích hoạt định nghĩa: hãy bỏ deployment-activation-time; "
                           "định nghĩa dùng được ngay khi triển khai.")
    if not files:
        raise InvalidInput("Yêu cầu triển khai không kèm tệp .bpmn, .form hay .dmn nào.")
    results, rows = await act(request, _deploy_files, files)
    keys = {(r["kind"], r["key"], r["version"]) for r in results if r["kind"] in ("bpmn", "form", "dmn")}
    deployed = [r for r in rows if (r["kind"], r["key"], r["version"]) in keys]
    newest = max(deployed, key=lambda r: r["deployed_at"]) if deployed else None
    dep_id = newest["deployment_id"] if newest else "dep-empty"
    doc = shapes.deployment(dep_id, deployed, name=fields.get("deployment-name"),
                            source=fields.get("deployment-source"), with_definitions=True)
    return json_response(doc)


def _deploy_files(svc, files: list[tuple[str, bytes]]):
    # The Service deploys files (as `tthc deploy` does): the parts go to a private temporary folder, parsed by the
    # same safe XML/JSON readers; the folder's path is cut out of any message so the client sees its own file names.
    with tempfile.TemporaryDirectory(prefix="tthc-deploy-") as folder:
        for filename, content in files:
            (Path(folder) / filename).write_bytes(content)
        try:
            results = svc.deploy([Path(folder)])
        except EngineError as err:
            err.message = err.message.replace(folder + "/", "").replace(folder, "")
            raise
    return results, svc.definitions()


# --- process definitions ----------------------------------------------------------------------------------------
def _select_definitions(request: Request, rows: list[dict]) -> list[dict]:
    q = request.query_params
    rows = [r for r in rows if r["kind"] == "bpmn"]
    if q.get("key"):
        rows = [r for r in rows if r["key"] == q["key"]]
    if q.get("keysIn"):
        keys = set(q["keysIn"].split(","))
        rows = [r for r in rows if r["key"] in keys]
    if q.get("processDefinitionId"):
        rows = [r for r in rows if shapes.definition_id(r["key"], r["version"]) == q["processDefinitionId"]]
    if q.get("deploymentId"):
        rows = [r for r in rows if r["deployment_id"] == q["deploymentId"]]
    if q.get("name"):
        rows = [r for r in rows if r.get("name") == q["name"]]
    version = int_param(request, "version")
    if version is not None:
        rows = [r for r in rows if r["version"] == version]
    if bool_param(request, "latestVersion"):
        rows = [r for r in rows if r["latest"]]
    return rows


async def definition_list(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.definitions("bpmn"))
    docs = [shapes.process_definition(r) for r in _select_definitions(request, rows)]
    docs = sort(request, docs, {"key": lambda d: d["key"], "version": lambda d: d["version"],
                                "name": lambda d: d["name"] or "", "id": lambda d: d["id"],
                                "deploymentId": lambda d: d["deploymentId"]})
    return json_response(page(request, docs))


async def definition_count(request: Request) -> Response:
    rows = await run(request, lambda svc: svc.definitions("bpmn"))
    return json_response({"count": len(_select_definitions(request, rows))})


def _definition_row(svc, *, key: str | None = None, def_id: str | None = None,
                    rows: list[dict] | None = None) -> dict:
    """The version a path names: `key` (the latest) or `def_id` (`key:version`); `rows`, if given, are the stored
    versions of that key already read."""
    if def_id is not None:
        key, _, version_text = def_id.rpartition(":")
        if not key or not version_text.isdigit():
            raise NotFound(f"Không có định nghĩa quy trình '{def_id}'.", definition=def_id)
    if rows is None:
        rows = svc.definitions("bpmn", key)
    if def_id is not None:
        rows = [r for r in rows if str(r["version"]) == version_text]
    else:
        rows = [r for r in rows if r["latest"]]
    if not rows:
        what = def_id or key
        raise NotFound(f"Không có định nghĩa quy trình '{what}' đã triển khai.", definition=what)
    return rows[0]


def _key_of(which: dict) -> str:
    return which["key"] if "key" in which else which["def_id"].rpartition(":")[0]


async def definition_get(request: Request) -> Response:
    row = await run(request, lambda svc: _definition_row(svc, **_which(request)))
    return json_response(shapes.process_definition(row))


async def definition_xml(request: Request) -> Response:
    def read(svc):
        row = _definition_row(svc, **_which(request))
        return row, svc.definition_source("bpmn", row["key"], row["version"])

    row, content = await run(request, read)
    return json_response({"id": shapes.definition_id(row["key"], row["version"]),
                          "bpmn20Xml": content.decode("utf-8")})


def _which(request: Request) -> dict:
    params = request.path_params
    return {"key": params["key"]} if "key" in params else {"def_id": params["id"]}


async def definition_start(request: Request) -> Response:
    """Start = `tthc start`: the procedure code, the applicant and the received time come as variables.

    `applicant_name` (String, required) → --applicant; `received_at` (Date, optional) → --received-at;
    `procedure_code` (String, optional) → the procedure (when several procedures share the diagram); every other
    variable is start data (--data). A client's `businessKey` is kept as the variable `business_key`: the engine
    numbers the case itself, and the case id is the instance's business key.
    """
    body = await json_body(request)
    variables = decode_variables(body.get("variables"))
    business_key = body.get("businessKey")
    if business_key not in (None, ""):
        if not isinstance(business_key, str):
            raise InvalidInput("businessKey phải là một chuỗi.")
        variables.setdefault("business_key", business_key)
    applicant = variables.pop("applicant_name", None)
    if not isinstance(applicant, str) or not applicant.strip():
        raise InvalidInput("Thiếu biến 'applicant_name' (String): tên người nộp hồ sơ.", variable="applicant_name")
    received = variables.pop("received_at", None)
    received_at = parse_date(received, "Biến 'received_at'") if received is not None else None
    code = variables.pop("procedure_code", None)
    if code is not None and not isinstance(code, str):
        raise InvalidInput("Biến 'procedure_code' phải là một chuỗi (mã thủ tục).", variable="procedure_code")
    with_variables = bool(body.get("withVariablesInReturn"))
    actor = user(request)
    which = _which(request)

    def start(svc):
        rows, codes = svc.start_choices(_key_of(which))
        row = _definition_row(svc, **which, rows=rows)
        if not row["latest"]:
            raise InvalidInput(
                f"Chỉ khởi tạo được phiên bản mới nhất của quy trình '{row['key']}'; phiên bản {row['version']} "
                "đã có bản mới hơn.", definition=row["key"])
        chosen = _procedure_for(codes, row["key"], code)
        view = svc.start_case(chosen, applicant=applicant, received_at=received_at, data=variables, actor=actor)
        values = _variables(svc.history(view["case_id"])) if with_variables else None
        return row, view, values

    row, view, values = await act(request, start, brief=True)
    return json_response(shapes.process_instance(view["case_id"], shapes.definition_id(row["key"], row["version"]),
                                                 ended=view["status"] != "active", variables=values))


def _procedure_for(codes: list[str], process_key: str, code: str | None) -> str:
    """`codes`: the procedures executed on the process."""
    if code is not None:
        if code not in codes:
            raise InvalidInput(f"Thủ tục '{code}' không dùng quy trình '{process_key}'.", procedure=code)
        return code
    # One procedure on this diagram: that one; none or several: the diagram itself, as `tthc start PROCESS_ID`.
    return codes[0] if len(codes) == 1 else process_key


def _variables(events: list[dict]) -> dict:
    from engine.server.routes_runtime import case_variables

    return case_variables(events)


ROUTES = [
    Route("/version", version, methods=["GET"]),
    Route("/deployment", deployment_list, methods=["GET"]),
    Route("/deployment/count", deployment_count, methods=["GET"]),
    Route("/deployment/create", deployment_create, methods=["POST"]),
    Route("/deployment/{id}", deployment_get, methods=["GET"]),
    Route("/process-definition", definition_list, methods=["GET"]),
    Route("/process-definition/count", definition_count, methods=["GET"]),
    Route("/process-definition/key/{key}", definition_get, methods=["GET"]),
    Route("/process-definition/key/{key}/xml", definition_xml, methods=["GET"]),
    Route("/process-definition/key/{key}/start", definition_start, methods=["POST"]),
    Route("/process-definition/{id}", definition_get, methods=["GET"]),
    Route("/process-definition/{id}/xml", definition_xml, methods=["GET"]),
    Route("/process-definition/{id}/start", definition_start, methods=["POST"]),
]
