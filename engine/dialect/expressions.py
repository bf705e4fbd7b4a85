"""Camunda `${...}` conditions, parsed by a whitelist grammar and evaluated without Python `eval`.

Diagrams come from designers and data from citizens' forms, so a condition is data, never code: the text is tokenized,
parsed by recursive descent into a small tree and compiled into closures over that tree. Nothing in the text can
name a Python object, call a function or reach an attribute; dotted paths read keys of mappings only.

Grammar (JUEL subset, lowest precedence first)::

    or      := and (("||" | "or") and)*
    and     := eq (("&&" | "and") eq)*
    eq      := rel (("==" | "!=" | "eq" | "ne") rel)*
    rel     := unary (("<" | "<=" | ">" | ">=" | "lt" | "le" | "gt" | "ge") unary)*
    unary   := ("!" | "not" | "empty") unary | primary
    primary := literal | path | "(" or ")"
    path    := name ("." name)*
    literal := 'text' | "text" | 123 | 1.5 | true | false | null

Semantics (close to JUEL, stricter where JUEL would coerce silently):
- A name or path that is not in the data raises InvalidInput ("Biến 'x' chưa có giá trị ..."), even under `empty`;
  an explicit `null` (None) is a value. A path step into something that is not a mapping is an error too.
- `empty x` is true for null, "", [] and {} (any empty string, list, tuple, set or mapping), false otherwise.
- `==`/`!=`: null equals only null and compares with anything; otherwise both sides must be of the same kind
  (number, string, boolean, date, datetime, list, map) or InvalidInput names both types. Numbers compare by value:
  int, float and Decimal mix freely (a float is read through its shortest repr, so 0.1 == 0.1 whatever its source).
- `< <= > >=` only between two numbers, two strings, two dates or two datetimes; anything else (null included) is an
  InvalidInput naming the operands' types.
- `&&`, `||`, `!` require booleans (no truthiness) and short-circuit: `false && x` does not read `x`.
- Literals: integers become `int`, decimals (`1.5`) become `decimal.Decimal` (exact, and JSON-friendly through
  engine.cli.output). Strings take `\\'`, `\\"` and `\\\\` escapes only. There is no negative literal: `-` is
  arithmetic, which the grammar does not have.
- The result of the whole expression is returned as is; the caller checks that a condition gave a boolean.

Refused at parse time with the position of the problem: function and method calls, `[]` indexing, arithmetic
(`+ - * / % div mod`), the ternary operator, assignment, lambdas, names starting with `_` or containing `__`,
non-ASCII names, more than 2000 characters and nesting deeper than 50 levels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, NoReturn

from engine.errors import InvalidInput

__all__ = ["Expression", "ExpressionError", "is_expression", "parse_expression"]

MAX_LENGTH = 2000
MAX_DEPTH = 50

Evaluator = Callable[[Mapping[str, Any]], Any]


class ExpressionError(InvalidInput):
    """A condition that is not in the supported grammar (raised when a diagram is deployed)."""


# --- tokens -------------------------------------------------------------------------------------------------------

_KEYWORDS = frozenset(
    {"true", "false", "null", "and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "empty", "div", "mod",
     "instanceof"}
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_TWO_CHAR = frozenset({"==", "!=", "<=", ">=", "&&", "||"})
_ONE_CHAR = frozenset("<>!().")
# Characters that start a construct we do not support, with the reason a designer can act on.
_REFUSED_CHARS = {
    "+": "phép tính số học ('+') không được hỗ trợ trong điều kiện",
    "-": "phép tính số học ('-') không được hỗ trợ trong điều kiện",
    "*": "phép tính số học ('*') không được hỗ trợ trong điều kiện",
    "/": "phép tính số học ('/') không được hỗ trợ trong điều kiện",
    "%": "phép tính số học ('%') không được hỗ trợ trong điều kiện",
    "[": "truy cập theo chỉ số ('[]') không được hỗ trợ, hãy dùng đường dẫn có dấu chấm",
    "]": "truy cập theo chỉ số ('[]') không được hỗ trợ, hãy dùng đường dẫn có dấu chấm",
    "?": "toán tử ba ngôi ('? :') không được hỗ trợ",
    ":": "toán tử ba ngôi ('? :') không được hỗ trợ",
    "=": "phép gán ('=') không được hỗ trợ, so sánh bằng thì viết '=='",
    "&": "toán tử '&' không được hỗ trợ, phép 'và' viết là '&&'",
    "|": "toán tử '|' không được hỗ trợ, phép 'hoặc' viết là '||'",
    ",": "dấu phẩy (danh sách hay đối số hàm) không được hỗ trợ",
    ";": "chỉ được viết một biểu thức",
    "{": "không được lồng biểu thức trong biểu thức",
    "}": "không được lồng biểu thức trong biểu thức",
    "$": "không được lồng biểu thức trong biểu thức",
    "#": "không được lồng biểu thức trong biểu thức",
}


class _Token:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind: str, value: Any, pos: int) -> None:
        self.kind = kind  # "str" | "num" | "word" | "op" | "end"
        self.value = value
        self.pos = pos  # 1-based column in the source as written (with "${")


def _tokenize(body: str, offset: int, fail: Callable[[int, str], NoReturn]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        pos = offset + i + 1
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            value, i = _read_string(body, i, offset, fail)
            tokens.append(_Token("str", value, pos))
        elif ch.isascii() and ch.isdigit():
            match = _NUMBER.match(body, i)
            assert match is not None  # a digit always matches
            text = match.group()
            i = match.end()
            if i < n and (body[i].isalnum() or body[i] in "_."):
                fail(pos, f"số '{text}{body[i]}' viết không đúng")
            tokens.append(_Token("num", Decimal(text) if "." in text else int(text), pos))
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            match = _WORD.match(body, i)
            assert match is not None
            word = match.group()
            i = match.end()
            if word.startswith("_") or "__" in word:
                fail(pos, f"tên '{word}' bắt đầu bằng '_' hoặc chứa '__' không được phép")
            if i < n and not body[i].isascii() and body[i].isalnum():
                fail(offset + i + 1, "tên biến chỉ được dùng chữ cái Latin không dấu, chữ số và '_'")
            tokens.append(_Token("word", word, pos))
        elif body.startswith("->", i):
            fail(pos, "biểu thức lambda ('->') không được hỗ trợ")
        elif body[i : i + 2] in _TWO_CHAR:
            tokens.append(_Token("op", body[i : i + 2], pos))
            i += 2
        elif ch in _ONE_CHAR:
            tokens.append(_Token("op", ch, pos))
            i += 1
        elif ch in _REFUSED_CHARS:
            fail(pos, _REFUSED_CHARS[ch])
        elif ch.isalnum():
            fail(pos, "tên biến chỉ được dùng chữ cái Latin không dấu, chữ số và '_'")
        else:
            fail(pos, f"ký tự '{ch}' không hợp lệ")
    tokens.append(_Token("end", None, offset + n + 1))
    return tokens


def _read_string(body: str, start: int, offset: int, fail: Callable[[int, str], NoReturn]) -> tuple[str, int]:
    quote = body[start]
    parts: list[str] = []
    i = start + 1
    while i < len(body):
        ch = body[i]
        if ch == quote:
            return "".join(parts), i + 1
        if ch == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt not in ("'", '"', "\\"):
                fail(offset + i + 1, f"ký tự thoát '\\{nxt}' không hợp lệ (chỉ có \\', \\\" và \\\\)")
            parts.append(nxt)
            i += 2
            continue
        parts.append(ch)
        i += 1
    fail(offset + start + 1, "chuỗi ký tự chưa được đóng dấu nháy")


# --- parser -------------------------------------------------------------------------------------------------------

_EQUALITY = {"==": "==", "!=": "!=", "eq": "==", "ne": "!="}
_RELATION = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Node:
    """A compiled sub-expression: its evaluator and its depth in the tree."""

    __slots__ = ("run", "depth")

    def __init__(self, run: Evaluator, depth: int) -> None:
        self.run = run
        self.depth = depth


class _Parser:
    def __init__(self, source: str, tokens: list[_Token], fail: Callable[[int, str], NoReturn]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.fail = fail
        self.level = 0  # open parentheses and unary operators: bounds the parser's own recursion
        self.paths: set[str] = set()

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def _is(self, *values: str) -> bool:
        tok = self.token
        return tok.kind in ("op", "word") and tok.value in values

    def _node(self, run: Evaluator, *children: _Node) -> _Node:
        depth = 1 + max((child.depth for child in children), default=0)
        if depth > MAX_DEPTH:
            self.fail(self.token.pos, f"biểu thức lồng nhau quá {MAX_DEPTH} cấp")
        return _Node(run, depth)

    def parse(self) -> _Node:
        if self.token.kind == "end":
            self.fail(self.token.pos, "biểu thức rỗng")
        node = self._or()
        if self.token.kind != "end":
            self._unexpected()
        return node

    def _or(self) -> _Node:
        first = self._and()
        if not self._is("||", "or"):
            return first
        nodes = [first]
        while self._is("||", "or"):
            self.index += 1
            nodes.append(self._and())
        return self._node(_logical(self.source, [n.run for n in nodes], is_and=False), *nodes)

    def _and(self) -> _Node:
        first = self._equality()
        if not self._is("&&", "and"):
            return first
        nodes = [first]
        while self._is("&&", "and"):
            self.index += 1
            nodes.append(self._equality())
        return self._node(_logical(self.source, [n.run for n in nodes], is_and=True), *nodes)

    def _equality(self) -> _Node:
        left = self._relation()
        while self._is(*_EQUALITY):
            op = _EQUALITY[self.token.value]
            self.index += 1
            right = self._relation()
            left = self._node(_equality(self.source, op, left.run, right.run), left, right)
        return left

    def _relation(self) -> _Node:
        left = self._unary()
        while self._is(*_RELATION):
            op = _RELATION[self.token.value]
            self.index += 1
            right = self._unary()
            left = self._node(_ordering(self.source, op, left.run, right.run), left, right)
        return left

    def _unary(self) -> _Node:
        if not self._is("!", "not", "empty"):
            return self._primary()
        op = self.token.value
        self._enter()
        self.index += 1
        operand = self._unary()
        self.level -= 1
        run = _is_empty(operand.run) if op == "empty" else _negation(self.source, operand.run)
        return self._node(run, operand)

    def _enter(self) -> None:
        self.level += 1
        if self.level > MAX_DEPTH:
            self.fail(self.token.pos, f"biểu thức lồng nhau quá {MAX_DEPTH} cấp")

    def _primary(self) -> _Node:
        tok = self.token
        if tok.kind in ("str", "num"):
            self.index += 1
            self._no_suffix("giá trị cố định")
            return _Node(_constant(tok.value), 1)
        if tok.kind == "op" and tok.value == "(":
            self._enter()
            self.index += 1
            node = self._or()
            if not self._is(")"):
                self.fail(self.token.pos, "thiếu dấu ')'")
            self.index += 1
            self.level -= 1
            self._no_suffix("biểu thức trong ngoặc")
            return node
        if tok.kind == "word":
            word = tok.value
            if word in ("true", "false", "null"):
                self.index += 1
                self._no_suffix("giá trị cố định")
                return _Node(_constant({"true": True, "false": False, "null": None}[word]), 1)
            if word in _KEYWORDS:
                self._unexpected()
            return self._path()
        self._unexpected()

    def _path(self) -> _Node:
        names = [self.token.value]
        self.index += 1
        while self._is("."):
            self.index += 1
            tok = self.token
            if tok.kind != "word" or tok.value in _KEYWORDS:
                self.fail(tok.pos, "sau dấu '.' phải là tên thuộc tính")
            names.append(tok.value)
            self.index += 1
        if self._is("("):
            what = "gọi phương thức" if len(names) > 1 else "gọi hàm"
            self.fail(self.token.pos, f"{what} '{'.'.join(names)}(...)' không được hỗ trợ")
        path = ".".join(names)
        self.paths.add(path)
        return _Node(_lookup(self.source, tuple(names)), 1)

    def _no_suffix(self, what: str) -> None:
        if self._is("."):
            self.fail(self.token.pos, f"không được truy cập thuộc tính của {what}, chỉ của biến")
        if self._is("("):
            self.fail(self.token.pos, "gọi hàm không được hỗ trợ")

    def _unexpected(self) -> NoReturn:
        tok = self.token
        if tok.kind == "end":
            self.fail(tok.pos, "biểu thức kết thúc khi còn thiếu toán hạng")
        if tok.kind == "word" and tok.value in ("div", "mod"):
            self.fail(tok.pos, f"phép tính số học ('{tok.value}') không được hỗ trợ trong điều kiện")
        if tok.kind == "word" and tok.value == "instanceof":
            self.fail(tok.pos, "toán tử 'instanceof' không được hỗ trợ")
        shown = repr(tok.value) if tok.kind == "str" else str(tok.value)
        self.fail(tok.pos, f"không chờ đợi '{shown}' ở đây")


# --- evaluation ---------------------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    """English type name of a value, as shown in error messages."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _number(value: int | float | Decimal) -> Decimal | int:
    # A float read through its shortest repr: 0.1 from a JSON form equals the literal 0.1 of a diagram.
    return Decimal(repr(value)) if isinstance(value, float) else value


