"""Deploy-time checks of the BPMN structure elements: embedded sub-processes (issue 14).

An embedded sub-process runs as its own scope (SpiffWorkflow keeps it as a sub-workflow of the case): one none start
event, at least one end event, the parent's sequence flows do not cross its border. Event sub-processes
(`triggeredByEvent="true"`) are not executed yet, so they are refused here with the reason rather than run wrongly.
"""

from __future__ import annotations

from engine.dialect.xml import NS
from engine.errors import InvalidInput

_BPMN = NS["bpmn"]


def _fail(filename: str, element_id: str | None, reason: str, line: int | None) -> InvalidInput:
    at = f" (dòng {line})" if line else ""
    return InvalidInput(f"Tệp '{filename}', phần tử '{element_id}'{at}: {reason}.", file=filename, element=element_id,
                        line=line)


def check_structure(process, filename: str) -> None:
    for sub in process.iter(f"{{{_BPMN}}}subProcess"):
        sid, line = sub.get("id"), sub.sourceline
        if sub.get("triggeredByEvent") == "true":
            raise _fail(filename, sid, "quy trình con sự kiện (event sub-process) chưa được hỗ trợ; hãy dùng sự kiện "
                        "biên (boundary event) gắn vào quy trình con hoặc bước", line)
        starts = sub.findall("bpmn:startEvent", NS)
        if len(starts) != 1:
            raise _fail(filename, sid, f"quy trình con phải có đúng một sự kiện bắt đầu, đang có {len(starts)}", line)
        if not sub.findall("bpmn:endEvent", NS):
            raise _fail(filename, sid, "quy trình con phải có ít nhất một sự kiện kết thúc", line)
        inside = {n.get("id") for n in sub.iter() if isinstance(n.tag, str) and n.get("id")}
        for flow in sub.findall("bpmn:sequenceFlow", NS):
            for attr in ("sourceRef", "targetRef"):
                if flow.get(attr) not in inside:
                    raise _fail(filename, flow.get("id"), f"luồng trong quy trình con '{sid}' không được nối ra "
                                "ngoài quy trình con (hãy nối từ chính quy trình con)", flow.sourceline)
