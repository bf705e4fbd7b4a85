"""The OpenAPI 3 description of what this server implements (GET /engine-rest/openapi.json).

Its schemas are Camunda's own (camunda7_schemas.json, vendored from the Camunda 7 REST OpenAPI templates, Apache-2.0),
so a client generated from Camunda's description reads these answers; the paths list only what is implemented.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from engine.server.shapes import ENGINE_VERSION

REF = "#/components/schemas/"

# (method, path, summary, success status, response schema: "Name", "[Name]", "{Name}" (map), None)
ENDPOINTS = [
    ("get", "/version", "Phiên bản API Camunda 7 mà máy chủ tuân theo (không cần đăng nhập).", 200, "VersionDto"),
    ("get", "/deployment", "Các lần triển khai.", 200, "[DeploymentDto]"),
    ("get", "/deployment/count", "Số lần triển khai.", 200, "CountResultDto"),
    ("post", "/deployment/create", "Triển khai sơ đồ cùng biểu mẫu và bảng quyết định (như Camunda Modeler gửi).",
     200, "DeploymentWithDefinitionsDto"),
    ("get", "/deployment/{id}", "Một lần triển khai.", 200, "DeploymentDto"),
    ("get", "/process-definition", "Định nghĩa quy trình (lọc key, version, latestVersion).", 200,
     "[ProcessDefinitionDto]"),
    ("get", "/process-definition/count", "Số định nghĩa quy trình.", 200, "CountResultDto"),
    ("get", "/process-definition/key/{key}", "Phiên bản mới nhất theo key.", 200, "ProcessDefinitionDto"),
    ("get", "/process-definition/key/{key}/xml", "BPMN XML của phiên bản mới nhất.", 200,
     "ProcessDefinitionDiagramDto"),
    ("post", "/process-definition/key/{key}/start", "Tiếp nhận hồ sơ (= tthc start).", 200,
     "ProcessInstanceWithVariablesDto"),
    ("get", "/process-definition/{id}", "Một định nghĩa quy trình (KEY:VERSION).", 200, "ProcessDefinitionDto"),
    ("get", "/process-definition/{id}/xml", "BPMN XML của một phiên bản.", 200, "ProcessDefinitionDiagramDto"),
    ("post", "/process-definition/{id}/start", "Tiếp nhận hồ sơ theo mã định nghĩa (phiên bản mới nhất).", 200,
     "ProcessInstanceWithVariablesDto"),
    ("get", "/task", "Các bước đang chờ (candidateGroup, candidateUser, assignee, processInstanceId, "
                     "processInstanceBusinessKey, dueBefore, dueAfter, sortBy/sortOrder, firstResult/maxResults).",
     200, "[TaskDto]"),
    ("get", "/task/count", "Số bước đang chờ.", 200, "CountResultDto"),
    ("get", "/task/{id}", "Một bước đang chờ.", 200, "TaskDto"),
    ("get", "/task/{id}/variables", "Biến của hồ sơ nhìn từ bước (theo lịch sử).", 200, "{VariableValueDto}"),
    ("get", "/task/{id}/form-variables", "Giá trị các trường biểu mẫu của bước.", 200, "{VariableValueDto}"),
    ("get", "/task/{id}/deployed-form", "Biểu mẫu Camunda Form (JSON) của bước.", 200, None),
    ("post", "/task/{id}/claim", "Nhận bước (người dùng đăng nhập).", 204, None),
    ("post", "/task/{id}/unclaim", "Bỏ nhận bước.", 204, None),
    ("post", "/task/{id}/complete", "Hoàn thành bước với dữ liệu biểu mẫu (variables, withVariablesInReturn).", 204,
     "{VariableValueDto}"),
    ("post", "/task/{id}/bpmnError", "Kết thúc bước bằng lỗi nghiệp vụ (errorCode, errorMessage, variables) mà sự kiện "
                                     "lỗi biên bắt (= tthc error).", 204, None),
    ("post", "/task/{id}/bpmnEscalation", "Báo leo thang ở bước (escalationCode, variables) mà sự kiện biên leo thang "
                                          "bắt (= tthc escalate).", 204, None),
    ("post", "/external-task/fetchAndLock", "Lấy và khóa tác vụ ngoài theo chủ đề (workerId, maxTasks, topics[] với "
                                            "topicName, lockDuration, variables; asyncResponseTimeout: chờ dài).",
     200, None),
    ("get", "/external-task", "Tác vụ ngoài đang mở (topicName, workerId, processInstanceId, activityId, locked, "
                              "notLocked, withRetriesLeft, noRetriesLeft).", 200, None),
    ("get", "/external-task/count", "Số tác vụ ngoài đang mở.", 200, "CountResultDto"),
    ("get", "/external-task/{id}", "Một tác vụ ngoài đang mở.", 200, None),
    ("post", "/external-task/{id}/complete", "Hoàn thành (workerId, variables, localVariables).", 204, None),
    ("post", "/external-task/{id}/failure", "Báo lỗi kỹ thuật (workerId, errorMessage, errorDetails, retries, "
                                            "retryTimeout); hết lượt thử thì thành sự cố.", 204, None),
    ("post", "/external-task/{id}/bpmnError", "Báo lỗi nghiệp vụ cho sự kiện lỗi biên (workerId, errorCode, "
                                              "errorMessage, variables).", 204, None),
    ("post", "/external-task/{id}/extendLock", "Gia hạn khóa (workerId, newDuration).", 204, None),
    ("post", "/external-task/{id}/unlock", "Mở khóa (cán bộ vận hành).", 204, None),
    ("put", "/external-task/{id}/retries", "Đặt số lượt thử lại; lớn hơn 0 thì giải quyết sự cố.", 204, None),
    ("post", "/message", "Gửi thông điệp tới đúng một hồ sơ đang chờ, hoặc mở hồ sơ (= tthc correlate).", 200, None),
    ("post", "/signal", "Phát tín hiệu tới mọi hồ sơ đang chờ (= tthc signal).", 204, None),
    ("get", "/incident", "Sự cố: tác vụ ngoài hết lượt thử (incidentType failedExternalTask).", 200, None),
    ("get", "/incident/count", "Số sự cố.", 200, "CountResultDto"),
    ("get", "/process-instance", "Hồ sơ đang xử lý.", 200, "[ProcessInstanceDto]"),
    ("get", "/process-instance/count", "Số hồ sơ đang xử lý.", 200, "CountResultDto"),
    ("get", "/process-instance/{id}", "Một hồ sơ đang xử lý.", 200, "ProcessInstanceDto"),
    ("get", "/process-instance/{id}/variables", "Biến của hồ sơ (theo lịch sử).", 200, "{VariableValueDto}"),
    ("get", "/history/process-instance", "Mọi hồ sơ, kể cả đã kết thúc.", 200, None),
    ("get", "/history/activity-instance", "Các bước đã qua của một hồ sơ (processInstanceId).", 200, None),
    ("get", "/history/task", "Các bước của một hồ sơ (processInstanceId).", 200, None),
    ("get", "/history/variable-instance", "Các biến của một hồ sơ (processInstanceId).", 200, None),
    ("get", "/tthc/cases/{id}/history", "Lịch sử sự kiện của hồ sơ (= tthc history --json).", 200, None),
    ("get", "/tthc/cases/{id}/verify", "Kiểm tra chuỗi băm và phát lại hồ sơ (= tthc verify).", 200, None),
    ("get", "/tthc/cases/{id}/view", "Trang HTML xem hồ sơ ngoại tuyến (= tthc slip --format html).", 200, None),
    ("get", "/tthc/reports", "Báo cáo (= tthc report; format json, csv, html).", 200, None),
    ("get", "/openapi.json", "Tài liệu này.", 200, None),
]

ERRORS = {"400": "Dữ liệu không hợp lệ (biểu mẫu: danh sách trường trong 'fields').",
          "401": "Chưa đăng nhập hoặc sai thông tin đăng nhập.",
          "403": "Người dùng không được thực hiện (sai nhóm, không phải ứng viên).",
          "404": "Không có đối tượng với mã này.",
          "409": "Xung đột: bước đã được xử lý hoặc vừa bị thay đổi đồng thời.",
          "413": "Nội dung yêu cầu quá lớn."}


@lru_cache(maxsize=1)
def camunda_schemas() -> dict:
    text = resources.files("engine.server").joinpath("camunda7_schemas.json").read_text(encoding="utf-8")
    return json.loads(text)["schemas"]


def _schema(spec: str | None) -> dict | None:
    if spec is None:
        return None
    if spec.startswith("["):
        return {"type": "array", "items": {"$ref": REF + spec[1:-1]}}
    if spec.startswith("{"):
        return {"type": "object", "additionalProperties": {"$ref": REF + spec[1:-1]}}
    return {"$ref": REF + spec}


def document() -> dict:
    paths: dict[str, dict] = {}
    error = {"content": {"application/json": {"schema": {"$ref": REF + "ExceptionDto"}}}}
    for method, path, summary, status, spec in ENDPOINTS:
        ok: dict = {"description": "Thành công."}
        schema = _schema(spec)
        if schema is not None:
            ok["content"] = {"application/json": {"schema": schema}}
        responses = {str(status): ok}
        if path != "/version":
            responses.update({code: {"description": text, **error} for code, text in ERRORS.items()})
        operation = {"summary": summary, "responses": responses}
        params = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if params:
            operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                       for p in params]
        if path != "/version":
            operation["security"] = [{"basic": []}, {"bearer": []}]
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.2",
        "info": {"title": "tthc — Camunda 7 REST API (phần được hỗ trợ)", "version": ENGINE_VERSION,
                 "description": "Các tài nguyên khác dưới /engine-rest trả lời 404 (hoặc 501 với /condition, "
                                "/event-subscription) theo định dạng lỗi của Camunda."},
        "servers": [{"url": "/engine-rest"}],
        "paths": paths,
        "components": {"schemas": camunda_schemas(),
                       "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                           "bearer": {"type": "http", "scheme": "bearer"}}},
    }
