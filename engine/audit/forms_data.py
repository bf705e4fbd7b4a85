"""The official forms' numbers, titles and legal basis, and the agency printed on them, read from data
(`engine/data/official_forms.toml`) so that a new circular changes a file, not the code."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from engine.errors import InvalidInput

FORM_KEYS = ("receipt", "supplement", "refusal", "apology", "stop", "slip", "book")


@dataclass(frozen=True)
class OfficialForm:
    key: str
    number: str
    title: str
    basis: str  # "Mẫu số 06 — Thông tư số 03/2025/TT-VPCP …"

    def to_dict(self) -> dict:
        return {"key": self.key, "number": self.number, "title": self.title, "legal_basis": self.basis}


@dataclass(frozen=True)
class OfficialForms:
    forms: dict[str, OfficialForm]
    agency: dict[str, str]
    legal: dict[str, str]

    def __getitem__(self, key: str) -> OfficialForm:
        return self.forms[key]


def _nfc(value: object) -> str:
    return unicodedata.normalize("NFC", str(value))


def read_official_forms(text: str, source: str) -> OfficialForms:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"Tệp mẫu biểu '{source}' không phải TOML hợp lệ: {exc}.", file=source) from exc
    legal = {k: _nfc(v) for k, v in (raw.get("legal") or {}).items()}
    basis = legal.get("basis", "")
    forms: dict[str, OfficialForm] = {}
    for key in FORM_KEYS:
        entry = (raw.get("forms") or {}).get(key)
        if not isinstance(entry, dict) or not entry.get("number") or not entry.get("title"):
            raise InvalidInput(f"Tệp mẫu biểu '{source}' thiếu số hoặc tên của mẫu '{key}'.", file=source, form=key)
        number = _nfc(entry["number"])
        forms[key] = OfficialForm(key, number, _nfc(entry["title"]),
                                  _nfc(entry.get("basis") or f"Mẫu số {number} — {basis}".strip(" —")))
    return OfficialForms(forms, {k: _nfc(v) for k, v in (raw.get("agency") or {}).items()}, legal)


@lru_cache(maxsize=4)
def official_forms(path: Path | None = None) -> OfficialForms:
    if path is None:
        text = resources.files("engine.data").joinpath("official_forms.toml").read_text(encoding="utf-8")
        return read_official_forms(text, "engine/data/official_forms.toml")
    return read_official_forms(Path(path).read_text(encoding="utf-8"), str(path))
