"""What the engine does with every Camunda 7 extension a diagram can carry: one table, nothing silently ignored.

Each `camunda:` attribute on a BPMN element and each `camunda:` element inside `bpmn:extensionElements` has exactly
one fate:
- RUNS: the engine executes it with Camunda 7's meaning (on the BPMN element types listed in `hosts`, if any);
- REFUSED: deploy refuses the diagram with one sentence naming the file, the element, the extension, why, and what to
  draw instead (`tthc lint` reports the same sentence as an error);
- NO_EFFECT: accepted, and `tthc lint` says it changes nothing here (a designer must not believe it does).

`covers` names the camunda-bpmn-moddle schema entries (`Type` or `Type.property`) each row stands for:
`tests/test_camunda_extensions.py` walks that schema (node_modules/camunda-bpmn-moddle/resources/camunda.json) and
fails for any entry no row covers, so a new Modeler release cannot add something the engine quietly skips. The
README's table of extensions is generated from this one (`markdown_table`).

External tasks (`type`, `topic`, `failedJobRetryTimeCycle`), `dueDate`/`followUpDate` and `inputOutput` run
(engine.usecases.external, engine.dialect.task_dates, engine.dialect.io_mapping); where one cannot run on an element,
deploy refuses it (engine.dialect.validate).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from lxml import etree

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class Fate(str, Enum):
    RUNS = "runs"
    REFUSED = "refused"
    NO_EFFECT = "no_effect"


@dataclass(frozen=True)
class Rule:
    fate: Fate
    why: str  # Vietnamese: for RUNS what it does, otherwise why and what to draw instead
    covers: tuple[str, ...]
    hosts: frozenset[str] | None = None  # RUNS only on these BPMN element types (local names); None: wherever it is
    runs_when: tuple[str, ...] | None = None  # RUNS only with one of these values; other values are refused


NO_CODE = (
    "chạy mã lệnh (lớp Java, biểu thức hoặc script), mà hệ thống không bao giờ chạy mã từ sơ đồ; hãy giao việc này "
    "cho một hệ thống bên ngoài qua tác vụ ngoài (external task) hoặc cho cán bộ bằng một tác vụ người dùng (user task)"
)
NO_JOBS = "mỗi lệnh của hệ thống đã là một giao dịch riêng, không có hàng đợi công việc (job) nào để tách hay ưu tiên"
CMMN = "gọi một hồ sơ CMMN (case), mà hệ thống chỉ chạy quy trình BPMN; hãy gọi một quy trình bằng calledElement"
NO_ISSUE_14 = "chưa được hỗ trợ (issue 14)"
# Camunda 7 runs a process whatever its form keys say: an embedded, external or app form (and any start form) is
# shown by the web application, never checked by the engine. Here too the step runs, as a step without a form.
FORM_ELSEWHERE = (
    "biểu mẫu này thuộc ứng dụng web (Tasklist), không thuộc sơ đồ; như ở Camunda 7, quy trình vẫn chạy và bước nhận "
    "mọi đối tượng JSON như một bước không có biểu mẫu, hồ sơ được bắt đầu bằng `tthc start`; muốn hệ thống kiểm tra "
    "dữ liệu của bước, hãy dùng camunda:formKey=\"camunda-forms:deployment:TÊN.form\" hoặc camunda:formRef"
)


def _runs(why: str, *covers: str, hosts: set[str] | None = None, when: tuple[str, ...] | None = None) -> Rule:
    return Rule(Fate.RUNS, why, covers, frozenset(hosts) if hosts else None, when)


def _refused(why: str, *covers: str) -> Rule:
    return Rule(Fate.REFUSED, why, covers)


def _no_effect(why: str, *covers: str) -> Rule:
    return Rule(Fate.NO_EFFECT, why, covers)


# `camunda:` attributes on BPMN elements, by local name.
ATTRIBUTES: dict[str, Rule] = {
    "candidateGroups": _runs("nhóm được nhận và hoàn thành bước", "Assignable.candidateGroups", hosts={"userTask"}),
    "candidateUsers": _runs("người được nhận và hoàn thành bước", "Assignable.candidateUsers", hosts={"userTask"}),
    "assignee": _runs("người duy nhất được hoàn thành bước", "Assignable.assignee", hosts={"userTask"}),
    "initiator": _runs("biến giữ người bắt đầu hồ sơ", "Initiator.initiator", hosts={"startEvent"}),
    "formRef": _runs("biểu mẫu Camunda Form của bước", "FormSupported.formRef", hosts={"userTask"}),
    "formRefBinding": _runs(
        "phiên bản biểu mẫu: hệ thống luôn dùng bản mới nhất; hãy đặt formRefBinding=\"latest\"",
        "FormSupported.formRefBinding", hosts={"userTask"}, when=("latest",)),
    "formKey": _runs(
        "biểu mẫu Camunda Form đã triển khai của bước (camunda-forms:deployment:TÊN.form); biểu mẫu khác và biểu mẫu "
        "của sự kiện bắt đầu không có tác dụng (lint nhắc)", "FormSupported.formKey", hosts={"userTask", "startEvent"}),
    "decisionRef": _runs("bảng quyết định DMN của tác vụ", "DmnCapable.decisionRef", hosts={"businessRuleTask"}),
    "decisionRefBinding": _runs(
        "phiên bản bảng quyết định: hệ thống luôn dùng bản mới nhất; hãy đặt decisionRefBinding=\"latest\"",
        "DmnCapable.decisionRefBinding", hosts={"businessRuleTask"}, when=("latest",)),
    "mapDecisionResult": _runs("cách đưa kết quả DMN vào hồ sơ", "DmnCapable.mapDecisionResult",
                               hosts={"businessRuleTask"}),
    "resultVariable": _runs("biến nhận kết quả bảng quyết định", "ServiceTaskLike.resultVariable",
                            "ScriptTask.resultVariable", hosts={"businessRuleTask"}),
    "formRefVersion": _refused(
        "ghim một phiên bản biểu mẫu, nhưng hệ thống luôn dùng bản mới nhất; hãy bỏ thuộc tính này",
        "FormSupported.formRefVersion"),
    "decisionRefVersion": _refused(
        "ghim một phiên bản bảng quyết định, nhưng hệ thống luôn dùng bản mới nhất; hãy bỏ thuộc tính này",
        "DmnCapable.decisionRefVersion"),
    "formHandlerClass": _refused(NO_CODE, "FormSupported.formHandlerClass"),
    "class": _refused(NO_CODE, "ServiceTaskLike.class"),
    "delegateExpression": _refused(NO_CODE, "ServiceTaskLike.delegateExpression"),
    "expression": _refused(NO_CODE, "ServiceTaskLike.expression"),
    "resource": _refused(
        "nạp mã hoặc biểu thức từ một tệp bên ngoài sơ đồ; hãy viết điều kiện ${...} ngay trong sơ đồ",
        "ScriptTask.resource", "FormalExpression.resource"),
    "type": _runs("tác vụ ngoài (external task): một hệ thống bên ngoài nhận và hoàn thành bước "
                  "(`tthc external fetch/complete/fail`)", "ExternalCapable.type",
                  hosts={"serviceTask", "sendTask", "businessRuleTask", "messageEventDefinition"}, when=("external",)),
    "topic": _runs("chủ đề (topic) mà hệ thống bên ngoài lấy tác vụ ngoài theo", "ExternalCapable.topic",
                   hosts={"serviceTask", "sendTask", "businessRuleTask", "messageEventDefinition"}),
    "dueDate": _runs(
        "hạn của bước (ngày, thời điểm ISO 8601 hoặc biểu thức ${...}); hạn của bước là thời điểm sớm hơn giữa hạn "
        "này và hạn của sự kiện hẹn giờ biên tính theo ngày làm việc", "Assignable.dueDate", hosts={"userTask"}),
    "followUpDate": _runs("ngày nhắc theo dõi bước (ngày, thời điểm ISO 8601 hoặc biểu thức ${...}), hiện ở "
                          "`tthc tasks` và `tthc show`", "Assignable.followUpDate", hosts={"userTask"}),
    "candidateStarterGroups": _refused(
        "giới hạn ai được bắt đầu hồ sơ, nhưng hệ thống chỉ cho Bộ phận Một cửa (nhóm reception) tiếp nhận; "
        "hãy bỏ thuộc tính này", "Process.candidateStarterGroups"),
    "candidateStarterUsers": _refused(
        "giới hạn ai được bắt đầu hồ sơ, nhưng hệ thống chỉ cho Bộ phận Một cửa (nhóm reception) tiếp nhận; "
        "hãy bỏ thuộc tính này", "Process.candidateStarterUsers"),
    "collection": _runs("danh sách (biến) mà tác vụ nhiều phiên bản tạo một phiên bản cho mỗi phần tử",
                        "Collectable.collection", hosts={"multiInstanceLoopCharacteristics"}),
    "elementVariable": _runs("biến cục bộ của mỗi phiên bản chứa phần tử của nó (dùng được trong ${...} giao việc)",
                             "Collectable.elementVariable", hosts={"multiInstanceLoopCharacteristics"}),
    "errorCodeVariable": _runs("biến nhận mã lỗi mà sự kiện biên lỗi bắt được",
                               "ErrorEventDefinitionExtension.errorCodeVariable", hosts={"errorEventDefinition"}),
    "errorMessageVariable": _runs("biến nhận thông báo của lỗi mà sự kiện biên lỗi bắt được",
                                  "ErrorEventDefinitionExtension.errorMessageVariable",
                                  hosts={"errorEventDefinition"}),
    "escalationCodeVariable": _runs("biến nhận mã leo thang mà sự kiện biên leo thang hoặc quy trình con sự kiện "
                                    "bắt được", "EscalationEventDefinitionExtension.escalationCodeVariable",
                                    hosts={"escalationEventDefinition"}),
    "variableName": _runs("chỉ đánh giá lại điều kiện khi các biến này thay đổi",
                          "ConditionalEventDefinitionExtension.variableName", hosts={"conditionalEventDefinition"}),
    "variableEvents": _runs("chỉ đánh giá lại điều kiện khi biến được tạo (create) hoặc cập nhật (update)",
                            "ConditionalEventDefinitionExtension.variableEvents", hosts={"conditionalEventDefinition"}),
    # Call activities (engine/dialect/call_activity.py): the called process runs as a child case.
    "calledElementBinding": _runs("phiên bản quy trình được gọi: latest (mới nhất), deployment (bản đang hiệu lực khi "
                                  "quy trình gọi được triển khai), version, versionTag", "CallActivity.calledElementBinding",
                                  hosts={"callActivity"}, when=("latest", "deployment", "version", "versionTag")),
    "calledElementVersion": _runs("số phiên bản quy trình được gọi (binding version)",
                                  "CallActivity.calledElementVersion", hosts={"callActivity"}),
    "calledElementVersionTag": _runs("nhãn phiên bản (camunda:versionTag) của quy trình được gọi (binding versionTag)",
                                     "CallActivity.calledElementVersionTag", hosts={"callActivity"}),
    "calledElementTenantId": _no_effect("hệ thống không chia người thuê (tenant)", "CallActivity.calledElementTenantId"),
    **{
        name: _refused(CMMN, f"CallActivity.{name}") for name in ("caseRef", "caseBinding", "caseVersion", "caseTenantId")
    },
    "variableMappingClass": _refused(NO_CODE, "CallActivity.variableMappingClass"),
    "variableMappingDelegateExpression": _refused(NO_CODE, "CallActivity.variableMappingDelegateExpression"),
    "async": _no_effect(NO_JOBS, "AsyncCapable.async", "SignalEventDefinitionExtension.async"),
    "asyncBefore": _no_effect(NO_JOBS, "AsyncCapable.asyncBefore"),
    "asyncAfter": _no_effect(NO_JOBS, "AsyncCapable.asyncAfter"),
    "exclusive": _no_effect(NO_JOBS, "AsyncCapable.exclusive"),
    "jobPriority": _no_effect(NO_JOBS, "JobPriorized.jobPriority"),
    "taskPriority": _no_effect(NO_JOBS, "TaskPriorized.taskPriority"),
    "priority": _no_effect("hệ thống không xếp các bước theo độ ưu tiên", "Assignable.priority"),
    "decisionRefTenantId": _no_effect("hệ thống không chia người thuê (tenant)", "DmnCapable.decisionRefTenantId"),
    "historyTimeToLive": _no_effect(
        "lịch sử hồ sơ được giữ vĩnh viễn trong chuỗi sự kiện chỉ ghi thêm, không bị xóa sau thời hạn",
        "Process.historyTimeToLive"),
    "versionTag": _runs("nhãn phiên bản của quy trình, để bước gọi quy trình chọn theo camunda:calledElementVersionTag",
                        "Process.versionTag", hosts={"process"}),
    "isStartableInTasklist": _no_effect("hồ sơ được bắt đầu bằng lệnh `tthc start`, không qua Tasklist",
                                        "Process.isStartableInTasklist"),
    "modelerTemplate": _no_effect("chỉ là thông tin của Camunda Modeler", "TemplateSupported.modelerTemplate"),
    "modelerTemplateVersion": _no_effect("chỉ là thông tin của Camunda Modeler",
                                         "TemplateSupported.modelerTemplateVersion"),
    "diagramRelationId": _no_effect("chỉ là thông tin của Camunda Modeler", "Definitions.diagramRelationId"),
    "errorMessage": _runs("thông báo của lỗi, gán vào camunda:errorMessageVariable khi sự kiện biên lỗi bắt được nó",
                          "Error.camunda:errorMessage", hosts={"error"}),
}

_IO = ("InputOutput", "InputOutput.inputOutput", "InputOutput.connectorId", "InputOutput.inputParameters",
       "InputOutput.outputParameters", "InputOutputParameter", "InputOutputParameter.name", "InputOutputParameter.value",
       "InputOutputParameter.definition", "InputParameter", "OutputParameter", "InputOutputParameterDefinition",
       "List", "List.items", "Map", "Map.entries", "Entry", "Entry.key", "Entry.value", "Entry.definition")
_SCRIPT = ("Script", "Script.scriptFormat", "Script.resource", "Script.value")
_FIELD = ("Field", "Field.name", "Field.expression", "Field.stringValue", "Field.string")
_LISTENER = ("expression", "class", "delegateExpression", "event", "script", "fields")
_IN_OUT = ("In", "InOutBinding", *(f"InOutBinding.{p}" for p in
                                           ("source", "sourceExpression", "target", "businessKey", "local", "variables")))
_FORM_DATA = ("FormData", "FormData.fields", "FormData.businessKey", "FormField",
              *(f"FormField.{p}" for p in ("id", "label", "type", "datePattern", "defaultValue", "properties",
                                            "validation", "values")),
              "Validation", "Validation.constraints", "Constraint", "Constraint.name", "Constraint.config",
              "Value", "Value.id", "Value.name", "Value.value")
_FORM_PROPERTY = ("FormProperty", *(f"FormProperty.{p}" for p in (
    "id", "name", "type", "required", "readable", "writable", "variable", "expression", "datePattern", "default",
    "values")))
GENERATED_FORMS = (
    "là biểu mẫu sinh tự động của Camunda, chưa được hỗ trợ; hãy vẽ một Camunda Form (.form) và đặt camunda:formRef"
)

# `camunda:` elements directly inside `bpmn:extensionElements`, by local name (what nests inside them is theirs).
ELEMENTS: dict[str, Rule] = {
    "properties": _runs("thuộc tính tự do, được lưu cùng định nghĩa và đọc theo tên",
                        "Properties", "Properties.values", "Property", "Property.id", "Property.name", "Property.value"),
    "executionListener": _refused(NO_CODE, "ExecutionListener", *(f"ExecutionListener.{p}" for p in _LISTENER),
                                  *_SCRIPT),
    "taskListener": _refused(NO_CODE, "TaskListener", *(f"TaskListener.{p}" for p in _LISTENER),
                             "TaskListener.id", "TaskListener.eventDefinitions"),
    "field": _refused(NO_CODE, *_FIELD),
    "connector": _refused(NO_CODE, "Connector", "Connector.inputOutput", "Connector.connectorId"),
    "errorEventDefinition": _refused(NO_CODE, "ErrorEventDefinition", "ErrorEventDefinition.expression"),
    "inputOutput": _runs(
        "ánh xạ biến vào/ra của bước (tham số ${...}, danh sách, bảng) theo phạm vi của Camunda 7; chỉ trên tác vụ "
        "người dùng và tác vụ ngoài", *_IO),
    "in": _runs("biến (source, sourceExpression, variables=\"all\", local) và mã hồ sơ (businessKey) chuyển vào hồ sơ "
                "con khi bước gọi quy trình bắt đầu; trên sự kiện phát tín hiệu: biến mà tín hiệu gửi kèm", *_IN_OUT,
                hosts={"callActivity", "signalEventDefinition"}),
    "out": _runs("biến của hồ sơ con chuyển về hồ sơ gọi khi hồ sơ con kết thúc", "Out", hosts={"callActivity"}),
    "formData": _runs("biểu mẫu sinh tự động của Camunda 7 (kiểu string, long, boolean, date, enum; ràng buộc required, "
                      "minlength, maxlength, min, max, readonly), kiểm tra như Camunda Form", *_FORM_DATA),
    "formProperty": _refused(GENERATED_FORMS, *_FORM_PROPERTY),
    "potentialStarter": _refused(
        "giới hạn ai được bắt đầu hồ sơ, nhưng hệ thống chỉ cho Bộ phận Một cửa (nhóm reception) tiếp nhận; "
        "hãy bỏ phần tử này", "PotentialStarter", "PotentialStarter.resourceAssignmentExpression"),
    "failedJobRetryTimeCycle": _runs(
        "số lần thử lại và thời gian chờ của tác vụ ngoài khi hệ thống bên ngoài báo lỗi (R3/PT5M); hết lượt thì "
        "thành sự cố (incident)", "FailedJobRetryTimeCycle", "FailedJobRetryTimeCycle.body"),
}


@dataclass(frozen=True)
class Verdict:
    fate: Fate
    element_id: str | None
    line: int | None
    message: str  # the sentence after "Tệp 'F', phần tử 'E' (dòng N): "


def _local(node) -> str:
    return etree.QName(node).localname


def _owner(node):
    """The nearest BPMN element with an id: what a designer clicks on in the Modeler."""
    while node is not None and (not isinstance(node.tag, str) or node.get("id") is None):
        node = node.getparent()
    return node


def _scopes(root) -> Iterator:
    """The document minus what never runs: processes not marked executable (a pool drawn for context)."""
    for name, value in root.attrib.items():
        if name.startswith(f"{{{CAMUNDA}}}"):
            yield from _attribute_verdict(root, name.split("}", 1)[1], value)
    for child in root.iterchildren(etree.Element):
        if child.tag == f"{{{BPMN}}}process" and child.get("isExecutable") != "true":
            continue
        yield child


def verdicts(root: etree._Element) -> Iterator[Verdict]:
    """Every Camunda extension in the document that is refused or has no effect, in document order."""
    for scope in _scopes(root):
        if isinstance(scope, Verdict):
            yield scope
        else:
            yield from _verdicts_under(scope)


def _verdicts_under(scope) -> Iterator[Verdict]:
    for node in scope.iter(etree.Element):
        namespace = etree.QName(node).namespace
        if namespace == CAMUNDA:
            parent = node.getparent()
            parent_ns = etree.QName(parent).namespace if parent is not None else None
            if parent_ns == CAMUNDA:
                continue  # nested inside another extension element: judged with it
            yield from _element_verdict(node, parent is not None and parent.tag == f"{{{BPMN}}}extensionElements")
            continue
        for name, value in node.attrib.items():
            if name.startswith(f"{{{CAMUNDA}}}"):
                yield from _attribute_verdict(node, name.split("}", 1)[1], value)


def _attribute_verdict(node, name: str, value: str) -> Iterator[Verdict]:
    owner = _owner(node)
    owner_id = owner.get("id") if owner is not None else None
    line = node.sourceline
    host = _local(node)
    rule = ATTRIBUTES.get(name)
    subject = f"thuộc tính camunda:{name}"
    if rule is None:
        yield Verdict(Fate.REFUSED, owner_id, line,
                      f"{subject} không có trong Camunda 7 nên sẽ không có tác dụng; hãy xóa hoặc sửa tên thuộc tính")
        return
    if rule.fate is Fate.RUNS:
        if rule.hosts is not None and host not in rule.hosts:
            where = ", ".join(sorted(rule.hosts))
            yield Verdict(Fate.REFUSED, owner_id, line,
                          f"{subject} không có tác dụng trên phần tử loại {host} (chỉ dùng cho {where}); hãy xóa nó")
        elif rule.runs_when is not None and value not in rule.runs_when:
            yield Verdict(Fate.REFUSED, owner_id, line, f"{subject}=\"{value}\" không được hỗ trợ ({rule.why})")
        elif name == "formKey" and (host == "startEvent" or not value.startswith("camunda-forms:deployment:")):
            yield Verdict(Fate.NO_EFFECT, owner_id, line,
                          f"{subject}=\"{value}\" không có tác dụng ở hệ thống này: {FORM_ELSEWHERE}")
        return
    if rule.fate is Fate.REFUSED:
        yield Verdict(Fate.REFUSED, owner_id, line, f"{subject} {rule.why}")
    else:
        yield Verdict(Fate.NO_EFFECT, owner_id, line, f"{subject} không có tác dụng ở hệ thống này: {rule.why}")


def _element_verdict(node, in_extension_elements: bool) -> Iterator[Verdict]:
    owner = _owner(node.getparent())
    owner_id = owner.get("id") if owner is not None else None
    name = _local(node)
    subject = f"phần tử mở rộng camunda:{name}"
    rule = ELEMENTS.get(name)
    if rule is None or not in_extension_elements:
        yield Verdict(Fate.REFUSED, owner_id, node.sourceline,
                      f"{subject} không phải phần tử mở rộng của Camunda 7 ở vị trí này nên sẽ không có tác dụng; "
                      "hãy xóa nó")
    elif rule.fate is Fate.REFUSED:
        yield Verdict(Fate.REFUSED, owner_id, node.sourceline, f"{subject} {rule.why}")
    elif rule.hosts is not None and _local(node.getparent().getparent()) not in rule.hosts:
        host = _local(node.getparent().getparent())
        yield Verdict(Fate.REFUSED, owner_id, node.sourceline,
                      f"{subject} không có tác dụng trên phần tử loại {host} (chỉ dùng cho "
                      f"{', '.join(sorted(rule.hosts))}); hãy xóa nó")
    elif rule.fate is Fate.NO_EFFECT:
        yield Verdict(Fate.NO_EFFECT, owner_id, node.sourceline,
                      f"{subject} không có tác dụng ở hệ thống này: {rule.why}")


_FATE_EN = {Fate.RUNS: "runs", Fate.REFUSED: "refused at deploy", Fate.NO_EFFECT: "no effect (lint notice)"}


def markdown_table() -> str:
    """The README's table of Camunda extensions, generated from the tables above (one row per fate and reason)."""
    groups: dict[tuple[Fate, str], list[str]] = {}
    for table, element in ((ATTRIBUTES, False), (ELEMENTS, True)):
        for name, rule in table.items():
            shown = f"`<camunda:{name}>`" if element else f"`camunda:{name}`"
            if rule.hosts:
                shown += f" on {', '.join(sorted(rule.hosts))}"
            groups.setdefault((rule.fate, rule.why), []).append(shown)
    lines = ["| extension | fate | why (what the designer reads) |", "|---|---|---|"]
    for (fate, why), names in sorted(groups.items(), key=lambda item: (list(Fate).index(item[0][0]), item[1][0])):
        lines.append(f"| {', '.join(sorted(names))} | {_FATE_EN[fate]} | {why} |")
    return "\n".join(lines)
