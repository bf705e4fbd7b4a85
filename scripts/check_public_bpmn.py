"""Deploy every .bpmn file under a directory through the engine's own deploy, one throw-away database each, and say
why each refused file was refused.

    python3 scripts/check_public_bpmn.py DIR [--json]

Each diagram is deployed exactly as `tthc deploy FILE` would deploy it (the CLI's AppContext and Service on a fresh
SQLite database in a temporary directory), together with the .form and .dmn files beside it. Nothing here checks a
diagram itself: the verdict and the reason are the engine's. What this script adds is the class of the refusal, read
from the element the engine names and from the document:

- code: a script task, a Java delegate or expression, a listener, a connector, a script in a mapping — things a
  diagram can only do by running code, which the engine never does (the issue allows these refusals);
- unsupported: any other construct or attribute the engine refuses (`construct` names it);
- camunda8: a Camunda 8 (Zeebe) diagram, not a Camunda 7 one;
- not_executable: no process marked isExecutable="true" (a drawing, not a program);
- other: anything else (not XML, not BPMN).

The engine stops at the first refusal, so a file refused for code may hold other refusals behind it. For each file
refused for code, the script therefore also deploys a scratch copy in which every code construct is replaced by what
the engine runs instead (an external task; listeners, connectors and mapping scripts removed) and reports that second
verdict as `without_code`: a file whose `without_code` is `deployed` is refused for code and for nothing else. The
copy lives in the temporary directory only. Exit code 0; `--json` prints one JSON document (a list of rows and the
totals) for tests and docs/public_bpmn.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python3 scripts/check_public_bpmn.py`
    sys.path.insert(0, str(ROOT))

from engine.cli.context import AppContext  # noqa: E402 - after the path set-up above
from engine.dialect.extensions import NO_CODE  # noqa: E402
from engine.dialect.validate import REFUSED  # noqa: E402
from engine.errors import EngineError  # noqa: E402

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
DROPPED = ("executionListener", "taskListener", "connector", "field")
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
CLASSES = ("deployed", "code", "unsupported", "camunda8", "not_executable", "other")
# The engine's own sentences for refusals that are about code (engine/dialect/extensions.py, validate.py, io_mapping).
# A method or function call inside `${...}` (`${bean.method(x)}`) calls Java code in Camunda 7 (expressions.py).
CODE_MARKERS = (NO_CODE, REFUSED["scriptTask"], "camunda:script", "chạy mã", "gọi phương thức", "gọi hàm")
CODE_ELEMENTS = {"scriptTask"}


def deploy(path: Path, *, without_code: bool = False) -> dict:
    """`tthc deploy PATH SIBLINGS...` on a fresh database: the rows the engine returns, or its refusal. With
    `without_code`, the diagram deployed is a scratch copy with its code constructs replaced (`strip_code`)."""
    siblings = sorted(p for p in path.parent.iterdir() if p.suffix in (".form", ".dmn"))
    with tempfile.TemporaryDirectory() as tmp:
        target = path
        if without_code:
            target = Path(tmp) / path.name
            target.write_bytes(strip_code(path.read_bytes()))
        app = AppContext(db_url=f"sqlite:///{tmp}/check.db")
        try:
            rows = app.service.deploy([target, *siblings])
        except EngineError as err:
            # The scratch copy's sentence names the file the user gave, not the copy in the temporary directory.
            return {"result": "refused", "reason": err.message.replace(str(target), str(path)),
                    "details": err.to_dict()["details"]}
        finally:
            app.close()
    return {"result": "deployed", "processes": [r["key"] for r in rows if r["kind"] == "bpmn"]}


def strip_code(content: bytes) -> bytes:
    """The diagram with each thing that runs code replaced by what the engine runs instead: a script task or a Java
    service task becomes an external task (topic `code`); listeners, connectors, fields and mapping scripts go."""
    from lxml import etree

    from engine.dialect.xml import parse_xml

    root = parse_xml(content, "copy")  # the Activiti namespace already reads as camunda: here
    for node in list(root.iter(*(f"{{{CAMUNDA}}}{name}" for name in DROPPED))):
        if node.getparent() is not None:
            node.getparent().remove(node)
    for script in list(root.iter(f"{{{CAMUNDA}}}script")):
        parameter = script.getparent()
        if parameter is not None and parameter.getparent() is not None:
            parameter.getparent().remove(parameter)
    for node in root.iter(etree.Element):
        if _to_external(node):
            node.tag = f"{{{BPMN}}}serviceTask"
            node.set(f"{{{CAMUNDA}}}type", "external")
            node.set(f"{{{CAMUNDA}}}topic", "code")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _to_external(node) -> bool:
    """Drop the code of one element; True when it is a task that must become an external task."""
    calls = [node.attrib.pop(f"{{{CAMUNDA}}}{name}", None) for name in ("class", "delegateExpression", "expression")]
    if node.tag == f"{{{BPMN}}}scriptTask":
        for name in ("scriptFormat", f"{{{CAMUNDA}}}resource", f"{{{CAMUNDA}}}resultVariable"):
            node.attrib.pop(name, None)
        for script in node.findall(f"{{{BPMN}}}script"):
            node.remove(script)
        return True
    connector = node.tag == f"{{{BPMN}}}serviceTask" and node.get(f"{{{CAMUNDA}}}type") is None
    return node.tag in (f"{{{BPMN}}}serviceTask", f"{{{BPMN}}}sendTask") and (any(calls) or connector)


def _document(path: Path):
    from engine.dialect.xml import parse_xml

    try:
        return parse_xml(path.read_bytes(), path.name)
    except EngineError:
        return None


def _local(node) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.split("}", 1)[-1]


def _is_camunda8(root) -> bool:
    if root.get(f"{{{MODELER}}}executionPlatform") == "Camunda Cloud":
        return True
    return any(isinstance(n.tag, str) and (n.tag.startswith(f"{{{ZEEBE}}}") or
                                           any(a.startswith(f"{{{ZEEBE}}}") for a in n.attrib))
               for n in root.iter())


def _element(root, element_id: str | None):
    if not element_id:
        return None
    return next((n for n in root.iter() if isinstance(n.tag, str) and n.get("id") == element_id), None)


def _construct(node) -> str:
    """What a designer would call the refused thing: the element type, with its event kind for an event."""
    local = _local(node)
    kinds = [_local(c) for c in node if _local(c).endswith("EventDefinition")]
    return f"{local} ({', '.join(kinds)})" if kinds else local


def classify(path: Path, outcome: dict) -> tuple[str, str | None]:
    """(class, construct) for one deploy outcome; the construct names what an `unsupported` refusal is."""
    if outcome["result"] == "deployed":
        return "deployed", None
    root = _document(path)
    reason = outcome["reason"]
    if root is None or root.tag != f"{{{BPMN}}}definitions":
        return "other", None
    if _is_camunda8(root):
        return "camunda8", None
    if not any(p.get("isExecutable") == "true" for p in root.iter(f"{{{BPMN}}}process")):
        return "not_executable", None
    node = _element(root, (outcome.get("details") or {}).get("element"))
    if any(marker in reason for marker in CODE_MARKERS) or (node is not None and _local(node) in CODE_ELEMENTS):
        return "code", _construct(node) if node is not None else None
    if node is None:
        return "other", None
    if _local(node) == "sequenceFlow":
        # A condition the `${...}` grammar cannot read (Python, XPath, `#{...}`); any other flow problem is a broken
        # diagram (a flow that points nowhere), which Camunda 7 refuses too.
        return ("unsupported", "condition language (not ${...})") if "điều kiện" in reason else ("other", None)
    return "unsupported", _construct(node)


def check(directory: Path) -> dict:
    rows = []
    for path in sorted(directory.rglob("*.bpmn")):
        outcome = deploy(path)
        kind, construct = classify(path, outcome)
        row = {"file": str(path.relative_to(directory)), "result": outcome["result"], "class": kind,
               "construct": construct, "reason": outcome.get("reason"), "processes": outcome.get("processes", [])}
        if kind == "code":
            second = deploy(path, without_code=True)
            also, what = classify(path, second)
            row["without_code"] = {"class": also, "construct": what, "reason": second.get("reason")}
        rows.append(row)
    totals = Counter(row["class"] for row in rows)
    return {"files": rows, "totals": {name: totals.get(name, 0) for name in CLASSES}, "count": len(rows)}


def render(report: dict) -> str:
    lines = []
    for row in report["files"]:
        what = f" [{row['construct']}]" if row["construct"] else ""
        tail = ", ".join(row["processes"]) if row["result"] == "deployed" else row["reason"]
        lines.append(f"{row['file']}: {row['class']}{what}: {tail}")
        if "without_code" in row:
            after = row["without_code"]
            lines.append(f"    without code: {after['class']}" + (f" [{after['construct']}]" if after["construct"] else "")
                         + (f": {after['reason']}" if after["reason"] else ""))
    totals = ", ".join(f"{name} {count}" for name, count in report["totals"].items())
    lines.append(f"{report['count']} files: {totals}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON document")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"{args.directory}: không phải thư mục", file=sys.stderr)
        return 2
    report = check(args.directory)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
