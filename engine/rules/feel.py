"""S-FEEL (DMN 1.5 §9) for decision-table cells: parsed once at deploy time, evaluated without Python `eval`.

Input entries are simple unary tests::

    tests    := "-" | "" | "not" "(" positives ")" | positives
    positives:= positive ("," positive)*
    positive := ("<" | "<=" | ">" | ">=") endpoint
              | ("[" | "]" | "(") endpoint ".." endpoint ("]" | "[" | ")")
              | endpoint
    endpoint := literal | name            (a name may hold spaces and be qualified: `Another boolean`, `a.b`)
    literal  := "text" | 12 | -1.5 | true | false | null | @"2026-01-02"
              | date("…") | time("…") | date and time("…") | duration("P1D")

Output entries and input expressions are simple expressions: literals and names combined with `+ - * / **`,
negation, parentheses and the comparisons `= != < <= > >=` (an empty output cell is no value). Strings use double
quotes with the escapes `\\"`, `\\\\`, `\\n`, `\\t`, `\\r` and `\\uXXXX`. Function calls other than the literal
constructors are refused.

A name in a cell is read at evaluation time from the decision's context (its inputs' data and the results of the
decisions it requires). FEEL null semantics: a comparison with null is null, so the rule does not match; arithmetic
with null or on values of kinds that do not combine gives null. A test meeting a value of another kind raises
FeelTypeError; the evaluator turns it into an error (strict tables) or into "no match" (FEEL tables).
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any, Iterable, NoReturn

from engine.errors import InvalidInput
from engine.rules.feel_types import (
    ORDERED,
    TYPE_REFS,
    FeelTypeError,
    YearsMonths,
    coerce_input,
    kind_of,
    normal,
    parse_duration,
    parse_iso,
    parse_time,
)

__all__ = [
    "TYPE_REFS",
    "Expression",
    "FeelSyntaxError",
    "FeelTypeError",
    "Literal",
    "UnaryTest",
    "coerce_input",
    "coerce_output",
    "kind_of",
    "parse_expression",
    "parse_literal",
    "parse_literal_list",
    "parse_unary_tests",
]


class FeelSyntaxError(InvalidInput):
    """A cell outside the supported grammar; the DMN loader adds file, decision, rule and cell."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        super().__init__(f"Không đọc được '{text}' ở vị trí {position}: {reason}.", text=text, position=position)
        self.text = text
        self.position = position
        self.reason = reason


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


def coerce_output(literal: Literal, type_ref: str | None) -> Any:
    """The value a constant output entry yields, typed by the output's typeRef; FeelTypeError when it cannot be."""
    from engine.rules.feel_types import coerce_value

    return coerce_value(literal.value, literal.kind, type_ref)


# --- names --------------------------------------------------------------------------------------------------------


class MissingName(Exception):
    """A name read in a strict table (see StrictScope) that the data does not hold."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class StrictScope(Mapping):
    """The data of a strict table (saved for Camunda 7) as cells see it: a name the data does not hold is an error,
    not FEEL's null, so a text value written without quotes (`complete` for `"complete"`) is caught, not silently
    unmatched."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        if key in self.data:
            return True
        raise MissingName(str(key))

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def resolve(env: Mapping[str, Any] | None, parts: tuple[str, ...]) -> tuple[Any, str]:
    """The normal form and kind of a (qualified) name in `env`; a missing name is null, as FEEL has it."""
    value: Any = env
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            return None, "null"
        value = value[part]
    kind = kind_of(value)
    if kind in ("number", "date", "time"):
        return normal(value, kind), kind
    return value, kind


