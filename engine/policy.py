"""Procedure policy: what the engine must know about a procedure beyond its flow, read from the diagram's
`camunda:properties` (and the case-id prefix from the configuration), never from element ids — designers rename ids.

Properties a designer sets (names and values in English; see the README, "Chính sách thủ tục trong sơ đồ"):

    on the process
      channel_variable     form field that records how the dossier arrived (its value must be one of CHANNELS)
      result_kind_variable dotted path of the case variable that says what kind of result was drafted
                           (e.g. `routing.result_kind`); `refusal` there makes a `result` end a refusal
      rework_decision      `field=value` of a decision that sends a draft back for rework (default decision=rework)
      coordinating_lanes   comma-separated lane ids of the coordinating unit (named on the control slip)
    on an end event
      outcome              the case's outcome when it ends there: refused_at_reception, supplement_at_reception,
                           granted, refused, or `result` (granted, refused when the result kind says so).
                           An end without `outcome` (a step's overdue marker, the apology branch) decides nothing.
    on a user task or business rule task
      role                 reception (the desk receives the dossier), completeness_check (the desk's check),
                           appraisal, result (a result exists when this step completes, unless sent back for rework),
                           returns_result (the result is at the desk when this step opens: the case is resolved)
    on a user task, or a message catch event
      restart_deadline     `true`: a supplement request — the limit is void while the step is open (the event waits)
                           and restarts from zero when it completes (its message arrives)

`problems()` lists what a diagram gets wrong about these (used by `tthc lint`); the engine itself never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.dialect.xml import NS, parse_xml
from lxml import etree

OUTCOMES = ("refused_at_reception", "supplement_at_reception", "granted", "refused", "result")
ROLES = ("reception", "completeness_check", "appraisal", "result", "returns_result")
CHANNELS = ("direct", "online", "postal")
REFUSAL_KIND = "refusal"
DEFAULT_REWORK = ("decision", "rework")
PROCESS_PROPERTIES = ("channel_variable", "result_kind_variable", "rework_decision", "coordinating_lanes")


@dataclass(frozen=True)
class ProcedurePolicy:
    """The meaning of one diagram's elements, by element id (whatever the ids are)."""

    end_outcomes: Mapping[str, str] = field(default_factory=dict)  # end event id -> outcome token
    roles: Mapping[str, str] = field(default_factory=dict)  # task id -> role
    channel_variable: str | None = None
    result_kind_variable: str | None = None
    rework_decision: tuple[str, str] = DEFAULT_REWORK
    coordinating_lanes: tuple[str, ...] = ()
    # Message catch events marked `restart_deadline`: the limit restarts when their message arrives.
    restart_messages: frozenset[str] = frozenset()

    def restarts_on_message(self, element_id: str | None) -> bool:
        return element_id in self.restart_messages

    def has_role(self, element_id: str | None, role: str) -> bool:
        return element_id is not None and self.roles.get(element_id) == role

    def elements_with_role(self, role: str) -> tuple[str, ...]:
        return tuple(sorted(e for e, r in self.roles.items() if r == role))

    def is_rework(self, data: Mapping[str, Any]) -> bool:
        name, value = self.rework_decision
        return data.get(name) == value

    def channel(self, data: Mapping[str, Any]) -> str | None:
        """The channel a completed step's data records, if the process names the field and the value is known."""
        if self.channel_variable is None:
            return None
        value = data.get(self.channel_variable)
        return value if value in CHANNELS else None

    def start_channel(self, data: Mapping[str, Any]) -> Any:
        """The channel given in a case's start data (as given: the start data is the caller's, not a form's)."""
        return data.get(self.channel_variable) if self.channel_variable else None

    def deciding_end(self, reached: list[str]) -> str | None:
        """Of the end events reached when the workflow completed, the one that decides the outcome: the first with an
        `outcome`, else the last reached."""
        return next((e for e in reached if e in self.end_outcomes), reached[-1] if reached else None)

    def outcome(self, end: str | None, data: Mapping[str, Any]) -> str:
        token = self.end_outcomes.get(end or "", "result")
        if token != "result":
            return token
        return "refused" if self._lookup(data, self.result_kind_variable) == REFUSAL_KIND else "granted"

    @staticmethod
    def _lookup(data: Mapping[str, Any], path: str | None) -> Any:
        value: Any = data
        for part in (path or "").split("."):
            if not part or not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value


def _properties(node) -> dict[str, str]:
    found = node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS)
    return {p.get("name"): p.get("value") or "" for p in found}


def _executable_process(root):
    return next((p for p in root.findall("bpmn:process", NS) if p.get("isExecutable") == "true"), None)


