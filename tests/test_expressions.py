"""Camunda `${...}` conditions: the whitelist grammar, its JUEL-like semantics and what it refuses."""

from __future__ import annotations

import builtins
import pickle
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.dialect.expressions import Expression, ExpressionError, is_expression, parse_expression
from engine.errors import InvalidInput


def evaluate(text: str, **data: object) -> object:
    return parse_expression(text).evaluate(data)


# --- routing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conclusion", "to_review", "to_supplement"),
    [("approve", True, False), ("refuse", True, False), ("supplement", False, True)],
)
def test_appraisal_routing_conditions_send_each_conclusion_down_one_flow(conclusion, to_review, to_supplement):
    data = {"routing": {"route": "supplement" if conclusion == "supplement" else "review"}, "conclusion": conclusion}
    assert parse_expression('${routing.route == "review"}').evaluate(data) is to_review
    assert parse_expression("${routing.route == 'supplement'}").evaluate(data) is to_supplement
    assert parse_expression("${conclusion eq 'approve' or conclusion eq 'refuse'}").evaluate(data) is to_review


@pytest.mark.parametrize(
    ("complete", "late", "expected"),
    [(True, False, "on_time"), (True, True, "late"), (False, False, "supplement"), (False, True, "supplement")],
)
def test_reception_truth_table_picks_exactly_one_outgoing_flow(complete, late, expected):
    flows = {
        "on_time": "${complete && !late}",
        "late": "${complete and late}",
        "supplement": "${not complete}",
    }
    taken = [name for name, text in flows.items() if evaluate(text, complete=complete, late=late)]
    assert taken == [expected]


# --- operators and keyword aliases --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        ("${x == 2}", 2, True), ("${x eq 2}", 2, True), ("${x == 2}", 3, False), ("${x eq 2}", 3, False),
        ("${x != 2}", 3, True), ("${x ne 2}", 3, True), ("${x != 2}", 2, False), ("${x ne 2}", 2, False),
        ("${x < 2}", 1, True), ("${x lt 2}", 1, True), ("${x < 2}", 2, False), ("${x lt 2}", 2, False),
        ("${x <= 2}", 2, True), ("${x le 2}", 2, True), ("${x <= 2}", 3, False), ("${x le 2}", 3, False),
        ("${x > 2}", 3, True), ("${x gt 2}", 3, True), ("${x > 2}", 2, False), ("${x gt 2}", 2, False),
        ("${x >= 2}", 2, True), ("${x ge 2}", 2, True), ("${x >= 2}", 1, False), ("${x ge 2}", 1, False),
    ],
)
def test_every_comparison_operator_and_its_keyword_alias(text, x, expected):
    assert evaluate(text, x=x) is expected


@pytest.mark.parametrize(
    ("a", "b"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_logical_operators_and_their_keyword_aliases_follow_boolean_logic(a, b):
    assert evaluate("${a && b}", a=a, b=b) is (a and b)
    assert evaluate("${a and b}", a=a, b=b) is (a and b)
    assert evaluate("${a || b}", a=a, b=b) is (a or b)
    assert evaluate("${a or b}", a=a, b=b) is (a or b)
    assert evaluate("${!a}", a=a, b=b) is (not a)
    assert evaluate("${not a}", a=a, b=b) is (not a)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ([], True), ({}, True), ("a", False), ([0], False), ({"k": 1}, False), (0, False),
     (False, False)],
)
def test_empty_is_true_for_null_empty_string_list_and_map_only(value, expected):
    assert evaluate("${empty x}", x=value) is expected
    assert evaluate("${!empty x}", x=value) is (not expected)


def test_and_binds_tighter_than_or():
    assert evaluate("${a || b && c}", a=True, b=False, c=False) is True
    assert evaluate("${(a || b) && c}", a=True, b=False, c=False) is False


def test_unary_operators_bind_tighter_than_comparisons():
    # (!a) == b, as in JUEL; not !(a == b)
    assert evaluate("${!a == b}", a=True, b=False) is True
    assert evaluate("${empty x == false}", x="abc") is True


