"""The S-FEEL subset of decision-table cells, parsed once at deploy time and matched without Python `eval`.

Input entries are unary tests::

    tests    := "-" | "" | "not" "(" positives ")" | positives
    positives:= positive ("," positive)*
    positive := ("<" | "<=" | ">" | ">=") endpoint
              | ("[" | "]" | "(") endpoint ".." endpoint ("]" | "[" | ")")
              | literal
    literal  := "text" | 12 | -1.5 | true | false | null | date("2026-01-02") | date and time("2026-01-02T08:00:00")

Output entries are single literals (an empty cell is no value). Strings use double quotes with the escapes `\\"`,
`\\\\`, `\\n`, `\\t`, `\\r` and `\\uXXXX`; names, function calls and arithmetic are refused.

Values are compared in a normal form, computed once per input per evaluation:
- number: int or Decimal (a float goes through its shortest repr, so 0.1 matches the cell 0.1);
- date: naive datetime (a date is midnight; an aware datetime keeps its wall-clock time in its own zone, because
  cells are written in the deployment's local time);
- string, boolean and null as themselves.
A test meeting a value of another kind (a string against `< 10`) raises FeelTypeError, which the evaluator turns into
an error naming the decision, rule and input; null never matches a comparison, a range or a literal other than null.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import operator
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Iterable, NoReturn

from engine.errors import InvalidInput

__all__ = [
    "TYPE_REFS",
    "FeelSyntaxError",
    "FeelTypeError",
    "Literal",
    "UnaryTest",
    "coerce_input",
    "coerce_output",
    "kind_of",
    "parse_literal",
    "parse_literal_list",
    "parse_unary_tests",
]

# Camunda 7 typeRefs and the kind of value each one holds.
TYPE_REFS: dict[str, str] = {
    "string": "string",
    "integer": "number",
    "long": "number",
    "double": "number",
    "boolean": "boolean",
    "date": "date",
}
_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_ORDERED = frozenset({"number", "string", "date"})


class FeelSyntaxError(InvalidInput):
    """A cell outside the supported grammar; the DMN loader adds file, decision, rule and cell."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        super().__init__(f"Không đọc được '{text}' ở vị trí {position}: {reason}.", text=text, position=position)
        self.text = text
        self.position = position
        self.reason = reason


class FeelTypeError(InvalidInput):
    """A value of the wrong kind for a cell or a typeRef; the evaluator adds decision, rule and input."""

    def __init__(self, actual: str, expected: str) -> None:
        super().__init__(f"Giá trị kiểu {actual} không dùng được ở chỗ cần kiểu {expected}.", actual=actual,
                         expected=expected)
        self.actual = actual
        self.expected = expected


# --- values -------------------------------------------------------------------------------------------------------


def kind_of(value: Any) -> str:
    """The FEEL kind of a Python value: null, boolean, number, string, date, or the Python type name."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, date):
        return "date"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _normal(value: Any, kind: str) -> Any:
    if kind == "number":
        if isinstance(value, float):
            if value != value:
                raise FeelTypeError("NaN", "number")
            return Decimal(repr(value))
        return value
    if kind == "date":
        if not isinstance(value, datetime):
            return datetime.combine(value, time())
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def _parse_iso(text: str) -> date | datetime:
    """A Camunda date ("2026-01-02T00:00:00") or an ISO date; ValueError otherwise."""
    if "T" in text:
        return datetime.fromisoformat(text)
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def coerce_input(value: Any, type_ref: str | None) -> tuple[Any, str]:
    """Check `value` against the input's typeRef and return it in normal form with its kind."""
    kind = kind_of(value)
    if kind == "null":
        return None, "null"
    if type_ref is None:
        return (_normal(value, kind), kind) if kind in ("number", "date") else (value, kind)
    want = TYPE_REFS[type_ref]
    if want == "date" and kind == "string":
        try:
            value, kind = _parse_iso(value), "date"
        except ValueError:
            raise FeelTypeError("string (không phải ngày ISO 8601)", type_ref) from None
    if kind != want:
        raise FeelTypeError(kind, type_ref)
    if type_ref in _INT_RANGES:
        if not isinstance(value, int):
            if value != value or value in (float("inf"), float("-inf")) or value != int(value):
                raise FeelTypeError("number (không phải số nguyên)", type_ref)
            value = int(value)
        low, high = _INT_RANGES[type_ref]
        if not low <= value <= high:
            raise FeelTypeError("number (vượt giới hạn)", type_ref)
        return value, kind
    return _normal(value, kind), kind


