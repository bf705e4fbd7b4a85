"""Camunda 7 DTOs built from the engine's views (engine.service) and lists (Service.definitions, Service.cases).

Identifiers: a process definition is `KEY:VERSION` (Camunda's are `KEY:VERSION:UUID`; ours are unique already), a
process instance is the case (its id, also its business key: the dossier number), an execution is the case too,
a task is the engine's step id, a deployment is the instant its definitions were stored
(engine.usecases.read.deployment_id).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Iterable, Mapping

from engine.server.camunda import encode_variables, fmt_date

ENGINE_VERSION = "7.22.0"  # the Camunda 7 REST API this server follows (what GET /version reports to clients)


def definition_id(key: str, version: int) -> str:
    return f"{key}:{version}"


def process_definition(row: Mapping[str, Any]) -> dict:
    return {
        "id": definition_id(row["key"], row["version"]), "key": row["key"], "category": "http://bpmn.io/schema/bpmn",
        "description": None, "name": row.get("name"), "version": row["version"],
        "resource": PurePath(row["filename"]).name, "deploymentId": row["deployment_id"], "diagram": None,
        "suspended": False, "tenantId": None, "versionTag": None, "historyTimeToLive": None,
        "startableInTasklist": True,
    }


def decision_definition(row: Mapping[str, Any]) -> dict:
    return {
        "id": definition_id(row["key"], row["version"]), "key": row["key"], "category": None, "name": row.get("name"),
        "version": row["version"], "resource": PurePath(row["filename"]).name, "deploymentId": row["deployment_id"],
        "tenantId": None, "decisionRequirementsDefinitionId": None, "decisionRequirementsDefinitionKey": None,
        "historyTimeToLive": None, "versionTag": None,
    }


def deployment(dep_id: str, rows: Iterable[Mapping[str, Any]], *, name: str | None = None,
               source: str | None = None, with_definitions: bool = False) -> dict:
    rows = list(rows)
    doc = {
        "id": dep_id, "tenantId": None, "deploymentTime": fmt_date(rows[0]["deployed_at"]) if rows else None,
        "source": source, "name": name or ", ".join(sorted({PurePath(r["filename"]).name for r in rows})),
        "links": [],
    }
    if with_definitions:
        doc["deployedProcessDefinitions"] = {definition_id(r["key"], r["version"]): process_definition(r)
                                             for r in rows if r["kind"] == "bpmn"} or None
        doc["deployedDecisionDefinitions"] = {definition_id(r["key"], r["version"]): decision_definition(r)
                                              for r in rows if r["kind"] == "dmn"} or None
        doc["deployedDecisionRequirementsDefinitions"] = None
        doc["deployedCaseDefinitions"] = None
    return doc


def task(view: Mapping[str, Any], definition: str | None) -> dict:
    """TaskDto from an open step's view (Service.list_tasks / the task row of Service.task_form)."""
    return {
        "id": view["task_id"], "name": view["name"], "assignee": view.get("assignee"), "owner": None,
        "created": fmt_date(view.get("started_at")), "due": fmt_date(view.get("due_at")), "followUp": None,
        "delegationState": None, "description": None, "executionId": view["case_id"], "parentTaskId": None,
        "priority": 50, "processDefinitionId": definition, "processInstanceId": view["case_id"],
        "caseExecutionId": None, "caseDefinitionId": None, "caseInstanceId": None,
        "taskDefinitionKey": view["element_id"], "suspended": False, "formKey": None, "tenantId": None,
    }


def task_view_from_row(row: Mapping[str, Any]) -> dict:
    """The fields of Service's task view that a raw task row (from Service.task_form) carries."""
    return {
        "task_id": row["id"], "name": row["name"], "case_id": row["case_id"], "element_id": row["element_id"],
        "started_at": row["created_at"], "due_at": row.get("due_at"), "assignee": row.get("assignee"),
        "candidate_groups": [g for g in (row.get("groups") or "").split(",") if g],
        "candidate_users": [u for u in (row.get("candidate_users") or "").split(",") if u],
        "status": row["status"],
    }


def process_instance(case_id: str, definition: str | None, *, ended: bool = False,
                     variables: Mapping[str, Any] | None = None) -> dict:
    doc = {"id": case_id, "definitionId": definition, "businessKey": case_id, "caseInstanceId": None,
           "ended": ended, "suspended": False, "tenantId": None, "links": []}
    if variables is not None:
        doc["variables"] = encode_variables(variables)
    return doc


STATE = {"active": "ACTIVE", "completed": "COMPLETED", "withdrawn": "EXTERNALLY_TERMINATED"}


def historic_process_instance(row: Mapping[str, Any]) -> dict:
    start, end = row["received_at"], row.get("ended_at")
    return {
        "id": row["id"], "rootProcessInstanceId": row["id"], "superProcessInstanceId": None,
        "superCaseInstanceId": None, "caseInstanceId": None, "processDefinitionName": row.get("definition_name"),
        "processDefinitionKey": row["definition_key"], "processDefinitionVersion": row["definition_version"],
        "processDefinitionId": definition_id(row["definition_key"], row["definition_version"]),
        "businessKey": row["id"], "startTime": fmt_date(start), "endTime": fmt_date(end),
        "removalTime": None, "durationInMillis": int((end - start).total_seconds() * 1000) if end else None,
        "startUserId": row.get("started_by"), "startActivityId": None,
        "deleteReason": "withdrawn" if row["status"] == "withdrawn" else None, "tenantId": None,
        "state": STATE.get(row["status"], row["status"].upper()),
    }


def historic_task(step: Mapping[str, Any], definition: str | None, process_key: str | None) -> dict:
    start, end = step.get("started_at"), step.get("completed_at")
    state = {"open": "Created", "completed": "Completed", "cancelled": "Deleted"}.get(step["status"], step["status"])
    return {
        "id": step["task_id"], "processDefinitionKey": process_key, "processDefinitionId": definition,
        "processInstanceId": step["case_id"], "executionId": step["case_id"], "caseDefinitionKey": None,
        "caseDefinitionId": None, "caseInstanceId": None, "caseExecutionId": None,
        "activityInstanceId": f"{step['element_id']}:{step['task_id']}", "name": step["name"], "description": None,
        "deleteReason": "completed" if step["status"] == "completed" else (
            "deleted" if step["status"] == "cancelled" else None),
        "owner": None, "assignee": step.get("completed_by") or step.get("assignee"),
        "startTime": fmt_date(start), "endTime": fmt_date(end),
        "duration": int((end - start).total_seconds() * 1000) if (start and end) else None,
        "taskDefinitionKey": step["element_id"], "priority": 50, "due": fmt_date(step.get("due_at")),
        "parentTaskId": None, "followUp": None, "tenantId": None, "removalTime": None,
        "rootProcessInstanceId": step["case_id"], "taskState": state,
    }
