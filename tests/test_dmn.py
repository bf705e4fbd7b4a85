"""DMN decision tables: the S-FEEL cells, loading with deploy-time checks, hit policies, DRDs and result mapping."""

from __future__ import annotations

import builtins
import json
import pickle
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from engine.errors import InvalidInput, NotFound
from engine.rules import (
    DecisionResult,
    evaluate_decision,
    load_dmn,
    map_decision_result,
    required_value,
)
from engine.rules.feel import coerce_input, parse_unary_tests

FIXTURES = Path(__file__).parent / "fixtures" / "dmn"

# --- a small builder for tables written inline in the tests -------------------------------------------------------


def decision_xml(
    decision_id: str,
    rules: list[tuple[str, list[str], list[str]]],
    *,
    inputs: list[tuple[str, str | None]] = [("x", "integer")],
    outputs: list[tuple[str, str | None]] = [("y", "string")],
    hit_policy: str | None = None,
    aggregation: str | None = None,
    required: tuple[str, ...] = (),
    input_values: dict[str, str] = {},
    output_values: dict[str, str] = {},
    body: str | None = None,
) -> str:
    parts = [f'<decision id="{decision_id}" name="Quyết định {decision_id}">']
    for ref in required:
        parts.append(f'<informationRequirement><requiredDecision href="#{ref}"/></informationRequirement>')
    if body is not None:
        parts.append(body)
    else:
        attrs = f' hitPolicy="{hit_policy}"' if hit_policy else ""
        attrs += f' aggregation="{aggregation}"' if aggregation else ""
        parts.append(f'<decisionTable id="t_{decision_id}"{attrs}>')
        for expression, type_ref in inputs:
            type_attr = f' typeRef="{type_ref}"' if type_ref else ""
            values = input_values.get(expression)
            values_xml = f"<inputValues><text>{escape(values)}</text></inputValues>" if values else ""
            parts.append(
                f'<input id="in_{expression}" label="Cột {expression}"><inputExpression{type_attr}>'
                f"<text>{escape(expression)}</text></inputExpression>{values_xml}</input>"
            )
        for name, type_ref in outputs:
            type_attr = f' typeRef="{type_ref}"' if type_ref else ""
            values = output_values.get(name)
            values_xml = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
            parts.append(f'<output id="out_{name}" label="Ra {name}" name="{name}"{type_attr}>{values_xml}</output>')
        for rule_id, cells_in, cells_out in rules:
            parts.append(f'<rule id="{rule_id}"><description>Quy tắc {rule_id}</description>')
            parts.extend(f"<inputEntry><text>{escape(text)}</text></inputEntry>" for text in cells_in)
            parts.extend(f"<outputEntry><text>{escape(text)}</text></outputEntry>" for text in cells_out)
            parts.append("</rule>")
        parts.append("</decisionTable>")
    parts.append("</decision>")
    return "".join(parts)


def dmn(*decisions: str, namespace: str = "https://www.omg.org/spec/DMN/20191111/MODEL/",
        camunda: bool = True) -> bytes:
    """A DMN file; `camunda` saves it for Camunda Platform 7 like the library's tables (strict inputs), else it is
    a plain DMN file (FEEL null semantics)."""
    platform = (' xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Platform"'
                if camunda else "")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{namespace}"{platform} id="defs" name="Thử" '
        f'namespace="http://camunda.org/schema/1.0/dmn">{"".join(decisions)}</definitions>'
    ).encode()


def load(*decisions: str):
    return load_dmn(dmn(*decisions), "test.dmn").decisions


def one(decision_id: str, rules, **kwargs):
    return load(decision_xml(decision_id, rules, **kwargs))


