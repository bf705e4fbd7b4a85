"""What a lint run found, per file, as plain data for the CLI and `--json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    rule: str  # stable English token, e.g. "lane-membership" or "modeler:label-required"
    element_id: str | None
    message_vi: str
    line: int | None = None
    severity: str = "error"  # "error" fails the run (exit 4); "warning" is printed and does not

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "element_id": self.element_id,
            "message_vi": self.message_vi,
            "line": self.line,
            "severity": self.severity,
        }


@dataclass
class FileReport:
    path: Path
    kind: str  # "bpmn" | "form" | "dmn"
    checks_run: list[str] = field(default_factory=list)  # a skipped check is listed with "bỏ qua" and the reason
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(finding.severity == "error" for finding in self.findings)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "ok": self.ok,
            "checks_run": list(self.checks_run),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class LintReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "files": [f.to_dict() for f in self.files]}
