"""The project's own rules for DMN decision tables: DMN 1.1–1.5 (the namespaces the engine reads), with the header
Camunda Modeler writes, evaluable by Camunda 7, and typeRefs the engine (and Camunda 7) know.

A typeRef the engine does not know is accepted at deploy (as Camunda 7 does, with a warning), and reported here as
a warning: printed, but it does not fail the run.
"""

from __future__ import annotations

import importlib
import importlib.util

from lxml import etree

from engine.errors import InvalidInput
from engine.lint.header import check_platform
from engine.lint.report import Finding

DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
MODELER = "http://camunda.org/schema/modeler/1.0"
# The model namespaces of DMN 1.1–1.5, as engine.rules.dmn.DMN_NAMESPACES (repeated so lint works without the engine)
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
CAMUNDA_7_TYPE_REFS = ("string", "boolean", "integer", "long", "double", "date")
# What the Camunda 7 DMN engine evaluates. PRIORITY and OUTPUT ORDER are valid DMN but refused at deployment.
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


def check_dmn(root: etree._Element, content: bytes, filename: str) -> tuple[list[Finding], list[str]]:
    """Findings and the names of the checks that ran."""
    checks = ["tthc:dmn-rules"]
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    if qname.localname != "definitions" or (namespace and namespace not in DMN_NAMESPACES
                                            and namespace != root.get("namespace")):
        return [
            Finding(
                "dmn-root",
                None,
                f"Tệp '{filename}' không phải bảng quyết định DMN 1.1–1.5 (phần tử gốc phải là definitions "
                f"trong không gian tên của DMN, ví dụ {DMN}).",
                root.sourceline,
            )
        ], checks
    ns = f"{{{namespace}}}" if namespace else ""

    findings = [
        Finding(f.rule, root.get("id"), f.message_vi, f.line)
        for f in check_platform(
            "dmn",
            filename,
            root.get(f"{{{MODELER}}}executionPlatform"),
            root.get(f"{{{MODELER}}}executionPlatformVersion"),
            root.sourceline,
        )
    ]
    camunda = root.get(f"{{{MODELER}}}executionPlatform") == "Camunda Platform"
    findings += _type_refs(root, ns, camunda)
    for table in root.iter(f"{ns}decisionTable"):
        decision = table.getparent()
        decision_id = decision.get("id") if decision is not None else table.get("id")
        hit_policy = table.get("hitPolicy", "UNIQUE")
        aggregation = table.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            findings.append(
                Finding(
                    "hit-policy",
                    decision_id,
                    f"Bảng quyết định '{decision_id}' dùng hit policy {hit_policy}, Camunda 7 không hỗ trợ; "
                    f"hãy chọn một trong: {', '.join(HIT_POLICIES)}.",
                    table.sourceline,
                )
            )
        if aggregation is not None and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
            findings.append(
                Finding(
                    "hit-policy",
                    decision_id,
                    f"Bảng quyết định '{decision_id}' dùng phép gộp {aggregation}; chỉ được dùng "
                    f"{', '.join(AGGREGATIONS)} cùng hit policy COLLECT.",
                    table.sourceline,
                )
            )

    engine_check = _engine_loader()
    if engine_check is not None:
        checks.append("engine.rules.load_dmn")
        # The engine's loader repeats some of these checks in its own words; ask it only about files that pass ours
        # (typeRef warnings aside: the engine accepts those).
        if all(f.rule == "dmn-type-ref" for f in findings):
            try:
                engine_check(content, filename)
            except InvalidInput as err:
                findings.append(Finding("dmn-engine", None, err.message, None))
    return findings, checks


def _type_refs(root: etree._Element, ns: str, camunda: bool) -> list[Finding]:
    """A warning for every column typeRef the engine does not know (it then checks nothing), and, in a file saved for
    Camunda 7, for FEEL types Camunda 7 does not know (it would ignore them)."""
    from engine.rules.feel_types import normalize_type_ref

    findings = []
    for element in [*root.iter(f"{ns}inputExpression"), *root.iter(f"{ns}output")]:
        written = element.get("typeRef")
        if not written:
            continue
        canonical, known = normalize_type_ref(written)
        owner = element.getparent() if element.tag == f"{ns}inputExpression" else element
        column = owner.get("label") or owner.get("name") or owner.get("id") or "?"
        if not known:
            reason = ("kiểu này không phải kiểu FEEL nên máy không kiểm tra giá trị của cột (Camunda 7 cũng chỉ "
                      "cảnh báo); hãy dùng string, number, boolean, date, time, date and time, days and time "
                      "duration, years and months duration, integer, long hoặc double")
        elif camunda and canonical not in CAMUNDA_7_TYPE_REFS:
            reason = (f"Camunda 7 không biết kiểu này và sẽ bỏ qua nó; để chạy được trên Camunda 7 hãy dùng một trong: "
                      f"{', '.join(CAMUNDA_7_TYPE_REFS)}")
        else:
            continue
        findings.append(Finding("dmn-type-ref", owner.get("id"),
                                f"Cảnh báo: cột '{column}' có typeRef '{written}'; {reason}.", element.sourceline,
                                severity="warning"))
    return findings


def _engine_loader():
    """`engine.rules.load_dmn` when it exists; imported here so lint works without it."""
    if importlib.util.find_spec("engine.rules") is None:
        return None
    module = importlib.import_module("engine.rules")
    return getattr(module, "load_dmn", None)