# --- every unary-test form ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "type_ref", "value", "expected"),
    [
        ('"a"', "string", "a", True),
        ('"a"', "string", "b", False),
        ('"a","b"', "string", "b", True),
        ('"a", "b"', "string", "c", False),
        ('not("a","b")', "string", "c", True),
        ('not("a","b")', "string", "a", False),
        ('not("a")', "string", None, True),
        ('"Hồ sơ \\"đủ\\""', "string", 'Hồ sơ "đủ"', True),
        ('< "m"', "string", "k", True),
        ("< 10", "integer", 9, True),
        ("< 10", "integer", 10, False),
        ("<= 10", "integer", 10, True),
        ("<= 10", "integer", 11, False),
        ("> 10", "integer", 11, True),
        ("> 10", "integer", 10, False),
        (">= 10", "integer", 10, True),
        (">= 10", "integer", 9, False),
        ("[1..10]", "integer", 1, True),
        ("[1..10]", "integer", 10, True),
        ("[1..10]", "integer", 11, False),
        ("]1..10[", "integer", 1, False),
        ("]1..10[", "integer", 10, False),
        ("]1..10[", "integer", 5, True),
        ("(1..10)", "integer", 1, False),
        ("(1..10)", "integer", 2, True),
        ("[1..10[", "integer", 10, False),
        ("]1..10]", "integer", 10, True),
        ("[1..3],[10..12]", "integer", 11, True),
        ("[1..3],[10..12]", "integer", 5, False),
        ("<5, >10", "integer", 12, True),
        ("not([1..10])", "integer", 0, True),
        ("not([1..10])", "integer", 5, False),
        ("-5", "integer", -5, True),
        ("[-5..-1]", "integer", -3, True),
        ("1.5", "double", 1.5, True),
        ("< 0.3", "double", 0.1 + 0.2, False),
        ("0.3", "double", 0.3, True),
        ("2", "double", 2.0, True),
        ("true", "boolean", True, True),
        ("true", "boolean", False, False),
        ("false", "boolean", False, True),
        ("not(true)", "boolean", None, True),
        ("not(true)", "boolean", False, True),
        ("null", "string", None, True),
        ("null", "string", "a", False),
        ("not(null)", "string", "a", True),
        ('"a", null', "string", None, True),
        ('date("2026-01-02")', "date", date(2026, 1, 2), True),
        ('date("2026-01-02")', "date", "2026-01-02T00:00:00", True),
        ('date("2026-01-02")', "date", datetime(2026, 1, 2, 8), False),
        ('< date("2026-01-02")', "date", "2026-01-01", True),
        ('[date("2026-01-01")..date("2026-01-31")]', "date", date(2026, 1, 31), True),
        ('[date("2026-01-01")..date("2026-01-31")]', "date", date(2026, 2, 1), False),
        ('date and time("2026-01-02T08:00:00")', "date", datetime(2026, 1, 2, 8), True),
        ('date("2026-01-02T08:00:00")', "date", "2026-01-02T08:00:00", True),
        ('>= date and time("2026-01-02T08:00:00")', "date",
         datetime(2026, 1, 2, 8, tzinfo=timezone(timedelta(hours=7))), True),
        ("< 10", "integer", None, False),
        ("[1..10]", "integer", None, False),
        ('"a"', "string", None, False),
        ("< 10", None, 9.5, True),
        ('"a"', None, "a", True),
    ],
)
def test_every_unary_test_form_matches_as_s_feel_defines_it(cell, type_ref, value, expected):
    test = parse_unary_tests(cell)
    assert test is not None
    normal, kind = coerce_input(value, type_ref)
    assert test.matches(normal, kind) is expected


@pytest.mark.parametrize("cell", ["-", "", "   ", " - "])
def test_a_dash_or_an_empty_cell_means_any_value(cell):
    assert parse_unary_tests(cell) is None


def test_each_unary_test_form_inside_a_table_selects_the_expected_rules():
    forms = {
        "lt": "< 10", "le": "<= 10", "gt": "> 10", "ge": ">= 10", "closed": "[5..10]", "open": "]5..10[",
        "parens": "(5..10)", "list": "1,10,20", "negation": "not(10)", "any": "-", "empty": "", "null": "null",
    }
    decisions = one("forms", [(k, [v], [f'"{k}"']) for k, v in forms.items()], hit_policy="COLLECT",
                    inputs=[("n", "integer")])

    def matched(n):
        return evaluate_decision(decisions, "forms", {"n": n}).matched_rules

    assert matched(10) == ["le", "ge", "closed", "list", "any", "empty"]
    assert matched(5) == ["lt", "le", "closed", "negation", "any", "empty"]
    assert matched(7) == ["lt", "le", "closed", "open", "parens", "negation", "any", "empty"]
    assert matched(None) == ["negation", "any", "empty", "null"]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("foo(1)", "hàm 'foo(...)' không được hỗ trợ"),
        ("x + 1", "phép tính số học"),
        ("'a'", "dấu nháy kép"),
        ("[1..", "ô kết thúc khi còn thiếu giá trị"),
        ("[1..5", "thiếu dấu ']', '[' hoặc ')' đóng khoảng"),
        ("[5..1]", "đầu dưới của khoảng lớn hơn đầu trên"),
        ("not 1", "sau 'not' phải có '('"),
        ("not(1", "thiếu dấu ')' đóng not(...)"),
        ("abs(1)", "hàm 'abs(...)' không được hỗ trợ"),
        ("= 1", "không cần dấu '='"),
        ("1 2", "không chờ đợi '2' ở đây"),
        ("< true", "chỉ so sánh thứ tự được số, chuỗi và ngày"),
        ("1, \"a\"", "các giá trị trong một ô phải cùng kiểu"),
        ('date("2026-13-01")', "không phải ngày hợp lệ"),
        ('date("2026-01-02T08:00:00+07:00")', "không được kèm múi giờ"),
        ("- x", "dấu '-' chỉ đứng một mình"),
        ('"abc', "chuỗi chưa được đóng dấu nháy kép"),
        ("${x}", "biểu thức ${...} không dùng trong bảng quyết định"),
    ],
)
def test_a_cell_outside_the_grammar_is_refused_at_deploy_naming_file_decision_rule_and_cell(cell, reason):
    with pytest.raises(InvalidInput) as caught:
        one("d", [("r1", ["-"], ['"ok"']), ("r2", [cell], ['"no"'])], inputs=[("x", None)])
    message = caught.value.message
    assert message.startswith(f"Tệp 'test.dmn', quyết định 'd', quy tắc số 2 ('r2'), ô đầu vào 'Cột x': không đọc "
                              f"được '{cell.strip()}' ở vị trí ")
    assert reason in message
    assert caught.value.details["decision"] == "d" and caught.value.details["rule"] == "r2"


