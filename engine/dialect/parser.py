"""SpiffWorkflow's Camunda parser, extended to execute diagrams exactly as Camunda Modeler saves them.

What the stock parser ignores and we read (into `task_spec.extensions`, which the library keeps and serializes):
`camunda:candidateGroups`, `camunda:candidateUsers`, `camunda:assignee`, `camunda:formRef` + `camunda:formRefBinding`,
`camunda:formKey="camunda-forms:deployment:NAME.form"`, the lane id (the library keeps only the lane name),
`camunda:properties`, and `camunda:initiator` on the start event. Business rule tasks get our DMN engine; timers get
the engine clock and working-time calendar.
Everything the engine does not support was already refused by `validate.check_bpmn` before this parser runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent, CallActivity, EndEvent, IntermediateCatchEvent, IntermediateThrowEvent, ManualTask, NoneTask, StartEvent,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, SubWorkflowParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.assignment import split_list
from engine.dialect.conditional import definition_from as conditional_definition
from engine.dialect.decision_task import DecisionTask
from engine.dialect.external_task import (
    ExternalEndEvent, ExternalTask, external_message, is_external, retry_cycle_text,
)
from engine.dialect.io_mapping import parameters_of, to_extension
from engine.dialect.error_events import parse_error_definition
from engine.dialect.messages import MessageParserMixin
from engine.dialect.process_parser import LinearProcessParser
from engine.dialect.signals import in_mappings
from engine.dialect.timer_start import timer_of
from engine.dialect.timers import EngineTimeDateTimer, WorkingCycleTimer, WorkingDurationTimer

if TYPE_CHECKING:  # annotations only
    from lxml import etree
    from SpiffWorkflow.specs.base import TaskSpec

FORM_KEY_PREFIX = "camunda-forms:deployment:"


def form_ref_of(node: etree._Element, camunda_ns: str) -> str | None:
    """The form a user task names: `camunda:formRef`, or the Camunda Forms `formKey` deployment reference."""
    ref = node.get(f"{{{camunda_ns}}}formRef")
    if ref:
        return ref
    key = node.get(f"{{{camunda_ns}}}formKey") or ""
    if key.startswith(FORM_KEY_PREFIX):
        name = key[len(FORM_KEY_PREFIX):]
        return name[:-5] if name.endswith(".form") else name
    return None


def _io(node) -> dict:
    """`camunda:inputOutput` in the plain form the runtime reads (engine.dialect.io_mapping); checked at deploy."""
    inputs, outputs = parameters_of(node)
    return {"inputs": to_extension(inputs), "outputs": to_extension(outputs)} if inputs or outputs else {}


class _LaneMixin:
    def lane_id(self) -> str | None:
        return self.process_parser.lane_id(self.bpmn_id)  # indexed once per process (engine/dialect/process_parser.py)


class TthcUserTaskParser(_LaneMixin, UserTaskParser):
    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        ns = self.nsmap["camunda"]
        properties = super().parse_extensions(node)
        return {
            "properties": properties,
            # Literal names, or `${...}` texts evaluated when the task is created (engine.assignment).
            "candidate_groups": split_list(self.node.get(f"{{{ns}}}candidateGroups")),
            "candidate_users": split_list(self.node.get(f"{{{ns}}}candidateUsers")),
            "assignee": self.node.get(f"{{{ns}}}assignee"),
            "form_ref": form_ref_of(self.node, ns),
            "form_binding": self.node.get(f"{{{ns}}}formRefBinding") or "latest",
            "lane_id": self.lane_id(),
            # ISO 8601 or `${...}`, evaluated when the step is created (engine.dialect.task_dates).
            "due_date": self.node.get(f"{{{ns}}}dueDate"),
            "follow_up_date": self.node.get(f"{{{ns}}}followUpDate"),
            **_io(self.node),
        }


def _variable(text: str | None) -> str | None:
    """`units` or `${units}` → `units` (deploy checked it is one variable name)."""
    if text is None:
        return None
    text = text.strip()
    return text[2:-1].strip() if text.startswith("${") and text.endswith("}") else text


def _expression(text: str | None) -> str | None:
    """A loop cardinality or completion condition as a `${}` expression for the safe evaluator (`3` → `${3}`)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    return text if text.startswith("${") else "${" + text + "}"


