"""DMN 1.3 decision tables as Camunda Modeler saves them for Camunda Platform 7: read once, checked, compiled.

Everything a table can get wrong is found here, at deploy time, and named by file, decision, rule and cell: a cell
outside the S-FEEL subset (engine.rules.feel), a literal of the wrong kind for its column's typeRef, an unknown hit
policy or typeRef, an aggregation on a table with several outputs, a PRIORITY table without output values, a
required decision that is missing or part of a cycle, a DOCTYPE or entity declaration. Evaluation
(engine.rules.evaluate) then only matches precompiled tests.

Tolerated and ignored: the DMNDI section, `inputData`, knowledge sources, text annotations, `requiredInput`
requirements, Camunda's `inputVariable`, `versionTag` and `historyTimeToLive`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, NoReturn

from lxml import etree

from engine.dialect.xml import parse_xml
from engine.errors import InvalidInput
from engine.rules.feel import (
    TYPE_REFS,
    FeelSyntaxError,
    FeelTypeError,
    UnaryTest,
    coerce_output,
    parse_literal,
    parse_literal_list,
    parse_unary_tests,
)

__all__ = ["DMN_NS", "Decision", "DmnModel", "Input", "Output", "Rule", "load_dmn"]

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
_OLDER_DMN = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/")
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "PRIORITY", "OUTPUT ORDER", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")


def _tag(local: str) -> str:
    return f"{{{DMN_NS}}}{local}"


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    expression: str  # the path read from the data, e.g. "applicant.age"
    type_ref: str | None
    path: tuple[str, ...] = field(repr=False)
    allowed: UnaryTest | None = field(default=None, repr=False, compare=False)  # from inputValues

    @property
    def title(self) -> str:
        return self.label or self.expression


@dataclass(frozen=True)
class Output:
    id: str
    label: str
    name: str
    type_ref: str | None
    allowed_values: list[Any] = field(default_factory=list)  # outputValues, in priority order

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Rule:
    id: str
    input_entries: list[str]  # cell texts as written
    output_entries: list[str]
    description: str
    # Compiled once: (input index, test) for every cell that is not "-", and (output name, value) for every
    # non-empty output cell (Camunda leaves an empty output cell out of the result row).
    tests: tuple[tuple[int, UnaryTest], ...] = field(default=(), repr=False, compare=False)
    outputs: tuple[tuple[str, Any], ...] = field(default=(), repr=False, compare=False)
    position: int = field(default=0, compare=False)  # 1-based, as the Modeler numbers rows

    @property
    def title(self) -> str:
        return f"quy tắc số {self.position} ('{self.id}')"


@dataclass(frozen=True)
class Decision:
    id: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: list[Input]
    outputs: list[Output]
    rules: list[Rule]
    required: list[str]  # ids of required decisions, evaluated first
    filename: str = ""


@dataclass(frozen=True)
class DmnModel:
    filename: str
    namespace: str
    decisions: dict[str, Decision]


class _Where:
    """Where a problem is, as a Vietnamese phrase and as error details."""

    def __init__(self, filename: str, **parts: str) -> None:
        self.filename = filename
        self.parts = parts

    def at(self, **parts: str) -> _Where:
        return _Where(self.filename, **{**self.parts, **parts})

    def fail(self, reason: str, cause: Exception | None = None) -> NoReturn:
        phrase = f"Tệp '{self.filename}'"
        if "decision" in self.parts:
            phrase += f", quyết định '{self.parts['decision']}'"
        if "rule_title" in self.parts:
            phrase += f", {self.parts['rule_title']}"
        if "cell_title" in self.parts:
            phrase += f", {self.parts['cell_title']}"
        details = {k: v for k, v in self.parts.items() if not k.endswith("_title")}
        raise InvalidInput(f"{phrase}: {reason}.", file=self.filename, **details) from cause


def _nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def _text(element: etree._Element | None) -> str:
    """The `<text>` child of a DMN element, NFC, not stripped of inner spaces."""
    if element is None:
        return ""
    text = element.find(_tag("text"))
    return unicodedata.normalize("NFC", text.text or "") if text is not None else ""


def _check_language(element: etree._Element, where: _Where) -> None:
    language = element.get("expressionLanguage")
    if language and "feel" not in language.lower():
        where.fail(f"ngôn ngữ biểu thức '{language}' không được hỗ trợ, chỉ dùng FEEL")


def _type_ref(value: str | None, where: _Where) -> str | None:
    if not value:
        return None
    if value not in TYPE_REFS:
        where.fail(f"typeRef '{value}' không được hỗ trợ (chỉ có {', '.join(TYPE_REFS)})")
    return value


def load_dmn(content: bytes, filename: str) -> DmnModel:
    """Read a DMN 1.3 file; InvalidInput names the file, decision, rule and cell of anything unsupported."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    root = parse_xml(content, filename)
    where = _Where(filename)
    if root.tag != _tag("definitions"):
        namespace = etree.QName(root).namespace
        if namespace in _OLDER_DMN:
            where.fail("chỉ hỗ trợ DMN 1.3, hãy mở và lưu lại tệp bằng Camunda Modeler 5")
        where.fail(f"phần tử gốc phải là dmn:definitions (DMN 1.3), không phải '{etree.QName(root).localname}'")
    _check_language(root, where)
    decisions: dict[str, Decision] = {}
    for element in root.iterchildren(_tag("decision")):
        decision = _decision(element, where)
        if decision.id in decisions:
            where.fail(f"có hai quyết định cùng id '{decision.id}'")
        decisions[decision.id] = decision
    if not decisions:
        where.fail("không có quyết định (dmn:decision) nào")
    _check_requirements(decisions, where)
    return DmnModel(filename=filename, namespace=root.get("namespace", ""), decisions=decisions)


