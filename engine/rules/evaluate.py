"""Evaluating a deployed decision: read the inputs, match the precompiled rules, apply the hit policy.

Order of steps in `evaluate_decision`:
1. Required decisions (a DRD) are evaluated first, each once, dependencies before dependents. The result of each is
   added to the data twice: under the required decision's id (one output → its value, several outputs → a dict;
   a multi-row policy — RULE ORDER, OUTPUT ORDER, COLLECT without aggregation — always gives a list of those; no
   row → None), and, as Camunda 7 does, under its output names (one row → the values; several rows or a multi-row
   policy → a list per output name; no row → nothing). The second form lets DRDs drawn for Camunda 7 run unchanged.
   It is also added under the decision's name, as DMN has it (a dependent table reads `Approval Status`).
2. Every input is read from the data by its path (or computed, when its expression is an S-FEEL expression),
   checked against its typeRef and against its allowed values (`inputValues`), and put in normal form once.
   Strict tables (saved for Camunda 7, see engine.rules.dmn) refuse a missing key or a value of the wrong kind with
   an error naming the decision and input; other tables follow FEEL: the input is null.
3. Rules are matched in table order; FIRST stops at the first match. A name in a cell is read from the data and the
   required decisions' results. In a FEEL table a test meeting a value of another kind does not match.
4. The hit policy turns the matches into rows:
   UNIQUE   at most one match, a second is an error naming both rules;
   FIRST    the first match;
   ANY      all matches must give the same outputs, else an error naming two that disagree; one row;
   PRIORITY the match whose outputs come first in the outputs' value lists (outputValues), earlier outputs first;
   OUTPUT ORDER all matches sorted that way (ties keep rule order);
   RULE ORDER   all matches in rule order;
   COLLECT  all matches, or with SUM/MIN/MAX one row {output: aggregate} (no row when nothing was collected) and
            with COUNT one row {output: number of non-null values}.
   A table where no rule matches gives the outputs' default values (`defaultOutputEntry`) as its one row when it has
   any, else no rows; deciding whether that is an error is the caller's business (a business-rule task maps with
   singleResult and treats None as "no decision").
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
from engine.rules.feel import FeelTypeError, MissingName, StrictScope, coerce_input
from engine.rules.feel_types import YearsMonths, coerce_value

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
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _iso_duration(value)
    if isinstance(value, YearsMonths):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _iso_duration(delta: dt.timedelta) -> str:
    """A days-and-time duration as FEEL writes it: P1DT2H30M, -PT0.5S, PT0S."""
    sign = "-" if delta < dt.timedelta(0) else ""
    delta = abs(delta)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    seconds_text = f"{seconds + delta.microseconds / 1e6:g}" if delta.microseconds else str(seconds)
    time_part = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    time_part += f"{seconds_text}S" if seconds or delta.microseconds else ""
    text = (f"{delta.days}D" if delta.days else "") + (f"T{time_part}" if time_part else "")
    return f"{sign}P{text or 'T0S'}"


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
    """The decision with id `key`, else the only one named `key` (DMN refers to decisions by name)."""
    decision = decisions.get(key)
    if decision is not None:
        return decision
    named = [d for d in decisions.values() if d.name == key]
    if len(named) == 1:
        return named[0]
    raise NotFound(f"Không tìm thấy bảng quyết định '{key}'; hãy triển khai tệp DMN chứa nó.", decision=key)


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
    value = context[decision.id] = required_value(decision, result)
    if decision.name != decision.id:
        context[decision.name] = value  # DMN: a decision's value is a variable named after the decision
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
    if column.compiled is not None:
        return column.compiled.evaluate(data)[0]
    value: Any = data
    try:  # the common case, without an isinstance per step (typing.Mapping checks are slow)
        for name in column.path:
            value = value[name]
        return value  # only mappings are indexed by a name; anything else raised TypeError
    except (KeyError, TypeError, IndexError):
        pass  # the slow path below says what is missing, or gives FEEL's null
    value = data
    for depth, name in enumerate(column.path):
        if not isinstance(value, Mapping):
            if not decision.strict:
                return None
            parent = ".".join(column.path[:depth])
            raise InvalidInput(
                f"Không đọc được {_input_phrase(decision, column)} vì '{parent}' không phải đối tượng.",
                decision=decision.id, input=column.id, path=column.expression,
            )
        try:
            value = value[name]
        except KeyError:
            if not decision.strict:
                return None  # FEEL: a missing input is null
            raise InvalidInput(
                f"Dữ liệu thiếu {_input_phrase(decision, column)}; hãy cung cấp '{column.expression}' "
                "(null nếu không có giá trị).",
                decision=decision.id, input=column.id, path=column.expression,
            ) from None
    return value


def _evaluate_table(decision: Decision, data: Mapping[str, Any]) -> DecisionResult:
    if not (decision.strict and decision.reads_names):
        return _match(decision, data)
    try:
        return _match(decision, StrictScope(data))
    except MissingName as exc:
        where = f", {exc.rule.title}" if getattr(exc, "rule", None) else ""
        raise InvalidInput(
            f"Quyết định '{decision.id}'{where} đọc tên '{exc.name}' nhưng dữ liệu không có '{exc.name}'; nếu đó là "
            f"một giá trị chữ, hãy đặt trong dấu nháy kép (\"{exc.name}\").",
            decision=decision.id, name=exc.name,
        ) from None


def _match(decision: Decision, data: Mapping[str, Any]) -> DecisionResult:
    values: list[Any] = []
    kinds: list[str] = []
    for column in decision.inputs:
        raw = _read(data, decision, column)
        try:
            value, kind = coerce_input(raw, column.type_ref)
        except FeelTypeError as exc:
            if not decision.strict:
                value, kind = None, "null"  # FEEL: a value that does not conform to the typeRef is null
            else:
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
        if decision.strict:
            try:
                for rule in decision.rules:
                    for index, test in rule.tests:
                        if not test.matches(values[index], kinds[index], data):
                            break
                    else:
                        matched.append(rule)
                        if first_only:
                            break
            except MissingName as exc:
                exc.rule = rule
                raise
        else:
            for rule in decision.rules:
                for index, test in rule.tests:
                    try:
                        if not test.matches(values[index], kinds[index], data):
                            break
                    except FeelTypeError:
                        break  # FEEL: comparing values of different kinds is null, so the rule does not match
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
    if not matched and decision.has_defaults:
        row = {o.name: o.default for o in decision.outputs if o.default is not None}
        return DecisionResult(decision_id=decision.id, matched_rules=[], entries=[row],
                              decision_name=decision.name, hit_policy=decision.hit_policy)
    rows = {rule.id: _row(decision, rule, data) for rule in matched} if decision.has_computed else None
    rules, entries = _apply_hit_policy(decision, matched, rows)
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


def _row(decision: Decision, rule: Rule, data: Mapping[str, Any]) -> dict[str, Any]:
    """The output row of a matched rule whose output cells read names: constants plus the computed values, in the
    outputs' order."""
    row = dict(rule.outputs)
    for name, expression, type_ref in rule.computed:
        value, kind = expression.evaluate(data)
        try:
            row[name] = coerce_value(value, kind, type_ref)
        except FeelTypeError as exc:
            if not decision.strict:
                row[name] = None
                continue
            raise InvalidInput(
                f"Quyết định '{decision.id}', {rule.title}: ô đầu ra '{name}' cho giá trị kiểu {exc.actual}, không "
                f"hợp với typeRef {exc.expected}.",
                decision=decision.id, rule=rule.id, output=name,
            ) from exc
    return {o.name: row[o.name] for o in decision.outputs if o.name in row}


