"""DMN 1.1–1.5 decision tables (as Camunda Modeler and other tools save them): read once, checked, compiled.

Everything a table can get wrong is found here, at deploy time, and named by file, decision, rule and cell: a cell
outside the S-FEEL subset (engine.rules.feel), a literal of the wrong kind for its column's typeRef, an unknown hit
policy or typeRef, an aggregation on a table with several outputs, a PRIORITY table without output values, a
required decision that is missing or part of a cycle, a DOCTYPE or entity declaration. Evaluation
(engine.rules.evaluate) then only matches precompiled tests.

Tolerated and ignored: the DMNDI section, `inputData`, item definitions, knowledge sources, text annotations,
`requiredInput` requirements, Camunda's `inputVariable`, `versionTag` and `historyTimeToLive`. An unknown typeRef
(an item definition, a Java class) is accepted as "no typeRef", as Camunda 7 does; `tthc lint` warns about it.

Missing inputs (`Decision.strict`): a file saved for Camunda Platform 7 (`modeler:executionPlatform`, as every table
of our library is) keeps this engine's stricter rule, a missing input or a value of the wrong kind is an error that
names the decision; any other file follows FEEL, a missing input is null and a comparison with null or with a
value of another kind does not match.
"""

from __future__ import annotations

import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from lxml import etree

from engine.dialect.xml import parse_xml
from engine.errors import InvalidInput
from engine.rules.feel import (
    TYPE_REFS,
    Const,
    Expression,
    FeelSyntaxError,
    FeelTypeError,
    Name,
    UnaryTest,
    coerce_output,
    parse_expression,
    parse_literal_list,
    parse_unary_tests,
    reads_names,
)
from engine.rules.feel_types import normalize_type_ref

__all__ = ["DMN_NAMESPACES", "DMN_NS", "Decision", "DmnModel", "Input", "Output", "Rule", "load_dmn"]

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
# The model namespaces of DMN 1.1, 1.2, 1.3, 1.4 and 1.5. Some published files (several DMN TCK models among them)
# declare none, so their `definitions` is in no namespace, or declare the model's own `namespace` attribute as the
# default one, so every element is in it: both are read as well, DMN being the only meaning they can have.
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
    "": "không rõ phiên bản",
}
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "PRIORITY", "OUTPUT ORDER", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_NAMESPACE: ContextVar[str] = ContextVar("dmn_namespace", default=DMN_NS)  # of the file being read


def _tag(local: str) -> str:
    namespace = _NAMESPACE.get()
    return f"{{{namespace}}}{local}" if namespace else local


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    expression: str  # as written: a name or path read from the data ("applicant.age", "Another boolean"), or an
    # S-FEEL expression over the data
    type_ref: str | None  # canonical (see feel_types.TYPE_REFS); None for none or an unknown one
    path: tuple[str, ...] = field(repr=False)  # the name's parts; () when `compiled` is an expression
    allowed: UnaryTest | None = field(default=None, repr=False, compare=False)  # from inputValues
    compiled: Expression | None = field(default=None, repr=False, compare=False)  # when not a plain name
    type_ref_written: str = field(default="", repr=False, compare=False)  # as in the file, for lint

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
    default: Any = field(default=None, compare=False)  # defaultOutputEntry (DMN 1.2+), used when no rule matches
    type_ref_written: str = field(default="", repr=False, compare=False)

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
    # constant output cell (Camunda leaves an empty output cell out of the result row); output cells that read
    # names are (output name, expression, typeRef), evaluated per match.
    tests: tuple[tuple[int, UnaryTest], ...] = field(default=(), repr=False, compare=False)
    outputs: tuple[tuple[str, Any], ...] = field(default=(), repr=False, compare=False)
    position: int = field(default=0, compare=False)  # 1-based, as the Modeler numbers rows
    computed: tuple[tuple[str, Expression, str | None], ...] = field(default=(), repr=False, compare=False)

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
    strict: bool = True  # see the module docstring
    has_defaults: bool = field(default=False, compare=False)
    has_computed: bool = field(default=False, compare=False)  # some output cell reads names
    reads_names: bool = field(default=False, compare=False)  # some cell or input expression reads names


