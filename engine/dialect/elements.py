"""What the engine does with every BPMN 2.0 element a diagram can hold: one table, the README's, checked against the
deploy-time checks (engine.dialect.validate) and against the BPMN schema Camunda Modeler itself uses.

Each element type of bpmn-moddle's schema (node_modules/bpmn-moddle/resources/bpmn/json/bpmn.json, the one Camunda
Modeler reads and writes) has exactly one row:
- RUNS: executed with Camunda 7's semantics (the README section named in `why`);
- NO_EFFECT: deploys and changes nothing at run time (documentation, artifacts, data, other participants);
- REFUSED: deploy refuses the diagram with one sentence naming the file, the element and the reason;
- NOT_DRAWN: BPMN 2.0 has it but neither Camunda Modeler nor Camunda 7 uses it (choreographies, conversations,
  global tasks, interfaces …); inside the executable process it is refused like any unknown element.
`tests/test_bpmn_elements.py` fails when a schema type has no row, when a RUNS or NO_EFFECT row names an element the
deploy checks refuse, or when a REFUSED row names one they let through; the README table is `markdown_table()`.
Camunda's own attributes and extension elements have their table in engine.dialect.extensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Fate(str, Enum):
    RUNS = "runs"
    NO_EFFECT = "no effect"
    REFUSED = "refused at deploy"
    NOT_DRAWN = "not drawn by Camunda Modeler"


@dataclass(frozen=True)
class Row:
    fate: Fate
    why: str
    in_process: bool = True  # False: lives beside the process (under bpmn:definitions), read only where referenced


def _runs(why: str, *, in_process: bool = True) -> Row:
    return Row(Fate.RUNS, why, in_process)


def _inert(why: str, *, in_process: bool = True) -> Row:
    return Row(Fate.NO_EFFECT, why, in_process)


def _refused(why: str) -> Row:
    return Row(Fate.REFUSED, why)


NOT_DRAWN = Row(Fate.NOT_DRAWN, "BPMN 2.0 only: Camunda Modeler does not draw it and Camunda 7 does not execute it; "
                "inside the process it is refused as an unknown element", in_process=False)
NO_CODE = ("no code from a diagram ever runs here: draw an external task (`camunda:type=\"external\"`) or an officer's "
           "user task instead")

# bpmn-moddle type name -> row. Grouped as a designer meets them in the Modeler's palette.
ELEMENTS: dict[str, Row] = {
    # --- the model ---------------------------------------------------------------------------------------------
    "Definitions": _runs("the file; exactly one process marked `isExecutable=\"true\"` per file", in_process=False),
    "Process": _runs("the procedure; its `camunda:properties` give the policy (total working days, roles)",
                     in_process=False),
    "LaneSet": _runs("lanes: each step's lane is its default candidate group ([procedure policy]"
                     "(#what-the-engine-reads-from-a-diagram-the-procedure-policy))"),
    "Lane": _runs("a lane: reception, department leader, staff, director, records clerk, provincial office"),
    "Documentation": _runs("shown on the step and in the case view"),
    "ExtensionElements": _runs("the Camunda extensions (see the extensions table below)"),
    "SequenceFlow": _runs("with `${}` conditions through the safe evaluator; default flows"),
    "FormalExpression": _runs("conditions, timer values, loop cardinality and completion conditions (`${}` only)"),
    "Expression": _runs("as FormalExpression"),
    # --- tasks -------------------------------------------------------------------------------------------------
    "UserTask": _runs("an officer's step: Camunda Form, `camunda:formData` or no form; candidate groups/users, "
                      "assignee; due and follow-up dates; multi-instance; ended by a BPMN error (`tthc error`) or an "
                      "escalation (`tthc escalate`) its boundary events catch"),
    "Task": _runs("an undefined task passes through, as in Camunda 7"),
    "ManualTask": _runs("passes through, as in Camunda 7"),
    "BusinessRuleTask": _runs("a DMN decision (`camunda:decisionRef`), or an external task"),
    "ServiceTask": _runs("an external task (`camunda:type=\"external\"`, `camunda:topic`); with `camunda:class`, "
                         "`expression`, `delegateExpression` or a connector it is refused: " + NO_CODE),
    "SendTask": _runs("an external task, as a service task"),
    "ReceiveTask": _runs("waits for its message (`tthc correlate`)"),
    "ScriptTask": _refused(NO_CODE),
    "CallActivity": _runs("the called process runs as a child case (`calledElement`, bindings latest / deployment / "
                          "version / versionTag, `camunda:in`/`out`, business key), multi-instance too"),
    # --- sub-processes and loops -------------------------------------------------------------------------------
    "SubProcess": _runs("an embedded sub-process with its own boundary events; an event sub-process "
                        "(`triggeredByEvent=\"true\"`) with a timer, message, signal, error or escalation start, "
                        "interrupting or not"),
    "Transaction": _refused("a transaction needs compensation to undo its steps, which nothing here does; draw a "
                            "plain sub-process"),
    "AdHocSubProcess": _refused("Camunda 7 does not execute ad-hoc sub-processes either; draw the steps with a "
                                "parallel or inclusive gateway"),
    "MultiInstanceLoopCharacteristics": _runs("parallel or sequential instances on user tasks and sub-processes "
                                              "(`camunda:collection`/`elementVariable` or `loopCardinality`, "
                                              "`completionCondition`)"),
    "StandardLoopCharacteristics": _refused("Camunda 7 does not execute standard loops either; draw a gateway back, "
                                            "or use multi-instance"),
    "ComplexBehaviorDefinition": _refused("Camunda 7 ignores it and so would we silently; use `completionCondition`"),
    # --- gateways ------------------------------------------------------------------------------------------------
    "ExclusiveGateway": _runs("first true condition, else the default flow"),
    "ParallelGateway": _runs("fork and join"),
    "InclusiveGateway": _runs("every true condition; the join waits for the branches that can still arrive"),
    "EventBasedGateway": _runs("a race between message, signal and timer catch events"),
    "ComplexGateway": _refused("Camunda 7 does not execute complex gateways either; use an inclusive gateway"),
    # --- events --------------------------------------------------------------------------------------------------
    "StartEvent": _runs("none, message (`tthc correlate` starts a case), timer (a schedule of cases) or signal (a "
                        "case per signal) at the process level; conditional starts are refused"),
    "EndEvent": _runs("none, terminate, error, escalation, signal, or an external message end event"),
    "IntermediateCatchEvent": _runs("timer, message, signal, link, conditional"),
    "IntermediateThrowEvent": _runs("none (passes), signal (a broadcast), escalation, link, or an external message "
                                    "throw"),
    "BoundaryEvent": _runs("timer (working time; cycles as reminders), message, signal, error, escalation, conditional; "
                           "interrupting or not where BPMN allows"),
    "TimerEventDefinition": _runs("`timeDuration` in working time, `timeDate`, `timeCycle` `R<n>/<duration>`; cron "
                                  "is refused (it counts calendar hours)"),
    "MessageEventDefinition": _runs("correlated by name (`tthc correlate`, `POST /message`)"),
    "SignalEventDefinition": _runs("a broadcast by name (`tthc signal`, a throw or end event)"),
    "ErrorEventDefinition": _runs("error end events and error boundary events, by code or catch-all"),
    "TerminateEventDefinition": _runs("ends its scope: the case, or the sub-process it is in"),
    "LinkEventDefinition": _runs("a throw continues at the catch of the same name"),
    "EscalationEventDefinition": _runs("thrown by intermediate or end events, caught by the nearest enclosing "
                                       "sub-process's boundary event or event sub-process, by code or catch-all"),
    "ConditionalEventDefinition": _runs("intermediate and boundary events wait until their `${}` condition holds, "
                                        "re-evaluated after every command that sets variables ([Other events]"
                                        "(#other-events)); conditional start events are refused"),
    "CompensateEventDefinition": _refused("nothing undoes a step by itself here; draw the remedy as an officer's step"),
    "CancelEventDefinition": _refused("belongs to transactions, which are refused"),
    "ImplicitThrowEvent": NOT_DRAWN,
    # --- what events and tasks refer to (beside the process) ---------------------------------------------------
    "Message": _runs("a message's name (literal text; expressions are refused)", in_process=False),
    "Signal": _runs("a signal's name (literal text)", in_process=False),
    "Error": _runs("an error's code and `camunda:errorMessage`", in_process=False),
    "Escalation": _runs("an escalation's code", in_process=False),
    "ItemDefinition": _inert("Camunda 7 ignores item types too", in_process=False),
    "Import": _inert("nothing is imported: forms and decision tables are deployed beside the diagram",
                     in_process=False),
    # --- artifacts, data, other participants: deploy, change nothing --------------------------------------------
    "TextAnnotation": _inert("a note on the diagram"),
    "Association": _inert("joins a note or a data object"),
    "Group": _inert("a frame on the diagram"),
    "Category": _inert("the group's label", in_process=False),
    "CategoryValue": _inert("the group's label"),
    "DataObject": _inert("case variables are not copied in or out of data objects (as Camunda 7)"),
    "DataObjectReference": _inert("as the data object"),
    "DataStore": _inert("as the data object", in_process=False),
    "DataStoreReference": _inert("as the data object"),
    "DataState": _inert("as the data object"),
    "DataInputAssociation": _inert("as the data object"),
    "DataOutputAssociation": _inert("as the data object"),
    "Property": _inert("as the data object"),
    "Collaboration": _inert("the pools around the process", in_process=False),
    "Participant": _inert("a pool; a collapsed pool (another agency) is drawn for context", in_process=False),
    "MessageFlow": _inert("documents who sends what; correlation is by message name", in_process=False),
    "Extension": _inert("XML-schema extension declarations", in_process=False),
}
ELEMENTS.update({name: NOT_DRAWN for name in (
    "Interface", "Operation", "EndPoint", "Auditing", "GlobalTask", "Monitoring", "Performer", "Rendering",
    "HumanPerformer", "PotentialOwner", "GlobalUserTask", "GlobalManualTask", "GlobalScriptTask",
    "GlobalBusinessRuleTask", "Relationship", "ExtensionDefinition", "ExtensionAttributeDefinition",
    "ItemAwareElement", "DataAssociation", "DataInput", "DataOutput", "InputSet", "OutputSet", "InputOutputSpecification",
    "InputOutputBinding", "Assignment", "ConversationLink", "ConversationAssociation", "CallConversation",
    "Conversation", "SubConversation", "GlobalConversation", "PartnerEntity", "PartnerRole", "CorrelationProperty",
    "CorrelationKey", "CorrelationPropertyRetrievalExpression", "CorrelationPropertyBinding", "Resource",
    "ResourceParameter", "CorrelationSubscription", "MessageFlowAssociation", "ParticipantAssociation",
    "ParticipantMultiplicity", "CallChoreography", "SubChoreography", "ChoreographyTask", "Choreography",
    "GlobalChoreographyTask", "ResourceRole", "ResourceParameterBinding", "ResourceAssignmentExpression",
)})


def local_name(type_name: str) -> str:
    """The XML element name of a schema type: `UserTask` -> `userTask`."""
    return type_name[0].lower() + type_name[1:]


def markdown_table() -> str:
    """The README's table of BPMN elements: one line per fate and reason, elements in the palette's order."""
    lines = ["| BPMN element | fate | how it runs, or why not |", "|---|---|---|"]
    drawn = [(name, row) for name, row in ELEMENTS.items() if row.fate is not Fate.NOT_DRAWN]
    for name, row in drawn:
        lines.append(f"| `bpmn:{local_name(name)}` | {row.fate.value} | {row.why} |")
    rest = sorted(f"`{local_name(n)}`" for n, row in ELEMENTS.items() if row.fate is Fate.NOT_DRAWN)
    lines.append(f"| {', '.join(rest)} | {Fate.NOT_DRAWN.value} | {NOT_DRAWN.why} |")
    return "\n".join(lines)
