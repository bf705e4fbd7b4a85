"""Call activities (`bpmn:callActivity`) with Camunda 7's semantics: the called process runs as a child case.

The call activity is a waiting step of the calling case (manual, like an external task): when it becomes ready the
engine starts a child case of the called process (engine.usecases.call), and when that child ends the engine completes
the call activity with the child's `camunda:out` variables, or throws the child's BPMN error from it. What is read here:
- `calledElement`: a process key, or `${...}` evaluated by the safe evaluator over the caller's variables;
- `camunda:calledElementBinding`: `latest` (default), `deployment`, `version` (+ `camunda:calledElementVersion`),
  `versionTag` (+ `camunda:calledElementVersionTag`, matched against the called process's `camunda:versionTag`);
- `camunda:in` / `camunda:out` with `source`, `sourceExpression`, `target`, `variables="all"`, `local="true"`, and
  `camunda:in businessKey="#{execution.processBusinessKey}"` (`execution.processBusinessKey` is the one name of
  `execution` the evaluator knows: the caller's business key). Nothing from a diagram runs as code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

from engine.dialect.expressions import is_expression, parse_expression
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BINDINGS = ("latest", "deployment", "version", "versionTag")
# The caller's system variables: each case has its own (engine.definitions.START_VARIABLES), never copied across.
SYSTEM = frozenset({"case_id", "procedure_code", "applicant_name", "received_at", "transferred_at", "due_at",
                    "apology_at", "business_key"})


class CallActivityTask(BpmnSpecMixin):
    """The calling case waits here (the library stops at READY) until the child case ends."""

    def __init__(self, wf_spec, bpmn_id, call=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.call = call or {}  # calledElement, binding, version, version_tag, ins, outs (plain, serializable)
        self.manual = True


class CallActivityConverter(TaskSpecConverter):
    def to_dict(self, spec: CallActivityTask) -> dict:
        dct = self.get_default_attributes(spec)
        dct.update(call=spec.call)
        return dct

    def from_dict(self, dct: dict) -> CallActivityTask:
        return self.task_spec_from_dict(dct)


def _mapping(node: etree._Element) -> dict:
    return {name: node.get(name) for name in ("source", "sourceExpression", "target", "variables", "local",
                                                "businessKey") if node.get(name) is not None}


def parse_call(node: etree._Element) -> dict:
    """The call activity's attributes and mappings in the plain form the spec keeps (deploy checked them)."""
    ext = node.find(f"{{*}}extensionElements")
    found = lambda tag: [_mapping(m) for m in ext.iter(f"{{{CAMUNDA}}}{tag}")] if ext is not None else []  # noqa: E731
    return {
        "called_element": (node.get("calledElement") or "").strip(),
        "binding": node.get(f"{{{CAMUNDA}}}calledElementBinding") or "latest",
        "version": node.get(f"{{{CAMUNDA}}}calledElementVersion"),
        "version_tag": node.get(f"{{{CAMUNDA}}}calledElementVersionTag"),
        "ins": found("in"),
        "outs": found("out"),
    }


def _fail(filename: str, element: str | None, reason: str, line: int | None) -> InvalidInput:
    where = f" (dòng {line})" if line else ""
    return InvalidInput(f"Tệp '{filename}', phần tử '{element}'{where}: {reason}.", file=filename, element=element)


def check_call_activities(process: etree._Element, filename: str) -> None:
    for node in process.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}callActivity"):
        check_call_activity(node, filename)


def check_call_activity(node: etree._Element, filename: str) -> None:
    """Deploy checks: what Camunda 7 would reject, and what would need code here (refused with the reason)."""
    eid, line = node.get("id"), node.sourceline
    for attr in ("variableMappingClass", "variableMappingDelegateExpression"):
        if node.get(f"{{{CAMUNDA}}}{attr}") is not None:
            raise _fail(filename, eid, f"camunda:{attr} chạy mã lệnh (lớp Java) để ánh xạ biến, mà hệ thống không "
                        "chạy mã từ sơ đồ; hãy dùng camunda:in và camunda:out", line)
    if node.get(f"{{{CAMUNDA}}}caseRef") is not None or node.get("calledElement") is None:
        raise _fail(filename, eid, "bước gọi (call activity) phải gọi một quy trình BPMN bằng calledElement "
                    "(gọi hồ sơ CMMN bằng camunda:caseRef không được hỗ trợ)", line)
    call = parse_call(node)
    _check_expression(filename, eid, call["called_element"], line, "calledElement")
    if call["binding"] not in BINDINGS:
        raise _fail(filename, eid, f"camunda:calledElementBinding '{call['binding']}' không hợp lệ (chỉ latest, "
                    "deployment, version, versionTag)", line)
    if call["binding"] == "version" and not (call["version"] or "").strip().isdigit():
        raise _fail(filename, eid, "binding 'version' cần camunda:calledElementVersion là một số phiên bản", line)
    if call["binding"] == "versionTag" and not (call["version_tag"] or "").strip():
        raise _fail(filename, eid, "binding 'versionTag' cần camunda:calledElementVersionTag", line)
    for kind in ("ins", "outs"):
        for mapping in call[kind]:
            _check_mapping(filename, eid, mapping, kind == "ins", line)


def _check_expression(filename: str, eid: str | None, text: str, line: int | None, what: str) -> None:
    if not text:
        raise _fail(filename, eid, f"thiếu {what}", line)
    if is_expression(text):
        try:
            parse_expression(text.replace("#{", "${", 1) if text.lstrip().startswith("#{") else text)
        except InvalidInput as exc:
            raise _fail(filename, eid, f"{what} '{text}' không hợp lệ: {exc.message.rstrip('.')}", line) from exc