def _apply_hit_policy(decision: Decision, matched: list[Rule], rows: dict[str, dict[str, Any]] | None = None
                      ) -> tuple[list[Rule], list[dict[str, Any]]]:
    def row(rule: Rule) -> dict[str, Any]:
        return dict(rows[rule.id]) if rows is not None else dict(rule.outputs)

    policy = decision.hit_policy
    if policy == "UNIQUE":
        if len(matched) > 1:
            _violation(decision, matched[0], matched[1], "hit policy UNIQUE chỉ cho phép một quy tắc khớp")
        return matched, [row(r) for r in matched]
    if policy == "FIRST":
        return matched[:1], [row(r) for r in matched[:1]]
    if policy == "ANY":
        for other in matched[1:]:
            if row(other) != row(matched[0]):
                _violation(decision, matched[0], other, "hit policy ANY đòi các quy tắc khớp cho cùng kết quả")
        return matched, [row(r) for r in matched[:1]]
    if policy == "PRIORITY":
        chosen = sorted(matched, key=lambda r: _priority(decision, row(r)))[:1]
        return chosen, [row(r) for r in chosen]
    if policy == "OUTPUT ORDER":
        ordered = sorted(matched, key=lambda r: _priority(decision, row(r)))
        return ordered, [row(r) for r in ordered]
    if policy == "RULE ORDER" or decision.aggregation is None:  # RULE ORDER, plain COLLECT
        return matched, [row(r) for r in matched]
    return matched, _aggregate(decision, [row(r) for r in matched])


def _violation(decision: Decision, first: Rule, second: Rule, reason: str) -> NoReturn:
    raise InvalidInput(
        f"Quyết định '{decision.id}' vi phạm hit policy: {first.title} và {second.title} cùng khớp, mà {reason}.",
        decision=decision.id, rules=[first.id, second.id], hit_policy=decision.hit_policy,
    )


def _priority(decision: Decision, row: dict[str, Any]) -> tuple[int, ...]:
    key = []
    for output in decision.outputs:
        if output.allowed_values:
            value = row.get(output.name)
            # Checked at deploy: a value is either in the list or empty; an empty cell ranks last.
            ranks = output.allowed_values
            key.append(ranks.index(value) if value in ranks else len(ranks))
    return tuple(key)


def _aggregate(decision: Decision, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    name = decision.outputs[0].name
    values = [row[name] for row in rows if row.get(name) is not None]
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
    total = sum(Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values)
    if any(isinstance(v, float) for v in values):
        # Summed exactly, then given back as a float like the column's other values.
        return [{name: float(total)}]
    return [{name: int(total) if total == total.to_integral_value() else total}]


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
