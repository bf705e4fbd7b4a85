"""Rebuild the procedure library `bpmn/` (BPMN files + catalog.json) from the seed tables.

Same as `tthc import-procedures tests/fixtures/seed004.txt --out bpmn`; run it after changing the importer or the
performer rules, then review the diff. tests/test_importer.py fails while bpmn/ is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.errors import EngineError  # noqa: E402
from engine.importer import import_procedures  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "seed004.txt"
LIBRARY = ROOT / "bpmn"


def main() -> int:
    try:
        result = import_procedures([SEED], LIBRARY)
    except EngineError as err:
        print(f"Lỗi: {err.message}", file=sys.stderr)
        return err.exit_code
    for path in result.files:
        print(f"Đã ghi {path.relative_to(ROOT)}")
    for failure in result.plan.failures:  # the library must hold every procedure of the seed
        print(f"Lỗi {failure.file}:{failure.line} [{failure.code}] {failure.message_vi}", file=sys.stderr)
    if result.plan.failures:
        return 4
    print(f"{len(result.plan.warnings)} cảnh báo trong {SEED.name} (xem: tthc import-procedures ... --json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
