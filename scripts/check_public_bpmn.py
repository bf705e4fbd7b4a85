"""Deploy every .bpmn file under a directory through the engine's own deploy, one throw-away database each, and say
why each refused file was refused.

    python3 scripts/check_public_bpmn.py DIR [--json]

Each diagram is deployed exactly as `tthc deploy FILE` would deploy it (the CLI's AppContext and Service on a fresh
SQLite database in a temporary directory), together with the .form and .dmn files beside it. Nothing here checks a
diagram itself: the verdict and the reason are the engine's. What this script adds is the class of the refusal, read
from the element the engine names and from the document:

- code: a script task, a Java delegate or expression, a listener, a connector, a script in a mapping — things a
  diagram can only do by running code, which the engine never does (the issue allows these refusals);
- pending: a construct other helpers of issue 14 are adding right now (call activities, event sub-processes,
  escalation); the file is expected to deploy, or to be refused for something else, once they land;
- unsupported: any other construct or attribute the engine refuses (`construct` names it);
- camunda8: a Camunda 8 (Zeebe) diagram, not a Camunda 7 one;
- not_executable: no process marked isExecutable="true" (a drawing, not a program);
- other: anything else (not XML, not BPMN).

The engine stops at the first refusal, so a file refused for code may hold other refusals behind it. Exit code 0;
`--json` prints one JSON document (a list of rows and the totals) for tests and docs/public_bpmn.md.
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
from engine.dialect.extensions import CALL_ACTIVITY, NO_CODE  # noqa: E402
from engine.dialect.validate import REFUSED  # noqa: E402
from engine.errors import EngineError  # noqa: E402

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
CLASSES = ("deployed", "code", "pending", "unsupported", "camunda8", "not_executable", "other")
# The engine's own sentences for refusals that are about code (engine/dialect/extensions.py, validate.py, io_mapping).
CODE_MARKERS = (NO_CODE, REFUSED["scriptTask"], "camunda:script", "chạy mã")
CODE_ELEMENTS = {"scriptTask"}
PENDING = {
    "callActivity": "call activity (h14call)",
    "eventSubProcess": "event sub-process (h14evt)",
    "escalationEventDefinition": "escalation event (h14evt)",
}


def deploy(path: Path) -> dict:
    """`tthc deploy PATH SIBLINGS...` on a fresh database: the rows the engine returns, or its refusal."""
    siblings = sorted(p for p in path.parent.iterdir() if p.suffix in (".form", ".dmn"))
    with tempfile.TemporaryDirectory() as tmp:
        app = AppContext(db_url=f"sqlite:///{tmp}/check.db")
        try:
            rows = app.service.deploy([path, *siblings])
        except EngineError as err:
            return {"result": "refused", "reason": err.message, "details": err.to_dict()["details"]}
        finally:
            app.close()
    return {"result": "deployed", "processes": [r["key"] for r in rows if r["kind"] == "bpmn"]}


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


def _pending(node, reason: str) -> str | None:
    """The construct another helper is adding, if the refused element is (or holds) one."""
    if _local(node) == "callActivity" or CALL_ACTIVITY in reason:
        return PENDING["callActivity"]
    scopes = [node, *node.iterancestors()]
    if any(_local(n) == "subProcess" and n.get("triggeredByEvent") == "true" for n in scopes):
        return PENDING["eventSubProcess"]
    if any(_local(child) == "escalationEventDefinition" for child in node) or "leo thang" in reason:
        return PENDING["escalationEventDefinition"]
    return None


def _construct(node) -> str:
    """What a designer would call the refused thing: the element type, with its event kind for an event."""
    local = _local(node)
    kinds = [_local(c) for c in node if _local(c).endswith("EventDefinition")]
    return f"{local} ({', '.join(kinds)})" if kinds else local


def classify(path: Path, outcome: dict) -> tuple[str, str | None]:
    """(class, construct) for one deploy outcome; the construct names what an `unsupported`/`pending` refusal is."""
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
    pending = _pending(node, reason)
    if pending:
        return "pending", pending
    if _local(node) == "sequenceFlow" and "${" in reason:
        return "unsupported", "condition language (not ${...})"
    return "unsupported", _construct(node)


def check(directory: Path) -> dict:
    rows = []
    for path in sorted(directory.rglob("*.bpmn")):
        outcome = deploy(path)
        kind, construct = classify(path, outcome)
        rows.append({"file": str(path.relative_to(directory)), "result": outcome["result"], "class": kind,
                     "construct": construct, "reason": outcome.get("reason"),
                     "processes": outcome.get("processes", [])})
    totals = Counter(row["class"] for row in rows)
    return {"files": rows, "totals": {name: totals.get(name, 0) for name in CLASSES}, "count": len(rows)}


def render(report: dict) -> str:
    lines = []
    for row in report["files"]:
        what = f" [{row['construct']}]" if row["construct"] else ""
        tail = ", ".join(row["processes"]) if row["result"] == "deployed" else row["reason"]
        lines.append(f"{row['file']}: {row['class']}{what}: {tail}")
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