def coerce_output(literal: Literal, type_ref: str | None) -> Any:
    """The value an output entry yields, typed by the output's typeRef; FeelTypeError when it cannot be."""
    value, kind = literal.value, literal.kind
    if kind == "null":
        return None
    if type_ref is None:
        if kind == "number":
            return int(value) if value == int(value) else float(value)
        return value
    want = TYPE_REFS[type_ref]
    if want == "date" and kind == "string":
        try:
            return _parse_iso(value)
        except ValueError:
            raise FeelTypeError("string (không phải ngày ISO 8601)", type_ref) from None
    if kind != want:
        raise FeelTypeError(kind, type_ref)
    if type_ref in _INT_RANGES:
        if value != int(value):
            raise FeelTypeError("number (không phải số nguyên)", type_ref)
        low, high = _INT_RANGES[type_ref]
        if not low <= int(value) <= high:
            raise FeelTypeError("number (vượt giới hạn)", type_ref)
        return int(value)
    if type_ref == "double":
        return float(value)
    return value


class Literal:
    """A constant written in a cell: its Python value (Decimal/int for numbers, date or datetime) and its kind."""

    __slots__ = ("value", "kind")

    def __init__(self, value: Any, kind: str) -> None:
        self.value = value
        self.kind = kind

    def __repr__(self) -> str:
        return f"Literal({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Literal) and (self.kind, self.value) == (other.kind, other.value)

    def __hash__(self) -> int:
        return hash((self.kind, self.value))