@dataclass(frozen=True)
class DmnModel:
    filename: str
    namespace: str
    decisions: dict[str, Decision]
    version: str = "1.3"  # DMN version of the file's namespace


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


def _type_ref(value: str | None) -> str | None:
    return normalize_type_ref(value)[0]


def load_dmn(content: bytes, filename: str) -> DmnModel:
    """Read a DMN 1.1–1.5 file; InvalidInput names the file, decision, rule and cell of anything unsupported."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    root = parse_xml(content, filename)
    where = _Where(filename)
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    own = namespace and namespace == root.get("namespace")  # an exporter's slip, see DMN_NAMESPACES
    if qname.localname != "definitions" or (namespace not in DMN_NAMESPACES and not own):
        where.fail(f"phần tử gốc phải là dmn:definitions của DMN 1.1–1.5, không phải '{qname.localname}' trong "
                   f"không gian tên '{namespace}'")
    token = _NAMESPACE.set(namespace)
    try:
        _check_language(root, where)
        strict = (root.get(f"{{{MODELER_NS}}}executionPlatform") or "").startswith("Camunda")
        decisions: dict[str, Decision] = {}
        for element in root.iterchildren(_tag("decision")):
            decision = _decision(element, where, strict)
            if decision.id in decisions:
                where.fail(f"có hai quyết định cùng id '{decision.id}'")
            decisions[decision.id] = decision
        if not decisions:
            where.fail("không có quyết định (dmn:decision) nào")
        _check_requirements(decisions, where)
    finally:
        _NAMESPACE.reset(token)
    return DmnModel(filename=filename, namespace=root.get("namespace", ""), decisions=decisions,
                    version=DMN_NAMESPACES.get(namespace, DMN_NAMESPACES[""]))


def _decision(element: etree._Element, file_where: _Where, strict: bool) -> Decision:
    decision_id = element.get("id")
    if not decision_id:
        file_where.fail("có một quyết định thiếu thuộc tính id")
    where = file_where.at(decision=decision_id)
    name = _nfc(element.get("name")) or decision_id
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
    output_elements = list(table.iterchildren(_tag("output")))
    # DMN: a table's single output may go unnamed, its value is then the decision's (named after the decision)
    single_name = name if len(output_elements) == 1 else None
    outputs = [_output(e, i, where, single_name) for i, e in enumerate(output_elements, 1)]
    if not outputs:
        where.fail("bảng quyết định không có cột đầu ra nào")
    names = [o.name for o in outputs]
    for output_name in names:
        if names.count(output_name) > 1:
            where.fail(f"có hai cột đầu ra cùng tên '{output_name}'")
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
        name=name,
        hit_policy=hit_policy,
        aggregation=aggregation,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
        required=required,
        filename=file_where.filename,
        strict=strict,
        has_defaults=any(o.default is not None for o in outputs),
        has_computed=any(r.computed for r in rules),
        reads_names=any(r.computed for r in rules) or any(c.compiled is not None for c in inputs)
        or any(reads_names(t) for r in rules for _, t in r.tests),
    )


def _input(element: etree._Element, position: int, decision_where: _Where) -> Input:
    input_id = element.get("id") or f"input{position}"
    label = _nfc(element.get("label"))
    where = decision_where.at(input=input_id, cell_title=f"cột đầu vào '{label or input_id}'")
    expression_element = element.find(_tag("inputExpression"))
    if expression_element is None:
        where.fail("thiếu biểu thức đầu vào (inputExpression)")
    _check_language(expression_element, where)
    written = expression_element.get("typeRef") or ""
    type_ref = _type_ref(written)
    expression = _text(expression_element).strip()
    try:
        compiled = parse_expression(expression)
    except FeelSyntaxError as exc:
        where.fail(f"biểu thức đầu vào '{expression}' không đọc được ({_reason(exc)}); hãy viết tên biến, đường dẫn "
                   "dạng a.b hoặc một biểu thức S-FEEL", exc)
    if compiled is None:
        where.fail(f"biểu thức đầu vào '{expression}' phải là tên biến hoặc đường dẫn dạng a.b")
    path: tuple[str, ...] = ()
    if isinstance(compiled, Name):
        path, compiled = compiled.parts, None
    elif isinstance(compiled, Const):
        where.fail(f"biểu thức đầu vào '{expression}' là một hằng số; hãy viết tên biến hoặc đường dẫn dạng a.b")
    allowed = None
    values_element = element.find(_tag("inputValues"))
    if values_element is not None and _text(values_element).strip():
        values_where = where.at(cell_title=f"giá trị cho phép của cột '{label or input_id}'")
        allowed = _unary_tests(_text(values_element), type_ref, values_where)
    return Input(id=input_id, label=label, expression=expression, type_ref=type_ref, path=path, allowed=allowed,
                 compiled=compiled, type_ref_written=written)


def _output(element: etree._Element, position: int, decision_where: _Where, single_name: str | None) -> Output:
    output_id = element.get("id") or f"output{position}"
    label = _nfc(element.get("label"))
    where = decision_where.at(output=output_id, cell_title=f"cột đầu ra '{label or output_id}'")
    name = _nfc(element.get("name")) or single_name or ""
    if not name:
        where.fail("cột đầu ra thiếu tên (name), tên này là khóa của kết quả")
    written = element.get("typeRef") or ""
    type_ref = _type_ref(written)
    allowed_values: list[Any] = []
    values_element = element.find(_tag("outputValues"))
    if values_element is not None and _text(values_element).strip():
        text = _text(values_element)
        try:
            allowed_values = [coerce_output(lit, type_ref) for lit in parse_literal_list(text)]
        except (FeelSyntaxError, FeelTypeError) as exc:
            where.fail(f"danh sách giá trị đầu ra '{text}' không đọc được: {_reason(exc)}", exc)
    default = None
    default_element = element.find(_tag("defaultOutputEntry"))
    if default_element is not None and _text(default_element).strip():
        text = _text(default_element)
        try:
            literals = parse_literal_list(text)
            if len(literals) != 1:
                raise FeelSyntaxError(text, 1, "giá trị mặc định phải là một hằng số")
            default = coerce_output(literals[0], type_ref)
        except (FeelSyntaxError, FeelTypeError) as exc:
            where.fail(f"giá trị mặc định '{text.strip()}' không đọc được: {_reason(exc)}", exc)
    return Output(id=output_id, label=label, name=name, type_ref=type_ref, allowed_values=allowed_values,
                  default=default, type_ref_written=written)


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
    computed = []
    output_texts = []
    for cell, column in zip(output_cells, outputs):
        cell_where = where.at(cell=cell.get("id") or column.id, cell_title=f"ô đầu ra '{column.title}'")
        _check_language(cell, cell_where)
        text = _text(cell)
        output_texts.append(text)
        try:
            expression = parse_expression(text)
            if expression is None:
                continue
            if not isinstance(expression, Const):
                computed.append((column.name, expression, column.type_ref))
                continue
            value = coerce_output(expression.literal, column.type_ref)
        except FeelSyntaxError as exc:
            cell_where.fail(f"không đọc được '{text.strip()}' ở vị trí {exc.position}: {exc.reason}", exc)
        except FeelTypeError as exc:
            cell_where.fail(f"giá trị '{text.strip()}' kiểu {exc.actual} không hợp với typeRef {exc.expected}", exc)
        if column.allowed_values and value is not None and value not in column.allowed_values:
            cell_where.fail(f"giá trị '{text.strip()}' không có trong danh sách giá trị đầu ra của cột")
        values.append((column.name, value))
    description = _nfc(element.findtext(_tag("description")))
    return Rule(id=rule_id, input_entries=input_texts, output_entries=output_texts, description=description,
                tests=tuple(tests), outputs=tuple(values), position=position, computed=tuple(computed))


def _check_numeric(output: Output, rules: list[Rule], aggregation: str, where: _Where) -> None:
    if output.type_ref is not None and TYPE_REFS[output.type_ref] != "number":
        where.fail(f"phép gộp {aggregation} cần cột đầu ra kiểu số, không phải {output.type_ref}")
    for rule in rules:
        for _, value in rule.outputs:
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, Decimal))):
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