def test_comparisons_bind_tighter_than_equality():
    assert evaluate("${x < 5 == true}", x=1) is True


def test_parentheses_group_subexpressions():
    assert evaluate("${!(a && b)}", a=True, b=False) is True
    assert evaluate("${((x == 1))}", x=1) is True


@given(st.booleans(), st.booleans(), st.booleans())
def test_logical_expressions_agree_with_python_booleans(a, b, c):
    assert evaluate("${a && (b || !c) or not a and c}", a=a, b=b, c=c) is ((a and (b or not c)) or (not a and c))


# --- literals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${'it\\'s'}", "it's"),
        ('${"say \\"hi\\""}', 'say "hi"'),
        ("${'back\\\\slash'}", "back\\slash"),
        ("${'double \" inside single'}", 'double " inside single'),
        ("${'Hồ sơ đầy đủ'}", "Hồ sơ đầy đủ"),
        ("${42}", 42),
        ("${1.5}", Decimal("1.5")),
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
    ],
)
def test_literals_evaluate_to_their_values(text, expected):
    value = evaluate(text)
    assert value == expected and type(value) is type(expected)


def test_the_result_is_returned_as_is_for_the_caller_to_check():
    assert evaluate("${route}", route="review") == "review"
    assert evaluate("${applicant.age}", applicant={"age": 40}) == 40


# --- semantics: numbers, types, dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "x"),
    [("${x == 2}", 2.0), ("${x == 1.5}", 1.5), ("${x == 0.1}", 0.1), ("${x == 1.5}", Decimal("1.50")),
     ("${x > 1}", Decimal("1.01")), ("${x >= 0.3}", 0.1 + 0.2), ("${x < 2.5}", 2)],
)
def test_numbers_compare_by_value_across_int_float_and_decimal(text, x):
    assert evaluate(text, x=x) is True


@pytest.mark.parametrize(
    ("text", "x", "types"),
    [("${x == 1}", "1", "string với number"), ("${x != 'true'}", True, "boolean với string"),
     ("${x == false}", 0, "number với boolean"), ("${x eq 'a'}", ["a"], "list với string")],
)
def test_equality_between_different_kinds_is_an_error_naming_both_types(text, x, types):
    with pytest.raises(InvalidInput, match=f"Không so sánh được {types}"):
        evaluate(text, x=x)


def test_null_compares_equal_only_to_null():
    assert evaluate("${x == null}", x=None) is True
    assert evaluate("${x != null}", x="a") is True
    assert evaluate("${x == 'a'}", x=None) is False


@pytest.mark.parametrize(
    ("text", "x", "types"),
    [("${x < 'b'}", 1, "number với string"), ("${x > 1}", None, "null với number"),
     ("${x <= true}", True, "boolean với boolean"), ("${x ge 1}", date(2026, 1, 2), "date với number")],
)
def test_ordering_needs_two_numbers_strings_or_dates_of_the_same_kind(text, x, types):
    with pytest.raises(InvalidInput, match=f"Không so sánh được {types} bằng"):
        evaluate(text, x=x)


def test_strings_dates_and_datetimes_are_ordered():
    assert evaluate("${a < b}", a="abc", b="abd") is True
    assert evaluate("${a < b}", a=date(2026, 1, 2), b=date(2026, 1, 3)) is True
    assert evaluate("${a >= b}", a=datetime(2026, 1, 2, 9), b=datetime(2026, 1, 2, 8)) is True


def test_a_date_and_a_datetime_are_different_kinds():
    with pytest.raises(InvalidInput, match="date với datetime"):
        evaluate("${a < b}", a=date(2026, 1, 2), b=datetime(2026, 1, 3))


def test_aware_and_naive_datetimes_are_refused_with_a_clear_message():
    with pytest.raises(InvalidInput, match="múi giờ"):
        evaluate("${a < b}", a=datetime(2026, 1, 2, tzinfo=timezone.utc), b=datetime(2026, 1, 3))


