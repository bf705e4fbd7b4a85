"""Runs the selected DMN TCK test cases against the engine's decision tables; prints a line per case when run.

For each selected model (see select.py) the runner loads the model with `engine.rules.load_dmn`, exactly as a deploy
does, reads its `*-test-01.xml` and, for every `testCase`, builds the input data from the `inputNode`s and evaluates
every `resultNode` of type decision by its name, as `tthc decide NAME` does. A test case passes when every result
equals the expected value.

Input values are typed by their `xsi:type` (`xsd:decimal`, `xsd:string`, `xsd:boolean`, `xsd:date`,
`xsd:dateTime`, `xsd:time`, `xsd:duration`; `xsi:nil` is null) or, in the older files that have none, by the
typeRef of the model's `inputData` of that name (components by the item definition's component typeRefs), as a
TCK runner must. Results are compared in canonical text form: numbers as plain decimals (64.32, 1100), booleans as
true/false, dates and times in ISO 8601, lists item by item, components by name.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.errors import EngineError  # noqa: E402
from engine.rules import evaluate_decision, load_dmn, required_value  # noqa: E402
from engine.rules.evaluate import _find  # noqa: E402
from engine.rules.feel_types import YearsMonths, parse_duration, parse_iso, parse_time  # noqa: E402

XSI = "http://www.w3.org/2001/XMLSchema-instance"
TC = "http://www.omg.org/spec/DMN/20160719/testcase"


def _load_select():
    spec = importlib.util.spec_from_file_location("dmn_tck_select", HERE / "select.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


select = _load_select()


@dataclass
class CaseResult:
    case: str  # "<model dir>/<test case id>"
    passed: bool
    detail: str  # why it failed: the first differing result, or the engine's message


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


# --- the model's types, for untyped values ----------------------------------------------------------------------


class ModelTypes:
    """inputData typeRefs and item-definition components of a model, by name."""

    def __init__(self, model_path: Path) -> None:
        root = etree.parse(str(model_path)).getroot()
        self.inputs: dict[str, str] = {}
        self.items: dict[str, dict[str, str]] = {}
        for element in root:
            if not isinstance(element.tag, str):
                continue
            if _local(element) == "inputData":
                variable = _children(element, "variable")
                if variable:
                    self.inputs[element.get("name", "")] = _bare(variable[0].get("typeRef", ""))
            elif _local(element) == "itemDefinition":
                components = {}
                for component in _children(element, "itemComponent"):
                    type_ref = _children(component, "typeRef")
                    components[component.get("name", "")] = _bare(type_ref[0].text or "") if type_ref else ""
                self.items[element.get("name", "")] = components


def _bare(type_ref: str) -> str:
    return type_ref.rsplit(":", 1)[-1] if ":" in type_ref and not type_ref.startswith("date and") else type_ref


def _typed(text: str, type_ref: str) -> Any:
    if type_ref in ("number", "decimal", "integer", "double", "long"):
        return Decimal(text)
    if type_ref == "boolean":
        return text.strip() == "true"
    if type_ref == "date":
        return parse_iso(text)
    if type_ref in ("date and time", "dateTime"):
        return datetime.fromisoformat(text)
    if type_ref == "time":
        return parse_time(text)
    if type_ref in ("duration", "days and time duration", "years and months duration", "dayTimeDuration",
                    "yearMonthDuration"):
        return parse_duration(text)
    return text


def _value(element: etree._Element, type_ref: str, types: ModelTypes) -> Any:
    """The value an inputNode (or a component, an item) holds."""
    for value in _children(element, "value"):
        if value.get(f"{{{XSI}}}nil") == "true":
            return None
        xsi_type = value.get(f"{{{XSI}}}type")
        text = value.text or ""
        if xsi_type:
            return _typed(text, xsi_type.split(":")[-1])
        return _typed(text, type_ref)
    components = _children(element, "component")
    if components:
        fields = types.items.get(type_ref, {})
        return {c.get("name"): _value(c, fields.get(c.get("name", ""), ""), types) for c in components}
    lists = _children(element, "list")
    if lists:
        return [_value(item, type_ref, types) for item in _children(lists[0], "item")]
    return None


# --- canonical text of values, for comparison -------------------------------------------------------------------


def canon(value: Any) -> Any:
    if value is None:
        return None
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = format(number.normalize(), "f")
        return text
    if isinstance(value, datetime):
        return value.isoformat() if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"PT{int(value.total_seconds())}S"
    if isinstance(value, YearsMonths):
        return str(value)
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canon(v) for v in value]
    return str(value)


def _expected(result_node: etree._Element, types: ModelTypes) -> Any:
    holder = (_children(result_node, "expected") or _children(result_node, "computed"))[0]
    return canon(_value(holder, "", types))


def _canon_expected(value: Any) -> Any:
    """Expected values read without a type are text; numbers in it are normalised like actual numbers."""
    if isinstance(value, str):
        try:
            return format(Decimal(value).normalize(), "f")
        except ArithmeticError:
            return value
    if isinstance(value, dict):
        return {k: _canon_expected(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon_expected(v) for v in value]
    return value


def run_model(model_path: Path) -> list[CaseResult]:
    tests_path = model_path.parent / f"{model_path.stem}-test-01.xml"
    types = ModelTypes(model_path)
    prefix = f"{model_path.parent.parent.name}/{model_path.parent.name}"
    root = etree.parse(str(tests_path)).getroot()
    try:
        model = load_dmn(model_path.read_bytes(), model_path.name)
    except EngineError as exc:
        return [CaseResult(f"{prefix}/{case.get('id')}", False, f"nạp mô hình: {exc.message}")
                for case in _children(root, "testCase")]
    results = []
    for case in _children(root, "testCase"):
        case_id = f"{prefix}/{case.get('id')}"
        data = {node.get("name"): _value(node, types.inputs.get(node.get("name", ""), ""), types)
                for node in _children(case, "inputNode")}
        detail = ""
        for node in _children(case, "resultNode"):
            if node.get("type", "decision") != "decision":
                continue
            expected = _canon_expected(_expected(node, types))
            try:
                decision = _find(model.decisions, node.get("name", ""))
                result = evaluate_decision(model.decisions, decision.id, data)
                actual = _canon_expected(canon(required_value(decision, result)))
            except EngineError as exc:
                detail = f"{node.get('name')}: {exc.message}"
                break
            if actual != expected:
                detail = f"{node.get('name')}: được {actual!r}, mong đợi {expected!r}"
                break
        results.append(CaseResult(case_id, not detail, detail))
    return results


def run_all() -> list[CaseResult]:
    return [result for model in select.selected() for result in run_model(model)]


def main() -> int:
    results = run_all()
    for result in results:
        print(f"{'đạt ' if result.passed else 'TRƯỢT'}  {result.case}" + (f"  {result.detail}" if result.detail else ""))
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