def _decision(element: etree._Element, file_where: _Where) -> Decision:
    decision_id = element.get("id")
    if not decision_id:
        file_where.fail("có một quyết định thiếu thuộc tính id")
    where = file_where.at(decision=decision_id)
    required = []
    for requirement in element.iterchildren(_tag("informationRequirement")):
        ref = requirement.find(_tag("requiredDecision"))
        if ref is None:
            continue  # requiredInput: the value comes from the data like any other input
        href = ref.get("href", "")
        if not href.startswith("#") or len(href) < 2:
            where.fail(f"chỉ hỗ trợ quyết định phụ thuộc trong cùng tệp (href='#id'), không phải '{href}'")
        required.append(href[1:])
    table = element.find(_tag("decisionTable"))
    if table is None:
        where.fail("chỉ hỗ trợ quyết định dạng bảng (decision table)")
    hit_policy = table.get("hitPolicy", "UNIQUE")
    if hit_policy not in HIT_POLICIES:
        where.fail(f"hit policy '{hit_policy}' không được hỗ trợ (chỉ có {', '.join(HIT_POLICIES)})")
    aggregation = table.get("aggregation") or None
    if aggregation is not None:
        if hit_policy != "COLLECT":
            where.fail(f"phép gộp '{aggregation}' chỉ dùng với hit policy COLLECT")
        if aggregation not in AGGREGATIONS:
            where.fail(f"phép gộp '{aggregation}' không được hỗ trợ (chỉ có {', '.join(AGGREGATIONS)})")
    inputs = [_input(e, i, where) for i, e in enumerate(table.iterchildren(_tag("input")), 1)]
    outputs = [_output(e, i, where) for i, e in enumerate(table.iterchildren(_tag("output")), 1)]
    if not outputs:
        where.fail("bảng quyết định không có cột đầu ra nào")
    names = [o.name for o in outputs]
    for name in names:
        if names.count(name) > 1:
            where.fail(f"có hai cột đầu ra cùng tên '{name}'")
    if hit_policy in ("PRIORITY", "OUTPUT ORDER") and not any(o.allowed_values for o in outputs):
        where.fail(f"hit policy {hit_policy} cần danh sách giá trị đầu ra (outputValues) để xếp thứ tự ưu tiên")
    if aggregation is not None and len(outputs) != 1:
        where.fail(f"phép gộp {aggregation} chỉ dùng với bảng có đúng một cột đầu ra")
    rules = []
    for position, rule_element in enumerate(table.iterchildren(_tag("rule")), 1):
        rule = _rule(rule_element, position, inputs, outputs, where)
        if any(r.id == rule.id for r in rules):
            where.fail(f"có hai quy tắc cùng id '{rule.id}'")
        rules.append(rule)
    if aggregation in ("SUM", "MIN", "MAX"):
        _check_numeric(outputs[0], rules, aggregation, where)
    return Decision(
        id=decision_id,
        name=_nfc(element.get("name")) or decision_id,
        hit_policy=hit_policy,
        aggregation=aggregation,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
        required=required,
        filename=file_where.filename,
    )