# --- tokens -------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
      | (?P<name>[^\W\d]\w*)
      | (?P<op>\.\.|\*\*|<=|>=|!=|[<>\[\]\(\),\-+*/=.@])
      | (?P<str>")
    """,
    re.VERBOSE,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
_REFUSED = {
    "'": "chuỗi trong FEEL phải đặt trong dấu nháy kép (\"...\")",
    "!": "phép phủ định viết là not(...)",
    "?": "biểu thức này không được hỗ trợ trong ô",
    "$": "biểu thức ${...} không dùng trong bảng quyết định",
    "{": "ngữ cảnh {...} không được hỗ trợ trong ô",
}
_ARITHMETIC = "phép tính số học không được hỗ trợ trong ô điều kiện (chỉ dùng trong ô đầu ra)"
# Words that end a name: keywords of the grammar and the literal constructors.
_KEYWORDS = frozenset({"not", "true", "false", "null", "and", "or", "in", "between", "instance", "of"})
_CONSTRUCTORS = ("date and time", "date", "time", "duration")


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


# --- simple expressions (output entries, input expressions) -------------------------------------------------------


class Expression(ABC):
    """A compiled simple expression; `evaluate(env)` gives (value in normal form, kind)."""

    __slots__ = ()

    @abstractmethod
    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        """Value and kind of the expression in `env`."""


class Const(Expression):
    __slots__ = ("literal",)

    def __init__(self, literal: Literal) -> None:
        self.literal = literal

    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        return normal(self.literal.value, self.literal.kind), self.literal.kind


class Name(Expression):
    __slots__ = ("parts", "text")

    def __init__(self, parts: tuple[str, ...]) -> None:
        self.parts = parts
        self.text = ".".join(parts)

    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        return resolve(env, self.parts)


class Negate(Expression):
    __slots__ = ("inner",)

    def __init__(self, inner: Expression) -> None:
        self.inner = inner

    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        value, kind = self.inner.evaluate(env)
        if kind == "number":
            return -value, kind
        if kind == "duration":
            return -value, kind
        if kind == "ym":
            return YearsMonths(-value.months), kind
        return None, "null"


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Compare(Expression):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expression, right: Expression) -> None:
        self.op, self.left, self.right = op, left, right

    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        a, ka = self.left.evaluate(env)
        b, kb = self.right.evaluate(env)
        if self.op in ("=", "!="):
            if ka == "null" or kb == "null":
                equal = ka == kb
            elif ka != kb:
                return None, "null"
            else:
                equal = a == b
            return (equal if self.op == "=" else not equal), "boolean"
        if ka != kb or ka not in ORDERED:
            return None, "null"
        return _COMPARE[self.op](a, b), "boolean"


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    # FEEL keeps the day when it exists, else the last day of the month
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(moment)


def _arith(op: str, a: Any, ka: str, b: Any, kb: str) -> tuple[Any, str]:
    with localcontext() as ctx:
        ctx.prec = 34  # FEEL numbers are IEEE 754-2008 Decimal128
        if ka == kb == "number":
            if op == "+":
                return a + b, "number"
            if op == "-":
                return a - b, "number"
            if op == "*":
                return a * b, "number"
            if op == "/":
                if b == 0:
                    return None, "null"
                result = Decimal(a) / Decimal(b)
                return (int(result) if result == result.to_integral_value() else result.normalize()), "number"
            if op == "**":
                try:
                    result = Decimal(a) ** Decimal(b)
                except (InvalidOperation, DivisionByZero, OverflowError):
                    return None, "null"
                return (int(result) if result == result.to_integral_value() else result), "number"
        if op == "+" and ka == kb == "string":
            return a + b, "string"
        if op in "+-" and ka == "date" and kb == "duration":
            return (a + b if op == "+" else a - b), "date"
        if op in "+-" and ka == "date" and kb == "ym":
            return _add_months(a, b.months if op == "+" else -b.months), "date"
        if op == "+" and ka in ("duration", "ym") and kb == "date":
            return _arith(op, b, kb, a, ka)
        if op == "-" and ka == kb == "date":
            return a - b, "duration"
        if op in "+-" and ka == "time" and kb == "duration":
            moment = datetime.combine(date(2000, 1, 1), a) + (b if op == "+" else -b)
            return moment.time(), "time"
        if op == "-" and ka == kb == "time":
            return datetime.combine(date(2000, 1, 1), a) - datetime.combine(date(2000, 1, 1), b), "duration"
        if op in "+-" and ka == kb == "duration":
            return (a + b if op == "+" else a - b), "duration"
        if op in "+-" and ka == kb == "ym":
            return YearsMonths(a.months + b.months if op == "+" else a.months - b.months), "ym"
        if op in "*/" and ka == "duration" and kb == "number" and not (op == "/" and b == 0):
            seconds = Decimal(a.total_seconds()) * (b if op == "*" else 1 / Decimal(b))
            return timedelta(seconds=float(seconds)), "duration"
        if op == "*" and ka == "number" and kb == "duration":
            return _arith(op, b, kb, a, ka)
    return None, "null"


class Arithmetic(Expression):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expression, right: Expression) -> None:
        self.op, self.left, self.right = op, left, right

    def evaluate(self, env: Mapping[str, Any] | None) -> tuple[Any, str]:
        a, ka = self.left.evaluate(env)
        b, kb = self.right.evaluate(env)
        if ka == "null" or kb == "null":
            return None, "null"
        return _arith(self.op, a, ka, b, kb)


# --- unary tests --------------------------------------------------------------------------------------------------


class UnaryTest(ABC):
    """A compiled input entry. `matches(value, kind, env)` takes the value in normal form (see coerce_input) and
    the decision's context, where names written in the cell are read."""

    __slots__ = ("kinds",)
    kinds: frozenset[str]  # kinds of the constants written in the cell, for the deploy-time typeRef check

    @abstractmethod
    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        """Whether the cell accepts `value` (of FEEL kind `kind`)."""


class IsNull(UnaryTest):
    __slots__ = ()

    def __init__(self) -> None:
        self.kinds = frozenset({"null"})

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        return value is None


class OneOf(UnaryTest):
    """Equality with one or more constants of one kind (the common `"a","b"` cell): a set lookup."""

    __slots__ = ("kind", "values", "with_null")

    def __init__(self, kind: str, values: Iterable[Any], with_null: bool) -> None:
        self.kind = kind
        self.values = frozenset(values)
        self.with_null = with_null
        self.kinds = frozenset({kind, "null"} if with_null else {kind})

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        if kind == self.kind:
            return value in self.values
        if value is None:
            return self.with_null
        raise FeelTypeError(kind, self.kind)


class EqualsName(UnaryTest):
    """Equality with the value of a name (`dateE`, `structA.price`)."""

    __slots__ = ("name",)

    def __init__(self, name: Name) -> None:
        self.name = name
        self.kinds = frozenset()

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        other, other_kind = self.name.evaluate(env)
        if value is None or other is None:
            return value is None and other is None
        if other_kind == "list" and kind != "list":
            # DMN 1.2+ (§10.3.2.9): a unary test whose expression is a list holds when the input is in the list.
            return any(self._equal(value, kind, item, kind_of(item)) for item in other)
        return self._equal(value, kind, other, other_kind)

    @staticmethod
    def _equal(value: Any, kind: str, other: Any, other_kind: str) -> bool:
        if value is None or other is None:
            return value is None and other is None
        if other_kind != kind:
            other, other_kind = _align(other, other_kind, kind)
        if other_kind != kind:
            raise FeelTypeError(kind, other_kind)
        return value == other


def _bound(end: Literal | Name, env: Mapping[str, Any] | None) -> tuple[Any, str]:
    if isinstance(end, Name):
        return end.evaluate(env)
    return end.value, end.kind


def _align(value: Any, kind: str, want: str) -> tuple[Any, str]:
    """A name's value read from JSON data is a string where the column holds dates, times or durations (JSON has
    none): read it as the column's kind, as the column's own typeRef reads its input."""
    if kind == "string" and want in ("date", "time", "duration", "ym"):
        try:
            return coerce_input(value, {"date": "date", "time": "time", "duration": "days and time duration",
                                        "ym": "years and months duration"}[want])
        except FeelTypeError:
            return value, kind
    return value, kind


class Comparison(UnaryTest):
    __slots__ = ("kind", "op", "bound", "name", "_compare")

    def __init__(self, op: str, bound: Literal | Name) -> None:
        self.op = op
        self._compare = _COMPARE[op]
        if isinstance(bound, Name):
            self.kind, self.bound, self.name = None, None, bound
            self.kinds = frozenset()
        else:
            self.kind, self.bound, self.name = bound.kind, normal(bound.value, bound.kind), None
            self.kinds = frozenset({bound.kind})

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        if self.name is None:
            bound, bound_kind = self.bound, self.kind
        else:
            bound, bound_kind = self.name.evaluate(env)
            if bound_kind != kind:
                bound, bound_kind = _align(bound, bound_kind, kind)
        if kind == bound_kind:
            return self._compare(value, bound)
        if value is None or bound is None:
            return False  # a comparison with null is null: no match
        raise FeelTypeError(kind, bound_kind)


class Interval(UnaryTest):
    __slots__ = ("low", "high", "low_closed", "high_closed")

    def __init__(self, low: Literal | Name, high: Literal | Name, low_closed: bool, high_closed: bool) -> None:
        self.low = low if isinstance(low, Name) else Literal(normal(low.value, low.kind), low.kind)
        self.high = high if isinstance(high, Name) else Literal(normal(high.value, high.kind), high.kind)
        self.low_closed = low_closed
        self.high_closed = high_closed
        self.kinds = frozenset(e.kind for e in (low, high) if isinstance(e, Literal))

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        low, low_kind = _align(*_bound(self.low, env), kind)
        high, high_kind = _align(*_bound(self.high, env), kind)
        if value is None or low is None or high is None:
            return False
        for bound_kind in (low_kind, high_kind):
            if bound_kind != kind:
                raise FeelTypeError(kind, bound_kind)
        if value < low or (value == low and not self.low_closed):
            return False
        return value < high or (value == high and self.high_closed)


class AnyOf(UnaryTest):
    __slots__ = ("tests",)

    def __init__(self, tests: list[UnaryTest]) -> None:
        self.tests = tuple(tests)
        self.kinds = frozenset().union(*(t.kinds for t in tests))

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        for test in self.tests:
            if test.matches(value, kind, env):
                return True
        return False


class Negation(UnaryTest):
    __slots__ = ("inner",)

    def __init__(self, inner: UnaryTest) -> None:
        self.inner = inner
        self.kinds = inner.kinds

    def matches(self, value: Any, kind: str, env: Mapping[str, Any] | None = None) -> bool:
        return not self.inner.matches(value, kind, env)


def reads_names(test: UnaryTest) -> bool:
    """Whether a compiled input entry reads a name from the data."""
    if isinstance(test, EqualsName):
        return True
    if isinstance(test, Comparison):
        return test.name is not None
    if isinstance(test, Interval):
        return isinstance(test.low, Name) or isinstance(test.high, Name)
    if isinstance(test, AnyOf):
        return any(reads_names(t) for t in test.tests)
    if isinstance(test, Negation):
        return reads_names(test.inner)
    return False


# --- the parser ---------------------------------------------------------------------------------------------------


_MAX_DEPTH = 64  # parentheses and signs nested deeper than any table needs: refused, not a RecursionError
_MAX_TOKENS = 400


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

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

    def end(self, in_test: bool = False) -> None:
        tok = self.tok
        if tok.kind == "end":
            return
        if in_test and tok.kind == "op" and tok.value in ("+", "*", "/", "**"):
            _fail(self.text, tok.pos, _ARITHMETIC)
        if in_test and tok.kind == "op" and tok.value == "=":
            _fail(self.text, tok.pos, "không cần dấu '=': viết thẳng giá trị cần so khớp")
        shown = f'"{tok.value}"' if tok.kind == "str" else str(tok.value)
        _fail(self.text, tok.pos, f"không chờ đợi '{shown}' ở đây")

    # unary tests

    def tests(self) -> UnaryTest:
        if self._is("name", "not") and self.tokens[self.index + 1].kind == "op" \
                and self.tokens[self.index + 1].value == "(":
            self.index += 2
            inner = self.positives()
            self._expect_op(")", "thiếu dấu ')' đóng not(...)")
            return Negation(inner)
        if self._is("name", "not"):
            _fail(self.text, self.tok.pos + 4, "sau 'not' phải có '('")
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
            return Comparison(tok.value, self.endpoint())
        if tok.kind == "op" and tok.value in ("[", "]", "("):
            return self.interval()
        if tok.kind == "op" and tok.value == "=":
            _fail(self.text, tok.pos, "không cần dấu '=': viết thẳng giá trị cần so khớp")
        if tok.kind == "op" and tok.value in ("+", "*", "/"):
            _fail(self.text, tok.pos, _ARITHMETIC)
        value = self.value()
        if isinstance(value, Name):
            return EqualsName(value)
        if value.kind == "null":
            return IsNull()
        return OneOf(value.kind, [normal(value.value, value.kind)], with_null=False)

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
        if isinstance(low, Literal) and isinstance(high, Literal):
            if low.kind != high.kind:
                _fail(self.text, opening.pos, f"hai đầu khoảng phải cùng kiểu, ở đây là {low.kind} và {high.kind}")
            if normal(low.value, low.kind) > normal(high.value, high.kind):
                _fail(self.text, opening.pos, "đầu dưới của khoảng lớn hơn đầu trên")
        return Interval(low, high, low_closed=opening.value == "[", high_closed=closing.value == "]")

    def endpoint(self) -> Literal | Name:
        pos = self.tok.pos
        value = self.value()
        if isinstance(value, Literal) and value.kind not in ORDERED:
            _fail(self.text, pos, f"chỉ so sánh thứ tự được số, chuỗi và ngày (giờ, khoảng thời gian), không phải "
                                  f"{value.kind}")
        return value

    def value(self) -> Literal | Name:
        """A constant or a (qualified) name: what S-FEEL calls a simple value."""
        tok = self.tok
        if tok.kind == "op" and tok.value == "-":
            self.index += 1
            if not self._is("num"):
                _fail(self.text, tok.pos, "dấu '-' chỉ đứng một mình (mọi giá trị) hoặc trước một số")
            number = self.tok.value
            self.index += 1
            return Literal(-number, "number")
        if tok.kind == "name" and tok.value not in _KEYWORDS and not self._constructor_ahead():
            return self.name()
        return self.literal()

    def _constructor_ahead(self) -> str | None:
        """The literal constructor (`date and time`, `date`, `time`, `duration`) starting here and followed by "(",
        or None."""
        for constructor in _CONSTRUCTORS:
            words = constructor.split()
            ahead = self.tokens[self.index : self.index + len(words) + 1]
            if len(ahead) == len(words) + 1 and all(t.kind == "name" and t.value == w for t, w in zip(ahead, words)) \
                    and ahead[-1].kind == "op" and ahead[-1].value == "(":
                return constructor
        return None

    def name(self) -> Name:
        """Words separated by spaces form one name (`Another boolean`); dots qualify it (`structA.price`)."""
        parts = [self._words()]
        while self._is("op", ".") and self.tokens[self.index + 1].kind == "name":
            self.index += 1
            parts.append(self._words())
        if self._is("op", "("):
            _fail(self.text, self.tok.pos, f"hàm '{parts[-1]}(...)' không được hỗ trợ, chỉ có date(...), time(...), "
                                           "date and time(...) và duration(...)")
        return Name(tuple(parts))

    def _words(self) -> str:
        words = [self.tok.value]
        self.index += 1
        while self._is("name") and self.tok.value not in ("true", "false", "null"):  # "Years of Service"
            words.append(self.tok.value)
            self.index += 1
        return " ".join(words)

    def literal(self) -> Literal:
        tok = self.tok
        if tok.kind == "str":
            self.index += 1
            return Literal(tok.value, "string")
        if tok.kind == "num":
            self.index += 1
            return Literal(tok.value, "number")
        if tok.kind == "op" and tok.value == "@":
            self.index += 1
            if not self._is("str"):
                _fail(self.text, self.tok.pos, "sau '@' phải là một chuỗi ngày giờ trong dấu nháy kép")
            return self._temporal(None, tok.pos)
        if tok.kind == "name":
            if tok.value in ("true", "false"):
                self.index += 1
                return Literal(tok.value == "true", "boolean")
            if tok.value == "null":
                self.index += 1
                return Literal(None, "null")
            constructor = self._constructor_ahead()
            if constructor is not None:
                self.index += len(constructor.split()) + 1
                if not self._is("str"):
                    _fail(self.text, self.tok.pos, f"{constructor}(...) cần một chuỗi trong dấu nháy kép")
                literal = self._temporal(constructor, tok.pos)
                self._expect_op(")", f"thiếu dấu ')' đóng {constructor}(...)")
                return literal
            self.index += 1
            if self._is("op", "("):
                _fail(self.text, tok.pos, f"hàm '{tok.value}(...)' không được hỗ trợ, chỉ có date(...), time(...), "
                                          "date and time(...) và duration(...)")
            _fail(self.text, tok.pos, f"tên '{tok.value}' không dùng được ở đây")
        if tok.kind == "end":
            _fail(self.text, tok.pos, "ô kết thúc khi còn thiếu giá trị")
        if tok.kind == "op" and tok.value in ("+", "*", "/"):
            _fail(self.text, tok.pos, _ARITHMETIC)
        _fail(self.text, tok.pos, f"không chờ đợi '{tok.value}' ở đây")

    def _temporal(self, constructor: str | None, start: int) -> Literal:
        """The string token at point read as `constructor` ("date", "time", "date and time", "duration"), or for an
        @-literal as whichever of them its text is."""
        text = self.tok.value
        self.index += 1
        try:
            if constructor == "duration" or (constructor is None and text.lstrip("-").startswith("P")):
                value = parse_duration(text)
                return Literal(value, kind_of(value))
            if constructor == "time" or (constructor is None and ":" in text and "-" not in text[:5]):
                value = parse_time(text)
                return Literal(value, "time")
            value = datetime.fromisoformat(text) if constructor == "date and time" else parse_iso(text)
        except ValueError:
            what = {"duration": "khoảng thời gian", "time": "giờ"}.get(constructor or "", "ngày")
            _fail(self.text, start, f"'{text}' không phải {what} hợp lệ (dạng 2026-01-02, 2026-01-02T08:00:00, "
                                    "08:00:00 hoặc P1DT2H)")
        if isinstance(value, datetime) and value.tzinfo is not None:
            _fail(self.text, start, "thời điểm trong ô không được kèm múi giờ")
        return Literal(value, "date")

    # simple expressions

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            _fail(self.text, self.tok.pos, f"biểu thức lồng quá {_MAX_DEPTH} tầng")

    def expression(self) -> Expression:
        left = self.additive()
        tok = self.tok
        if tok.kind == "op" and tok.value in ("=", "!=", "<", "<=", ">", ">="):
            self.index += 1
            return Compare(tok.value, left, self.additive())
        return left

    def additive(self) -> Expression:
        left = self.multiplicative()
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            op = self.tok.value
            self.index += 1
            left = Arithmetic(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Expression:
        left = self.power()
        while self.tok.kind == "op" and self.tok.value in ("*", "/"):
            op = self.tok.value
            self.index += 1
            left = Arithmetic(op, left, self.power())
        return left

    def power(self) -> Expression:
        left = self.unary()
        while self._is("op", "**"):
            self.index += 1
            left = Arithmetic("**", left, self.unary())
        return left

    def unary(self) -> Expression:
        if self._is("op", "-"):
            self.index += 1
            self._deeper()
            inner = self.unary()
            self.depth -= 1
            if isinstance(inner, Const) and inner.literal.kind == "number":
                return Const(Literal(-inner.literal.value, "number"))
            return Negate(inner)
        return self.primary()

    def primary(self) -> Expression:
        if self._is("op", "("):
            self.index += 1
            self._deeper()
            inner = self.expression()
            self.depth -= 1
            self._expect_op(")", "thiếu dấu ')'")
            return inner
        tok = self.tok
        if tok.kind == "name" and tok.value not in _KEYWORDS and not self._constructor_ahead():
            return self.name()
        if tok.kind == "op" and tok.value in _COMPARE:
            _fail(self.text, tok.pos, f"không chờ đợi '{tok.value}' ở đây")
        return Const(self.literal())


def parse_unary_tests(text: str) -> UnaryTest | None:
    """Compile an input entry; None means "any value" (`-` or an empty cell)."""
    stripped = text.strip()
    if stripped in ("", "-"):
        return None
    parser = _Parser(text)
    test = parser.tests()
    parser.end(in_test=True)
    return test


def parse_expression(text: str) -> Expression | None:
    """Compile an output entry or an input expression; None for an empty cell."""
    if not text.strip():
        return None
    parser = _Parser(text)
    if len(parser.tokens) > _MAX_TOKENS:  # evaluation recurses once per operator: keep it far from the stack limit
        _fail(text, parser.tokens[_MAX_TOKENS].pos, f"biểu thức dài quá {_MAX_TOKENS} phần tử")
    expression = parser.expression()
    parser.end()
    return expression


def parse_literal(text: str) -> Literal | None:
    """Compile a constant output entry; None for an empty cell (Camunda leaves that output out of the row)."""
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

