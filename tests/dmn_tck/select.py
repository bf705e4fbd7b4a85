"""Which vendored DMN TCK models the conformance test runs: the selection rule, applied to the files themselves.

A model is selected when
1. every decision in it is a decision table (no literal expression, context, invocation, relation, list,
   conditional or iterator as a decision's logic), and it has no business knowledge model, decision service or
   import; and
2. every expression in its tables is simple FEEL (S-FEEL, DMN 1.5 §9): input entries, output entries, input
   expressions, inputValues, outputValues and default output entries use no FEEL-only construct — no context `{`,
   no `if`/`for`/`some`/`every`/`function`, no `in`, `between` or `instance of`, no list or filter brackets outside
   an interval, no function call other than the literal constructors date(), time(), date and time(), duration()
   and the negation not(...).
and it has a `*-test-01.xml` file beside it.

The rule reads the XML and the cell texts with regular expressions, independently of the engine's parser, so a
model is not selected because the engine happens to read it. Run it to see the selection and the reason for every
model left out: `python3 tests/dmn_tck/select.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lxml import etree

TCK = Path(__file__).resolve().parent / "tck"
LOGIC = ("literalExpression", "context", "invocation", "relation", "list", "functionDefinition", "conditional",
         "for", "some", "every", "filter")
FORBIDDEN_TOP = ("businessKnowledgeModel", "decisionService", "import")
CELLS = ("inputEntry", "outputEntry", "inputExpression", "inputValues", "outputValues", "defaultOutputEntry")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_FEEL_ONLY = [
    (re.compile(r"\{"), "ngữ cảnh {...}"),
    (re.compile(r"\b(if|then|else|for|return|some|every|satisfies|function|between|instance\s+of)\b"), "từ khóa FEEL"),
    (re.compile(r"\bin\b"), "phép 'in'"),
    (re.compile(r"\?"), "biểu thức '?'"),
]
_CALL = re.compile(r"([^\W\d][\w ]*?)\s*\(")
_ALLOWED_CALLS = {"date", "time", "date and time", "duration", "not"}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _feel_only(text: str) -> str | None:
    """Why `text` is not S-FEEL, or None."""
    bare = _STRINGS.sub('""', text)
    for pattern, reason in _FEEL_ONLY:
        if pattern.search(bare):
            return reason
    for match in _CALL.finditer(bare):
        name = match.group(1).strip()
        if name not in _ALLOWED_CALLS and not name.endswith(("not", "date", "time", "duration")):
            return f"lời gọi hàm {name}(...)"
    # brackets: only intervals `[a..b]`, `]a..b[`, `(a..b)` are S-FEEL
    if re.search(r"[\[\]]", bare) and ".." not in bare:
        return "danh sách hoặc bộ lọc [...]"
    return None


def why_not(model: Path) -> str | None:
    """None when `model` is selected, else the reason it is left out."""
    if not (model.parent / f"{model.stem}-test-01.xml").exists():
        return "không có tệp kiểm thử *-test-01.xml"
    root = etree.parse(str(model)).getroot()
    for element in root:
        if isinstance(element.tag, str) and _local(element) in FORBIDDEN_TOP:
            return f"có {_local(element)}"
    decisions = [e for e in root if isinstance(e.tag, str) and _local(e) == "decision"]
    if not decisions:
        return "không có quyết định"
    for decision in decisions:
        logic = [e for e in decision if isinstance(e.tag, str) and _local(e) in LOGIC + ("decisionTable",)]
        if not logic or _local(logic[0]) != "decisionTable":
            return f"quyết định '{decision.get('name')}' không phải bảng quyết định"
        for cell in logic[0].iter():
            if isinstance(cell.tag, str) and _local(cell) in CELLS:
                texts = [t.text or "" for t in cell if isinstance(t.tag, str) and _local(t) == "text"]
                for text in texts:
                    reason = _feel_only(text)
                    if reason:
                        return f"ô '{text.strip()}' của quyết định '{decision.get('name')}' dùng {reason}"
    return None


def selected() -> list[Path]:
    """The selected models, in path order."""
    return [m for m in sorted(TCK.rglob("*.dmn")) if why_not(m) is None]


def main() -> int:
    for model in sorted(TCK.rglob("*.dmn")):
        reason = why_not(model)
        print(f"{'chọn' if reason is None else 'bỏ  '}  {model.relative_to(TCK)}" + (f"  ({reason})" if reason else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
