"""Checks a designer runs before deploying: `tthc lint PATH...`.

Two layers, reported per file with the names of the checks that ran:
- the project's own rules (`bpmn_rules`, `form_rules`, `dmn_rules`): pure Python, no Node needed; they cover what
  Camunda Modeler's stock linting misses (lanes, timers, assignment, forms on user tasks, the platform header);
- Camunda Modeler's own packages (`modeler`): `tools/modeler-check.mjs`, run when Node and `node_modules` are present.
"""

from engine.lint.report import FileReport, Finding, LintReport
from engine.lint.runner import KINDS, collect_paths, lint_paths

__all__ = ["KINDS", "FileReport", "Finding", "LintReport", "collect_paths", "lint_paths"]
