"""The execution-platform header Camunda Modeler writes into every file it saves.

Camunda Modeler picks its lint rules from this header and lints nothing without it, so a missing or foreign header
is a finding of its own (rule `modeler-header`).
"""

from __future__ import annotations

import re

from engine.lint.report import Finding

PLATFORM = "Camunda Platform"
# Versions the pinned npm checkers know: bpmnlint-plugin-camunda-compat 2.61 has rules for 7.19–7.24,
# @camunda/form-linting 0.25 knows forms up to 7.22.
SUPPORTED_MINORS = {
    "bpmn": {"7.19", "7.20", "7.21", "7.22", "7.23", "7.24"},
    "dmn": {"7.19", "7.20", "7.21", "7.22", "7.23", "7.24"},
    "form": {"7.19", "7.20", "7.21", "7.22"},
}
_VERSION = re.compile(r"(?P<minor>7\.\d+)(?:\.\d+)?")


def check_platform(
    kind: str, filename: str, platform: str | None, version: str | None, line: int | None
) -> list[Finding]:
    if not platform or not version:
        return [
            Finding(
                "modeler-header",
                None,
                f"Tệp '{filename}' thiếu executionPlatform/executionPlatformVersion (\"{PLATFORM}\", \"7.22.0\"); "
                "thiếu phần này Camunda Modeler không kiểm tra gì cả.",
                line,
            )
        ]
    if platform != PLATFORM:
        return [
            Finding(
                "modeler-header",
                None,
                f"Tệp '{filename}' khai báo nền tảng \"{platform}\"; dự án chỉ dùng \"{PLATFORM}\" 7.",
                line,
            )
        ]
    match = _VERSION.fullmatch(version)
    if not match or match["minor"] not in SUPPORTED_MINORS[kind]:
        supported = ", ".join(sorted(SUPPORTED_MINORS[kind], key=lambda v: int(v.split(".")[1])))
        return [
            Finding(
                "modeler-header",
                None,
                f"Tệp '{filename}' khai báo phiên bản \"{version}\" không được hỗ trợ; "
                f"hãy chọn một trong: {supported}.",
                line,
            )
        ]
    return []
