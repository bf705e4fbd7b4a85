"""Bounds on what a designer's file or an operator's data may be, checked before the expensive work starts.

Every limit has a default well above what a real procedure needs (the largest diagram of the library is 47 KB, 533
elements, nesting depth 6; its deepest form nests groups twice) and can be changed in the `[limits]` table of the
configuration. Order of checks for a file: its size from `stat` (nothing is read), then one streaming pass that counts
elements and nesting depth and measures expression texts without building a tree (lxml `iterparse`, each element
dropped once seen, so memory stays bounded), and only then the real parse. JSON (a `.form` file, `--data`) is bounded
in bytes before decoding and in nesting depth right after, before any recursive code walks it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from lxml import etree

from engine.errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 5 * 1024 * 1024  # one .bpmn/.dmn/.form/catalog file
    max_elements: int = 50_000  # XML elements in one file
    max_depth: int = 64  # XML element nesting, and JSON nesting
    max_expression_chars: int = 2_000  # one condition, timer value, ${...} attribute or DMN cell
    max_form_depth: int = 10  # groups nested inside groups in a .form
    max_json_bytes: int = 1024 * 1024  # --data and a .form's JSON


DEFAULT = Limits()
_NAMES = tuple(f.name for f in fields(Limits))
_SETTING = "mục [limits] của cấu hình"

# Elements whose text is an expression the engine evaluates or parses: a gateway condition, a timer value, a DMN cell.
_EXPRESSION_ELEMENTS = frozenset({
    "conditionExpression", "timeDuration", "timeDate", "timeCycle", "completionCondition", "loopCardinality",
    "inputEntry", "outputEntry", "inputExpression", "literalExpression", "text",
})
_DMN_CELL_PARENTS = frozenset({"inputEntry", "outputEntry", "inputExpression", "literalExpression"})


def parse_limits(raw: Any, source: str) -> Limits:
    """The `[limits]` table of a configuration file; absent keys keep their default."""
    if raw is None:
        return DEFAULT
    if not isinstance(raw, dict):
        raise InvalidInput(f"Mục [limits] trong {source} phải là một bảng.", source=source)
    values: dict[str, int] = {}
    for key, value in raw.items():
        if key not in _NAMES:
            raise InvalidInput(
                f"Mục [limits] trong {source} có khóa '{key}' không tồn tại (các khóa hợp lệ: {', '.join(_NAMES)}).",
                source=source, key=key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"Giới hạn '{key}' trong {source} phải là số nguyên dương.", source=source, key=key)
        values[key] = value
    return replace(DEFAULT, **values)


_UNITS = {"max_file_bytes": "byte", "max_json_bytes": "byte", "max_elements": "phần tử", "max_depth": "cấp",
          "max_form_depth": "cấp", "max_expression_chars": "ký tự"}


def _too_big(subject: str, what: str, value: int, limit: int, key: str, **details: Any) -> InvalidInput:
    unit = _UNITS[key]
    return InvalidInput(
        f"{subject} {what} ({_number(value)} {unit}, tối đa {_number(limit)} {unit}); giới hạn này đổi được bằng "
        f"'{key}' trong {_SETTING}.", limit=key, **details)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # Vietnamese groups thousands with dots


def check_file_size(path: Path, limits: Limits = DEFAULT) -> None:
    """Refuse a file larger than `max_file_bytes` before reading a byte of it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"Không đọc được tệp '{path}': {exc.strerror}.", path=str(path)) from exc
    if size > limits.max_file_bytes:
        raise _too_big(f"Tệp '{path}'", "quá lớn", size, limits.max_file_bytes, "max_file_bytes",
                       path=str(path))


def read_bounded(path: Path, limits: Limits = DEFAULT) -> bytes:
    """The bytes of a regular file within `max_file_bytes` (a FIFO or device is refused rather than read forever)."""
    check_file_size(path, limits)
    if not path.is_file():
        raise InvalidInput(f"'{path}' không phải một tệp thông thường.", path=str(path))
    try:
        with path.open("rb") as handle:
            content = handle.read(limits.max_file_bytes + 1)  # the file may have grown since stat
    except OSError as exc:
        raise InvalidInput(f"Không đọc được tệp '{path}': {exc.strerror}.", path=str(path)) from exc
    if len(content) > limits.max_file_bytes:
        raise _too_big(f"Tệp '{path}'", "quá lớn", len(content), limits.max_file_bytes,
                       "max_file_bytes", path=str(path))
    return content


