"""DMN beyond Camunda 7's subset: the DMN 1.1–1.5 namespaces, FEEL types, S-FEEL names and arithmetic, FEEL null
semantics for tables not saved for Camunda 7, defaults, unnamed outputs and decisions read by name."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from engine.errors import InvalidInput, NotFound
from engine.rules import evaluate_decision, load_dmn, required_value
from engine.rules.feel import parse_expression, parse_unary_tests
from engine.rules.feel_types import YearsMonths

NAMESPACES = {
    "1.1": "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "1.4": "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "1.5": "https://www.omg.org/spec/DMN/20230324/MODEL/",
}


def table(decision_id: str, name: str, inputs, outputs, rules, *, hit_policy="UNIQUE", required=()) -> str:
    """`inputs`: [(expression, typeRef)], `outputs`: [(name or "", typeRef, default)], `rules`: [([in], [out])]."""
    parts = [f'<decision id="{decision_id}" name="{escape(name)}">']
    parts += [f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>' for r in required]
    parts.append(f'<decisionTable hitPolicy="{hit_policy}">')
    for i, (expression, type_ref) in enumerate(inputs):
        attr = f' typeRef="{type_ref}"' if type_ref else ""
        parts.append(f'<input id="i{i}"><inputExpression{attr}><text>{escape(expression)}</text></inputExpression>'
                     "</input>")
    for i, (name_, type_ref, default) in enumerate(outputs):
        attrs = (f' name="{name_}"' if name_ else "") + (f' typeRef="{type_ref}"' if type_ref else "")
        default_xml = f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>" if default else ""
        parts.append(f'<output id="o{i}"{attrs}>{default_xml}</output>')
    for n, (cells_in, cells_out) in enumerate(rules):
        parts.append(f'<rule id="r{n + 1}">')
        parts += [f"<inputEntry><text>{escape(c)}</text></inputEntry>" for c in cells_in]
        parts += [f"<outputEntry><text>{escape(c)}</text></outputEntry>" for c in cells_out]
        parts.append("</rule>")
    parts.append("</decisionTable></decision>")
    return "".join(parts)


def model(*decisions: str, version: str = "1.5", camunda: bool = False):
    platform = (' xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Platform"'
                if camunda else "")
    xml = (f'<definitions xmlns="{NAMESPACES[version]}"{platform} id="defs" name="m" namespace="urn:m">'
           f'{"".join(decisions)}</definitions>')
    return load_dmn(xml.encode(), "m.dmn")


def decide(decisions, key, data):
    result = evaluate_decision(decisions, key, data)
    return required_value(decisions[result.decision_id], result)


@pytest.mark.parametrize("version", sorted(NAMESPACES))
def test_every_dmn_version_from_1_1_to_1_5_loads_and_decides(version):
    m = model(table("d", "Decision", [("x", "number")], [("y", "string", None)], [([">= 18"], ['"adult"'])]),
              version=version)
    assert m.version == version
    assert decide(m.decisions, "d", {"x": 20}) == "adult"


def test_a_model_without_namespace_or_in_its_own_namespace_is_read_as_dmn():
    body = table("d", "D", [("x", "number")], [("y", None, None)], [(["-"], ["1"])])
    for root in ('<definitions namespace="urn:m">', '<definitions xmlns="urn:m" namespace="urn:m">'):
        assert decide(load_dmn(f"{root}{body}</definitions>".encode(), "m.dmn").decisions, "d", {"x": 1}) == 1
    with pytest.raises(InvalidInput, match="phần tử gốc phải là dmn:definitions của DMN 1.1–1.5"):
        load_dmn(f'<definitions xmlns="urn:other" namespace="urn:m">{body}</definitions>'.encode(), "m.dmn")


@pytest.mark.parametrize(
    ("type_ref", "cell", "value", "matches"),
    [
        ("number", "[1.5..2.5]", Decimal("2.5"), True),
        ("feel:number", "> 0.1", 0.1, False),
        ("time", '< time("12:00:00")', "11:59:59", True),
        ("time", '< time("12:00:00")', time(12), False),
        ("date and time", '>= date and time("2026-01-02T08:00:00")', "2026-01-02T08:00:00", True),
        ("dateTime", '@"2026-01-02T08:00:00"', datetime(2026, 1, 2, 8), True),
        ("date", '[date("2026-01-01")..date("2026-01-31")]', date(2026, 1, 15), True),
        ("days and time duration", '> duration("P1D")', "PT25H", True),
        ("days and time duration", '<= duration("PT24H")', timedelta(days=1), True),
        ("years and months duration", '>= duration("P1Y")', "P1Y2M", True),
        ("yearMonthDuration", '< @"P1Y"', YearsMonths(11), True),
    ],
)
def test_feel_types_are_read_from_json_text_and_compared(type_ref, cell, value, matches):
    m = model(table("d", "D", [("x", type_ref)], [("y", "boolean", None)], [([cell], ["true"])]))
    assert (decide(m.decisions, "d", {"x": value}) is True) is matches


def test_number_outputs_are_exact_decimals_and_camunda_aliases_keep_their_python_types():
    m = model(table("d", "D", [("x", "number")], [("a", "number", None), ("b", "double", None), ("c", "long", None)],
                    [(["-"], ["0.1 + 0.2", "0.5", "3"])]))
    assert decide(m.decisions, "d", {"x": 1}) == {"a": Decimal("0.3"), "b": 0.5, "c": 3}


def test_an_unknown_type_ref_is_accepted_as_no_type_ref():
    m = model(table("d", "D", [("x", "tns:tCustomer")], [("y", "java.lang.Object", None)], [(["-"], ['"ok"'])]))
    column = m.decisions["d"].inputs[0]
    assert column.type_ref is None and column.type_ref_written == "tns:tCustomer"
    assert decide(m.decisions, "d", {"x": {"any": "thing"}}) == "ok"


def test_an_unnamed_single_output_is_named_after_the_decision():
    m = model(table("d", "Approval Status", [("Age", "number")], [("", "string", None)], [(["-"], ['"ok"'])]))
    assert evaluate_decision(m.decisions, "d", {"Age": 1}).entries == [{"Approval Status": "ok"}]
    with pytest.raises(InvalidInput, match="cột đầu ra thiếu tên"):
        model(table("d", "D", [("x", None)], [("", None, None), ("", None, None)], [(["-"], ["1", "2"])]))


def test_names_with_spaces_and_qualified_names_are_inputs_values_and_range_ends():
    years = model(table("d", "D", [("Years of Service", "number")], [("y", "number", None)],
                        [(["> Years in Role"], ["Years of Service - Years in Role"])]))
    assert decide(years.decisions, "d", {"Years of Service": 10, "Years in Role": 4}) == 6
    m = model(table("d", "D", [("Another boolean", "boolean"), ("structA.price", "number")],
                    [("y", "string", None)],
                    [(["true", "[num B..numC]"], ['"in"']), (["true", "> numC"], ['"above"']),
                     (["true", "Limit.low"], ['"at low"']), (["-", "-"], ['"other"'])], hit_policy="FIRST"))
    data = {"Another boolean": True, "structA": {"price": 12}, "num B": 10, "numC": 11, "Limit": {"low": 3}}
    assert decide(m.decisions, "d", data) == "above"
    assert decide(m.decisions, "d", {**data, "structA": {"price": 10}}) == "in"
    assert decide(m.decisions, "d", {**data, "structA": {"price": 3}}) == "at low"
    assert decide(m.decisions, "d", {**data, "numC": None}) == "other"  # a range end that is null: no match


def test_output_entries_and_input_expressions_may_compute_with_names():
    m = model(table("d", "D", [("price * quantity", "number")], [("total", "number", None), ("label", "string", None),
                                                                 ("due", "date", None), ("big", "boolean", None)],
                    [(["> 100"], ["price * quantity - discount", '"Đơn " + code', 'start + duration("P2D")',
                                  "price * quantity > 1000"]),
                     (["<= 100"], ["-price", "code", "start", "false"])], hit_policy="FIRST"))
    data = {"price": Decimal("12.5"), "quantity": 10, "discount": 5, "code": "A1", "start": date(2026, 1, 30)}
    assert decide(m.decisions, "d", data) == {"total": 120, "label": "Đơn A1", "due": datetime(2026, 2, 1),
                                              "big": False}
    assert decide(m.decisions, "d", {**data, "quantity": 1})["total"] == Decimal("-12.5")


def test_arithmetic_follows_feel_null_semantics():
    env = {"a": 1, "s": "x", "d": date(2026, 1, 31), "z": 0}
    assert parse_expression("a + s").evaluate(env) == (None, "null")
    assert parse_expression("a / z").evaluate(env) == (None, "null")
    assert parse_expression("missing + 1").evaluate(env) == (None, "null")
    assert parse_expression('d + duration("P1M")').evaluate(env) == (datetime(2026, 2, 28), "date")
    assert parse_expression("-(a + 2) * 3 + 2 ** 3").evaluate(env) == (-1, "number")
    assert parse_expression("a != s").evaluate(env) == (None, "null")


def test_a_table_not_saved_for_camunda_follows_feel_null_semantics_and_a_camunda_table_stays_strict():
    decision = table("d", "D", [("x", "number"), ("y", "string")], [("r", "string", None)],
                     [(["< 10", "-"], ['"small"']), (["-", '"a"'], ['"a"']), (["-", "-"], ['"other"'])],
                     hit_policy="FIRST")
    feel = model(decision).decisions
    assert decide(feel, "d", {}) == "other"  # missing inputs are null; null < 10 is null: no match
    assert decide(feel, "d", {"x": "9", "y": 5}) == "other"  # values of another kind are null too
    strict = model(decision, camunda=True).decisions
    with pytest.raises(InvalidInput, match="Dữ liệu thiếu đầu vào"):
        decide(strict, "d", {})
    with pytest.raises(InvalidInput, match="có kiểu string, không hợp với typeRef number"):
        decide(strict, "d", {"x": "9", "y": "a"})


def test_default_output_entries_fill_the_row_when_no_rule_matches():
    m = model(table("d", "D", [("x", "number")], [("s", "string", '"Declined"'), ("r", "string", '"Standard"')],
                    [(["> 18"], ['"Approved"', '"Best"'])]))
    assert decide(m.decisions, "d", {"x": 10}) == {"s": "Declined", "r": "Standard"}
    assert decide(m.decisions, "d", {"x": 20}) == {"s": "Approved", "r": "Best"}


def test_a_decision_requirement_graph_runs_in_dependency_order_and_dependents_read_results_by_name():
    risk = table("risk", "Risk Level", [("Age", "number")], [("", "string", None)],
                 [(["< 25"], ['"high"']), ([">= 25"], ['"low"'])])
    premium = table("premium", "Premium", [("Risk Level", "string"), ("Base", "number")], [("", "number", None)],
                    [(['"high"', "-"], ["Base * 2"]), (['"low"', "-"], ["Base"])], required=("risk",))
    total = table("total", "Total", [("Premium", "number")], [("", "number", None)], [(["-"], ["Premium + 10"])],
                  required=("premium",))
    m = model(total, premium, risk)
    result = evaluate_decision(m.decisions, "Total", {"Age": 20, "Base": 100})  # by name, like `tthc decide`
    assert [r.decision_id for r in result.required] == ["risk", "premium"]
    assert result.entries == [{"Total": 210}]
    with pytest.raises(NotFound):
        evaluate_decision(m.decisions, "Nothing", {})


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("x + 1", "phép tính số học"), ("abs(x)", "hàm 'abs"), ("= 1", "không cần dấu '='"),
     ("[a..", "ô kết thúc khi còn thiếu giá trị"), ('date("x")', "không phải ngày hợp lệ"),
     ('duration("P1X")', "không phải khoảng thời gian hợp lệ"), ("not(", "ô kết thúc khi còn thiếu giá trị")],
)
def test_input_cells_stay_simple_unary_tests(cell, reason):
    with pytest.raises(InvalidInput) as caught:
        parse_unary_tests(cell)
    assert reason in caught.value.message


# --- tthc lint checks DMN the way deploy reads it ----------------------------------------------------------------


def _lint(xml: str):
    from lxml import etree

    from engine.lint.dmn_rules import check_dmn

    content = xml.encode()
    return check_dmn(etree.fromstring(content), content, "m.dmn")[0]


HEADER = ('xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Platform" '
          'modeler:executionPlatformVersion="7.22.0"')


@pytest.mark.parametrize("version", sorted(NAMESPACES))
def test_lint_accepts_every_dmn_version_the_engine_reads(version):
    body = table("d", "D", [("x", "integer")], [("y", "string", None)], [(["> 1"], ['"a"'])])
    assert _lint(f'<definitions xmlns="{NAMESPACES[version]}" {HEADER} id="m" namespace="urn:m">{body}'
                 "</definitions>") == []


def test_lint_warns_about_type_refs_the_engine_or_camunda_7_do_not_know_and_still_runs_the_engine_check():
    body = table("d", "D", [("x", "tCustomer"), ("n", "number")], [("y", "string", None)],
                 [(["-", "> 1"], ["1"])])
    findings = _lint(f'<definitions xmlns="{NAMESPACES["1.3"]}" {HEADER} id="m" namespace="urn:m">{body}'
                     "</definitions>")
    assert [(f.rule, f.element_id) for f in findings] == [("dmn-type-ref", "i0"), ("dmn-type-ref", "i1"),
                                                          ("dmn-engine", None)]
    assert findings[0].message_vi.startswith("Cảnh báo: cột 'i0' có typeRef 'tCustomer'")
    assert "Camunda 7 không biết kiểu này" in findings[1].message_vi
    assert "kiểu number không hợp với typeRef string" in findings[2].message_vi  # the output cell 1, from deploy
    assert [f.severity for f in findings] == ["warning", "warning", "error"]  # only the engine's refusal fails lint


def test_in_a_camunda_table_a_name_the_data_lacks_is_an_error_that_suggests_quotes():
    decision = table("d", "D", [("status", "string")], [("y", "string", None)],
                     [(["complete"], ['"ok"']), (["-"], ['"other"'])], hit_policy="FIRST")
    with pytest.raises(InvalidInput) as caught:
        decide(model(decision, camunda=True).decisions, "d", {"status": "complete"})
    assert caught.value.message == (
        "Quyết định 'd', quy tắc số 1 ('r1') đọc tên 'complete' nhưng dữ liệu không có 'complete'; nếu đó là một giá "
        'trị chữ, hãy đặt trong dấu nháy kép ("complete").')
    assert decide(model(decision).decisions, "d", {"status": "complete"}) == "other"  # FEEL: null, no match
    assert decide(model(decision, camunda=True).decisions, "d", {"status": "x", "complete": "x"}) == "ok"


def test_results_of_every_feel_type_convert_to_json():
    import json

    m = model(table("d", "D", [("x", "number")],
                    [("t", "time", None), ("p", "days and time duration", None), ("q", "years and months duration",
                                                                                   None), ("n", "number", None)],
                    [(["-"], ['time("08:30:00")', 'duration("P1DT2H30M")', 'duration("P1Y2M")', "1.25"])]))
    doc = evaluate_decision(m.decisions, "d", {"x": 1}).to_dict()
    assert json.loads(json.dumps(doc))["entries"] == [{"t": "08:30:00", "p": "P1DT2H30M", "q": "P1Y2M", "n": 1.25}]


@pytest.mark.parametrize("text", ["(" * 100 + "1" + ")" * 100, "-" * 100 + "1", "- (" * 70 + "1"],
                         ids=["parentheses", "signs", "both"])
def test_a_deeply_nested_cell_is_refused_with_a_message_not_a_recursion_error(text):
    with pytest.raises(InvalidInput) as caught:
        parse_expression(text)
    assert "lồng quá 64 tầng" in caught.value.message


def test_an_output_expression_too_long_to_evaluate_safely_is_refused():
    assert parse_expression(" + ".join(["1"] * 150)).evaluate({}) == (150, "number")
    with pytest.raises(InvalidInput, match="biểu thức dài quá 400 phần tử"):
        parse_expression(" + ".join(["1"] * 5000))