@pytest.mark.parametrize(
    ("cell", "type_ref", "kind"),
    [('"a"', "integer", "string"), ("1", "string", "number"), ("true", "string", "boolean"),
     ('"2026-01-02"', "date", "string"), ("< 5", "boolean", "number"), ('not("a")', "double", "string")],
)
def test_an_input_cell_of_the_wrong_kind_for_its_type_ref_is_refused_at_deploy(cell, type_ref, kind):
    with pytest.raises(InvalidInput, match=f"chứa giá trị kiểu {kind} trong khi cột có typeRef {type_ref}"):
        one("d", [("r1", [cell], ['"ok"'])], inputs=[("x", type_ref)])


@pytest.mark.parametrize(
    ("cell", "type_ref", "expected"),
    [('"ok"', "string", "ok"), ("5", "integer", 5), ("5", "long", 5), ("5", "double", 5.0), ("1.25", "double", 1.25),
     ("true", "boolean", True), ('date("2026-01-02")', "date", date(2026, 1, 2)),
     ('"2026-01-02T08:30:00"', "date", datetime(2026, 1, 2, 8, 30)), ("null", "string", None),
     ("7", None, 7), ("2.5", None, 2.5), ('"x"', None, "x")],
)
def test_output_entries_are_literals_typed_by_the_output_type_ref(cell, type_ref, expected):
    decisions = one("d", [("r1", ["-"], [cell])], outputs=[("y", type_ref)])
    value = evaluate_decision(decisions, "d", {"x": 1}).entries[0]["y"]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("cell", "type_ref", "reason"),
    [("5", "string", "kiểu number không hợp với typeRef string"),
     ('"5"', "integer", "kiểu string không hợp với typeRef integer"),
     ("1.5", "integer", "không phải số nguyên"),
     ("3000000000", "integer", "vượt giới hạn"),
     ("name +", "string", "không đọc được 'name +'"),
     ('"a","b"', "string", "không chờ đợi ','"),
     ("< 5", "integer", "không chờ đợi '<'")],
)
def test_an_output_cell_that_is_not_a_literal_of_its_type_is_refused_at_deploy(cell, type_ref, reason):
    with pytest.raises(InvalidInput) as caught:
        one("d", [("r1", ["-"], [cell])], outputs=[("y", type_ref)])
    assert caught.value.message.startswith("Tệp 'test.dmn', quyết định 'd', quy tắc số 1 ('r1'), ô đầu ra 'Ra y': ")
    assert reason in caught.value.message


def test_an_empty_output_cell_leaves_that_output_out_of_the_row():
    decisions = one("d", [("r1", ["-"], ['"a"', ""])], outputs=[("y", "string"), ("z", "string")])
    assert evaluate_decision(decisions, "d", {"x": 1}).entries == [{"y": "a"}]


# --- typeRef of inputs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_ref", "value", "normal"),
    [("string", "a", "a"), ("integer", 3, 3), ("integer", 3.0, 3), ("long", 2**40, 2**40), ("double", 2, 2),
     ("double", 0.1, Decimal("0.1")), ("boolean", False, False), ("date", date(2026, 1, 2), datetime(2026, 1, 2)),
     ("date", "2026-01-02T00:00:00", datetime(2026, 1, 2)), ("date", "2026-01-02", datetime(2026, 1, 2)),
     ("integer", None, None), ("boolean", None, None)],
)
def test_input_values_are_accepted_and_normalised_according_to_their_type_ref(type_ref, value, normal):
    assert coerce_input(value, type_ref)[0] == normal


@pytest.mark.parametrize(
    ("type_ref", "value", "actual"),
    [("string", 5, "number"), ("integer", "3", "string"), ("integer", True, "boolean"), ("integer", 2.5, "number"),
     ("integer", 2**31, "number"), ("double", "1.5", "string"), ("boolean", "true", "string"),
     ("boolean", 1, "number"), ("date", "02/01/2026", "string"), ("string", ["a"], "list")],
)
def test_an_input_of_the_wrong_type_is_refused_naming_the_decision_and_the_input(type_ref, value, actual):
    decisions = one("d", [("r1", ["-"], ['"ok"'])], inputs=[("x", type_ref)])
    with pytest.raises(InvalidInput) as caught:
        evaluate_decision(decisions, "d", {"x": value})
    assert caught.value.message.startswith(
        f"Giá trị của đầu vào 'Cột x' (x) của quyết định 'd' có kiểu {actual}"
    )
    assert caught.value.message.endswith(f"không hợp với typeRef {type_ref}.")
    assert caught.value.details["decision"] == "d" and caught.value.details["input"] == "in_x"


