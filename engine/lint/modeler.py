"""Camunda Modeler's own checks, run through Node: `tools/modeler-check.mjs` with the packages from package-lock.json.

Optional for `tthc lint` (designers may have no Node); the test suite always runs it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from engine.errors import EngineError
from engine.lint.report import Finding

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path("tools") / "modeler-check.mjs"
CHECK_PREFIX = "modeler:"
# Large folders take a few seconds; anything near this limit means Node is stuck, not busy.
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class ModelerResult:
    checks: list[str]
    findings: list[Finding]


def unavailable_reason(root: Path = PROJECT_ROOT) -> str | None:
    """Why the Node checks cannot run here, in Vietnamese; None when they can."""
    if shutil.which("node") is None:
        return "không tìm thấy lệnh node trong PATH"
    if not (root / SCRIPT).is_file():
        return f"không có {SCRIPT.as_posix()} (chỉ có trong bản mã nguồn của dự án)"
    if not (root / "node_modules").is_dir():
        return f"chưa cài các gói npm; hãy chạy `npm ci` trong {root}"
    return None


def run_modeler_checks(paths: list[Path], root: Path = PROJECT_ROOT) -> list[ModelerResult]:
    """One Node process for all files; results in the order of `paths`."""
    node = shutil.which("node")
    if node is None:
        raise EngineError("Không chạy được kiểm tra của Camunda Modeler: không tìm thấy lệnh node trong PATH.")
    try:
        done = subprocess.run(
            [node, str(root / SCRIPT), *(str(path.resolve()) for path in paths)],
            cwd=root,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(
            f"Kiểm tra của Camunda Modeler ({SCRIPT.as_posix()}) không xong sau {TIMEOUT_SECONDS} giây."
        ) from exc
    # 0 = clean, 1 = problems found; anything else is a crash of the checker itself.
    if done.returncode not in (0, 1):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise EngineError(
            f"Công cụ {SCRIPT.as_posix()} dừng bất thường (mã {done.returncode}): {tail[0]}",
            exit_status=done.returncode,
        )
    document = json.loads(done.stdout.decode("utf-8"))
    return [_result(entry) for entry in document["files"]]


def _result(entry: dict) -> ModelerResult:
    findings = [
        Finding(
            f"{CHECK_PREFIX}{problem['rule']}",
            problem.get("id"),
            _message_vi(problem),
            None,
        )
        for problem in entry["problems"]
    ]
    return ModelerResult([CHECK_PREFIX + check for check in entry["checks"]], findings)


def _message_vi(problem: dict) -> str:
    level = "cảnh báo" if problem.get("category") == "warn" else "lỗi"
    # The checkers speak English; their text is kept verbatim so it can be looked up in their documentation.
    return f"Camunda Modeler báo {level} ({problem['rule']}): {problem['message'].rstrip('.')}."
