"""Performer → lane rules: which of the six lanes a step's "Người thực hiện" text belongs to.

The role patterns of `roles.py` place most performers whatever unit they name. A rules file adds the rest: the
packaged `engine/data/performer_rules.toml`, or a designer's own file passed with `--rules` (documented in
`docs/performer_rules.sample.toml`), whose `[[lanes]]` phrases are tried before the role patterns, so a new wording is
one added phrase, not a code change. The file also names the fields (lĩnh vực) with the phrases that identify each
field's department, and the known OCR typos, because all three are matched the same way.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from engine.config import GROUPS
from engine.errors import InvalidInput, NotFound
from engine.importer.roles import role_group

# Lane ids and names in the order the bands are stacked; the generated BPMN uses exactly these.
LANE_NAMES: dict[str, str] = {
    "reception": "Bộ phận Một cửa (TTPVHCC)",
    "department_leader": "Lãnh đạo phòng chuyên môn",
    "staff": "Công chức thụ lý",
    "director": "Lãnh đạo Sở",
    "records_clerk": "Văn thư Sở",
    "provincial_office": "Văn phòng UBND tỉnh",
}

DEFAULT_ASSIGNMENT_MAX = "2"  # working days; see [checks] in the rules file
_PUNCTUATION = re.compile(r"[\s,.;:()\[\]\"“”'‘’/\\\-–—_*•]+")


def normalise(text: str) -> str:
    """Lower case, NFC, punctuation and spacing folded: the form every rule phrase is compared in."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return _PUNCTUATION.sub(" ", folded).strip()


@dataclass(frozen=True)
class LaneRule:
    group: str
    starts_with_any: tuple[str, ...]
    contains_any: tuple[str, ...]

    def matches(self, text: str) -> bool:
        padded = f" {text} "
        return any(text == p or text.startswith(p + " ") for p in self.starts_with_any) or any(
            f" {p} " in padded for p in self.contains_any
        )


@dataclass(frozen=True)
class FieldRule:
    key: str
    heading: str
    name: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class OcrTypo:
    wrong: str
    right: str


@dataclass(frozen=True)
class PerformerRules:
    lanes: tuple[LaneRule, ...]
    fields: tuple[FieldRule, ...]
    ocr_typos: tuple[OcrTypo, ...]
    assignment_max_working_days: Decimal
    source: str

    @classmethod
    def load(cls, path: Path | None = None) -> PerformerRules:
        """The packaged rules, or a designer's file."""
        if path is None:
            text = resources.files("engine.data").joinpath("performer_rules.toml").read_text(encoding="utf-8")
            return cls.from_toml(text, "engine/data/performer_rules.toml")
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"Không tìm thấy tệp quy tắc người thực hiện '{path}'.", path=str(path)) from None
        except OSError as exc:
            raise InvalidInput(f"Không đọc được tệp quy tắc '{path}': {exc.strerror}.", path=str(path)) from exc
        try:
            return cls.from_toml(raw.decode("utf-8"), str(path))
        except UnicodeDecodeError:
            raise InvalidInput(f"Tệp quy tắc '{path}' không phải UTF-8.", path=str(path)) from None

    @classmethod
    def from_toml(cls, text: str, source: str) -> PerformerRules:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"Tệp quy tắc '{source}' sai cú pháp TOML: {exc}.", path=source) from exc
        return cls(
            lanes=tuple(_lane_rule(entry, i, source) for i, entry in enumerate(_list(data, "lanes", source), 1)),
            # Fields, typos and checks are optional: a designer's file may hold a few lane phrases only.
            fields=tuple(_field_rule(key, entry, source) for key, entry in _table(data, "fields", source).items()),
            ocr_typos=tuple(
                OcrTypo(normalise(wrong), normalise(_str(right, f"ocr_typos.{wrong}", source)))
                for wrong, right in _table(data, "ocr_typos", source).items()
            ),
            assignment_max_working_days=_decimal(
                _table(data, "checks", source).get("assignment_max_working_days", DEFAULT_ASSIGNMENT_MAX),
                "checks.assignment_max_working_days",
                source,
            ),
            source=source,
        )

    def matching_text(self, text: str) -> str:
        """The normalised text with known OCR typos corrected: what lane and field phrases are compared with."""
        padded = f" {normalise(text)} "
        for typo in self.ocr_typos:
            padded = padded.replace(f" {typo.wrong} ", f" {typo.right} ")
        return padded.strip()

    def typos_in(self, text: str) -> list[OcrTypo]:
        padded = f" {normalise(text)} "
        return [typo for typo in self.ocr_typos if f" {typo.wrong} " in padded]

    def lane_for(self, performer: str) -> str | None:
        """The lane group of a performer text: the file's phrases first, then the role patterns; None if neither."""
        text = self.matching_text(performer)
        for rule in self.lanes:
            if rule.matches(text):
                return rule.group
        return role_group(text)

    def field_for_heading(self, heading: str) -> FieldRule | None:
        text = self.matching_text(heading)
        for field in self.fields:
            if text == field.heading:
                return field
        return None

    def fields_named_in(self, performer: str) -> list[FieldRule]:
        """Fields whose department or subject the performer text names."""
        padded = f" {self.matching_text(performer)} "
        return [field for field in self.fields if any(f" {p} " in padded for p in field.phrases)]


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"Mục [{key}] trong tệp quy tắc {source} phải là một bảng.", path=source, key=key)
    return value


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput(f"Mục [[{key}]] trong tệp quy tắc {source} phải là danh sách các bảng.", path=source, key=key)
    return value


