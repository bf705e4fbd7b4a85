"""Strict JSON reading for form files and submitted data: UTF-8 only, no duplicate keys, no NaN, bounded size."""

from __future__ import annotations

import json
from typing import Any

from engine.errors import InvalidInput
from engine.limits import DEFAULT as DEFAULT_LIMITS, check_json_depth

MAX_JSON_BYTES = DEFAULT_LIMITS.max_json_bytes


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _ForbiddenConstant(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # With a plain dict the last duplicate silently wins; an operator would never learn the first value was dropped.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _ForbiddenConstant(name)


def read_json_object(raw: bytes, subject: str, *, max_bytes: int = MAX_JSON_BYTES, **details: object) -> dict[str, Any]:
    """Decode `raw` as one JSON object; `subject` names the source at the start of every error sentence."""
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"{subject} quá lớn ({len(raw)} byte, tối đa {max_bytes} byte; giới hạn 'max_json_bytes' "
            "trong mục [limits] của cấu hình).", **details)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{subject} không phải văn bản UTF-8 (byte không hợp lệ ở vị trí {exc.start}).", **details
        ) from None
    try:
        data = json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{subject} không phải JSON hợp lệ (lỗi ở dòng {exc.lineno}, cột {exc.colno}).", **details
        ) from None
    except _DuplicateKey as exc:
        raise InvalidInput(
            f"{subject} có khóa '{exc.key}' xuất hiện hai lần trong cùng một đối tượng.", **details
        ) from None
    except _ForbiddenConstant as exc:
        raise InvalidInput(f"{subject} chứa hằng số '{exc.name}' không thuộc chuẩn JSON.", **details) from None
    except RecursionError:
        raise InvalidInput(f"{subject} có cấu trúc lồng nhau quá sâu.", **details) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{subject} phải là một đối tượng JSON ({{...}}).", **details)
    # The decoder stops near a thousand levels; what walks the value afterwards (schema checks, NFC) recurses too.
    check_json_depth(data, subject, **details)
    return data