def test_an_input_missing_from_the_data_is_refused_naming_the_decision_and_the_input():
    decisions = one("d", [("r1", ["-", "-"], ['"ok"'])], inputs=[("x", "integer"), ("applicant.age", "integer")])
    with pytest.raises(InvalidInput) as caught:
        evaluate_decision(decisions, "d", {"x": 1, "applicant": {"name": "A"}})
    assert caught.value.message == (
        "Dữ liệu thiếu đầu vào 'Cột applicant.age' (applicant.age) của quyết định 'd'; hãy cung cấp "
        "'applicant.age' (null nếu không có giá trị)."
    )
    assert caught.value.details == {"decision": "d", "input": "in_applicant.age", "path": "applicant.age"}


def test_an_explicit_null_input_is_a_value_not_a_missing_input():
    decisions = one("d", [("r1", ["null"], ['"none"']), ("r2", ["-"], ['"some"'])], hit_policy="FIRST")
    assert evaluate_decision(decisions, "d", {"x": None}).entries == [{"y": "none"}]


def test_an_input_path_through_something_that_is_not_an_object_is_refused():
    decisions = one("d", [("r1", ["-"], ['"ok"'])], inputs=[("applicant.age", "integer")])
    with pytest.raises(InvalidInput, match="vì 'applicant' không phải đối tượng"):
        evaluate_decision(decisions, "d", {"applicant": "Nguyễn Văn A"})


def test_an_input_without_type_ref_of_another_kind_than_a_cell_is_refused_naming_decision_rule_and_input():
    decisions = one("d", [("r1", ["-"], ['"any"']), ("r2", ["< 10"], ['"small"'])], inputs=[("x", None)],
                    hit_policy="COLLECT")
    with pytest.raises(InvalidInput) as caught:
        evaluate_decision(decisions, "d", {"x": "9"})
    assert caught.value.message == (
        "Quyết định 'd', quy tắc số 2 ('r2'): đầu vào 'Cột x' (x) của quyết định 'd' có kiểu string nhưng ô của quy "
        "tắc so với kiểu number."
    )
    assert caught.value.details["rule"] == "r2"


def test_input_values_restrict_what_an_input_may_hold():
    decisions = one("d", [("r1", ['"a"'], ['"A"'])], inputs=[("x", "string")], input_values={"x": '"a","b"'})
    assert evaluate_decision(decisions, "d", {"x": "b"}).entries == []
    with pytest.raises(InvalidInput, match="Giá trị 'c' của đầu vào 'Cột x' \\(x\\) của quyết định 'd' không nằm "
                                           "trong các giá trị cho phép"):
        evaluate_decision(decisions, "d", {"x": "c"})


def test_an_unknown_decision_is_not_found_with_its_key():
    decisions = one("d", [("r1", ["-"], ['"ok"'])])
    with pytest.raises(NotFound, match="Không tìm thấy bảng quyết định 'nope'"):
        evaluate_decision(decisions, "nope", {})


# --- hit policies -------------------------------------------------------------------------------------------------

GRADES = [("r_c", [">= 0"], ['"C"']), ("r_b", [">= 50"], ['"B"']), ("r_a", [">= 90"], ['"A"'])]


def grades(hit_policy: str, **kwargs):
    return one("grade", GRADES, hit_policy=hit_policy, inputs=[("score", "integer")],
               outputs=[("grade", "string")], output_values={"grade": '"A","B","C"'}, **kwargs)


def decide(decisions, score, key="grade"):
    result = evaluate_decision(decisions, key, {"score": score})
    return result.matched_rules, result.entries


def test_unique_returns_the_single_matching_rule_and_no_row_when_none_matches():
    decisions = one("grade", [("r_low", ["< 50"], ['"fail"']), ("r_high", [">= 50"], ['"pass"'])],
                    inputs=[("score", "integer")], outputs=[("grade", "string")])
    assert decide(decisions, 70) == (["r_high"], [{"grade": "pass"}])
    assert decisions["grade"].hit_policy == "UNIQUE"  # the default when the table names none
    decisions = one("grade", [("r_low", ["< 50"], ['"fail"'])], inputs=[("score", "integer")],
                    outputs=[("grade", "string")], hit_policy="UNIQUE")
    assert decide(decisions, 70) == ([], [])


def test_unique_with_two_matching_rules_is_an_error_naming_both_rules():
    with pytest.raises(InvalidInput) as caught:
        decide(grades("UNIQUE"), 60)
    assert caught.value.message == (
        "Quyết định 'grade' vi phạm hit policy: quy tắc số 1 ('r_c') và quy tắc số 2 ('r_b') cùng khớp, mà hit "
        "policy UNIQUE chỉ cho phép một quy tắc khớp."
    )
    assert caught.value.details["rules"] == ["r_c", "r_b"]


