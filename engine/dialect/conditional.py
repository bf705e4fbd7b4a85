"""Conditional events as Camunda 7 runs them: an intermediate catch event that waits until its condition holds, and
a boundary event (interrupting or not) that leaves its step when it does.

When it is evaluated (Camunda 7's rules): once when the event is reached — an intermediate event whose condition
already holds passes at once, a boundary event whose condition holds when its step opens fires at once — and then
after every command that sets case variables (a completed step, a correlated message, a signal, an external task's
answer), against the case variables with the new values. `camunda:variableName` (comma-separated) limits the
re-evaluation to changes of those variables, `camunda:variableEvents` to `create` (the variable was new) and/or
`update` (it existed); `delete` never happens here (nothing removes a case variable). The step a command completes is
finished before conditions are evaluated, so its own boundary event does not fire on the values it submits (as
Camunda 7 defers the evaluation to after the completion).

What we decided where Camunda 7 would fail: a condition over a variable the case does not have yet is false (Camunda 7
raises an error in the command that sets another variable; a waiting condition is the normal case here). A
non-interrupting boundary event fires once per step (SpiffWorkflow's event completes when it fires); Camunda 7 fires
it again on every later variable change that keeps the condition true.

Refused at deploy with the reason: conditional start events (a process-level one needs Camunda's `/condition` API and
a case with no applicant; an event sub-process's is not supported), a condition outside the `${...}` grammar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.dialect.expressions import ExpressionError, parse_expression
from engine.dialect.messages import _fail, _local
from engine.dialect.xml import NS
from engine.errors import InvalidInput

if TYPE_CHECKING:  # annotations only
    from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
EVENTS = ("create", "update", "delete")
CASE_VALUES = "case_values"  # internal data: variables set by commands since the event started waiting
ATTACHABLE = ("userTask", "receiveTask", "subProcess", "serviceTask", "sendTask", "businessRuleTask")


def check_conditionals(process: etree._Element, filename: str) -> None:
    for definition in process.iter(f"{{{NS['bpmn']}}}conditionalEventDefinition"):
        owner = definition.getparent()
        kind, owner_id = _local(owner.tag), owner.get("id")
        if kind not in ("intermediateCatchEvent", "boundaryEvent"):
            raise _fail(filename, owner_id, "sự kiện điều kiện (conditional) chỉ chạy ở sự kiện chờ trung gian và sự kiện "
                        "biên; sự kiện bắt đầu theo điều kiện không được hỗ trợ (mỗi hồ sơ cần người nộp)",
                        definition.sourceline)
        condition = definition.find("bpmn:condition", NS)
        text = (condition.text or "").strip() if condition is not None else ""
        try:
            parse_expression(text)
        except ExpressionError as exc:
            raise _fail(filename, owner_id, f"điều kiện của sự kiện: {exc.message.rstrip('.')}",
                        definition.sourceline) from exc
        if kind == "boundaryEvent":
            _check_attached(process, owner, filename)
        events = _split(definition.get(f"{{{CAMUNDA}}}variableEvents"))
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            raise _fail(filename, owner_id, f"camunda:variableEvents '{unknown[0]}' không hợp lệ (create, update, "
                        "delete)", definition.sourceline)


def _check_attached(process: etree._Element, boundary: etree._Element, filename: str) -> None:
    ref = boundary.get("attachedToRef")
    attached = next((n for n in process.iter() if isinstance(n.tag, str) and n.get("id") == ref), None)
    if attached is None or _local(attached.tag) not in ATTACHABLE:
        raise _fail(filename, boundary.get("id"), "sự kiện biên điều kiện chỉ gắn được vào tác vụ người dùng, tác vụ "
                    "nhận, tác vụ ngoài hoặc quy trình con", boundary.sourceline)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


class EngineConditionalEventDefinition(ConditionalEventDefinition):
    """The library's conditional event, with Camunda's variable filter and a missing variable read as false."""

    def __init__(self, expression: str, *, variable_names: tuple[str, ...] = (),
                 variable_events: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(expression, **kwargs)
        self.variable_names = variable_names
        self.variable_events = variable_events

    def has_fired(self, my_task: Any) -> bool:
        # The library re-copies a task's data from its parent on every update; what later commands set reaches the
        # waiting event through its internal data (engine.runtime.Runtime._react), and so do the steps after it.
        my_task.data.update(my_task.internal_data.get(CASE_VALUES) or {})
        try:
            fired = my_task.workflow.script_engine.evaluate(my_task, self.expression) is True
        except InvalidInput:  # a variable the case does not have yet: not met (see the module docstring)
            fired = False
        my_task._set_internal_data(has_fired=fired)
        return fired

    def listens_to(self, changes: Mapping[str, str]) -> bool:
        """Whether a command's variable changes (name -> "create" | "update") are re-evaluated by this event."""
        relevant = [kind for name, kind in changes.items() if not self.variable_names or name in self.variable_names]
        return any(not self.variable_events or kind in self.variable_events for kind in relevant)


def definition_from(parser: Any, event: etree._Element) -> EngineConditionalEventDefinition:
    condition = event.find("bpmn:condition", NS)
    return EngineConditionalEventDefinition(
        (condition.text or "").strip(), variable_names=_split(event.get(f"{{{CAMUNDA}}}variableName")),
        variable_events=_split(event.get(f"{{{CAMUNDA}}}variableEvents")),
        description=parser.get_event_description(event))


def changes_of(tasks: Iterable[Any], values: Mapping[str, Any]) -> dict[str, str]:
    """What a command did to each variable it set: `create` when no open task of the case had it, else `update`."""
    known: set[str] = set()
    for task in tasks:
        known.update(task.data)
    return {name: ("update" if name in known else "create") for name in values}


def waiting(tasks: Iterable[Any]) -> list[Any]:
    return [t for t in tasks if t._state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), EngineConditionalEventDefinition)]


def remember(task: Any, values: Mapping[str, Any]) -> None:
    """Variables a command set, kept on a waiting conditional event for its next evaluation."""
    task.internal_data[CASE_VALUES] = {**(task.internal_data.get(CASE_VALUES) or {}), **values}