class _MultiInstanceMixin:
    """Multi-instance with Camunda 7's semantics (engine/dialect/multi_instance.py), not the library's Camunda
    classes, which rewrite the shared spec at run time."""

    def _add_multiinstance_task(self, loop_characteristics):
        from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference

        from engine.dialect.multi_instance import CamundaParallelMultiInstance, CamundaSequentialMultiInstance

        ns = self.nsmap["camunda"]
        cardinality = first(self.xpath("./bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality"))
        condition = first(self.xpath("./bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition"))
        collection = _variable(loop_characteristics.get(f"{{{ns}}}collection"))
        element = _variable(loop_characteristics.get(f"{{{ns}}}elementVariable"))
        params = {
            "task_spec": "",
            "cardinality": _expression(cardinality.text) if cardinality is not None and collection is None else None,
            "data_input": TaskDataReference(collection) if collection else None,
            "input_item": TaskDataReference(element) if element else None,
            "condition": _expression(condition.text) if condition is not None else None,
        }
        original = self.spec.task_specs.pop(self.task.name)
        cls = (CamundaSequentialMultiInstance if loop_characteristics.get("isSequential") == "true"
               else CamundaParallelMultiInstance)
        self.task = cls(self.spec, original.name, **params)
        self._copy_task_attrs(original, loop_characteristics)


class TthcMultiInstanceUserTaskParser(_MultiInstanceMixin, TthcUserTaskParser):
    pass


class TthcSubWorkflowParser(_MultiInstanceMixin, SubWorkflowParser):
    """Embedded sub-processes, multi-instance ones too (each instance runs its own sub-workflow)."""


class CallActivityParser(_MultiInstanceMixin, _LaneMixin, CamundaTaskParser):
    """Call activities (engine/dialect/call_activity.py): a waiting step whose called process runs as a child case."""

    def create_task(self) -> TaskSpec:
        from engine.dialect.call_activity import CallActivityTask, parse_call

        return CallActivityTask(self.spec, self.bpmn_id, call=parse_call(self.node), **self.bpmn_attributes)

    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        return {"properties": CamundaTaskParser.parse_extensions(self, node), "lane_id": self.lane_id()}


class DecisionTaskParser(_LaneMixin, CamundaTaskParser):
    @staticmethod
    def get_decision_ref(node: etree._Element) -> str | None:
        # The library's DMN-aware parser asks every business rule parser for its dependency; our decisions are
        # deployed and looked up by the engine, not parsed alongside the diagram.
        return node.get("{http://camunda.org/schema/1.0/bpmn}decisionRef")

    def create_task(self) -> TaskSpec:
        ns = self.nsmap["camunda"]
        if is_external(self.node):  # a business-rule task answered by an outside worker, not a decision table
            return ExternalTaskParser.create_task(self)
        return DecisionTask(
            self.spec,
            self.bpmn_id,
            decision_ref=self.node.get(f"{{{ns}}}decisionRef"),
            result_variable=self.node.get(f"{{{ns}}}resultVariable"),
            map_mode=self.node.get(f"{{{ns}}}mapDecisionResult") or "resultList",
            **self.bpmn_attributes,
        )

    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        return {"properties": super().parse_extensions(node), "lane_id": self.lane_id(), **_io(self.node)}


class ExternalTaskParser(_LaneMixin, CamundaTaskParser):
    """Service, send and business-rule tasks with `camunda:type="external"` (validate.check_bpmn refused the rest)."""

    def create_task(self) -> TaskSpec:
        return ExternalTask(self.spec, self.bpmn_id, topic=self.node.get(f"{{{self.nsmap['camunda']}}}topic"),
                            retry_cycle=retry_cycle_text(self.node), **self.bpmn_attributes)

    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        return {"properties": CamundaTaskParser.parse_extensions(self, node), "lane_id": self.lane_id(),
                **_io(self.node)}


class PassThroughTaskParser(CamundaTaskParser):
    """An undefined task (`bpmn:task`) and a manual task: Camunda 7 passes through them as soon as the case arrives
    (the work is done outside the engine). The library would keep them READY for someone to complete, and no command
    here completes them, so a case would stop there for good."""

    def create_task(self) -> TaskSpec:
        spec = super().create_task()
        spec.manual = False
        return spec


class _ErrorMixin:
    """Error events carry Camunda's errorMessage and errorCodeVariable / errorMessageVariable
    (engine.dialect.error_events)."""

    def parse_error_event(self, error_event):
        return parse_error_definition(self, error_event)


class _EscalationMixin:
    """Escalation events thrown along the thrower's scopes, with Camunda's escalationCodeVariable
    (engine.dialect.escalation)."""

    def parse_escalation_event(self, escalation_event):
        from engine.dialect.escalation import parse_escalation_definition

        return parse_escalation_definition(self, escalation_event)


class _EngineTimerMixin:
    """Builds timers that count on the engine clock and calendar; values were checked at deploy."""

    def parse_timer_event(self, event):
        name = self.node.get("name", self.node.get("id"))
        description = self.get_event_description(event)
        time_date = first(self.xpath(".//bpmn:timeDate"))
        if time_date is not None:
            return EngineTimeDateTimer(name, time_date.text.strip(), description=description)
        cycle = first(self.xpath(".//bpmn:timeCycle"))
        if cycle is not None:  # a reminder: checked at deploy (engine/dialect/cycles.py)
            return WorkingCycleTimer(name, cycle.text.strip(), description=description)
        duration = first(self.xpath(".//bpmn:timeDuration"))
        return WorkingDurationTimer(name, duration.text.strip(), description=description)

    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        return {"properties": CamundaTaskParser.parse_extensions(self, node), "lane_id": self._lane_id(),
                **in_mappings(self.node)}

    def _lane_id(self):
        return self.process_parser.lane_id(self.bpmn_id)


