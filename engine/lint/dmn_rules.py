"""The project's own rules for DMN decision tables: DMN 1.3 as Camunda Modeler saves it, evaluable by Camunda 7."""

from __future__ import annotations

import importlib
import importlib.util

from lxml import etree

from engine.errors import InvalidInput
from engine.lint.header import check_platform
from engine.lint.report import Finding

DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
MODELER = "http://camunda.org/schema/modeler/1.0"
# What the Camunda 7 DMN engine evaluates. PRIORITY and OUTPUT ORDER are valid DMN but refused at deployment.
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


def check_dmn(root: etree._Element, content: bytes, filename: str) -> tuple[list[Finding], list[str]]:
    """Findings and the names of the checks that ran."""
    checks = ["tthc:dmn-rules"]
    if root.tag != f"{{{DMN}}}definitions":
        return [
            Finding(
                "dmn-root",
                None,
                f"Tệp '{filename}' không phải bảng quyết định DMN 1.3 (phần tử gốc phải là definitions "
                f"trong không gian tên {DMN}).",
                root.sourceline,
            )
        ], checks

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
    for table in root.iter(f"{{{DMN}}}decisionTable"):
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
        # The engine's loader repeats some of these checks in its own words; ask it only about files that pass ours.
        if not findings:
            try:
                engine_check(content, filename)
            except InvalidInput as err:
                findings.append(Finding("dmn-engine", None, err.message, None))
    return findings, checks


def _engine_loader():
    """`engine.rules.load_dmn` when it exists; imported here so lint works without it."""
    if importlib.util.find_spec("engine.rules") is None:
        return None
    module = importlib.import_module("engine.rules")
    return getattr(module, "load_dmn", None)