def _constant(value: Any) -> Evaluator:
    return lambda data: value


def _lookup(source: str, names: tuple[str, ...]) -> Evaluator:
    first = names[0]

    def missing(upto: int) -> NoReturn:
        path = ".".join(names[: upto + 1])
        raise InvalidInput(
            f"Biến '{path}' chưa có giá trị khi đánh giá biểu thức {source}.", variable=path, expression=source
        )

    def run(data: Mapping[str, Any]) -> Any:
        try:
            value = data[first]
        except KeyError:
            missing(0)
        for i in range(1, len(names)):
            if not isinstance(value, Mapping):
                parent = ".".join(names[:i])
                raise InvalidInput(
                    f"Biến '{parent}' có kiểu {_kind(value)}, không phải đối tượng, nên không đọc được "
                    f"'{'.'.join(names[: i + 1])}' trong biểu thức {source}.",
                    variable=parent,
                    expression=source,
                )
            try:
                value = value[names[i]]
            except KeyError:
                missing(i)
        return value

    return run


def _require_bool(source: str, op: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    raise InvalidInput(
        f"Toán tử '{op}' cần giá trị boolean nhưng nhận được {_kind(value)} trong biểu thức {source}.",
        operator=op,
        operand_type=_kind(value),
        expression=source,
    )


def _logical(source: str, runs: list[Evaluator], is_and: bool) -> Evaluator:
    op = "&&" if is_and else "||"
    stop = not is_and  # && stops at the first false, || at the first true

    def run(data: Mapping[str, Any]) -> bool:
        for operand in runs:
            if _require_bool(source, op, operand(data)) is stop:
                return stop
        return not stop

    return run


def _negation(source: str, operand: Evaluator) -> Evaluator:
    return lambda data: not _require_bool(source, "!", operand(data))


def _is_empty(operand: Evaluator) -> Evaluator:
    def run(data: Mapping[str, Any]) -> bool:
        value = operand(data)
        if value is None:
            return True
        if isinstance(value, (str, list, tuple, set, frozenset, Mapping)):
            return len(value) == 0
        return False

    return run


def _type_error(source: str, op: str, left: Any, right: Any) -> NoReturn:
    raise InvalidInput(
        f"Không so sánh được {_kind(left)} với {_kind(right)} bằng '{op}' trong biểu thức {source}.",
        operator=op,
        left_type=_kind(left),
        right_type=_kind(right),
        expression=source,
    )


def _equality(source: str, op: str, left_run: Evaluator, right_run: Evaluator) -> Evaluator:
    want = op == "=="

    def run(data: Mapping[str, Any]) -> bool:
        left, right = left_run(data), right_run(data)
        if left is None or right is None:
            return (left is right) is want
        kind = _kind(left)
        if kind != _kind(right):
            _type_error(source, op, left, right)
        if kind == "number":
            return (_number(left) == _number(right)) is want
        return (left == right) is want

    return run


_ORDERED = frozenset({"number", "string", "date", "datetime"})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _ordering(source: str, op: str, left_run: Evaluator, right_run: Evaluator) -> Evaluator:
    compare = _COMPARE[op]

    def run(data: Mapping[str, Any]) -> bool:
        left, right = left_run(data), right_run(data)
        kind = _kind(left)
        if kind not in _ORDERED or kind != _kind(right):
            _type_error(source, op, left, right)
        if kind == "number":
            left, right = _number(left), _number(right)
            if left != left or right != right:  # NaN has no order
                _type_error(source, op, left, right)
        try:
            return compare(left, right)
        except TypeError:  # an aware datetime against a naive one
            raise InvalidInput(
                f"Không so sánh được thời điểm có múi giờ với thời điểm không có múi giờ trong biểu thức {source}.",
                operator=op,
                expression=source,
            ) from None

    return run


# --- public API ---------------------------------------------------------------------------------------------------


class Expression:
    """A parsed condition: immutable, picklable (by its source), cheap to evaluate many times."""

    __slots__ = ("source", "variables", "paths", "_run")

    source: str
    variables: frozenset[str]
    paths: frozenset[str]

    def __init__(self, source: str, paths: frozenset[str], run: Evaluator) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "variables", frozenset(p.split(".", 1)[0] for p in paths))
        object.__setattr__(self, "_run", run)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"Expression is immutable (tried to set {name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Expression is immutable (tried to delete {name!r})")

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # The closures are rebuilt from the text: only the source travels.
        return (parse_expression, (self.source,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, data: Mapping[str, Any]) -> Any:
        return self._run(data)


_WRAPPED = re.compile(r"\A\s*[$#]\{(.*)\}\s*\Z", re.DOTALL)


def is_expression(text: str) -> bool:
    """True when `text` is written as `${...}` or `#{...}` (surrounding whitespace allowed); the body is not checked."""
    return bool(_WRAPPED.match(text))


@lru_cache(maxsize=2048)
def parse_expression(text: str) -> Expression:
    """Parse a Camunda condition; ExpressionError names the expression, the position and the reason."""
    stripped = text.strip()
    shown = stripped if len(stripped) <= 200 else stripped[:200] + "…"

    def fail(pos: int, reason: str) -> NoReturn:
        raise ExpressionError(
            f"Biểu thức {shown} không hợp lệ ở vị trí {pos}: {reason}.", expression=shown, position=pos
        )

    if len(text) > MAX_LENGTH:
        fail(MAX_LENGTH + 1, f"dài quá {MAX_LENGTH} ký tự")
    match = _WRAPPED.match(text)
    if not match:
        raise ExpressionError(
            f"Điều kiện '{shown}' phải được viết dưới dạng biểu thức ${{...}}.", expression=shown, position=1
        )
    source = stripped
    body = match.group(1)
    offset = match.start(1) - (len(text) - len(text.lstrip()))  # columns counted from the stripped source
    tokens = _tokenize(body, offset, fail)
    parser = _Parser(source, tokens, fail)
    root = parser.parse()
    return Expression(source, frozenset(parser.paths), root.run)