def test_first_returns_the_first_matching_rule_in_table_order():
    assert decide(grades("FIRST"), 95) == (["r_c"], [{"grade": "C"}])
    decisions = one("grade", list(reversed(GRADES)), hit_policy="FIRST", inputs=[("score", "integer")],
                    outputs=[("grade", "string")])
    assert decide(decisions, 95) == (["r_a"], [{"grade": "A"}])
    assert decide(decisions, 60) == (["r_b"], [{"grade": "B"}])
    assert decide(decisions, -1) == ([], [])


def test_any_returns_one_row_when_all_matching_rules_agree():
    decisions = one("pass", [("r1", [">= 50"], ['"pass"']), ("r2", [">= 90"], ['"pass"']), ("r3", ["< 50"],
                    ['"fail"'])], hit_policy="ANY", inputs=[("score", "integer")], outputs=[("grade", "string")])
    assert decide(decisions, 95, "pass") == (["r1", "r2"], [{"grade": "pass"}])
    assert decide(decisions, 10, "pass") == (["r3"], [{"grade": "fail"}])


def test_any_with_matching_rules_that_disagree_is_an_error_naming_them():
    with pytest.raises(InvalidInput, match=r"quy tắc số 1 \('r_c'\) và quy tắc số 2 \('r_b'\) cùng khớp, mà hit "
                                           r"policy ANY đòi các quy tắc khớp cho cùng kết quả"):
        decide(grades("ANY"), 60)


def test_priority_returns_the_match_whose_output_comes_first_in_the_output_values():
    assert decide(grades("PRIORITY"), 95) == (["r_a"], [{"grade": "A"}])
    assert decide(grades("PRIORITY"), 60) == (["r_b"], [{"grade": "B"}])
    assert decide(grades("PRIORITY"), 10) == (["r_c"], [{"grade": "C"}])


def test_priority_ranks_by_the_first_output_then_the_next():
    decisions = one(
        "route",
        [("r1", ["-"], ['"low"', '"y"']), ("r2", ["-"], ['"high"', '"z"']), ("r3", ["-"], ['"high"', '"y"'])],
        hit_policy="PRIORITY", outputs=[("level", "string"), ("lane", "string")],
        output_values={"level": '"high","low"', "lane": '"y","z"'},
    )
    assert evaluate_decision(decisions, "route", {"x": 1}).matched_rules == ["r3"]


def test_output_order_returns_every_match_sorted_by_output_values():
    assert decide(grades("OUTPUT ORDER"), 95) == (["r_a", "r_b", "r_c"], [{"grade": "A"}, {"grade": "B"},
                                                                          {"grade": "C"}])
    assert decide(grades("OUTPUT ORDER"), 60) == (["r_b", "r_c"], [{"grade": "B"}, {"grade": "C"}])


def test_rule_order_returns_every_match_in_table_order():
    assert decide(grades("RULE ORDER"), 95) == (["r_c", "r_b", "r_a"], [{"grade": "C"}, {"grade": "B"},
                                                                        {"grade": "A"}])
    assert decide(grades("RULE ORDER"), -5) == ([], [])


def test_collect_returns_every_match():
    assert decide(grades("COLLECT"), 60) == (["r_c", "r_b"], [{"grade": "C"}, {"grade": "B"}])


POINTS = [("r1", [">= 0"], ["1"]), ("r2", [">= 50"], ["2"]), ("r3", [">= 90"], ["3"]), ("r_none", [">= 95"], [""])]


@pytest.mark.parametrize(
    ("aggregation", "score", "expected"),
    [("SUM", 95, [{"points": 6}]), ("MIN", 95, [{"points": 1}]), ("MAX", 95, [{"points": 3}]),
     ("COUNT", 95, [{"points": 3}]), ("SUM", 60, [{"points": 3}]), ("COUNT", 60, [{"points": 2}]),
     ("SUM", -1, []), ("MIN", -1, []), ("MAX", -1, []), ("COUNT", -1, [{"points": 0}])],
)
def test_collect_aggregations_fold_the_matches_into_one_row(aggregation, score, expected):
    decisions = one("points", POINTS, hit_policy="COLLECT", aggregation=aggregation, inputs=[("score", "integer")],
                    outputs=[("points", "integer")])
    assert evaluate_decision(decisions, "points", {"score": score}).entries == expected


def test_collect_sum_of_doubles_is_exact_to_the_written_decimals():
    decisions = one("fee", [("r1", ["-"], ["0.1"]), ("r2", ["-"], ["0.2"])], hit_policy="COLLECT",
                    aggregation="SUM", outputs=[("fee", "double")])
    assert evaluate_decision(decisions, "fee", {"x": 1}).entries == [{"fee": 0.3}]


