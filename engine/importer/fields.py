"""Which field (lĩnh vực) a "LĨNH VỰC …" heading opens, and the English key its processes are named with.

A heading the rules file names keeps the rules' key (`tdc`, `cns`). Any other heading gets a key derived from its own
words, so a new department's tables import without editing a file first: the ASCII slug of the Vietnamese
("SỞ HỮU TRÍ TUỆ" → `so_huu_tri_tue`), the same for every run and every file that prints the same heading. The
import reports it as a warning (`derived_field_key`) because the key ends up in process ids, decision names and local
procedure codes: a designer who prefers `shtt` says so with `--field-key "Sở hữu trí tuệ=shtt"` (or `--field-key shtt`
when the input has one such heading), or adds a `[fields.shtt]` table to the rules file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from engine.errors import InvalidInput
from engine.importer.lanes import FieldRule, PerformerRules, normalise

KEY = re.compile(r"[a-z][a-z0-9_]*")
KEY_MAX = 32  # the catalog's field column holds 40 characters; keys also prefix process ids


def slug(text: str) -> str:
    """ASCII words of a Vietnamese text joined by underscores: "Sở hữu trí tuệ" → so_huu_tri_tue."""
    folded = normalise(text).replace("đ", "d")
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return "_".join(re.findall(r"[a-z0-9]+", ascii_text))


def derive_key(heading: str) -> str:
    """A stable key for a heading no rule names: its slug, cut at a word boundary, starting with a letter."""
    words = slug(heading).split("_") if slug(heading) else ["field"]
    key = words[0]
    for word in words[1:]:
        if len(key) + 1 + len(word) > KEY_MAX:
            break
        key = f"{key}_{word}"
    key = key[:KEY_MAX]
    return key if key[0].isalpha() else f"f_{key}"[:KEY_MAX]


def display_name(heading: str) -> str:
    """The heading as a name: "SỞ HỮU TRÍ TUỆ" → "Sở hữu trí tuệ"; a heading not in capitals is kept."""
    text = " ".join(unicodedata.normalize("NFC", heading).split())
    if text != text.upper():
        return text
    lowered = text.lower()
    return lowered[:1].upper() + lowered[1:]


@dataclass(frozen=True)
class FieldKeys:
    """`--field-key` values: HEADING=KEY for one heading, or a bare KEY for the only heading without a rule."""

    by_heading: dict[str, str]  # normalised heading → key
    sole: str | None

    @classmethod
    def parse(cls, values: list[str] | tuple[str, ...] | None) -> FieldKeys:
        by_heading: dict[str, str] = {}
        sole: str | None = None
        for value in values or ():
            heading, _, key = value.rpartition("=")
            key = key.strip()
            if not KEY.fullmatch(key) or len(key) > KEY_MAX:
                raise InvalidInput(
                    f"--field-key \"{value}\": khóa '{key}' phải bắt đầu bằng chữ thường và chỉ gồm chữ thường a–z, "
                    f"số, dấu gạch dưới (tối đa {KEY_MAX} ký tự), ví dụ --field-key \"Sở hữu trí tuệ=shtt\".",
                    value=value,
                )
            if heading.strip():
                by_heading[normalise(heading)] = key
            elif sole is not None:
                raise InvalidInput(
                    f"--field-key chỉ được ghi một khóa không kèm đề mục (đã có '{sole}', thêm '{key}'); "
                    "hãy ghi dạng \"ĐỀ MỤC=khóa\".",
                    value=value,
                )
            else:
                sole = key
        return cls(by_heading=by_heading, sole=sole)


@dataclass(frozen=True)
class ResolvedField:
    rule: FieldRule
    derived: bool  # the key was made from the heading's words: reported as a warning


class FieldResolver:
    """Resolves headings for one import (all its files), checking afterwards that every --field-key was used."""

    def __init__(self, rules: PerformerRules, keys: FieldKeys | None = None) -> None:
        self.rules = rules
        self.keys = keys or FieldKeys(by_heading={}, sole=None)
        self.unruled: dict[str, str] = {}  # normalised heading → as printed, for headings no rule names
        self.used: set[str] = set()

    def resolve(self, heading: str) -> ResolvedField:
        text = self.rules.matching_text(heading)
        rule = self.rules.field_for_heading(heading)
        override = self.keys.by_heading.get(text)
        if override is not None:
            self.used.add(text)
        if rule is not None:
            return ResolvedField(rule if override is None else _with_key(rule, override), derived=False)
        self.unruled.setdefault(text, heading)
        if override is None and self.keys.sole is not None:
            override = self.keys.sole
        key = override or derive_key(text)
        name = display_name(heading)
        rule = FieldRule(key=key, heading=text, name=name, phrases=(f"lĩnh vực {text}",))
        return ResolvedField(rule, derived=override is None)

    def check_all_used(self) -> None:
        unused = [heading for heading in self.keys.by_heading if heading not in self.used]
        if unused:
            raise InvalidInput(
                f"--field-key nêu đề mục \"{unused[0]}\" nhưng không tệp nào có đề mục \"LĨNH VỰC {unused[0].upper()}\".",
                heading=unused[0],
            )
        if self.keys.sole is not None and len(self.unruled) != 1:
            found = ", ".join(f"\"{h}\"" for h in self.unruled.values()) or "không có"
            raise InvalidInput(
                f"--field-key {self.keys.sole} (không kèm đề mục) chỉ dùng được khi có đúng một lĩnh vực chưa có "
                f"trong tệp quy tắc; ở đây: {found}. Hãy ghi dạng \"ĐỀ MỤC={self.keys.sole}\".",
                key=self.keys.sole,
            )


def _with_key(rule: FieldRule, key: str) -> FieldRule:
    return FieldRule(key=key, heading=rule.heading, name=rule.name, phrases=rule.phrases)