def _input(element: etree._Element, position: int, decision_where: _Where) -> Input:
    input_id = element.get("id") or f"input{position}"
    label = _nfc(element.get("label"))
    where = decision_where.at(input=input_id, cell_title=f"cột đầu vào '{label or input_id}'")
    expression_element = element.find(_tag("inputExpression"))
    if expression_element is None:
        where.fail("thiếu biểu thức đầu vào (inputExpression)")
    _check_language(expression_element, where)
    type_ref = _type_ref(expression_element.get("typeRef"), where)
    expression = _text(expression_element).strip()
    if not _PATH.fullmatch(expression):
        where.fail(f"biểu thức đầu vào '{expression}' phải là tên biến hoặc đường dẫn dạng a.b")
    allowed = None
    values_element = element.find(_tag("inputValues"))
    if values_element is not None and _text(values_element).strip():
        values_where = where.at(cell_title=f"giá trị cho phép của cột '{label or input_id}'")
        allowed = _unary_tests(_text(values_element), type_ref, values_where)
    return Input(id=input_id, label=label, expression=expression, type_ref=type_ref,
                 path=tuple(expression.split(".")), allowed=allowed)


def _output(element: etree._Element, position: int, decision_where: _Where) -> Output:
    output_id = element.get("id") or f"output{position}"
    label = _nfc(element.get("label"))
    where = decision_where.at(output=output_id, cell_title=f"cột đầu ra '{label or output_id}'")
    name = (element.get("name") or "").strip()
    if not name:
        where.fail("cột đầu ra thiếu tên (name), tên này là khóa của kết quả")
    type_ref = _type_ref(element.get("typeRef"), where)
    allowed_values: list[Any] = []
    values_element = element.find(_tag("outputValues"))
    if values_element is not None and _text(values_element).strip():
        text = _text(values_element)
        try:
            allowed_values = [coerce_output(lit, type_ref) for lit in parse_literal_list(text)]
        except (FeelSyntaxError, FeelTypeError) as exc:
            where.fail(f"danh sách giá trị đầu ra '{text}' không đọc được: {_reason(exc)}", exc)
    return Output(id=output_id, label=label, name=name, type_ref=type_ref, allowed_values=allowed_values)


def _reason(exc: FeelSyntaxError | FeelTypeError) -> str:
    if isinstance(exc, FeelSyntaxError):
        return f"ở vị trí {exc.position}, {exc.reason}"
    return f"giá trị kiểu {exc.actual} không hợp với typeRef {exc.expected}"


def _unary_tests(text: str, type_ref: str | None, where: _Where) -> UnaryTest | None:
    try:
        test = parse_unary_tests(text)
    except FeelSyntaxError as exc:
        where.fail(f"không đọc được '{text.strip()}' ở vị trí {exc.position}: {exc.reason}", exc)
    if test is not None and type_ref is not None:
        wrong = test.kinds - {"null", TYPE_REFS[type_ref]}
        if wrong:
            where.fail(f"ô '{text.strip()}' chứa giá trị kiểu {', '.join(sorted(wrong))} trong khi cột có typeRef "
                       f"{type_ref}")
    return test


