"""Camunda Modeler compatibility: every diagram, form and decision table passes the checks of the npm packages
Camunda Modeler is built on (`tools/modeler-check.mjs`, installed by `npm ci` from package-lock.json).

These tests never skip: without Node or node_modules they fail and say how to install them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from engine.lint import lint_paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
CHECKER = ROOT / "tools" / "modeler-check.mjs"
PROJECT_FOLDERS = ("bpmn", "forms", "dmn")
KINDS = {".bpmn": "bpmn", ".form": "form", ".dmn": "dmn"}
# Checks each kind must have run (by prefix: the version part is the one the file declares), so a checker that
# silently skips a file cannot pass it.
EXPECTED_CHECKS = {
    "bpmn": ("import", "bpmnlint:recommended", "camunda-compat:7."),
    "form": ("import", "form-linting:7."),
    "dmn": ("import", "hit-policy:camunda-7"),
}


def project_files() -> list[Path]:
    found = [
        path
        for folder in PROJECT_FOLDERS
        if (ROOT / folder).is_dir()
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in KINDS and path.is_file()
    ]
    # The good fixtures are always checked too, so this test tests something while the folders are still empty.
    return found + [FIXTURES / "good.bpmn", FIXTURES / "good.form", FIXTURES / "good.dmn"]


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Camunda Modeler checks need Node.js 20+ on PATH; install Node, then run `npm ci` in {ROOT}.")
    if not (ROOT / "node_modules" / "bpmnlint").is_dir():
        pytest.fail(f"node_modules is missing: run `npm ci` in {ROOT} (CI does this before pytest).")
    return node


@lru_cache(maxsize=None)
def run_checker(*paths: Path) -> tuple[int, dict]:
    done = subprocess.run(
        [require_node(), str(CHECKER), *map(str, paths)], cwd=ROOT, capture_output=True, timeout=300, check=False
    )
    assert done.returncode in (0, 1), done.stderr.decode("utf-8", "replace")
    return done.returncode, json.loads(done.stdout)


def problems_text(entry: dict) -> str:
    return "\n".join(f"  {p['category']} {p['rule']} {p['id']}: {p['message']}" for p in entry["problems"])


@pytest.mark.parametrize("path", project_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_imports_and_lints_cleanly_in_camunda_modeler(path: Path) -> None:
    _, document = run_checker(*project_files())
    entry = next(e for e in document["files"] if Path(e["path"]).resolve() == path.resolve())
    assert entry["problems"] == [], f"{path.relative_to(ROOT)}:\n{problems_text(entry)}"
    for expected in EXPECTED_CHECKS[entry["kind"]]:
        assert any(check.startswith(expected) for check in entry["checks"]), (expected, entry["checks"])


@pytest.mark.parametrize("path", project_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_passes_the_project_rules(path: Path) -> None:
    report = lint_paths([path], use_node=False)
    findings = "\n".join(f"  {f.rule} {f.element_id} (dòng {f.line}): {f.message_vi}" for f in report.files[0].findings)
    assert report.ok, f"{path.relative_to(ROOT)}:\n{findings}"


def test_checker_exits_zero_when_every_file_is_clean() -> None:
    code, _ = run_checker(FIXTURES / "good.bpmn", FIXTURES / "good.form", FIXTURES / "good.dmn")
    assert code == 0


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("modeler_bad.bpmn", {("label-required", "Task_Appraise"), ("import", "Task_Appraise")}),
        ("bad_modeler_header.bpmn", {("execution-platform", None)}),
        ("bad_missing_di.bpmn", {("no-bpmndi", "Event_Reminded")}),
        ("modeler_bad.form", {("form-linting", "Field_Attachment")}),
        ("bad_form_header.form", {("execution-platform", None)}),
        ("bad_hit_policy.dmn", {("hit-policy", "Decision_Fee")}),
        ("bad_aggregation.dmn", {("hit-policy", "Decision_Fee")}),
    ],
)
def test_known_bad_file_is_reported_by_the_modeler_checker(fixture: str, expected: set) -> None:
    code, document = run_checker(FIXTURES / fixture)
    assert code == 1
    assert {(p["rule"], p["id"]) for p in document["files"][0]["problems"]} == expected


def test_each_file_is_linted_separately() -> None:
    # bpmnlint rule instances keep state; two copies of one diagram in one run must not be duplicates of each other.
    _, document = run_checker(FIXTURES / "good.bpmn", FIXTURES / "bad_user_task_form.bpmn")
    assert [entry["problems"] for entry in document["files"]] == [[], []]


def test_unsupported_platform_version_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "good.bpmn").read_text(encoding="utf-8").replace('Version="7.22.0"', 'Version="7.12.0"')
    path = tmp_path / "old.bpmn"
    path.write_text(text, encoding="utf-8")
    code, document = run_checker(path)
    assert code == 1
    assert [p["rule"] for p in document["files"][0]["problems"]] == ["execution-platform"]


def test_tthc_lint_runs_the_modeler_checks_when_node_is_available() -> None:
    require_node()
    report = lint_paths([FIXTURES / "good.bpmn", FIXTURES / "modeler_bad.bpmn"], use_node=None)
    good, bad = report.files
    assert "modeler:camunda-compat:7.22" in good.checks_run and good.findings == []
    assert ("modeler:label-required", "Task_Appraise") in {(f.rule, f.element_id) for f in bad.findings}
    # Node reports ids only; the line comes from the Python parse of the same file.
    assert all(f.line for f in bad.findings if f.element_id)


def test_npm_dependencies_are_pinned_exactly_and_locked() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert package["private"] is True
    assert not package.get("scripts"), "no install scripts: `npm ci` must only unpack the locked packages"
    for name, version in package["dependencies"].items():
        assert version[0].isdigit(), f"{name} must be pinned to an exact version, not {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
