"""The one-stop pattern: which task and lane each step of a table becomes, or why a procedure cannot be placed.

Every table must follow the pattern below (receive, assign, appraise, review, approve, register, an optional
provincial decision, return). A step whose performer no rule places, or a table that breaks the pattern, fails its
own procedure only: `UnplacedProcedure` says which step, on which line, and for an unknown performer the `[[lanes]]`
table that would place it, with the lane the pattern expects at that position.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidInput
from engine.importer.lanes import LANE_NAMES, PerformerRules
from engine.importer.text_tables import InternalProcedure, Step

# (task id, lane, form id, optional), in the order the steps must come.
STEP_PATTERN: tuple[tuple[str, str, str, bool], ...] = (
    ("receive", "reception", "reception", False),
    ("assign", "department_leader", "assignment", False),
    ("appraise", "staff", "appraisal", False),
    ("review", "department_leader", "decision", False),
    ("approve", "director", "decision", False),
    ("register", "records_clerk", "registration", False),
    ("provincial_decide", "provincial_office", "provincial_decision", True),
    ("return_result", "reception", "result_return", False),
)
RETURN_TASK = "return_result"
UNKNOWN_PERFORMER = "unknown_performer"
PATTERN_MISMATCH = "pattern_mismatch"


@dataclass(frozen=True)
class RoleStep:
    """A table step with the task it becomes."""

    task_id: str
    lane: str
    form: str
    step: Step

    @property
    def timed(self) -> bool:
        # The result is returned outside the time limit, whatever the table prints in its time cell.
        return self.task_id != RETURN_TASK and self.step.duration.days is not None


class UnplacedProcedure(InvalidInput):
    """One procedure cannot be placed; the import goes on with the others."""

    def __init__(self, code: str, message: str, *, file: str, line: int, suggestion: str | None = None) -> None:
        super().__init__(message, file=file, line=line)
        self.code = code
        self.line = line
        self.suggestion = suggestion


def map_steps(procedure: InternalProcedure, rules: PerformerRules, file_name: str) -> tuple[RoleStep, ...]:
    """Give every step its lane (performer rules) and its task (the one-stop pattern), or say which step breaks it."""
    lanes = [rules.lane_for(step.performer) for step in procedure.steps]
    fitted = _fit(procedure, lanes, file_name)
    unknown = [(step, entry[1]) for step, entry, known in zip(procedure.steps, fitted, lanes) if known is None]
    if unknown:
        raise _unknown_performers(procedure, unknown, rules, file_name)
    return tuple(
        RoleStep(task_id=task_id, lane=lane, form=form, step=step)
        for step, (task_id, lane, form, _) in zip(procedure.steps, fitted)
    )


def _fit(
    procedure: InternalProcedure, lanes: list[str | None], file_name: str
) -> list[tuple[str, str, str, bool]]:
    """The pattern entry of each step; a step of unknown lane (None) takes whatever the pattern expects there."""
    fitted: list[tuple[str, str, str, bool]] = []
    position = 0
    steps = procedure.steps
    for index, entry in enumerate(STEP_PATTERN):
        _, lane, _, optional = entry
        if position < len(steps) and _fits(lanes[position], lane, optional, len(steps) - position, index):
            fitted.append(entry)
            position += 1
        elif not optional:
            raise _pattern_mismatch(procedure, lanes, position, lane, file_name)
    if position < len(steps):
        extra = steps[position]
        raise UnplacedProcedure(
            PATTERN_MISMATCH,
            f"Bước {extra.number} ở dòng {extra.line} ({_label(procedure)}) nằm sau bước trả kết quả: "
            "mẫu quy trình một cửa kết thúc bằng bước trả kết quả.",
            file=file_name,
            line=extra.line,
        )
    return fitted


def _fits(known: str | None, expected: str, optional: bool, steps_left: int, index: int) -> bool:
    if known is not None:
        return known == expected
    # An unknown performer fills an optional position only if the steps left need it.
    required_left = sum(1 for *_, opt in STEP_PATTERN[index:] if not opt)
    return not optional or steps_left > required_left


def _pattern_mismatch(
    procedure: InternalProcedure, lanes: list[str | None], position: int, lane: str, file_name: str
) -> UnplacedProcedure:
    step = procedure.steps[position] if position < len(procedure.steps) else None
    if step is None:
        where = f"bảng dừng ở bước {len(procedure.steps)}"
    else:
        where = f"bước {step.number} ở dòng {step.line} thuộc làn \"{LANE_NAMES[lanes[position]]}\""
    return UnplacedProcedure(
        PATTERN_MISMATCH,
        f"Các bước của {_label(procedure)} (dòng {procedure.line}) không khớp mẫu quy trình một cửa: {where}, "
        f"cần một bước của làn \"{LANE_NAMES[lane]}\".",
        file=file_name,
        line=step.line if step is not None else procedure.total_line,
    )


def _unknown_performers(
    procedure: InternalProcedure, unknown: list[tuple[Step, str]], rules: PerformerRules, file_name: str
) -> UnplacedProcedure:
    first, _ = unknown[0]
    described = "; ".join(
        f"\"{step.performer}\" ở bước {step.number}, dòng {step.line} (theo mẫu một cửa: làn \"{LANE_NAMES[lane]}\")"
        for step, lane in unknown
    )
    suggestion = "\n\n".join(
        suggested_rule(lane, rules.matching_text(step.performer)) for step, lane in _distinct(unknown, rules)
    )
    return UnplacedProcedure(
        UNKNOWN_PERFORMER,
        f"Không xác định được làn của người thực hiện {described} ({_label(procedure)}): quy trình này không được "
        f"ghi. Không vai trò nào (lãnh đạo đơn vị, công chức/viên chức, văn thư, giám đốc, một cửa, Văn phòng UBND "
        f"tỉnh) và không cụm từ nào của {rules.source} khớp; hãy thêm vào tệp quy tắc (--rules):\n{suggestion}",
        file=file_name,
        line=first.line,
        suggestion=suggestion,
    )


def _distinct(unknown: list[tuple[Step, str]], rules: PerformerRules) -> list[tuple[Step, str]]:
    seen: set[str] = set()
    kept = []
    for step, lane in unknown:
        text = rules.matching_text(step.performer)
        if text not in seen:
            seen.add(text)
            kept.append((step, lane))
    return kept


def suggested_rule(group: str, text: str) -> str:
    """The `[[lanes]]` table that places a performer: its first words (all of them when four or fewer)."""
    words = text.split()
    phrase = " ".join(words if len(words) <= 4 else words[:3])
    return f'[[lanes]]\ngroup = "{group}"\nstarts_with_any = ["{phrase}"]'


def _label(procedure: InternalProcedure) -> str:
    return f"{procedure.key} lĩnh vực {procedure.field.name}"
