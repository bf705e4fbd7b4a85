"""Role patterns: the lane of a performer from the role it names, whatever unit follows.

Every department words its tables with its own units ("Lãnh đạo phòng Quản lý …", "Lãnh đạo Trung tâm Thông tin,
Thống kê …", "Chi cục trưởng Chi cục …", "Viên chức Trung tâm …"), but the roles are the same six everywhere: the
one-stop desk, the provincial office, the records clerk, the leader of a unit, the department's director and the
officer who handles the file. These patterns read the role and ignore the unit, so a new department's tables import
without a rule per unit. They are tried after the designer's own `[[lanes]]` rules, which therefore win.

Texts are compared normalised (`lanes.normalise`: lower case, punctuation as spaces). The order matters: the
one-stop desk and the provincial office are recognised first because their performers are also officers
("Chuyên viên … tại TTPVHCC"), and a centre's director ("Giám đốc Trung tâm …") before the department's director.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Units inside a department whose head acts as the "leader of the specialised unit" in the one-stop pattern.
_UNIT = r"(?:phòng|trung tâm|chi cục|ban|đơn vị|bộ phận|văn phòng|cơ quan chuyên môn)"


@dataclass(frozen=True)
class RolePattern:
    group: str
    role: str  # what the pattern recognises, in Vietnamese, for messages and the docs
    pattern: re.Pattern[str]

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None


def _starts(*alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{'|'.join(alternatives)})(?: |$)")


def _contains(*alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^| )(?:{'|'.join(alternatives)})(?: |$)")


ROLE_PATTERNS: tuple[RolePattern, ...] = (
    RolePattern(
        "reception",
        "bộ phận một cửa",
        _contains(
            "ttpvhcc",
            "trung tâm phục vụ hành chính công",
            "trung tâm hành chính công",
            "bộ phận một cửa",
            "một cửa",
            "bộ phận tiếp nhận và trả kết quả",
        ),
    ),
    RolePattern(
        "provincial_office",
        "văn phòng ubnd tỉnh",
        _contains(r"(?:văn phòng )?(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân) (?:tỉnh|thành phố)"),
    ),
    RolePattern("records_clerk", "văn thư", _starts("văn thư")),
    RolePattern(
        "department_leader",
        "lãnh đạo đơn vị",
        _starts(
            rf"lãnh đạo {_UNIT}",
            rf"(?:phó )?trưởng {_UNIT}",
            r"(?:phó )?chi cục trưởng",
            rf"(?:phó )?giám đốc (?:trung tâm|{_UNIT})",
            r"thủ trưởng đơn vị",
        ),
    ),
    RolePattern(
        "director",
        "lãnh đạo sở",
        _starts(r"lãnh đạo sở", r"(?:phó )?giám đốc(?: sở)?", r"lãnh đạo cơ quan"),
    ),
    RolePattern(
        "staff",
        "công chức, viên chức thụ lý",
        _starts(r"công chức", r"viên chức", r"chuyên viên", r"cán bộ", r"nhân viên", r"kiểm định viên", r"thẩm định viên"),
    ),
)


def role_group(text: str) -> str | None:
    """The lane group of a normalised performer text by its role, or None."""
    for role in ROLE_PATTERNS:
        if role.matches(text):
            return role.group
    return None