def policy_of(content: bytes, filename: str) -> ProcedurePolicy:
    """The policy of a diagram already checked by `check_bpmn` (unknown values were refused at deploy)."""
    process = _executable_process(parse_xml(content, filename))
    if process is None:
        return ProcedurePolicy()
    props = _properties(process)
    ends = {e.get("id"): _properties(e).get("outcome") for e in process.iter(f"{{{NS['bpmn']}}}endEvent")}
    roles: dict[str, str] = {}
    for kind in ("userTask", "businessRuleTask"):
        for task in process.iter(f"{{{NS['bpmn']}}}{kind}"):
            role = _properties(task).get("role")
            if role:
                roles[task.get("id")] = role
    rework = props.get("rework_decision", "")
    restarts = frozenset(
        event.get("id") for event in process.iter(f"{{{NS['bpmn']}}}intermediateCatchEvent")
        if event.find("bpmn:messageEventDefinition", NS) is not None
        and _properties(event).get("restart_deadline") == "true")
    return ProcedurePolicy(
        end_outcomes={k: v for k, v in ends.items() if v},
        roles=roles,
        channel_variable=props.get("channel_variable") or None,
        result_kind_variable=props.get("result_kind_variable") or None,
        rework_decision=tuple(rework.split("=", 1)) if "=" in rework else DEFAULT_REWORK,  # type: ignore[arg-type]
        coordinating_lanes=tuple(x.strip() for x in props.get("coordinating_lanes", "").split(",") if x.strip()),
        restart_messages=restarts,
    )


def policy_for(content: bytes, filename: str) -> ProcedurePolicy:
    """The policy of a stored diagram, from its compiled form (compiled once per content, see
    `engine.workflow_cache.DefinitionsCache`): audits read many cases on the same definition."""
    from engine.runtime import compile_bpmn

    return compile_bpmn(content, filename).policy


def problems(root: etree._Element) -> list[tuple[str | None, str, int | None]]:
    """(element id, Vietnamese message, line) for each policy property a designer got wrong in a parsed diagram."""
    process = _executable_process(root)
    if process is None:
        return []
    found: list[tuple[str | None, str, int | None]] = []
    for end in process.iter(f"{{{NS['bpmn']}}}endEvent"):
        value = _properties(end).get("outcome")
        if value is not None and value not in OUTCOMES:
            found.append((end.get("id"), f"thuộc tính outcome '{value}' của sự kiện kết thúc '{end.get('id')}' không "
                                         f"hợp lệ (chọn một trong: {', '.join(OUTCOMES)})", end.sourceline))
    for kind in ("userTask", "businessRuleTask"):
        for task in process.iter(f"{{{NS['bpmn']}}}{kind}"):
            value = _properties(task).get("role")
            if value is not None and value not in ROLES:
                found.append((task.get("id"), f"thuộc tính role '{value}' của bước '{task.get('id')}' không hợp lệ "
                                              f"(chọn một trong: {', '.join(ROLES)})", task.sourceline))
    found.extend(_restart_problems(process))
    found.extend(_process_problems(process))
    return found


def _restart_problems(process) -> list[tuple[str | None, str, int | None]]:
    """`restart_deadline=true` where the engine would ignore it: only a user task and an intermediate message catch
    event stand for the applicant's supplement (a boundary event's step stays open; other elements do not wait)."""
    found: list[tuple[str | None, str, int | None]] = []
    for element in process.iter():
        if not isinstance(element.tag, str) or _properties(element).get("restart_deadline") != "true":
            continue
        kind = etree.QName(element).localname
        if kind == "userTask" or (kind == "intermediateCatchEvent"
                                  and element.find("bpmn:messageEventDefinition", NS) is not None):
            continue
        found.append((element.get("id"), f"thuộc tính restart_deadline của '{element.get('id')}' ({kind}) không có "
                                         "tác dụng: chỉ đặt trên bước (userTask) hoặc sự kiện chờ thông điệp "
                                         "(intermediateCatchEvent) chờ người nộp bổ sung hồ sơ", element.sourceline))
    return found


def _process_problems(process) -> list[tuple[str | None, str, int | None]]:
    props, pid, line = _properties(process), process.get("id"), process.sourceline
    found: list[tuple[str | None, str, int | None]] = []
    rework = props.get("rework_decision")
    if rework is not None and "=" not in rework:
        found.append((pid, f"thuộc tính rework_decision '{rework}' của quy trình phải có dạng trường=giá_trị "
                           "(ví dụ decision=rework)", line))
    lanes = {lane.get("id") for lane in process.iter(f"{{{NS['bpmn']}}}lane")}
    for lane in (x.strip() for x in props.get("coordinating_lanes", "").split(",") if x.strip()):
        if lane not in lanes:
            found.append((pid, f"thuộc tính coordinating_lanes nêu làn '{lane}' không có trong sơ đồ", line))
    return found