def _check_mapping(filename: str, eid: str | None, mapping: Mapping[str, str], is_in: bool, line: int | None) -> None:
    tag = "camunda:in" if is_in else "camunda:out"
    if "businessKey" in mapping:
        if not is_in:
            raise _fail(filename, eid, "businessKey chỉ đặt được trên camunda:in", line)
        _check_expression(filename, eid, mapping["businessKey"], line, "businessKey")
        return
    if mapping.get("variables") is not None:
        if mapping["variables"] != "all":
            raise _fail(filename, eid, f"{tag} variables='{mapping['variables']}' không hợp lệ (chỉ 'all')", line)
        return
    if not mapping.get("target") or ("source" in mapping) == ("sourceExpression" in mapping):
        raise _fail(filename, eid, f"{tag} cần target và đúng một trong source hoặc sourceExpression", line)
    if "sourceExpression" in mapping:
        _check_expression(filename, eid, mapping["sourceExpression"], line, "sourceExpression")


# --- run time ----------------------------------------------------------------------------------------------------
def _evaluate(text: str, data: Mapping[str, Any]) -> Any:
    if not is_expression(text):
        return text
    source = text.strip()
    if source.startswith("#{"):
        source = "$" + source[1:]
    return parse_expression(source).evaluate(data)


def _scope(data: Mapping[str, Any]) -> dict:
    """The caller's variables plus `execution.processBusinessKey` (its business key), for the evaluator."""
    key = data.get("business_key") or data.get("case_id")
    return {**data, "execution": {"processBusinessKey": key}}


def called_element(call: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """The called process key, `${...}` evaluated over the caller's variables."""
    value = _evaluate(call["called_element"], _scope(data))
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"calledElement '{call['called_element']}' không cho ra tên một quy trình (được "
                           f"{value!r}).", called_element=call["called_element"])
    return value.strip()


def in_variables(call: Mapping[str, Any], data: Mapping[str, Any], local: frozenset[str]) -> tuple[dict, str | None]:
    """The child's start variables and business key, from the `camunda:in` mappings over the caller's variables
    (`local`: the names local to the call activity — a multi-instance instance's loopCounter and element variable)."""
    scope, values, key = _scope(data), {}, None
    for mapping in call.get("ins") or ():
        if "businessKey" in mapping:
            found = _evaluate(mapping["businessKey"], scope)
            key = None if found is None else str(found)
        elif mapping.get("variables") == "all":
            names = local if mapping.get("local") == "true" else set(data)
            values.update({n: data[n] for n in names if n in data and n not in SYSTEM})
        elif "source" in mapping:
            values[mapping["target"]] = data.get(mapping["source"])
        else:
            values[mapping["target"]] = _evaluate(mapping["sourceExpression"], scope)
    return {k: v for k, v in values.items() if k not in SYSTEM}, key


def out_variables(call: Mapping[str, Any], child: Mapping[str, Any]) -> dict:
    """What the child's final variables give the caller through `camunda:out` (a `local="true"` mapping sets the
    variable on the call activity only, which ends with it: nothing reaches the case)."""
    scope, values = _scope(child), {}
    for mapping in call.get("outs") or ():
        if mapping.get("local") == "true":
            continue
        if mapping.get("variables") == "all":
            values.update({n: v for n, v in child.items() if n not in SYSTEM})
        elif "source" in mapping:
            values[mapping["target"]] = child.get(mapping["source"])
        else:
            values[mapping["target"]] = _evaluate(mapping["sourceExpression"], scope)
    return {k: v for k, v in values.items() if k not in SYSTEM}


def _locals(task: Any) -> frozenset[str]:
    """The variables local to a call activity instance: a multi-instance instance's loopCounter and element
    variable (what `camunda:in variables="all" local="true"` passes)."""
    body = task.parent.task_spec if task.parent is not None else None
    item = getattr(getattr(body, "input_item", None), "bpmn_id", None)
    return frozenset(n for n in ("loopCounter", item) if n and n in task.data) if hasattr(body, "input_item") \
        else frozenset()


def call_events(task: Any, old: int | None, completed: Mapping[str, Any]) -> list[dict]:
    """The runtime's events of a call activity: started (the child to start: process key, binding, in variables,
    business key) when it becomes ready; cancelled when it is interrupted (a boundary timer, a withdrawal). Its
    completion is written by the use case that ends the child (engine.usecases.call)."""
    from SpiffWorkflow.util.task import TaskState

    from engine.history import EventType

    spec, task_id = task.task_spec, str(task.id)
    base = {"element_id": spec.bpmn_id, "task_id": task_id}
    if task.state == TaskState.READY:
        call = spec.call
        variables, key = in_variables(call, task.data, _locals(task))
        return [{"type": EventType.CALL_ACTIVITY_STARTED.value, **base, "name": spec.bpmn_name or spec.bpmn_id,
                 "called_element": called_element(call, task.data), "binding": call["binding"],
                 "version": call.get("version"), "version_tag": call.get("version_tag"),
                 "variables": variables, "business_key": key}]
    if task.state == TaskState.CANCELLED and old == TaskState.READY and task_id not in completed:
        return [{"type": EventType.CALL_ACTIVITY_CANCELLED.value, **base}]
    return []
