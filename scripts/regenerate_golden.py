#!/usr/bin/env python3
"""Rewrite the golden event histories in tests/golden/histories/ from the current engine (deliberately: review the
diff before committing it; a changed history is a changed behaviour).

    python3 scripts/regenerate_golden.py            # every scenario
    python3 scripts/regenerate_golden.py happy      # some of them
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import Cli  # noqa: E402
from golden_histories import GOLDEN_DIR, SCENARIOS, golden_path, produce, render  # noqa: E402


def main(argv: list[str]) -> int:
    for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
        os.environ.pop(var, None)
    wanted = argv or list(SCENARIOS)
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        print(f"Không có kịch bản '{unknown[0]}'; có: {', '.join(SCENARIOS)}.", file=sys.stderr)
        return 2
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for scenario in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["XDG_CONFIG_HOME"] = tmp
            _, events = produce(Cli(f"sqlite:///{tmp}/golden.db"), scenario)
        golden_path(scenario).write_text(render(events), encoding="utf-8")
        print(f"{scenario}: {len(events)} sự kiện → {golden_path(scenario).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
