"""Camunda 7's REST conventions: typed variables, its date format, and error bodies with its HTTP statuses.

Errors (the engine's EngineError → HTTP), as Camunda 7 answers where it has an answer:

    NotFound                          404  InvalidRequestException   (Camunda: "No matching task with id ...")
    InvalidInput                      400  InvalidRequestException   (form problems also listed under "fields")
    Conflict naming the user          403  AuthorizationException    (wrong group / not a candidate: as the CLI refuses)
    Conflict (state, concurrent)      409  OptimisticLockingException (Camunda 7 answers 500 here; a 409 says "look
                                                                      again" without looking like a server crash)
    StoreUnavailable                  503  ProcessEngineException
    anything else                     500  ProcessEngineException    (logged with its traceback, never sent)
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any, Mapping

from decimal import Decimal

from starlette.responses import Response

from engine.errors import Conflict, EngineError, InvalidInput, NotFound, StoreUnavailable

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
LONG_MIN, LONG_MAX = -(2 ** 63), 2 ** 63 - 1
SUPPORTED_TYPES = ("String", "Boolean", "Integer", "Short", "Long", "Double", "Date", "Json", "Null")
DATE_VARIABLES = frozenset({"received_at", "transferred_at", "due_at", "apology_at"})
MAX_JSON_VARIABLE = 64 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=_default, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=dict(headers or {}))


def error_response(status: int, type_: str, message: str, headers: Mapping[str, str] | None = None,
                   **extra: Any) -> Response:
    return json_response({"type": type_, "message": message, **extra}, status, headers)


def engine_error_response(err: EngineError) -> Response:
    extra: dict[str, Any] = {}
    problems = err.details.get("problems")
    if isinstance(problems, list):
        extra["fields"] = problems
    if isinstance(err, NotFound):
        return error_response(404, "InvalidRequestException", err.message, **extra)
    if isinstance(err, InvalidInput):
        return error_response(400, "InvalidRequestException", err.message, **extra)
    if isinstance(err, Conflict):
        # The service refuses a user who may not act with a Conflict naming that user (and no holder of the task):
        # that is Camunda's 403. A step already done, held by someone else, or changed concurrently stays a conflict.
        if "user" in err.details and "assignee" not in err.details:
            return error_response(403, "AuthorizationException", err.message)
        return error_response(409, "OptimisticLockingException", err.message)
    if isinstance(err, StoreUnavailable):
        return error_response(503, "ProcessEngineException", err.message)
    return error_response(500, "ProcessEngineException", err.message)


# --- dates ---------------------------------------------------------------------------------------------------------
def fmt_date(value: datetime | date | str | None) -> str | None:
    """Camunda's default `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, e.g. 2026-12-03T14:36:30.072+0700."""
    if value is None:
        return None
    if isinstance(value, str):
        from engine.calendar import parse_instant

        value = parse_instant(value)
    if not isinstance(value, datetime):
        from engine.calendar.parsing import as_local

        value = as_local(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}" + value.strftime("%z")


def parse_date(text: Any, what: str) -> datetime:
    from engine.calendar import parse_instant

    if not isinstance(text, str):
        raise InvalidInput(f"{what} phải là một chuỗi ngày giờ (ví dụ 2026-12-03T08:00:00.000+0700).")
    try:
        return parse_instant(text)
    except InvalidInput as err:
        raise InvalidInput(f"{what}: {err.message}") from None


# --- typed variables ----------------------------------------------------------------------------------------------
def _bad(name: str, type_: str, value: Any) -> InvalidInput:
    shown = json.dumps(value, ensure_ascii=False)[:80]
    return InvalidInput(f"Biến '{name}': giá trị {shown} không chuyển được sang kiểu {type_}.", variable=name)


def decode_variable(name: str, raw: Any) -> Any:
    """One `{"value": ..., "type": ...}` object → the plain JSON value the engine's forms and expressions read."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"Biến '{name}' phải là một đối tượng {{\"value\": ..., \"type\": ...}}.", variable=name)
    value = raw.get("value")
    type_ = raw.get("type")
    if type_ is None:  # Camunda accepts an untyped value and takes the JSON type
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(name, "Double", value)
        return value
    if not isinstance(type_, str):
        raise InvalidInput(f"Biến '{name}': kiểu phải là một chuỗi.", variable=name)
    kind = type_[:1].upper() + type_[1:]
    if kind not in SUPPORTED_TYPES:
        raise InvalidInput(f"Biến '{name}': kiểu '{type_}' chưa được hỗ trợ (hỗ trợ: {', '.join(SUPPORTED_TYPES)}).",
                           variable=name)
    if value is None or kind == "Null":
        return None
    if kind == "String":
        if not isinstance(value, str):
            raise _bad(name, kind, value)
        return value
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _bad(name, kind, value)
    if kind in ("Integer", "Short", "Long"):
        low, high = {"Integer": (INT_MIN, INT_MAX), "Short": (-32768, 32767), "Long": (LONG_MIN, LONG_MAX)}[kind]
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise _bad(name, kind, value) from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(name, kind, value)
        return value
    if kind == "Double":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _bad(name, kind, value) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _bad(name, kind, value)
        return value
    if kind == "Date":
        return parse_date(value, f"Biến '{name}'").isoformat()
    # Json: Camunda sends the serialised document as a string; an already parsed object is taken as it is.
    if isinstance(value, str):
        if len(value) > MAX_JSON_VARIABLE:
            raise InvalidInput(f"Biến '{name}' (Json) quá lớn.", variable=name)
        try:
            return json.loads(value, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except (ValueError, RecursionError):
            raise _bad(name, kind, value) from None
    return value


def decode_variables(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("Mục 'variables' phải là một đối tượng JSON: {\"tên\": {\"value\": ..., \"type\": ...}}.")
    return {str(name): decode_variable(str(name), value) for name, value in raw.items()}


def encode_variable(name: str, value: Any) -> dict:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if name in DATE_VARIABLES and isinstance(value, str):
        try:
            return {"type": "Date", "value": fmt_date(value), "valueInfo": {}}
        except InvalidInput:
            pass
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if INT_MIN <= value <= INT_MAX else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, (datetime, date)):
        return {"type": "Date", "value": fmt_date(value), "valueInfo": {}}
    if isinstance(value, (dict, list)):
        return {"type": "Json", "value": json.dumps(value, ensure_ascii=False, default=str), "valueInfo": {}}
    return {"type": "String", "value": str(value), "valueInfo": {}}


def encode_variables(values: Mapping[str, Any]) -> dict[str, dict]:
    return {name: encode_variable(name, value) for name, value in values.items()}