@pytest.mark.parametrize("text", ["${x && true}", "${x || true}", "${!x}", "${not x}", "${false or x}"])
def test_logical_operators_refuse_non_boolean_operands_instead_of_truthiness(text):
    with pytest.raises(InvalidInput, match="cần giá trị boolean nhưng nhận được number"):
        evaluate(text, x=1)


def test_and_or_short_circuit_without_reading_the_rest():
    assert evaluate("${false && missing}") is False
    assert evaluate("${true || missing.path}") is True
    assert evaluate("${false and 1}") is False


# --- missing data -------------------------------------------------------------------------------------------------


def test_missing_variable_is_an_invalid_input_naming_the_variable_and_the_expression():
    with pytest.raises(InvalidInput) as caught:
        evaluate("${x == 1}")
    assert caught.value.message == "Biến 'x' chưa có giá trị khi đánh giá biểu thức ${x == 1}."
    assert caught.value.details == {"variable": "x", "expression": "${x == 1}"}
    assert not isinstance(caught.value, ExpressionError)


def test_missing_key_in_a_dotted_path_names_the_path():
    with pytest.raises(InvalidInput, match=r"Biến 'routing\.route' chưa có giá trị"):
        evaluate("${routing.route == 'review'}", routing={"kind": "x"})


def test_a_path_through_something_that_is_not_a_mapping_is_refused():
    with pytest.raises(InvalidInput, match="Biến 'routing' có kiểu string, không phải đối tượng"):
        evaluate("${routing.route == 'review'}", routing="review")


def test_empty_does_not_hide_a_missing_variable():
    with pytest.raises(InvalidInput, match="Biến 'x' chưa có giá trị"):
        evaluate("${empty x}")


def test_an_explicit_null_is_a_value_not_a_missing_variable():
    assert evaluate("${empty x}", x=None) is True


# --- what the grammar refuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "${__import__('os').system('x')}",
        "${a.__class__}",
        "${''.join([])}",
        "${x[0]}",
        "${1+1}",
        "${'unterminated}",
        '${"unterminated}',
        "${}",
        "${   }",
        "${len(x)}",
        "${x.size()}",
        "${a ? b : c}",
        "${a = 1}",
        "${x -> x}",
        "${a - 1}",
        "${a * 2}",
        "${a / 2}",
        "${a % 2}",
        "${a div 2}",
        "${a mod 2}",
        "${_private}",
        "${a.__dict__}",
        "${a instanceof b}",
        "${a == }",
        "${(a == 1}",
        "${a == 1)}",
        "${a b}",
        "${'x'.length}",
        "${a & b}",
        "${a | b}",
        "${a; b}",
        "${${a}}",
        "${a} ${b}",
        "${x == 'a\\n'}",
        "${tên}",
        "${1x}",
        "${a.}",
        "${a.and}",
        "${true.x}",
    ],
)
def test_texts_outside_the_grammar_are_refused_at_parse_time(text):
    with pytest.raises(ExpressionError):
        parse_expression(text)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("${1+1}", 4, "phép tính số học ('+') không được hỗ trợ"),
        ("${a div b}", 5, "phép tính số học ('div') không được hỗ trợ"),
        ("${x[0]}", 4, "truy cập theo chỉ số"),
        ("${len(x)}", 6, "gọi hàm 'len(...)' không được hỗ trợ"),
        ("${a.size()}", 9, "gọi phương thức 'a.size(...)' không được hỗ trợ"),
        ("${a.__class__}", 5, "bắt đầu bằng '_' hoặc chứa '__'"),
        ("${'abc}", 3, "chuỗi ký tự chưa được đóng dấu nháy"),
        ("${}", 3, "biểu thức rỗng"),
        ("${a ? b : c}", 5, "toán tử ba ngôi"),
        ("${a = 1}", 5, "phép gán"),
        ("  ${x ==}", 7, "còn thiếu toán hạng"),
    ],
)
def test_parse_errors_name_the_expression_the_position_and_the_reason(text, position, reason):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    error = caught.value
    assert error.message.startswith(f"Biểu thức {text.strip()} không hợp lệ ở vị trí {position}: ")
    assert reason in error.message
    assert error.details == {"expression": text.strip(), "position": position}