def _str(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"Giá trị '{where}' trong tệp quy tắc {source} phải là chuỗi không rỗng.", key=where)
    return value


def _phrases(entry: dict[str, Any], key: str, where: str, source: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise InvalidInput(f"'{key}' của {where} trong tệp quy tắc {source} phải là danh sách chuỗi.", key=where)
    return tuple(normalise(p) for p in value)


def _lane_rule(entry: Any, index: int, source: str) -> LaneRule:
    where = f"quy tắc làn thứ {index}"
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where.capitalize()} trong tệp quy tắc {source} phải là một bảng.", key=where)
    group = entry.get("group")
    if group not in GROUPS:
        raise InvalidInput(
            f"{where.capitalize()} trong tệp quy tắc {source} có group '{group}' không hợp lệ "
            f"(các nhóm hợp lệ: {', '.join(GROUPS)}).",
            key=where,
        )
    rule = LaneRule(
        group=group,
        starts_with_any=_phrases(entry, "starts_with_any", where, source),
        contains_any=_phrases(entry, "contains_any", where, source),
    )
    if not rule.starts_with_any and not rule.contains_any:
        raise InvalidInput(
            f"{where.capitalize()} (nhóm {group}) trong tệp quy tắc {source} chưa có cụm từ nào "
            "trong starts_with_any hoặc contains_any.",
            key=where,
        )
    return rule


def _field_rule(key: str, entry: Any, source: str) -> FieldRule:
    where = f"lĩnh vực '{key}'"
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
        raise InvalidInput(
            f"Khóa {where} trong tệp quy tắc {source} phải bắt đầu bằng chữ thường và chỉ gồm chữ thường a–z, số, "
            "dấu gạch dưới (tối đa 32 ký tự).",
            key=key,
        )
    if not isinstance(entry, dict):
        raise InvalidInput(f"Mục {where} trong tệp quy tắc {source} phải là một bảng.", key=key)
    return FieldRule(
        key=key,
        heading=normalise(_str(entry.get("heading"), f"fields.{key}.heading", source)),
        name=unicodedata.normalize("NFC", _str(entry.get("name"), f"fields.{key}.name", source)),
        phrases=_phrases(entry, "phrases", where, source),
    )


def _decimal(value: Any, where: str, source: str) -> Decimal:
    try:
        return Decimal(_str(value, where, source))
    except InvalidOperation:
        raise InvalidInput(
            f"Giá trị '{where}' trong tệp quy tắc {source} phải là một số, ví dụ \"2\".", key=where
        ) from None
