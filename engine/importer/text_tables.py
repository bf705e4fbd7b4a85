"""Reading the published text of internal-procedure tables (quy trình nội bộ) into plain data.

The text is what a provincial decision's appendix looks like once copied out of a PDF or Word file (seed 004): field
headings "I. LĨNH VỰC …", "Quy trình số: 01", the list of procedure names with their codes ("– Mã TTHC: **1.014881**"),
then a tab-separated table step / content / performer / time and a "Tổng thời gian" row. Page breaks leave artefacts
that this reader absorbs: the table header repeated mid-table, and a row split over several lines whose first cell is
empty (the continuation is appended to the step above).

Only the structure is read here. Whether the content makes sense (totals, units, departments, codes) is judged in
`checks.py`, so that a defect is reported as a warning with its line instead of being fixed or refused here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from engine.errors import InvalidInput, NotFound
from engine.importer.fields import FieldResolver
from engine.importer.lanes import FieldRule, PerformerRules, normalise

WORKING_DAYS = "working_days"
DAYS = "days"  # "ngày" without "làm việc": working or calendar days? The source does not say.
UNSPECIFIED = "unspecified"

COLUMN_LABELS = {
    "step": "Thứ tự công việc",
    "content": "Nội dung công việc",
    "performer": "Người thực hiện",
    "time": "Thời gian thực hiện",
}

_FIELD_HEADING = re.compile(
    r"^\s*[IVXLC]+\s*\.\s*LĨNH\s+VỰC\s+(?P<name>.+?)\s*(?:\(\s*(?P<count>\d+)\s*QT\s*\))?\s*$", re.I
)
_GROUP = re.compile(r"^\s*Quy\s+trình\s+số\s*:?\s*(?P<number>\d+)\s*$", re.I)
_LIST_HEADING = re.compile(r"^\s*\d+\s*\.\s*Quy\s+trình\b[^:]*:\s*(?P<rest>.*)$", re.I)
_BULLET = re.compile(r"^\s*[-–•+]\s*(?P<text>.+)$")
_CODE = re.compile(
    r"^(?P<name>.*?)\s*[-–—]?\s*Mã\s+TTHC\s*:?\s*\**\s*(?P<code>\d+(?:\.\d+)+)\s*\**\s*[;.,]?\s*$", re.I
)
_LEGAL_BASIS = re.compile(r"^\s*(?:[-–•]\s*)?(?:Căn\s+cứ|Cơ\s+sở)\s+pháp\s+lý\s*:\s*(?P<text>.+?)\s*$", re.I)
_STEP = re.compile(r"^bước\s*(?P<number>\d+)\s*:?$", re.I)
_STEP_START = re.compile(r"^bước\s*\d+\b", re.I)
_DURATION = re.compile(r"^(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>ngày\s+làm\s+việc|ngày)?\s*\.?$", re.I)
_UNTIMED = ("không tính thời gian", "không tính")
_PAGE_NUMBER = re.compile(r"^(?:trang\s*)?\d+$", re.I)


@dataclass(frozen=True)
class Duration:
    """A time cell: `days` is None for "Không tính thời gian" (the step is not counted)."""

    days: Decimal | None
    unit: str | None  # WORKING_DAYS, DAYS, UNSPECIFIED; None when untimed
    text: str


@dataclass(frozen=True)
class ProcedureItem:
    name: str
    code: str | None
    line: int


@dataclass(frozen=True)
class Step:
    number: int
    line: int  # the "Bước N" line
    content: str
    performer: str
    duration: Duration


@dataclass(frozen=True)
class InternalProcedure:
    """One "Quy trình số" section: the procedures it serves and its step table."""

    field: FieldRule
    number: str  # "01", as printed
    line: int
    last_line: int
    items: tuple[ProcedureItem, ...]
    steps: tuple[Step, ...]
    total: Duration
    total_line: int
    legal_basis: str | None

    @property
    def key(self) -> str:
        return f"QT{self.number}"

    @property
    def process_id(self) -> str:
        return f"{self.field.key}_qt{self.number}"


@dataclass(frozen=True)
class FieldSection:
    rule: FieldRule
    line: int
    declared_count: int | None  # "(18 QT)" in the heading
    heading: str = ""  # as printed
    derived: bool = False  # no rule names the heading: its key was made from its words


@dataclass(frozen=True)
class ProcedureDocument:
    file_name: str
    sha256: str
    lines: tuple[str, ...]
    title: str
    approval: str | None
    approval_line: int | None
    sections: tuple[FieldSection, ...]
    procedures: tuple[InternalProcedure, ...]


def read_procedure_file(path: Path, rules: PerformerRules | FieldResolver) -> ProcedureDocument:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy tệp quy trình '{path}'.", file=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"Không đọc được tệp quy trình '{path}': {exc.strerror}.", file=str(path)) from exc
    return parse_procedure_text(data, Path(path).name, rules)


def parse_procedure_text(data: bytes, file_name: str, rules: PerformerRules | FieldResolver) -> ProcedureDocument:
    text = decode_text(data, file_name)
    lines = tuple(line.rstrip("\r") for line in text.split("\n"))
    parser = _Parser(file_name, rules if isinstance(rules, FieldResolver) else FieldResolver(rules))
    for number, line in enumerate(lines, 1):
        parser.feed(number, line)
    parser.finish()
    if not parser.procedures:
        raise InvalidInput(
            f"Tệp '{file_name}' không có mục \"Quy trình số\" nào (dòng 1–{len(lines)}): "
            "không tìm thấy bảng quy trình nội bộ.",
            file=file_name,
            line=1,
        )
    return ProcedureDocument(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        lines=lines,
        title=" ".join(parser.title_lines),
        approval=parser.approval,
        approval_line=parser.approval_line,
        sections=tuple(parser.sections),
        procedures=tuple(parser.procedures),
    )


def decode_text(data: bytes, file_name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM, as NFC; anything else is refused with its line."""
    if not data.strip():
        raise InvalidInput(f"Tệp '{file_name}' rỗng (dòng 1): không có bảng quy trình nào.", file=file_name, line=1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n\x00") + data[: exc.start].count(b"\x00\n") + 1
            raise InvalidInput(
                f"Tệp '{file_name}' có byte không đọc được theo UTF-16 ở dòng {line}.", file=file_name, line=line
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InvalidInput(
                f"Tệp '{file_name}' không phải văn bản UTF-8: byte không đọc được ở dòng {line}; "
                "hãy lưu lại tệp với bảng mã UTF-8.",
                file=file_name,
                line=line,
            ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidInput(
            f"Tệp '{file_name}' chứa ký tự NUL ở dòng {line}: có thể là UTF-16 không có BOM hoặc tệp nhị phân.",
            file=file_name,
            line=line,
        )
    if not text.strip():
        raise InvalidInput(f"Tệp '{file_name}' rỗng (dòng 1): không có bảng quy trình nào.", file=file_name, line=1)
    return unicodedata.normalize("NFC", text)


def parse_duration(text: str, default_unit: str | None) -> Duration | None:
    """"0,25 ngày làm việc", "01 ngày", "04", "Không tính thời gian"; None when the text is not a duration."""
    cleaned = " ".join(text.split())
    if normalise(cleaned) in _UNTIMED:
        return Duration(days=None, unit=None, text=cleaned)
    match = _DURATION.match(cleaned)
    if not match:
        return None
    days = Decimal(match["number"].replace(",", "."))
    unit_text = match["unit"]
    if unit_text is None:
        unit = default_unit or UNSPECIFIED
    else:
        unit = WORKING_DAYS if normalise(unit_text) == "ngày làm việc" else DAYS
    return Duration(days=days, unit=unit, text=cleaned)


@dataclass
class _Columns:
    index: dict[str, int]
    width: int
    unit: str | None
    line: int


@dataclass
class _OpenStep:
    number: int
    line: int
    content: list[str] = field(default_factory=list)
    performer: list[str] = field(default_factory=list)
    time: list[str] = field(default_factory=list)


@dataclass
class _OpenGroup:
    section: FieldSection
    number: str
    line: int
    items: list[ProcedureItem] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    columns: _Columns | None = None
    step: _OpenStep | None = None
    total: Duration | None = None
    total_line: int = 0
    legal_basis: str | None = None
    listing: bool = False  # between "N. Quy trình … TTHC:" and the table: bullets are procedure names

    @property
    def label(self) -> str:
        return f"QT{self.number} lĩnh vực {self.section.rule.name}"


class _Parser:
    def __init__(self, file_name: str, fields: FieldResolver) -> None:
        self.file_name = file_name
        self.fields = fields
        self.title_lines: list[str] = []
        self.approval: str | None = None
        self.approval_line: int | None = None
        self.sections: list[FieldSection] = []
        self.procedures: list[InternalProcedure] = []
        self.group: _OpenGroup | None = None

    def error(self, message: str, line: int) -> InvalidInput:
        return InvalidInput(message, file=self.file_name, line=line)

    def feed(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return  # blank lines also come from page breaks inside a table: they end nothing
        cells = [cell.strip() for cell in line.split("\t")]
        if match := _FIELD_HEADING.match(stripped):
            self.finish_group()
            self.start_section(match, number)
            return
        if match := _GROUP.match(stripped):
            self.finish_group()
            self.start_group(match["number"], number)
            return
        if self.group is None:
            self.preamble(stripped, number)
            return
        if self.is_header(cells) and not _STEP.match(cells[0]):
            self.read_header(cells, number)
        elif match := _LEGAL_BASIS.match(stripped):
            self.group.legal_basis = match["text"]
        elif self.group.columns is not None:
            self.table_row(cells, stripped, number)
        elif _STEP_START.match(stripped):
            raise self.error(
                f"Dòng {number} của tệp '{self.file_name}' là một bước của {self.group.label} nhưng trước đó không "
                f"có dòng tiêu đề bảng ({', '.join(COLUMN_LABELS.values())}): không xác định được các cột.",
                number,
            )
        elif match := _LIST_HEADING.match(stripped):
            self.group.listing = True
            if match["rest"].strip():
                self.group.items.append(self.procedure_item(match["rest"], number))
        elif self.group.listing and (match := _BULLET.match(stripped)):
            self.group.items.append(self.procedure_item(match["text"], number))

    def preamble(self, stripped: str, number: int) -> None:
        if self.sections:
            return
        if stripped.startswith("(") and "quyết định" in stripped.casefold():
            self.approval = stripped.strip("()").strip()
            self.approval_line = number
        else:
            self.title_lines.append(stripped)

    def start_section(self, match: re.Match[str], number: int) -> None:
        resolved = self.fields.resolve(match["name"])
        count = int(match["count"]) if match["count"] else None
        self.sections.append(
            FieldSection(
                rule=resolved.rule, line=number, declared_count=count, heading=match["name"], derived=resolved.derived
            )
        )

    def start_group(self, group_number: str, number: int) -> None:
        if not self.sections:
            raise self.error(
                f"\"Quy trình số {group_number}\" ở dòng {number} nằm trước mọi đề mục \"LĨNH VỰC …\": "
                "không biết quy trình thuộc lĩnh vực nào.",
                number,
            )
        self.group = _OpenGroup(section=self.sections[-1], number=group_number.zfill(2), line=number)

    def procedure_item(self, text: str, number: int) -> ProcedureItem:
        text = " ".join(text.split())
        match = _CODE.match(text)
        if match:
            return ProcedureItem(name=_clean_name(match["name"]), code=match["code"], line=number)
        if "mã tthc" in text.casefold():
            raise self.error(
                f"Không đọc được mã TTHC của thủ tục ở dòng {number} ({self.group.label}): "
                "mã phải có dạng \"Mã TTHC: 1.014881\".",
                number,
            )
        return ProcedureItem(name=_clean_name(text), code=None, line=number)

    @staticmethod
    def is_header(cells: list[str]) -> bool:
        text = normalise(" ".join(cells))
        return any(normalise(label) in text for label in COLUMN_LABELS.values())

    def read_header(self, cells: list[str], number: int) -> None:
        index: dict[str, int] = {}
        unit: str | None = None
        for position, cell in enumerate(cells):
            text = normalise(cell)
            if "thời gian" in text:
                kind = "time"
                unit = WORKING_DAYS if "ngày làm việc" in text else DAYS if "ngày" in text else None
            elif "nội dung" in text:
                kind = "content"
            elif "thực hiện" in text or "người" in text:
                kind = "performer"
            elif text.startswith(("thứ tự", "bước", "stt")):
                kind = "step"
            else:
                continue
            index.setdefault(kind, position)
        missing = [label for kind, label in COLUMN_LABELS.items() if kind not in index]
        if missing:
            raise self.error(
                f"Bảng các bước của {self.group.label} ở dòng {number} thiếu cột: {', '.join(missing)} "
                "(các cột phải cách nhau bằng dấu tab).",
                number,
            )
        # A repeated header (page break) simply replaces the column positions; the open step stays open.
        self.group.columns = _Columns(index=index, width=len(cells), unit=unit, line=number)

    def table_row(self, cells: list[str], stripped: str, number: int) -> None:
        group = self.group
        if len(cells) == 1:
            if _PAGE_NUMBER.match(stripped) or group.total is not None:
                return  # a page number, or text after the table (notes, signatures)
            raise self.error(
                f"Dòng {number} nằm trong bảng các bước của {group.label} nhưng không có các cột ngăn bởi dấu tab.",
                number,
            )
        cells = self.fit_to_header(cells, number)
        if any("tổng thời gian" in normalise(cell) for cell in cells):
            self.total_row(cells, number)
            return
        cell = {kind: cells[position] for kind, position in group.columns.index.items()}
        if match := _STEP.match(cell["step"]):
            self.open_step(int(match["number"]), number)
        elif cell["step"]:
            raise self.error(
                f"Cột \"{COLUMN_LABELS['step']}\" ở dòng {number} ({group.label}) ghi \"{cell['step']}\"; "
                "cần \"Bước <số>\" hoặc để trống cho phần tiếp theo của bước trên.",
                number,
            )
        elif group.step is None:
            raise self.error(
                f"Dòng {number} của bảng {group.label} không thuộc bước nào (cột thứ tự trống và chưa có bước trước).",
                number,
            )
        for kind in ("content", "performer", "time"):
            if cell[kind]:
                getattr(group.step, kind).append(cell[kind])

    def fit_to_header(self, cells: list[str], number: int) -> list[str]:
        """The row padded to the header's width; a row wider than its header is refused."""
        columns = self.group.columns
        extra = [cell for position, cell in enumerate(cells) if position >= columns.width and cell]
        if extra:
            raise self.error(
                f"Dòng {number} của bảng {self.group.label} có nhiều cột hơn dòng tiêu đề ở dòng {columns.line}.",
                number,
            )
        return cells + [""] * (columns.width - len(cells))

    def open_step(self, step_number: int, number: int) -> None:
        """A "Bước N" row closes the step above and opens the next one, which must come in order."""
        group = self.group
        self.close_step()
        if group.total is not None:
            raise self.error(
                f"Bước {step_number} ở dòng {number} nằm sau dòng tổng thời gian của {group.label} "
                f"(dòng {group.total_line}).",
                number,
            )
        if step_number != len(group.steps) + 1:
            raise self.error(
                f"Bước {step_number} ở dòng {number} của {group.label} không đúng thứ tự: "
                f"cần Bước {len(group.steps) + 1}.",
                number,
            )
        group.step = _OpenStep(number=step_number, line=number)

    def total_row(self, cells: list[str], number: int) -> None:
        group = self.group
        self.close_step()
        values = [cell for cell in cells if cell and "tổng thời gian" not in normalise(cell)]
        duration = parse_duration(values[-1], group.columns.unit) if values else None
        if duration is None or duration.days is None:
            raise self.error(
                f"Không đọc được tổng thời gian của {group.label} ở dòng {number}: cần dạng \"03 ngày làm việc\".",
                number,
            )
        group.total = duration
        group.total_line = number

    def close_step(self) -> None:
        group = self.group
        step = group.step
        if step is None:
            return
        group.step = None
        label = f"Bước {step.number} ở dòng {step.line} ({group.label})"
        if not step.time:
            raise self.error(f"{label} không có thời gian thực hiện.", step.line)
        time_text = " ".join(step.time)
        duration = parse_duration(time_text, group.columns.unit)
        if duration is None:
            raise self.error(
                f"{label} có thời gian \"{time_text}\" không đọc được: cần dạng \"0,25 ngày làm việc\", \"01 ngày\" "
                "hoặc \"Không tính thời gian\".",
                step.line,
            )
        if not step.performer:
            raise self.error(f"{label} không có người thực hiện.", step.line)
        group.steps.append(
            Step(
                number=step.number,
                line=step.line,
                content=" ".join(step.content),
                performer=" ".join(step.performer),
                duration=duration,
            )
        )

    def finish_group(self) -> None:
        group = self.group
        if group is None:
            return
        if group.columns is None:
            raise self.error(
                f"{group.label} (dòng {group.line}) không có bảng các bước với các cột "
                f"{', '.join(COLUMN_LABELS.values())}.",
                group.line,
            )
        self.close_step()
        self.group = None
        if not group.items:
            raise self.error(f"{group.label} (dòng {group.line}) không nêu tên thủ tục nào.", group.line)
        if not group.steps:
            raise self.error(f"{group.label} (dòng {group.line}) không có bước nào trong bảng.", group.line)
        if group.total is None:
            raise self.error(
                f"{group.label} (dòng {group.line}) không có dòng \"Tổng thời gian giải quyết TTHC\".", group.line
            )
        self.procedures.append(
            InternalProcedure(
                field=group.section.rule,
                number=group.number,
                line=group.line,
                last_line=group.total_line,  # the total row closes the table
                items=tuple(group.items),
                steps=tuple(group.steps),
                total=group.total,
                total_line=group.total_line,
                legal_basis=group.legal_basis,
            )
        )

    def finish(self) -> None:
        self.finish_group()


def _clean_name(text: str) -> str:
    return text.replace("**", "").strip().rstrip(";.,:–—- ").strip()
