"""The benchmark's lower bound (scripts/benchlib/case_paths.py) really persists each step: a number measured on a
path that skipped its writes would make every engine look slow next to it."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib.case_paths import STEPS, DurableMinimum, InMemoryLibrary  # noqa: E402

from engine.runtime import Runtime  # noqa: E402
from engine.state_codec import load_state  # noqa: E402


def test_the_durable_minimum_commits_the_state_and_one_history_row_per_step():
    library = InMemoryLibrary()
    path = DurableMinimum(library)
    try:
        path.run()
        path.run()
        other = sqlite3.connect(path.folder / "minimum.db")  # another connection sees only what was committed
        try:
            rows = other.execute("SELECT id, version, state FROM cases ORDER BY id").fetchall()
            events = other.execute("SELECT case_id, count(*) FROM events GROUP BY case_id ORDER BY case_id").fetchall()
        finally:
            other.close()
    finally:
        path.close()
    assert [(r[0], r[1]) for r in rows] == [(1, len(STEPS) + 1), (2, len(STEPS) + 1)]
    assert events == [(1, len(STEPS) + 1), (2, len(STEPS) + 1)]
    script_engine = Runtime(path.clock, library.calendar).script_engine
    restored = load_state(rows[-1][2], library.compiled.spec, script_engine)
    assert restored.is_completed()
    assert not path.folder.exists()
