"""`camunda:inputOutput` on a user task or an external task, with Camunda 7's scoping.

Input parameters are evaluated when the step is created, over the case variables, and are visible inside the step only
(its assignment expressions, its form, the variables an external task's worker fetches). When the step completes, the
output parameters are evaluated over the step's scope (case variables, inputs, the completion's variables) and set on
the case; the inputs are then dropped. A completion variable named like an input parameter stays in the step's scope
(Camunda 7 sets a variable where it already exists) and reaches the case only through an output parameter.

Values: text (a constant), a `${...}` expression of the safe grammar (never `eval`), `camunda:list` and `camunda:map`
(nested as deep as drawn). A `camunda:script` value runs code and is refused at deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from engine.dialect.expressions import is_expression, parse_expression
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
HOSTS = frozenset({"userTask", "serviceTask", "sendTask", "businessRuleTask"})


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Any  # ("text", str) | ("expr", str) | ("list", tuple) | ("map", tuple of (key, value)) | ("null", None)


def _value(node) -> tuple:
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        text = node.text or ""
        if not text.strip():
            return ("null", None)  # Camunda 7: an empty parameter is null
        return ("expr", text.strip()) if is_expression(text) else ("text", text)
    child = children[0]
    local = child.tag.split("}", 1)[1]
    if local == "list":
        return ("list", tuple(_value(v) for v in child if isinstance(v.tag, str)))
    if local == "map":
        return ("map", tuple((e.get("key"), _value(e)) for e in child if isinstance(e.tag, str)))
    raise InvalidInput(f"giá trị camunda:{local} của tham số '{node.get('name')}' chạy mã lệnh, mà hệ thống không bao "
                       "giờ chạy mã từ sơ đồ; hãy dùng biểu thức ${...}, danh sách hoặc bảng", parameter=node.get("name"))


def parameters_of(node: etree._Element) -> tuple[tuple[Parameter, ...], tuple[Parameter, ...]]:
    """(inputs, outputs) of an element's `camunda:inputOutput`; InvalidInput for what cannot run."""
    found = node.find(f"{{*}}extensionElements/{{{CAMUNDA}}}inputOutput")
    if found is None:
        return (), ()
    inputs = tuple(Parameter(p.get("name"), _value(p)) for p in found.findall(f"{{{CAMUNDA}}}inputParameter"))
    outputs = tuple(Parameter(p.get("name"), _value(p)) for p in found.findall(f"{{{CAMUNDA}}}outputParameter"))
    for parameter in inputs + outputs:
        if not parameter.name:
            raise InvalidInput("một tham số của camunda:inputOutput thiếu tên (name)")
        _check(parameter.value)
    return inputs, outputs


def _check(value: tuple) -> None:
    kind, body = value
    if kind == "expr":
        parse_expression(body)
    elif kind == "list":
        for item in body:
            _check(item)
    elif kind == "map":
        for key, item in body:
            if not key:
                raise InvalidInput("một mục của camunda:map thiếu khóa (key)")
            _check(item)


def evaluate(value: tuple, data: Mapping[str, Any]) -> Any:
    kind, body = value
    if kind == "expr":
        return parse_expression(body).evaluate(data)
    if kind == "list":
        return [evaluate(item, data) for item in body]
    if kind == "map":
        return {key: evaluate(item, data) for key, item in body}
    return body


def to_extension(params: tuple[Parameter, ...]) -> list:
    """A plain, serializable form for `task_spec.extensions` (lists, never tuples of dataclasses)."""
    return [[p.name, _plain(p.value)] for p in params]


def _plain(value: tuple) -> list:
    kind, body = value
    if kind == "list":
        return [kind, [_plain(v) for v in body]]
    if kind == "map":
        return [kind, [[k, _plain(v)] for k, v in body]]
    return [kind, body]


def _tuple(value: list) -> tuple:
    kind, body = value
    if kind == "list":
        return (kind, tuple(_tuple(v) for v in body))
    if kind == "map":
        return (kind, tuple((k, _tuple(v)) for k, v in body))
    return (kind, body)


def apply_inputs(extensions: Mapping[str, Any], data: dict) -> list[str]:
    """Evaluate the input parameters over `data` (in order: a later one sees an earlier one) and put them in it.
    Returns their names (the step's local variables)."""
    names = []
    scope = dict(data)
    for name, value in extensions.get("inputs") or ():
        scope[name] = evaluate(_tuple(value), scope)
        names.append(name)
    data.update({n: scope[n] for n in names})
    return names


def apply_outputs(extensions: Mapping[str, Any], data: dict, local: list[str]) -> None:
    """At completion: the outputs evaluated over the step's scope (`data`), the step's locals dropped, the outputs
    set (they reach the case)."""
    outputs = {name: evaluate(_tuple(value), data) for name, value in extensions.get("outputs") or ()}
    for name in local:
        data.pop(name, None)
    data.update(outputs)