# --- tokens -------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<num>[0-9]+(?:\.[0-9]+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\.\.|<=|>=|[<>\[\]\(\),\-])
      | (?P<str>")
    """,
    re.VERBOSE,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
_REFUSED = {
    "'": "chuỗi trong FEEL phải đặt trong dấu nháy kép (\"...\")",
    "=": "không cần dấu '=': viết thẳng giá trị cần so khớp",
    "!": "phép phủ định viết là not(...)",
    "+": "phép tính số học không được hỗ trợ trong ô",
    "*": "phép tính số học không được hỗ trợ trong ô",
    "/": "phép tính số học không được hỗ trợ trong ô",
    "?": "biểu thức này không được hỗ trợ trong ô",
    "$": "biểu thức ${...} không dùng trong bảng quyết định",
    "{": "ngữ cảnh {...} không được hỗ trợ trong ô",
    ".": "dấu '.' chỉ dùng trong số thập phân hoặc khoảng 'a..b'",
}


class _Tok:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind: str, value: Any, pos: int) -> None:
        self.kind = kind  # "num" | "name" | "op" | "str" | "end"
        self.value = value
        self.pos = pos  # 1-based


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i = 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if match is None:
            ch = text[i]
            _fail(text, i + 1, _REFUSED.get(ch, f"ký tự '{ch}' không hợp lệ"))
        kind = match.lastgroup
        if kind == "str":
            value, i = _read_string(text, i)
            tokens.append(_Tok("str", value, match.start() + 1))
            continue
        if kind == "num" and match.end() < len(text) and (text[match.end()].isalpha() or text[match.end()] == "_"):
            _fail(text, i + 1, f"số '{match.group()}' viết không đúng")
        if kind != "space":
            value = match.group()
            if kind == "num":
                value = Decimal(value) if "." in value else int(value)
            tokens.append(_Tok(kind, value, match.start() + 1))
        i = match.end()
    tokens.append(_Tok("end", None, len(text) + 1))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(parts), i + 1
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                parts.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2 : i + 6]):
                parts.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            _fail(text, i + 1, f"ký tự thoát '\\{nxt}' không hợp lệ")
        parts.append(ch)
        i += 1
    _fail(text, start + 1, "chuỗi chưa được đóng dấu nháy kép")


def _fail(text: str, position: int, reason: str) -> NoReturn:
    raise FeelSyntaxError(text, position, reason)


# --- unary tests --------------------------------------------------------------------------------------------------


class UnaryTest(ABC):
    """A compiled input entry. `matches(value, kind)` takes the value in normal form (see coerce_input)."""

    __slots__ = ("kinds",)
    kinds: frozenset[str]  # kinds of the literals written in the cell, for the deploy-time typeRef check

    @abstractmethod
    def matches(self, value: Any, kind: str) -> bool:
        """Whether the cell accepts `value` (of FEEL kind `kind`)."""


class IsNull(UnaryTest):
    __slots__ = ()

    def __init__(self) -> None:
        self.kinds = frozenset({"null"})

    def matches(self, value: Any, kind: str) -> bool:
        return value is None


class OneOf(UnaryTest):
    """Equality with one or more literals of one kind (the common `"a","b"` cell): a set lookup."""

    __slots__ = ("kind", "values", "with_null")

    def __init__(self, kind: str, values: Iterable[Any], with_null: bool) -> None:
        self.kind = kind
        self.values = frozenset(values)
        self.with_null = with_null
        self.kinds = frozenset({kind, "null"} if with_null else {kind})

    def matches(self, value: Any, kind: str) -> bool:
        if kind == self.kind:
            return value in self.values
        if value is None:
            return self.with_null
        raise FeelTypeError(kind, self.kind)


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Comparison(UnaryTest):
    __slots__ = ("kind", "op", "bound", "_compare")

    def __init__(self, op: str, bound: Literal) -> None:
        self.kind = bound.kind
        self.op = op
        self.bound = _normal(bound.value, bound.kind)
        self.kinds = frozenset({bound.kind})
        self._compare = _COMPARE[op]

    def matches(self, value: Any, kind: str) -> bool:
        if kind == self.kind:
            return self._compare(value, self.bound)
        if value is None:
            return False
        raise FeelTypeError(kind, self.kind)


class Interval(UnaryTest):
    __slots__ = ("kind", "low", "high", "low_closed", "high_closed")

    def __init__(self, low: Literal, high: Literal, low_closed: bool, high_closed: bool) -> None:
        self.kind = low.kind
        self.low = _normal(low.value, low.kind)
        self.high = _normal(high.value, high.kind)
        self.low_closed = low_closed
        self.high_closed = high_closed
        self.kinds = frozenset({low.kind})

    def matches(self, value: Any, kind: str) -> bool:
        if kind == self.kind:
            if value < self.low or (value == self.low and not self.low_closed):
                return False
            return value < self.high or (value == self.high and self.high_closed)
        if value is None:
            return False
        raise FeelTypeError(kind, self.kind)


class AnyOf(UnaryTest):
    __slots__ = ("tests",)

    def __init__(self, tests: list[UnaryTest]) -> None:
        self.tests = tuple(tests)
        self.kinds = frozenset().union(*(t.kinds for t in tests))

    def matches(self, value: Any, kind: str) -> bool:
        for test in self.tests:
            if test.matches(value, kind):
                return True
        return False


class Negation(UnaryTest):
    __slots__ = ("inner",)

    def __init__(self, inner: UnaryTest) -> None:
        self.inner = inner
        self.kinds = inner.kinds

    def matches(self, value: Any, kind: str) -> bool:
        return not self.inner.matches(value, kind)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.index]

    def _is(self, kind: str, value: Any = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (value is None or tok.value == value)

    def _expect_op(self, value: str, reason: str) -> None:
        if not self._is("op", value):
            _fail(self.text, self.tok.pos, reason)
        self.index += 1

    def end(self) -> None:
        if self.tok.kind != "end":
            shown = f'"{self.tok.value}"' if self.tok.kind == "str" else str(self.tok.value)
            _fail(self.text, self.tok.pos, f"không chờ đợi '{shown}' ở đây")

    def tests(self) -> UnaryTest:
        if self._is("name", "not"):
            self.index += 1
            self._expect_op("(", "sau 'not' phải có '('")
            inner = self.positives()
            self._expect_op(")", "thiếu dấu ')' đóng not(...)")
            return Negation(inner)
        return self.positives()

    def positives(self) -> UnaryTest:
        start = self.tok.pos
        tests = [self.positive()]
        while self._is("op", ","):
            self.index += 1
            tests.append(self.positive())
        kinds = {k for t in tests for k in t.kinds} - {"null"}
        if len(kinds) > 1:
            _fail(self.text, start, f"các giá trị trong một ô phải cùng kiểu, ở đây có {', '.join(sorted(kinds))}")
        if len(tests) == 1:
            return tests[0]
        if all(isinstance(t, (OneOf, IsNull)) for t in tests) and kinds:
            values = [v for t in tests if isinstance(t, OneOf) for v in t.values]
            return OneOf(kinds.pop(), values, any(isinstance(t, IsNull) for t in tests))
        return AnyOf(tests)

    def positive(self) -> UnaryTest:
        tok = self.tok
        if tok.kind == "op" and tok.value in _COMPARE:
            self.index += 1
            bound = self.endpoint()
            return Comparison(tok.value, bound)
        if tok.kind == "op" and tok.value in ("[", "]", "("):
            return self.interval()
        literal = self.literal()
        if literal.kind == "null":
            return IsNull()
        return OneOf(literal.kind, [_normal(literal.value, literal.kind)], with_null=False)

    def interval(self) -> UnaryTest:
        opening = self.tok
        self.index += 1
        low = self.endpoint()
        self._expect_op("..", "khoảng phải viết dạng [a..b]")
        high = self.endpoint()
        closing = self.tok
        if not (closing.kind == "op" and closing.value in ("]", "[", ")")):
            _fail(self.text, closing.pos, "thiếu dấu ']', '[' hoặc ')' đóng khoảng")
        self.index += 1
        if low.kind != high.kind:
            _fail(self.text, opening.pos, f"hai đầu khoảng phải cùng kiểu, ở đây là {low.kind} và {high.kind}")
        if _normal(low.value, low.kind) > _normal(high.value, high.kind):
            _fail(self.text, opening.pos, "đầu dưới của khoảng lớn hơn đầu trên")
        return Interval(low, high, low_closed=opening.value == "[", high_closed=closing.value == "]")

    def endpoint(self) -> Literal:
        pos = self.tok.pos
        literal = self.literal()
        if literal.kind not in _ORDERED:
            _fail(self.text, pos, f"chỉ so sánh thứ tự được số, chuỗi và ngày, không phải {literal.kind}")
        return literal

    def literal(self) -> Literal:
        tok = self.tok
        if tok.kind == "str":
            self.index += 1
            return Literal(tok.value, "string")
        if tok.kind == "num":
            self.index += 1
            return Literal(tok.value, "number")
        if tok.kind == "op" and tok.value == "-":
            self.index += 1
            if not self._is("num"):
                _fail(self.text, tok.pos, "dấu '-' chỉ đứng một mình (mọi giá trị) hoặc trước một số")
            value = self.tok.value
            self.index += 1
            return Literal(-value, "number")
        if tok.kind == "name":
            if tok.value in ("true", "false"):
                self.index += 1
                return Literal(tok.value == "true", "boolean")
            if tok.value == "null":
                self.index += 1
                return Literal(None, "null")
            if tok.value == "date":
                return self.date_literal()
            self.index += 1
            if self._is("op", "("):
                _fail(self.text, tok.pos, f"hàm '{tok.value}(...)' không được hỗ trợ, chỉ có date(...) và "
                                          "date and time(...)")
            _fail(self.text, tok.pos, f"tên '{tok.value}' không dùng được trong ô, hãy viết giá trị cố định "
                                      "(chuỗi đặt trong dấu nháy kép)")
        if tok.kind == "end":
            _fail(self.text, tok.pos, "ô kết thúc khi còn thiếu giá trị")
        _fail(self.text, tok.pos, f"không chờ đợi '{tok.value}' ở đây")

    def date_literal(self) -> Literal:
        start = self.tok.pos
        self.index += 1
        with_time = False
        if self._is("name", "and"):
            self.index += 1
            if not self._is("name", "time"):
                _fail(self.text, self.tok.pos, "chỉ hỗ trợ date(...) và date and time(...)")
            self.index += 1
            with_time = True
        self._expect_op("(", "sau 'date' phải có '('")
        if not self._is("str"):
            _fail(self.text, self.tok.pos, "date(...) cần một chuỗi ngày trong dấu nháy kép")
        text = self.tok.value
        self.index += 1
        self._expect_op(")", "thiếu dấu ')' đóng date(...)")
        try:
            value = datetime.fromisoformat(text) if with_time else _parse_iso(text)
        except ValueError:
            _fail(self.text, start, f"'{text}' không phải ngày hợp lệ (dạng 2026-01-02 hoặc 2026-01-02T08:00:00)")
        if isinstance(value, datetime) and value.tzinfo is not None:
            _fail(self.text, start, "thời điểm trong ô không được kèm múi giờ")
        return Literal(value, "date")


def parse_unary_tests(text: str) -> UnaryTest | None:
    """Compile an input entry; None means "any value" (`-` or an empty cell)."""
    stripped = text.strip()
    if stripped in ("", "-"):
        return None
    parser = _Parser(text)
    test = parser.tests()
    parser.end()
    return test


def parse_literal(text: str) -> Literal | None:
    """Compile an output entry; None for an empty cell (Camunda leaves that output out of the row)."""
    if not text.strip():
        return None
    parser = _Parser(text)
    literal = parser.literal()
    parser.end()
    return literal


def parse_literal_list(text: str) -> list[Literal]:
    """Compile `"a","b","c"` (outputValues / inputValues lists) into literals, in order."""
    parser = _Parser(text)
    literals = [parser.literal()]
    while parser._is("op", ","):
        parser.index += 1
        literals.append(parser.literal())
    parser.end()
    return literals