def _rule(element: etree._Element, position: int, inputs: list[Input], outputs: list[Output],
          decision_where: _Where) -> Rule:
    rule_id = element.get("id") or f"rule{position}"
    where = decision_where.at(rule=rule_id, rule_title=f"quy tắc số {position} ('{rule_id}')")
    input_cells = list(element.iterchildren(_tag("inputEntry")))
    output_cells = list(element.iterchildren(_tag("outputEntry")))
    if len(input_cells) != len(inputs) or len(output_cells) != len(outputs):
        where.fail(f"quy tắc có {len(input_cells)} ô đầu vào và {len(output_cells)} ô đầu ra, bảng có "
                   f"{len(inputs)} cột đầu vào và {len(outputs)} cột đầu ra")
    tests = []
    input_texts = []
    for index, (cell, column) in enumerate(zip(input_cells, inputs)):
        cell_where = where.at(cell=cell.get("id") or column.id, cell_title=f"ô đầu vào '{column.title}'")
        _check_language(cell, cell_where)
        text = _text(cell)
        input_texts.append(text)
        test = _unary_tests(text, column.type_ref, cell_where)
        if test is not None:
            tests.append((index, test))
    values = []
    output_texts = []
    for cell, column in zip(output_cells, outputs):
        cell_where = where.at(cell=cell.get("id") or column.id, cell_title=f"ô đầu ra '{column.title}'")
        _check_language(cell, cell_where)
        text = _text(cell)
        output_texts.append(text)
        try:
            literal = parse_literal(text)
            if literal is None:
                continue
            value = coerce_output(literal, column.type_ref)
        except FeelSyntaxError as exc:
            cell_where.fail(f"không đọc được '{text.strip()}' ở vị trí {exc.position}: {exc.reason}", exc)
        except FeelTypeError as exc:
            cell_where.fail(f"giá trị '{text.strip()}' kiểu {exc.actual} không hợp với typeRef {exc.expected}", exc)
        if column.allowed_values and value is not None and value not in column.allowed_values:
            cell_where.fail(f"giá trị '{text.strip()}' không có trong danh sách giá trị đầu ra của cột")
        values.append((column.name, value))
    description = _nfc(element.findtext(_tag("description")))
    return Rule(id=rule_id, input_entries=input_texts, output_entries=output_texts, description=description,
                tests=tuple(tests), outputs=tuple(values), position=position)


def _check_numeric(output: Output, rules: list[Rule], aggregation: str, where: _Where) -> None:
    if output.type_ref is not None and TYPE_REFS[output.type_ref] != "number":
        where.fail(f"phép gộp {aggregation} cần cột đầu ra kiểu số, không phải {output.type_ref}")
    for rule in rules:
        for _, value in rule.outputs:
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                where.at(rule=rule.id, rule_title=rule.title).fail(f"phép gộp {aggregation} cần giá trị số")


def _check_requirements(decisions: dict[str, Decision], where: _Where) -> None:
    for decision in decisions.values():
        for ref in decision.required:
            if ref not in decisions:
                where.at(decision=decision.id).fail(f"quyết định phụ thuộc '{ref}' không có trong tệp")
    state: dict[str, str] = {}  # "visiting" | "done"

    def visit(decision_id: str, chain: list[str]) -> None:
        if state.get(decision_id) == "done":
            return
        if state.get(decision_id) == "visiting":
            cycle = " → ".join(chain[chain.index(decision_id):] + [decision_id])
            where.at(decision=decision_id).fail(f"các quyết định phụ thuộc nhau thành vòng: {cycle}")
        state[decision_id] = "visiting"
        for ref in decisions[decision_id].required:
            visit(ref, chain + [decision_id])
        state[decision_id] = "done"

    for decision_id in decisions:
        visit(decision_id, [])