class StartEventParser(MessageParserMixin, _EngineTimerMixin, CamundaStartEventParser):
    def create_task(self) -> TaskSpec:
        if self._schedule() is None and self._signal_start() is None:
            return super().create_task()
        # A process's timer start event: the schedule is the engine's (engine.dialect.timer_start), so the case itself
        # begins at a plain start event rather than waiting for a timer the library would run.
        from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

        task = self._create_task(NoneEventDefinition())
        self.spec.start.connect(task)
        return task

    def parse_extensions(self, node: etree._Element | None = None) -> dict:
        extensions = super().parse_extensions(node)
        # The variable that receives the officer who starts the case (`${initiator}` in assignments).
        extensions["initiator"] = (self.node.get(f"{{{self.nsmap['camunda']}}}initiator") or "").strip() or None
        schedule = self._schedule()
        if schedule is not None:
            extensions["timer_start"] = {"kind": schedule[0], "text": schedule[1]}
        signal = self._signal_start()
        if signal is not None:
            extensions["signal_start"] = signal
        return extensions

    def _signal_start(self) -> str | None:
        """The signal name of a process-level signal start event: cases are opened by the signal's delivery
        (engine.usecases.signal), so the case itself begins at a plain start event."""
        definition = self.node.find(full_tag("signalEventDefinition"))
        if definition is None or self.node.getparent().tag != full_tag("process"):
            return None
        return self.parse_signal_event(definition).name

    def _schedule(self) -> tuple[str, str] | None:
        if self.node.getparent().tag != full_tag("process"):
            return None  # an event sub-process's start event is not a schedule of cases
        return timer_of(self.node)


class EndEventParser(_ErrorMixin, _EscalationMixin, _EngineTimerMixin, CamundaEndEventParser):
    def create_task(self) -> TaskSpec:
        message = external_message(self.node)
        if message is None and self.node.find(full_tag("signalEventDefinition")) is not None:
            # The library's end event parser has no signal end events; Camunda 7 broadcasts one (signals.py).
            from SpiffWorkflow.bpmn.parser.event_parsers import SIGNAL_EVENT_XPATH

            task = self._create_task(self.get_event_definition([SIGNAL_EVENT_XPATH]))
            task.connect(self.spec.end)
            return task
        if message is None:
            return super().create_task()
        from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

        return ExternalEndEvent(self.spec, self.bpmn_id, topic=message.get(f"{{{self.nsmap['camunda']}}}topic"),
                                retry_cycle=retry_cycle_text(self.node), event_definition=NoneEventDefinition(),
                                **self.bpmn_attributes)


class ThrowEventParser(_EscalationMixin, _EngineTimerMixin, CamundaIntermediateThrowEventParser):
    """An intermediate message throw event marked external is a step a worker answers; any other throw event is the
    library's own."""

    def create_task(self) -> TaskSpec:
        message = external_message(self.node)
        if message is None:
            return super().create_task()
        return ExternalTask(self.spec, self.bpmn_id, topic=message.get(f"{{{self.nsmap['camunda']}}}topic"),
                            retry_cycle=retry_cycle_text(self.node), **self.bpmn_attributes)


class _ConditionalMixin:
    """Conditional events with Camunda's variable filter (engine.dialect.conditional)."""

    def parse_conditional_event(self, event):
        return conditional_definition(self, event)


class CatchEventParser(_ConditionalMixin, MessageParserMixin, _EngineTimerMixin, CamundaIntermediateCatchEventParser):
    pass


class BoundaryEventParser(_ConditionalMixin, _ErrorMixin, _EscalationMixin, MessageParserMixin, _EngineTimerMixin,
                          CamundaBoundaryEventParser):
    pass


class TthcParser(CamundaParser):
    PROCESS_PARSER_CLASS = LinearProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (TthcMultiInstanceUserTaskParser, UserTask),
        full_tag("subProcess"): (TthcSubWorkflowParser, CallActivity),
        full_tag("callActivity"): (CallActivityParser, CallActivity),
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTask),
        full_tag("sendTask"): (ExternalTaskParser, ExternalTask),
        full_tag("intermediateThrowEvent"): (ThrowEventParser, IntermediateThrowEvent),
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (CatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("task"): (PassThroughTaskParser, NoneTask),
        full_tag("manualTask"): (PassThroughTaskParser, ManualTask),
    }
