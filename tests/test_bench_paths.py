"""The benchmark's persisting paths (scripts/benchlib/case_paths.py) really persist each step: a number measured on a
path that skipped its writes would make the engine look slow (next to the lower bound) or fast (next to the naive
persistence)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib.case_paths import STEPS, DurableMinimum, InMemoryLibrary, NaivePersisted  # noqa: E402

from engine.runtime import Runtime  # noqa: E402
from engine.state_codec import full_serializer, load_state  # noqa: E402


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


def test_the_naive_persistence_reads_and_writes_the_whole_workflow_json_in_sqlite_at_every_step(monkeypatch):
    library = InMemoryLibrary()
    path = NaivePersisted(library)
    statements: list[str] = []
    path.db.set_trace_callback(statements.append)
    try:
        path.run()
        other = sqlite3.connect(path.folder / "naive.db")
        try:
            (saved,) = other.execute("SELECT workflow FROM cases WHERE id = 1").fetchone()
        finally:
            other.close()
    finally:
        path.close()
    steps = len(STEPS)
    assert sum(s.startswith("SELECT workflow") for s in statements) == steps
    assert sum(s.startswith("UPDATE cases") for s in statements) == steps
    assert statements.count("COMMIT") == steps + 1
    assert len(saved) == path.size > 40_000  # the full serializer's JSON, spec included
    assert full_serializer().deserialize_json(saved).is_completed()


def test_the_ablation_removes_each_part_for_one_case_only_then_puts_it_back():
    from contextlib import ExitStack

    from benchlib.ablation import _without
    from benchlib.case_paths import Engine

    from engine.runtime import Runtime
    from engine.store import Tx

    originals = (Runtime.dump, Tx.insert_events)
    engine = Engine.sqlite()
    try:
        with ExitStack() as stack:
            _without(stack, "all_four")
            assert (Runtime.dump, Tx.insert_events) != originals
            engine.run()
        stripped = engine.last_case
        engine.run()
        with engine.service.store.transaction() as tx:
            states = {case_id: tx.case_state(case_id) for case_id in (stripped, engine.last_case)}
            counts = {case_id: len(tx.case_events(case_id)) for case_id in (stripped, engine.last_case)}
    finally:
        engine.close()
    assert (Runtime.dump, Tx.insert_events) == originals
    assert states[stripped] == "{}" and counts[stripped] == 0  # removed while patched
    assert len(states[engine.last_case]) > 10_000 and counts[engine.last_case] > 0  # back afterwards


def test_the_consultation_benchmark_case_completes_ten_parallel_instances_each_by_its_unit():
    from benchlib.multi_instance import UNITS, ConsultationEngine

    engine = ConsultationEngine.sqlite()
    try:
        engine.run()
        with engine.service.store.transaction() as tx:
            events = tx.case_events(engine.last_case)
    finally:
        engine.close()
    assert engine.name == "engine_sqlite_consult10"
    consulted = [e for e in events if e["type"] == "task_completed" and e["element_id"] == "consult"]
    assert len(consulted) == len(UNITS) == 10
    created = [e for e in events if e["type"] == "task_created" and e["element_id"] == "consult"]
    assert len({e["payload"]["task_id"] for e in created}) == 10


def test_the_http_row_runs_real_servers_and_reports_both_targets():
    """scripts/bench's section 6 (issue 15): bench_http.py --quick in a process of its own, 1 and 2 server workers."""
    import bench_engine

    rows = bench_engine.measure_http(quick=True, pg=None)
    assert [(r["path"], r["workers"]) for r in rows] == [("in-process Service", "-"), ("tthc serve (HTTP)", 1),
                                                         ("tthc serve (HTTP)", 2)]
    assert all(r["s_per_case"] > 0 for r in rows)
    assert all(1 < r["floor_vs_in_process"] < r["vs_in_process"] + 1 for r in rows[1:])  # bare HTTP, measured
    checks: list = []
    text = "\n".join(bench_engine.http_report(rows, checks))
    assert "### 6. HTTP" in text and "tthc serve (HTTP)" in text
    assert [c[0].split(" (")[0] for c in checks] == ["HTTP thêm ≤ 30% thời gian mỗi lệnh",
                                                     "p99 của complete ≤ 100 ms dưới tải đồng thời"] * 2
