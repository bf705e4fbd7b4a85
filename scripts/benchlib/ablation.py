"""What the engine would cost without each part it is made of: a diagnostic for reading the 2× target, not an engine.

Each variant runs the same full case as `case_paths.Engine` on its own SQLite file with one part of every command
replaced by nothing (patched for the duration of one case only, then put back):
- the state: `Runtime.dump` returns a constant, so neither the JSON encoding nor its ~17 KB write happens (the workflow
  stays in this process's memory, which is all the next command of the run needs);
- the history rows: `Tx.insert_events` writes nothing (the hash chain is still computed);
- the case view a command returns: only the open steps' ids are read back;
- the daily report sums: `record_step_stats` and `record_unit_scores` write nothing.
A database written this way is not a usable case history: only the times mean something. The variants run
interleaved with the floor, round after round, like parts 1–3.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator

from benchlib.case_paths import Engine, Floor, InMemoryLibrary
from benchlib.measure import summary, timed_both

LABELS = {
    "none": "Engine đầy đủ",
    "no_state": "bỏ lưu trạng thái workflow (mã hóa JSON + ghi ~17 KB)",
    "no_history_rows": "bỏ ghi các dòng lịch sử (vẫn tính chuỗi băm)",
    "no_view": "bỏ dựng kết quả trả về (chỉ đọc mã các bước đang mở)",
    "no_daily_sums": "bỏ số liệu báo cáo theo ngày",
    "all_four": "bỏ cả bốn phần trên",
}


@contextmanager
def _patched(owner: Any, name: str, replacement: Callable) -> Iterator[None]:
    original = owner.__dict__[name]
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _short_view(service, tx, case: dict) -> dict:
    rows = tx.view_tasks(case["id"])
    return {"case_id": case["id"], "status": case["status"], "outcome": case.get("outcome"), "version": case["version"],
            "tasks": [{"task_id": r["id"], "element_id": r["element_id"]} for r in rows if r["status"] == "open"]}


def _without(stack: ExitStack, part: str) -> None:
    import engine.service as service_module
    from engine.runtime import Runtime
    from engine.store import Tx

    if part in ("no_state", "all_four"):
        stack.enter_context(_patched(Runtime, "dump", lambda self, workflow: "{}"))
    if part in ("no_history_rows", "all_four"):
        stack.enter_context(_patched(Tx, "insert_events", lambda self, rows: None))
    if part in ("no_view", "all_four"):
        stack.enter_context(_patched(service_module.Service, "_case_view", _short_view))
    if part in ("no_daily_sums", "all_four"):
        import engine.reports.daily as daily  # the service imports these when a command commits

        stack.enter_context(_patched(daily, "record_step_stats", lambda *args: None))
        stack.enter_context(_patched(daily, "record_unit_scores", lambda *args: None))


def measure_ablation(rounds: int) -> dict:
    library = InMemoryLibrary()
    floor = Floor(library)
    engines = {part: Engine.sqlite() for part in LABELS}
    try:
        def run(part: str) -> None:
            with ExitStack() as stack:
                _without(stack, part)
                engines[part].run()

        for part in LABELS:  # warm-up, as parts 1–3
            for _ in range(3):
                run(part)
        wall: dict[str, list[float]] = {name: [] for name in ["floor", *LABELS]}
        for _ in range(rounds):
            wall["floor"].append(timed_both(floor.run)[0])
            for part in LABELS:
                wall[part].append(timed_both(lambda: run(part))[0])
        return {"labels": LABELS, "timings": {name: summary(values) for name, values in wall.items()}}
    finally:
        for engine in engines.values():
            engine.close()
