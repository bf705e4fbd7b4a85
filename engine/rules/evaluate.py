"""Evaluating a deployed decision: read the inputs, match the precompiled rules, apply the hit policy.

Order of steps in `evaluate_decision`:
1. Required decisions (a DRD) are evaluated first, each once, dependencies before dependents. The result of each is
   added to the data twice: under the required decision's id (one output → its value, several outputs → a dict;
   a multi-row policy — RULE ORDER, OUTPUT ORDER, COLLECT without aggregation — always gives a list of those; no
   row → None), and, as Camunda 7 does, under its output names (one row → the values; several rows or a multi-row
   policy → a list per output name; no row → nothing). The second form lets DRDs drawn for Camunda 7 run unchanged.
2. Every input is read from the data by its path (a missing key is an error; an explicit null is a value), checked
   against its typeRef and against its allowed values (`inputValues`), and put in normal form once.
3. Rules are matched in table order; FIRST stops at the first match.
4. The hit policy turns the matches into rows:
   UNIQUE   at most one match, a second is an error naming both rules;
   FIRST    the first match;
   ANY      all matches must give the same outputs, else an error naming two that disagree; one row;
   PRIORITY the match whose outputs come first in the outputs' value lists (outputValues), earlier outputs first;
   OUTPUT ORDER all matches sorted that way (ties keep rule order);
   RULE ORDER   all matches in rule order;
   COLLECT  all matches, or with SUM/MIN/MAX one row {output: aggregate} (no row when nothing was collected) and
            with COUNT one row {output: number of non-null values}.
   A table where no rule matches gives no rows; deciding whether that is an error is the caller's business (a
   business-rule task maps with singleResult and treats None as "no decision").
`matched_rules` lists the rules behind the rows: the single rule for UNIQUE, FIRST and PRIORITY, every match
otherwise (for ANY they all agree; for COLLECT with aggregation they were folded into one row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, NoReturn

from engine.errors import InvalidInput, NotFound
from engine.rules.dmn import Decision, Input, Rule
from engine.rules.feel import FeelTypeError, coerce_input

__all__ = ["MAP_MODES", "DecisionResult", "evaluate_decision", "map_decision_result", "required_value"]

MAP_MODES = ("singleEntry", "singleResult", "collectEntries", "resultList")


@dataclass
class DecisionResult:
    decision_id: str
    matched_rules: list[str]
    entries: list[dict[str, Any]]  # output rows after the hit policy: output name → value
    required: list[DecisionResult] = field(default_factory=list)  # results of required decisions, in order
    decision_name: str = ""
    hit_policy: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for `tthc decide --json`: dates as ISO strings."""
        return {
            "decision_id": self.decision_id,
            "decision_name": self.decision_name,
            "hit_policy": self.hit_policy,
            "matched_rules": list(self.matched_rules),
            "entries": [{name: _plain(value) for name, value in row.items()} for row in self.entries],
            "required": [r.to_dict() for r in self.required],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def evaluate_decision(decisions: Mapping[str, Decision], key: str, data: Mapping[str, Any]) -> DecisionResult:
    """Evaluate decision `key` (and, first, the decisions it requires) against `data`."""
    decision = _find(decisions, key)
    context = dict(data)
    required_results = []
    for dependency in _dependencies(decisions, decision):
        result = _evaluate_table(dependency, context)
        required_results.append(result)
        _publish(context, dependency, result)
    result = _evaluate_table(decision, context)
    result.required = required_results
    return result


def _find(decisions: Mapping[str, Decision], key: str) -> Decision:
    try:
        return decisions[key]
    except KeyError:
        raise NotFound(
            f"Không tìm thấy bảng quyết định '{key}'; hãy triển khai tệp DMN chứa nó.", decision=key
        ) from None


def _dependencies(decisions: Mapping[str, Decision], root: Decision) -> list[Decision]:
    """Required decisions of `root`, transitively, each once, dependencies first; `root` itself excluded."""
    order: list[Decision] = []
    done: set[str] = set()

    def visit(decision: Decision, chain: tuple[str, ...]) -> None:
        for ref in decision.required:
            if ref in chain:
                cycle = " → ".join(chain[chain.index(ref):] + (ref,))
                raise InvalidInput(f"Các quyết định phụ thuộc nhau thành vòng: {cycle}.", decision=root.id)
            if ref in done:
                continue
            dependency = _find(decisions, ref)
            visit(dependency, chain + (ref,))
            done.add(ref)
            order.append(dependency)

    visit(root, (root.id,))
    return order


def _multi_row(decision: Decision) -> bool:
    """Policies whose result is a list by nature, whatever the number of matches today."""
    return decision.hit_policy in ("RULE ORDER", "OUTPUT ORDER") or (
        decision.hit_policy == "COLLECT" and decision.aggregation is None
    )


def required_value(decision: Decision, result: DecisionResult) -> Any:
    """What a required decision contributes to its dependents under its own id (see the module docstring)."""
    if len(decision.outputs) == 1:
        name = decision.outputs[0].name
        shaped: list[Any] = [row.get(name) for row in result.entries]
    else:
        shaped = [dict(row) for row in result.entries]
    if _multi_row(decision):
        return shaped
    return shaped[0] if shaped else None


def _publish(context: dict[str, Any], decision: Decision, result: DecisionResult) -> None:
    context[decision.id] = required_value(decision, result)
    # Camunda 7 (DefaultDmnDecisionContext): the outputs also become variables of the dependent decision.
    rows = result.entries
    if not rows:
        return
    if len(rows) == 1 and not _multi_row(decision):
        context.update(rows[0])
        return
    for output in decision.outputs:
        if any(output.name in row for row in rows):
            context[output.name] = [row[output.name] for row in rows if output.name in row]


def _input_phrase(decision: Decision, column: Input) -> str:
    return f"đầu vào '{column.title}' ({column.expression}) của quyết định '{decision.id}'"


def _read(data: Mapping[str, Any], decision: Decision, column: Input) -> Any:
    value: Any = data
    for depth, name in enumerate(column.path):
        if not isinstance(value, Mapping):
            parent = ".".join(column.path[:depth])
            raise InvalidInput(
                f"Không đọc được {_input_phrase(decision, column)} vì '{parent}' không phải đối tượng.",
                decision=decision.id, input=column.id, path=column.expression,
            )
        try:
            value = value[name]
        except KeyError:
            raise InvalidInput(
                f"Dữ liệu thiếu {_input_phrase(decision, column)}; hãy cung cấp '{column.expression}' "
                "(null nếu không có giá trị).",
                decision=decision.id, input=column.id, path=column.expression,
            ) from None
    return value


def _evaluate_table(decision: Decision, data: Mapping[str, Any]) -> DecisionResult:
    values: list[Any] = []
    kinds: list[str] = []
    for column in decision.inputs:
        raw = _read(data, decision, column)
        try:
            value, kind = coerce_input(raw, column.type_ref)
        except FeelTypeError as exc:
            raise InvalidInput(
                f"Giá trị của {_input_phrase(decision, column)} có kiểu {exc.actual}, không hợp với typeRef "
                f"{column.type_ref}.",
                decision=decision.id, input=column.id, expected=column.type_ref, actual=exc.actual,
            ) from exc
        if column.allowed is not None and kind != "null" and not _allowed(decision, column, value, kind):
            raise InvalidInput(
                f"Giá trị '{raw}' của {_input_phrase(decision, column)} không nằm trong các giá trị cho phép.",
                decision=decision.id, input=column.id,
            )
        values.append(value)
        kinds.append(kind)

    first_only = decision.hit_policy == "FIRST"
    matched: list[Rule] = []
    rule: Rule | None = None
    index = 0
    try:
        for rule in decision.rules:
            for index, test in rule.tests:
                if not test.matches(values[index], kinds[index]):
                    break
            else:
                matched.append(rule)
                if first_only:
                    break
    except FeelTypeError as exc:
        assert rule is not None
        column = decision.inputs[index]
        raise InvalidInput(
            f"Quyết định '{decision.id}', {rule.title}: {_input_phrase(decision, column)} có kiểu {exc.actual} "
            f"nhưng ô của quy tắc so với kiểu {exc.expected}.",
            decision=decision.id, rule=rule.id, input=column.id, expected=exc.expected, actual=exc.actual,
        ) from exc
    rules, entries = _apply_hit_policy(decision, matched)
    return DecisionResult(decision_id=decision.id, matched_rules=[r.id for r in rules], entries=entries,
                          decision_name=decision.name, hit_policy=decision.hit_policy)


def _allowed(decision: Decision, column: Input, value: Any, kind: str) -> bool:
    assert column.allowed is not None
    try:
        return column.allowed.matches(value, kind)
    except FeelTypeError as exc:
        raise InvalidInput(
            f"Giá trị của {_input_phrase(decision, column)} có kiểu {exc.actual}, khác kiểu {exc.expected} của các "
            "giá trị cho phép.",
            decision=decision.id, input=column.id, expected=exc.expected, actual=exc.actual,
        ) from exc


def _row(rule: Rule) -> dict[str, Any]:
    return dict(rule.outputs)


def _apply_hit_policy(decision: Decision, matched: list[Rule]) -> tuple[list[Rule], list[dict[str, Any]]]:
    policy = decision.hit_policy
    if policy == "UNIQUE":
        if len(matched) > 1:
            _violation(decision, matched[0], matched[1], "hit policy UNIQUE chỉ cho phép một quy tắc khớp")
        return matched, [_row(r) for r in matched]
    if policy == "FIRST":
        return matched[:1], [_row(r) for r in matched[:1]]
    if policy == "ANY":
        for other in matched[1:]:
            if _row(other) != _row(matched[0]):
                _violation(decision, matched[0], other, "hit policy ANY đòi các quy tắc khớp cho cùng kết quả")
        return matched, [_row(r) for r in matched[:1]]
    if policy == "PRIORITY":
        chosen = sorted(matched, key=lambda r: _priority(decision, r))[:1]
        return chosen, [_row(r) for r in chosen]
    if policy == "OUTPUT ORDER":
        ordered = sorted(matched, key=lambda r: _priority(decision, r))
        return ordered, [_row(r) for r in ordered]
    if policy == "RULE ORDER" or decision.aggregation is None:  # RULE ORDER, plain COLLECT
        return matched, [_row(r) for r in matched]
    return matched, _aggregate(decision, matched)


def _violation(decision: Decision, first: Rule, second: Rule, reason: str) -> NoReturn:
    raise InvalidInput(
        f"Quyết định '{decision.id}' vi phạm hit policy: {first.title} và {second.title} cùng khớp, mà {reason}.",
        decision=decision.id, rules=[first.id, second.id], hit_policy=decision.hit_policy,
    )


def _priority(decision: Decision, rule: Rule) -> tuple[int, ...]:
    row = _row(rule)
    key = []
    for output in decision.outputs:
        if output.allowed_values:
            value = row.get(output.name)
            # Checked at deploy: a value is either in the list or empty; an empty cell ranks last.
            ranks = output.allowed_values
            key.append(ranks.index(value) if value in ranks else len(ranks))
    return tuple(key)


def _aggregate(decision: Decision, matched: list[Rule]) -> list[dict[str, Any]]:
    name = decision.outputs[0].name
    values = [v for r in matched for n, v in r.outputs if n == name and v is not None]
    if decision.aggregation == "COUNT":
        return [{name: len(values)}]
    if not values:
        return []
    if decision.aggregation == "MIN":
        return [{name: min(values)}]
    if decision.aggregation == "MAX":
        return [{name: max(values)}]
    if all(isinstance(v, int) for v in values):
        return [{name: sum(values)}]
    # Summed exactly, then given back as a float like the column's other values.
    return [{name: float(sum(Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values))}]


def map_decision_result(result: DecisionResult, mode: str) -> Any:
    """Camunda 7's `camunda:mapDecisionResult`.

    singleEntry    None without rows; the value of the single row's single column; an error with several rows or
                   several columns (Camunda returns null for an empty result, it does not fail).
    singleResult   None without rows; the single row as a dict; an error with several rows.
    collectEntries the values of the single output name over all rows (an empty list without rows); an error when
                   the rows hold several output names.
    resultList     every row as a dict (Camunda's default).
    """
    rows = result.entries
    if mode == "resultList":
        return [dict(row) for row in rows]
    if mode == "collectEntries":
        names = sorted({name for row in rows for name in row})
        if len(names) > 1:
            _mapping_error(result, mode, f"kết quả có nhiều cột ({', '.join(names)}) trong khi collectEntries cần "
                                         "đúng một cột")
        return [row[names[0]] for row in rows if names[0] in row] if names else []
    if mode in ("singleResult", "singleEntry"):
        if len(rows) > 1:
            _mapping_error(result, mode, f"có {len(rows)} dòng kết quả (quy tắc {', '.join(result.matched_rules)}) "
                                         f"trong khi {mode} cần nhiều nhất một dòng")
        if not rows:
            return None
        row = rows[0]
        if mode == "singleResult":
            return dict(row)
        if len(row) > 1:
            _mapping_error(result, mode, f"dòng kết quả có {len(row)} cột ({', '.join(row)}) trong khi singleEntry "
                                         "cần đúng một cột")
        return next(iter(row.values()), None)
    raise InvalidInput(
        f"Cách ánh xạ kết quả '{mode}' của quyết định '{result.decision_id}' không được hỗ trợ "
        f"(chỉ có {', '.join(MAP_MODES)}).",
        decision=result.decision_id, mode=mode,
    )


def _mapping_error(result: DecisionResult, mode: str, reason: str) -> NoReturn:
    raise InvalidInput(
        f"Không ánh xạ được kết quả của quyết định '{result.decision_id}' theo {mode}: {reason}.",
        decision=result.decision_id, mode=mode, rules=list(result.matched_rules),
    )