def test_a_text_without_dollar_braces_is_refused_because_conditions_must_be_expressions():
    with pytest.raises(ExpressionError, match=r"Điều kiện 'approved' phải được viết dưới dạng biểu thức \$\{\.\.\.\}"):
        parse_expression("approved")


def test_expressions_longer_than_2000_characters_are_refused():
    text = "${" + " || ".join(["a"] * 500) + "}"
    assert len(text) > 2000
    with pytest.raises(ExpressionError, match="dài quá 2000 ký tự"):
        parse_expression(text)


def test_nesting_up_to_50_levels_is_accepted_and_deeper_is_refused():
    assert parse_expression("${" + "(" * 50 + "x" + ")" * 50 + "}").evaluate({"x": True}) is True
    with pytest.raises(ExpressionError, match="lồng nhau quá 50 cấp"):
        parse_expression("${" + "(" * 51 + "x" + ")" * 51 + "}")
    with pytest.raises(ExpressionError, match="lồng nhau quá 50 cấp"):
        parse_expression("${" + "!" * 51 + "x}")
    with pytest.raises(ExpressionError, match="lồng nhau quá 50 cấp"):
        parse_expression("${" + " == ".join(["x"] * 52) + "}")


def test_expression_error_is_an_invalid_input_with_exit_code_4():
    with pytest.raises(InvalidInput) as caught:
        parse_expression("${1+1}")
    assert caught.value.exit_code == 4


# --- the Expression object ----------------------------------------------------------------------------------------


def test_variables_and_paths_list_what_the_expression_reads():
    expression = parse_expression(
        "${routing.route == 'review' && !empty applicant.address.ward || flag && routing.kind != null}"
    )
    assert expression.variables == frozenset({"routing", "applicant", "flag"})
    assert expression.paths == frozenset({"routing.route", "applicant.address.ward", "flag", "routing.kind"})


def test_literals_and_keywords_are_not_variables():
    expression = parse_expression("${'x' == 'x' && true and not false || null == null}")
    assert expression.variables == frozenset()
    assert expression.paths == frozenset()


@pytest.mark.parametrize("text", ["${x}", "#{x}", "  ${x}\n", "\t#{ x }  "])
def test_dollar_and_hash_braces_with_surrounding_whitespace_are_accepted(text):
    assert is_expression(text)
    assert parse_expression(text).evaluate({"x": 7}) == 7


def test_source_keeps_the_expression_as_written_without_surrounding_whitespace():
    assert parse_expression("  ${ a == 1 }  ").source == "${ a == 1 }"


@pytest.mark.parametrize("text", ["x", "P7D", "${x", "x}", "{x}", "$ {x}", ""])
def test_is_expression_is_false_for_plain_text(text):
    assert not is_expression(text)


def test_an_expression_is_immutable():
    expression = parse_expression("${x == 1}")
    with pytest.raises(AttributeError):
        expression.source = "${true}"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del expression.paths


def test_an_expression_survives_pickling_and_evaluates_the_same():
    expression = parse_expression("${routing.route == 'review' && count >= 2}")
    copy = pickle.loads(pickle.dumps(expression))
    assert isinstance(copy, Expression)
    assert copy == expression and copy.paths == expression.paths
    data = {"routing": {"route": "review"}, "count": 2}
    assert copy.evaluate(data) is True
    assert copy.evaluate({"routing": {"route": "review"}, "count": 1}) is False


def test_one_parsed_expression_evaluates_many_data_sets_independently():
    expression = parse_expression("${x > 10}")
    assert [expression.evaluate({"x": x}) for x in (5, 11, 10, 20)] == [False, True, False, True]


def test_parsing_and_evaluating_never_call_python_eval_exec_or_compile(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec/compile must not be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    expression = parse_expression("${applicant.kind eq 'organisation' and not (fee > 100) || empty note}")
    assert expression.evaluate({"applicant": {"kind": "organisation"}, "fee": 50, "note": "x"}) is True