# --- deploy-time checks of the table itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"hit_policy": "SOMETIMES"}, "hit policy 'SOMETIMES' không được hỗ trợ"),
        ({"hit_policy": "FIRST", "aggregation": "SUM"}, "phép gộp 'SUM' chỉ dùng với hit policy COLLECT"),
        ({"hit_policy": "COLLECT", "aggregation": "AVG"}, "phép gộp 'AVG' không được hỗ trợ"),
        ({"hit_policy": "COLLECT", "aggregation": "SUM", "outputs": [("y", "integer"), ("z", "integer")]},
         "phép gộp SUM chỉ dùng với bảng có đúng một cột đầu ra"),
        ({"hit_policy": "COLLECT", "aggregation": "MAX", "outputs": [("y", "string")]},
         "phép gộp MAX cần cột đầu ra kiểu số, không phải string"),
        ({"hit_policy": "PRIORITY"}, "hit policy PRIORITY cần danh sách giá trị đầu ra (outputValues)"),
        ({"hit_policy": "OUTPUT ORDER"}, "hit policy OUTPUT ORDER cần danh sách giá trị đầu ra"),
        ({"inputs": [("x +", "integer")]}, "biểu thức đầu vào 'x +' không đọc được"),
        ({"inputs": [("42", "integer")]}, "biểu thức đầu vào '42' là một hằng số"),
        ({"inputs": [("", "integer")]}, "biểu thức đầu vào '' phải là tên biến hoặc đường dẫn"),
        ({"outputs": [("y", "string"), ("y", "string")]}, "có hai cột đầu ra cùng tên 'y'"),
        ({"outputs": []}, "bảng quyết định không có cột đầu ra nào"),
        ({"output_values": {"y": '"a","b"'}}, "giá trị '\"ok\"' không có trong danh sách giá trị đầu ra"),
        ({"output_values": {"y": '"a",1'}}, "danh sách giá trị đầu ra '\"a\",1' không đọc được"),
        ({"inputs": [("x", "integer")], "input_values": {"x": '"a"'}}, "chứa giá trị kiểu string"),
        ({"body": "<literalExpression><text>1</text></literalExpression>"}, "chỉ hỗ trợ quyết định dạng bảng"),
    ],
)
def test_unsupported_tables_are_refused_at_deploy_naming_the_decision(kwargs, reason):
    one_output = len(kwargs.get("outputs", [("y", "string")])) == 1
    rules = [("r1", ["-"], ['"ok"'])] if one_output else []
    with pytest.raises(InvalidInput) as caught:
        one("d", rules, **kwargs)
    assert caught.value.message.startswith("Tệp 'test.dmn', quyết định 'd'")
    assert reason in caught.value.message


def test_a_rule_with_the_wrong_number_of_cells_is_refused():
    with pytest.raises(InvalidInput, match=r"quy tắc số 1 \('r1'\): quy tắc có 2 ô đầu vào và 1 ô đầu ra, bảng có 1 "
                                           "cột đầu vào và 1 cột đầu ra"):
        one("d", [("r1", ["-", "-"], ['"ok"'])])


def test_aggregation_over_non_numbers_is_refused_naming_the_rule():
    with pytest.raises(InvalidInput, match=r"quy tắc số 2 \('r2'\): phép gộp SUM cần giá trị số"):
        one("d", [("r1", ["-"], ["1"]), ("r2", ["-"], ['"two"'])], hit_policy="COLLECT", aggregation="SUM",
            outputs=[("y", None)])


def test_duplicate_decision_and_rule_ids_are_refused():
    with pytest.raises(InvalidInput, match="có hai quyết định cùng id 'd'"):
        load(decision_xml("d", []), decision_xml("d", []))
    with pytest.raises(InvalidInput, match="có hai quy tắc cùng id 'r1'"):
        one("d", [("r1", ["-"], ['"a"']), ("r1", ["-"], ['"b"'])])


def test_a_cell_in_another_expression_language_is_refused():
    xml = dmn(decision_xml("d", [("r1", ["-"], ['"ok"'])])).replace(
        b"<inputEntry>", b'<inputEntry expressionLanguage="javascript">'
    )
    with pytest.raises(InvalidInput, match="ngôn ngữ biểu thức 'javascript' không được hỗ trợ, chỉ dùng FEEL"):
        load_dmn(xml, "test.dmn")


def test_a_missing_required_decision_is_refused():
    with pytest.raises(InvalidInput, match="quyết định 'd': quyết định phụ thuộc 'ghost' không có trong tệp"):
        load(decision_xml("d", [], required=("ghost",)))


def test_required_decisions_forming_a_cycle_are_refused():
    with pytest.raises(InvalidInput, match="các quyết định phụ thuộc nhau thành vòng: a → b → a"):
        load(decision_xml("a", [], required=("b",)), decision_xml("b", [], required=("a",)))


def test_a_doctype_with_entities_is_refused():
    content = (FIXTURES / "doctype_entity.dmn").read_bytes()
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        load_dmn(content, "doctype_entity.dmn")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<definitions", "không phải XML hợp lệ"),
        (b"", "rỗng"),
        (dmn(decision_xml("d", []), namespace="http://www.omg.org/spec/DMN/20140101/dmn.xsd"),
         "phần tử gốc phải là dmn:definitions của DMN 1.1–1.5"),
        (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
         "phần tử gốc phải là dmn:definitions"),
        (dmn(), "không có quyết định (dmn:decision) nào"),
    ],
)
def test_files_that_are_not_dmn_1_1_to_1_5_are_refused_naming_the_file(content, reason):
    with pytest.raises(InvalidInput) as caught:
        load_dmn(content, "bad.dmn")
    assert "'bad.dmn'" in caught.value.message and reason in caught.value.message


