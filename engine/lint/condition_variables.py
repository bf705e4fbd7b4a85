"""A lint warning for a gateway condition that tests a variable nothing in the lint run declares.

Camunda 7 deploys such a diagram: a variable may come from a step without a form (any JSON object of variables), an
external task's worker or the start data, and a missing one stops only the command that reaches the gateway (it is
refused and changes nothing). So deploy accepts it too, and lint says so, in the words a designer can act on. What
declares a variable: the start data the engine sets, a field of a form in the same lint run, a decision task's
`camunda:resultVariable`, the start event's `camunda:initiator`.
"""

from __future__ import annotations

from pathlib import Path

from engine.definitions import START_VARIABLES
from engine.errors import InvalidInput
from engine.lint.report import FileReport, Finding

RULE = "condition-variable"


def _form_keys(reports: list[FileReport]) -> set[str]:
    from engine.definitions import load_form_cached

    keys: set[str] = set()
    for report in reports:
        if report.kind == "form" and not report.over_limits:
            try:
                keys |= set(load_form_cached(report.path.read_bytes(), report.path.name).provided_keys())
            except (InvalidInput, OSError):
                continue  # the form's own findings say why
    return keys


def condition_findings(reports: list[FileReport]) -> None:
    """Add the warnings to each BPMN file's report (deploy's own parse; a refused diagram has its error already)."""
    from engine.dialect.validate import check_bpmn
    from engine.dialect.xml import NS, parse_xml

    declared = set(START_VARIABLES) | _form_keys(reports)
    for report in reports:
        if report.kind != "bpmn" or report.over_limits:
            continue
        try:
            content = Path(report.path).read_bytes()
            info = check_bpmn(content, report.path.name)
            root = parse_xml(content, report.path.name)
        except (InvalidInput, OSError):
            continue
        if _catches_messages(root, NS):
            continue  # a message may carry any variable (as in Camunda 7): nothing to say before it arrives
        own = {d.result_variable for d in info.decisions if d.result_variable}
        own |= {e.get(f"{{{NS['camunda']}}}initiator") for e in root.iter(f"{{{NS['bpmn']}}}startEvent")} - {None}
        own |= _declared_by_extensions(root, NS)
        lines = {f.get("id"): f.sourceline for f in root.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
        for cond in info.conditions:
            for name in sorted(cond.variables - declared - own):
                report.findings.append(Finding(
                    RULE, cond.flow_id,
                    f"Tệp '{report.path.name}', phần tử '{cond.flow_id}': điều kiện {cond.source} dùng biến '{name}' "
                    "mà không biểu mẫu, dữ liệu khởi tạo hay bảng quyết định nào khai báo; biến phải do bước trước "
                    "(bước không có biểu mẫu, tác vụ ngoài) đặt vào hồ sơ, nếu không lệnh đi tới cổng sẽ bị từ chối.",
                    lines.get(cond.flow_id), severity="warning"))


def _catches_messages(root, ns: dict) -> bool:
    bpmn = f"{{{ns['bpmn']}}}"
    if next(root.iter(f"{bpmn}receiveTask"), None) is not None:
        return True
    return any(event.find("bpmn:messageEventDefinition", ns) is not None
               for kind in ("startEvent", "intermediateCatchEvent", "boundaryEvent")
               for event in root.iter(f"{bpmn}{kind}"))


def _declared_by_extensions(root, ns: dict) -> set[str]:
    """Variables a diagram declares itself: multi-instance element variables and counters, input/output parameters,
    generated form fields, call activities' `camunda:out` targets."""
    camunda = f"{{{ns['camunda']}}}"
    names = {mi.get(f"{camunda}elementVariable") for mi in root.iter(f"{{{ns['bpmn']}}}multiInstanceLoopCharacteristics")}
    if next(root.iter(f"{{{ns['bpmn']}}}multiInstanceLoopCharacteristics"), None) is not None:
        names |= {"loopCounter", "nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances"}
    for kind in ("inputParameter", "outputParameter"):
        names |= {p.get("name") for p in root.iter(f"{camunda}{kind}")}
    names |= {f.get("id") for f in root.iter(f"{camunda}formField")}  # generated forms' fields (camunda:formData)
    names |= {m.get("target") for m in root.iter(f"{camunda}out")}  # a call activity's out variables
    return names - {None}