def check_xml_shape(content: bytes, filename: str, limits: Limits = DEFAULT) -> None:
    """Count elements and depth and measure expressions in one streaming pass; no tree is kept.

    A file that is not well-formed is left to the real parser, which names the line; entities are never resolved
    and nothing is loaded from the network here either.
    """
    subject = f"Tệp '{filename}'"
    events = etree.iterparse(
        io.BytesIO(content), events=("start", "end"), resolve_entities=False, load_dtd=False, no_network=True,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )
    count = depth = 0
    try:
        for event, element in events:
            if event == "start":
                count += 1
                depth += 1
                if count > limits.max_elements:
                    raise _too_big(subject, "có quá nhiều phần tử XML", count, limits.max_elements, "max_elements",
                                   file=filename)
                if depth > limits.max_depth:
                    raise _too_big(subject, "lồng phần tử quá sâu", depth, limits.max_depth, "max_depth",
                                   file=filename, line=element.sourceline)
                for value in element.attrib.values():
                    if ("${" in value or "#{" in value) and len(value) > limits.max_expression_chars:
                        raise _expression_too_long(filename, element, len(value), limits)
                continue
            depth -= 1
            local = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if local in _EXPRESSION_ELEMENTS and element.text and len(element.text) > limits.max_expression_chars:
                parent = element.getparent()
                is_cell = local != "text" or (parent is not None and etree.QName(parent).localname in _DMN_CELL_PARENTS)
                if is_cell:
                    raise _expression_too_long(filename, element, len(element.text), limits)
            # Drop what has been seen: memory stays bounded by the depth, not the size, of the file.
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        # libxml2 2.14+ stops at 256 levels by itself, possibly while reading ahead of the events counted above: that
        # is deeper than any limit allowed here, so it is the same refusal, not a syntax error.
        if "Excessive depth" in str(exc) and limits.max_depth < 256:
            raise InvalidInput(
                f"{subject} lồng phần tử quá sâu (hơn 256 cấp, tối đa {limits.max_depth} cấp); giới hạn này đổi được "
                f"bằng 'max_depth' trong {_SETTING}.", limit="max_depth", file=filename, line=exc.lineno) from None
        return


def _expression_too_long(filename: str, element, length: int, limits: Limits) -> InvalidInput:
    owner = element
    while owner is not None and owner.get("id") is None:
        owner = owner.getparent()
    where = f"phần tử '{owner.get('id')}'" if owner is not None else "tệp"
    return _too_big(f"Tệp '{filename}', {where}: biểu thức", "quá dài", length,
                    limits.max_expression_chars, "max_expression_chars", file=filename)


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the value may be nested a thousand levels)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_json_depth(value: Any, subject: str, limits: Limits = DEFAULT, **details: Any) -> None:
    depth = json_depth(value)
    if depth > limits.max_depth:
        raise _too_big(subject, "lồng nhau quá sâu", depth, limits.max_depth, "max_depth", **details)


def form_depth(components: Any) -> int:
    """How deeply groups nest in a form's component list, without recursion."""
    deepest, stack = 0, [(components, 1)]
    while stack:
        items, depth = stack.pop()
        if not isinstance(items, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((item.get("components"), depth + 1) for item in items if isinstance(item, dict))
    return deepest


def check_form_depth(raw: Any, filename: str, limits: Limits = DEFAULT) -> None:
    components = raw.get("components") if isinstance(raw, dict) else None
    depth = form_depth(components) - 1  # the top level is not nesting
    if depth > limits.max_form_depth:
        raise _too_big(f"Biểu mẫu '{filename}'", "lồng nhóm thành phần quá sâu", depth, limits.max_form_depth,
                       "max_form_depth", file=filename)