# --- a DRD as Camunda Modeler saves it ----------------------------------------------------------------------------


def modeler_drd():
    return load_dmn((FIXTURES / "modeler_drd.dmn").read_bytes(), "modeler_drd.dmn")


def test_a_modeler_drd_loads_with_its_dmndi_input_data_and_annotations_ignored():
    model = modeler_drd()
    assert model.filename == "modeler_drd.dmn"
    assert model.namespace == "http://camunda.org/schema/1.0/dmn"
    assert list(model.decisions) == ["beverages", "dish", "season"]
    beverages = model.decisions["beverages"]
    assert beverages.required == ["dish"]
    assert beverages.hit_policy == "COLLECT" and beverages.aggregation is None
    assert [(i.id, i.label, i.expression, i.type_ref) for i in beverages.inputs] == [
        ("Input_dish", "Món chính", "desiredDish", "string"),
        ("Input_children", "Có trẻ em", "guestsWithChildren", "boolean"),
    ]
    assert [(o.id, o.name, o.type_ref) for o in beverages.outputs] == [("Output_beverages", "beverages", "string")]
    rule = beverages.rules[0]
    assert (rule.id, rule.input_entries, rule.output_entries, rule.description) == (
        "Rule_beer", ['"Spareribs"', ""], ['"Bia"'], "Món nướng hợp với bia")


@pytest.mark.parametrize(
    ("month", "guests", "children", "dish", "drinks"),
    [(7, 4, False, "Spareribs", ["Bia", "Nước lọc"]), (1, 4, True, "Roastbeef", ["Nước cam", "Nước lọc"]),
     (12, 20, False, "Stew", ["Nước lọc"])],
)
def test_required_decisions_are_evaluated_first_and_feed_the_dependent_decision(month, guests, children, dish,
                                                                                drinks):
    data = {"meal": {"month": month}, "guestCount": guests, "guestsWithChildren": children}
    result = evaluate_decision(modeler_drd().decisions, "beverages", data)
    assert [r.decision_id for r in result.required] == ["season", "dish"]
    assert result.required[1].entries == [{"desiredDish": dish}]
    assert [row["beverages"] for row in result.entries] == drinks
    assert data == {"meal": {"month": month}, "guestCount": guests, "guestsWithChildren": children}  # not mutated


def test_a_required_decision_with_several_outputs_is_seen_as_a_dict_under_its_id():
    decisions = load(
        decision_xml("profile", [("p1", ["-"], ['"senior"', "3"])], outputs=[("level", "string"), ("rank", "integer")]),
        decision_xml("pay", [("k1", ['"senior"', "-"], ['"high"']), ("k2", ["-", "-"], ['"low"'])],
                     inputs=[("profile.level", "string"), ("rank", "integer")], hit_policy="FIRST",
                     required=("profile",)),
    )
    result = evaluate_decision(decisions, "pay", {"x": 1})
    assert result.entries == [{"y": "high"}]
    assert result.required[0].entries == [{"level": "senior", "rank": 3}]


def test_a_shared_required_decision_is_evaluated_once():
    decisions = load(
        decision_xml("base", [("b1", ["-"], ["1"])], outputs=[("v", "integer")]),
        decision_xml("left", [("l1", ["-"], ["2"])], inputs=[("base", "integer")], outputs=[("l", "integer")],
                     required=("base",)),
        decision_xml("right", [("r1", ["-"], ["3"])], inputs=[("base", "integer")], outputs=[("r", "integer")],
                     required=("base",)),
        decision_xml("top", [("t1", ["-", "-"], ['"ok"'])], inputs=[("l", "integer"), ("r", "integer")],
                     required=("left", "right")),
    )
    result = evaluate_decision(decisions, "top", {"x": 1})
    assert [r.decision_id for r in result.required] == ["base", "left", "right"]


@pytest.mark.parametrize(
    ("hit_policy", "aggregation", "rows", "expected"),
    [
        ("UNIQUE", None, [{"y": "a"}], "a"),
        ("UNIQUE", None, [], None),
        ("FIRST", None, [{"y": "a"}], "a"),
        ("RULE ORDER", None, [{"y": "a"}], ["a"]),
        ("COLLECT", None, [{"y": "a"}, {"y": "b"}], ["a", "b"]),
        ("COLLECT", None, [], []),
        ("COLLECT", "SUM", [{"y": 3}], 3),
        ("OUTPUT ORDER", None, [{"y": "a"}, {}], ["a", None]),
    ],
)
def test_a_required_decision_is_shaped_as_camunda_shapes_drd_results(hit_policy, aggregation, rows, expected):
    output_values = {"y": '"a","b"'} if hit_policy == "OUTPUT ORDER" else {}
    outputs = [("y", "integer" if aggregation else "string")]
    decision = one("d", [], hit_policy=hit_policy, aggregation=aggregation, outputs=outputs,
                   output_values=output_values)["d"]
    result = DecisionResult(decision_id="d", matched_rules=[], entries=rows)
    assert required_value(decision, result) == expected


