"""External tasks (Camunda 7's `camunda:type="external" camunda:topic="…"`): the step waits for an outside worker.

A service task, send task or business-rule task without `camunda:decisionRef` marked external becomes an
`ExternalTask` spec: manual, so the library stops there (READY) exactly as at a user task, and the engine completes it
when the worker that locked it reports back (engine.usecases.external). The diagram's retry policy,
`camunda:failedJobRetryTimeCycle` `R<n>/<duration>`, is read here and kept on the spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from dataclasses import dataclass

from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent

if TYPE_CHECKING:  # annotations only
    from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
# The element types Camunda 7 lets a designer mark as external (ExternalCapable in camunda-bpmn-moddle).
EXTERNAL_HOSTS = frozenset({"serviceTask", "sendTask", "businessRuleTask"})
_CYCLE = re.compile(r"^R(\d+)/(P(?!$)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$")


@dataclass(frozen=True)
class RetryCycle:
    """`R3/PT5M`: three retries, each after five minutes (the duration as written, ISO 8601)."""

    retries: int
    timeout: str


def parse_retry_cycle(text: str | None) -> RetryCycle | None:
    """The retry cycle `R<n>/<duration>`, or None when the text is not one (deploy refuses it then)."""
    match = _CYCLE.match((text or "").strip())
    if match is None:
        return None
    return RetryCycle(int(match.group(1)), match.group(2))


THROW_EVENTS = frozenset({"intermediateThrowEvent", "endEvent"})


def is_external(node: etree._Element) -> bool:
    return node.get(f"{{{CAMUNDA}}}type") == "external"


def external_message(node: etree._Element) -> etree._Element | None:
    """The `messageEventDefinition` of a message throw event marked external (Camunda 7 puts `camunda:type` and
    `camunda:topic` there), or None."""
    if node.tag.split("}", 1)[-1] not in THROW_EVENTS:
        return None
    found = node.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}messageEventDefinition")
    return found if found is not None and is_external(found) else None


def retry_cycle_text(node: etree._Element) -> str | None:
    found = node.find(f"{{*}}extensionElements/{{{CAMUNDA}}}failedJobRetryTimeCycle")
    return (found.text or "").strip() if found is not None else None


class ExternalTask(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, topic, retry_cycle=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.retry_cycle = retry_cycle  # the `R<n>/<duration>` text, or None
        self.manual = True  # the library waits here; the engine runs it when a worker completes it


class ExternalEndEvent(ExternalTask, EndEvent):
    """A message end event answered by a worker: waits like an external task, then ends its path as an end event."""


class ExternalTaskConverter(TaskSpecConverter):
    def to_dict(self, spec: ExternalTask) -> dict:
        dct = self.get_default_attributes(spec)
        dct.update(topic=spec.topic, retry_cycle=spec.retry_cycle)
        return dct

    def from_dict(self, dct: dict) -> ExternalTask:
        return self.task_spec_from_dict(dct)