def test_a_required_multi_output_decision_with_several_rows_is_a_list_of_dicts():
    decision = one("d", [], hit_policy="COLLECT", outputs=[("a", "string"), ("b", "string")])["d"]
    rows = [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert required_value(decision, DecisionResult("d", [], rows)) == rows


# --- mapping the result as camunda:mapDecisionResult does ---------------------------------------------------------


def result_of(*rows: dict) -> DecisionResult:
    return DecisionResult(decision_id="d", matched_rules=[f"r{i}" for i in range(1, len(rows) + 1)], entries=list(rows))


def test_single_entry_maps_one_row_with_one_column_to_its_value():
    assert map_decision_result(result_of({"route": "review"}), "singleEntry") == "review"
    assert map_decision_result(result_of(), "singleEntry") is None


def test_single_entry_refuses_several_rows_or_several_columns():
    with pytest.raises(InvalidInput, match="có 2 dòng kết quả \\(quy tắc r1, r2\\) trong khi singleEntry cần nhiều "
                                           "nhất một dòng"):
        map_decision_result(result_of({"a": 1}, {"a": 2}), "singleEntry")
    with pytest.raises(InvalidInput, match="dòng kết quả có 2 cột \\(a, b\\) trong khi singleEntry cần đúng một cột"):
        map_decision_result(result_of({"a": 1, "b": 2}), "singleEntry")


def test_single_result_maps_at_most_one_row_to_a_dict_or_none():
    assert map_decision_result(result_of({"route": "review", "kind": "grant"}), "singleResult") == {
        "route": "review", "kind": "grant"}
    assert map_decision_result(result_of(), "singleResult") is None
    with pytest.raises(InvalidInput, match="Không ánh xạ được kết quả của quyết định 'd' theo singleResult"):
        map_decision_result(result_of({"a": 1}, {"a": 2}), "singleResult")


def test_collect_entries_maps_the_single_column_of_every_row_to_a_list():
    assert map_decision_result(result_of({"a": 1}, {"a": 2}), "collectEntries") == [1, 2]
    assert map_decision_result(result_of(), "collectEntries") == []
    with pytest.raises(InvalidInput, match="kết quả có nhiều cột \\(a, b\\) trong khi collectEntries cần đúng một cột"):
        map_decision_result(result_of({"a": 1}, {"b": 2}), "collectEntries")


def test_result_list_maps_every_row_to_a_dict_copy():
    result = result_of({"a": 1, "b": 2}, {"a": 3, "b": 4})
    mapped = map_decision_result(result, "resultList")
    assert mapped == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    mapped[0]["a"] = 99
    assert result.entries[0]["a"] == 1


def test_an_unknown_mapping_mode_is_refused():
    with pytest.raises(InvalidInput, match="Cách ánh xạ kết quả 'singleValue' của quyết định 'd' không được hỗ trợ"):
        map_decision_result(result_of(), "singleValue")


# --- results, names, safety ---------------------------------------------------------------------------------------


def test_a_result_carries_matched_rules_and_converts_to_json():
    decisions = one("d", [("r1", ["-"], ['date("2026-01-02")', '"Hồ sơ"'])],
                    outputs=[("due", "date"), ("note", "string")])
    result = evaluate_decision(decisions, "d", {"x": 1})
    document = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert document == {
        "decision_id": "d", "decision_name": "Quyết định d", "hit_policy": "UNIQUE", "matched_rules": ["r1"],
        "entries": [{"due": "2026-01-02", "note": "Hồ sơ"}], "required": [],
    }


def test_labels_names_and_descriptions_are_normalised_to_nfc():
    nfd = unicodedata.normalize("NFD", "Có đơn đề nghị")
    xml = dmn(decision_xml("d", [("r1", ["-"], ['"ok"'])])).replace("Cột x".encode(), nfd.encode())
    decision = load_dmn(xml, "test.dmn").decisions["d"]
    assert decision.inputs[0].label == "Có đơn đề nghị"
    assert unicodedata.is_normalized("NFC", decision.name) and decision.rules[0].description == "Quy tắc r1"


def test_a_loaded_model_survives_pickling_and_evaluates_the_same():
    model = modeler_drd()
    copy = pickle.loads(pickle.dumps(model))
    data = {"meal": {"month": 2}, "guestCount": 3, "guestsWithChildren": True}
    assert evaluate_decision(copy.decisions, "beverages", data) == evaluate_decision(model.decisions, "beverages", data)


def test_loading_and_evaluating_never_call_python_eval_exec_or_compile(monkeypatch):
    content = (FIXTURES / "modeler_drd.dmn").read_bytes()

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec/compile must not be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    model = load_dmn(content, "modeler_drd.dmn")
    data = {"meal": {"month": 7}, "guestCount": 2, "guestsWithChildren": False}
    assert evaluate_decision(model.decisions, "beverages", data).matched_rules == ["Rule_beer", "Rule_water"]
