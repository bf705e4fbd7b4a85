"""Where the engine's time goes on one full case: exclusive wall time per layer, by wrapping the engine's own functions.

Each wrapped function's time excludes the wrapped functions it calls, so the rows add up to the case total; what no
wrapper covers is shown as the rest of the service code. A name the engine no longer has is skipped, so the table
follows the code as it changes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Callable

# (module, class, attribute, label). Labels group several functions into one row.
TARGETS = [
    ("engine.runtime", "Runtime", "restore", "nạp trạng thái workflow (JSON → đối tượng)"),
    ("engine.runtime", "Runtime", "dump", "lưu trạng thái workflow (đối tượng → JSON)"),
    ("engine.runtime", "Runtime", "start", "SpiffWorkflow: chạy bước + suy ra sự kiện"),
    ("engine.runtime", "Runtime", "complete", "SpiffWorkflow: chạy bước + suy ra sự kiện"),
    ("engine.runtime", "Runtime", "fire_timers", "SpiffWorkflow: chạy bước + suy ra sự kiện"),
    ("engine.runtime", "Runtime", "next_timer_at", "SpiffWorkflow: chạy bước + suy ra sự kiện"),
    ("engine.runtime", "Runtime", "final_data", "SpiffWorkflow: chạy bước + suy ra sự kiện"),
    ("engine.runtime", None, "compile_bpmn", "tìm định nghĩa đã biên dịch (băm nội dung)"),
    ("engine.usecases.complete", None, "validate_form", "kiểm tra dữ liệu biểu mẫu"),
    ("engine.usecases.complete", None, "case_view", "dựng kết quả trả về (view hồ sơ)"),
    ("engine.usecases.start", None, "case_view", "dựng kết quả trả về (view hồ sơ)"),
    ("engine.projection", None, "project", "chiếu sự kiện lên bảng cases/tasks"),
    ("engine.usecases.base", None, "project", "chiếu sự kiện lên bảng cases/tasks"),
    ("engine.usecases.start", None, "project", "chiếu sự kiện lên bảng cases/tasks"),
    ("engine.store", "Tx", "append_events", "SQL ghi: sự kiện (băm chuỗi + INSERT)"),
    ("engine.store", "Tx", "chain_events", "SQL ghi: sự kiện (băm chuỗi + INSERT)"),
    ("engine.store", "Tx", "insert_events", "SQL ghi: sự kiện (băm chuỗi + INSERT)"),
    ("engine.store", "Tx", "save_case", "SQL ghi: UPDATE cases (trạng thái + phiên bản)"),
    ("engine.store", "Tx", "insert_case", "SQL ghi: INSERT cases/tasks, UPDATE tasks"),
    ("engine.store", "Tx", "insert_task", "SQL ghi: INSERT cases/tasks, UPDATE tasks"),
    ("engine.store", "Tx", "update_task", "SQL ghi: INSERT cases/tasks, UPDATE tasks"),
    ("engine.store", "Tx", "next_number", "SQL ghi: INSERT cases/tasks, UPDATE tasks"),
    ("engine.store", "Tx", "case", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "resolve_task_id", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "definition", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "latest_definition", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "procedure", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "task", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "latest_definition_ref", "SQL đọc: hồ sơ, bước, định nghĩa, thủ tục"),
    ("engine.store", "Tx", "record_daily_sums", "SQL ghi: số liệu báo cáo theo ngày"),
    ("engine.store", "Tx", "view_tasks", "SQL đọc: danh sách bước cho view"),
    ("engine.store", "Tx", "open_tasks", "SQL đọc: danh sách bước cho view"),
    ("engine.store", "Tx", "case_tasks", "SQL đọc: danh sách bước cho view"),
]
TRANSACTION = "giao dịch: kết nối, BEGIN, COMMIT, đóng kết nối"
REST = "phần còn lại của service (Python)"


class Breakdown:
    def __init__(self) -> None:
        self.exclusive: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[float] = []  # time spent in wrapped children of each open frame
        self._undo: list[Callable[[], None]] = []

    def _enter(self) -> float:
        self._stack.append(0.0)
        return time.perf_counter()

    def _leave(self, label: str, start: float) -> None:
        elapsed = time.perf_counter() - start
        children = self._stack.pop()
        self.exclusive[label] += elapsed - children
        self.calls[label] += 1
        if self._stack:
            self._stack[-1] += elapsed

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if not callable(original):
            return

        def wrapper(*args, **kwargs):
            start = self._enter()
            try:
                return original(*args, **kwargs)
            finally:
                self._leave(label, start)

        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    def wrap_transaction(self, store_cls: Any) -> None:
        original = store_cls.transaction
        profiler = self

        @contextmanager
        def transaction(store):
            manager = original(store)
            start = profiler._enter()
            try:
                tx = manager.__enter__()  # connect + BEGIN
            finally:
                profiler._leave(TRANSACTION, start)
            try:
                yield tx
            except BaseException as exc:
                if not manager.__exit__(type(exc), exc, exc.__traceback__):
                    raise
            else:
                start = profiler._enter()
                try:
                    manager.__exit__(None, None, None)  # COMMIT + close
                finally:
                    profiler._leave(TRANSACTION, start)

        store_cls.transaction = transaction
        self._undo.append(lambda: setattr(store_cls, "transaction", original))

    def install(self) -> "Breakdown":
        import importlib

        for module_name, class_name, attribute, label in TARGETS:
            module = importlib.import_module(module_name)
            owner = getattr(module, class_name) if class_name else module
            self.wrap(owner, attribute, label)
            if class_name is None:
                # Modules that imported the function by name call their own reference.
                for other in ("engine.service", "engine.definitions"):
                    self.wrap(importlib.import_module(other), attribute, label)
        from engine.store import Store

        self.wrap_transaction(Store)
        return self

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def rows(self, total_seconds: float, cases: int) -> list[dict]:
        covered = sum(self.exclusive.values())
        rows = [{"part": label, "ms_per_case": seconds * 1000 / cases, "calls_per_case": self.calls[label] / cases,
                 "share": seconds / total_seconds} for label, seconds in self.exclusive.items()]
        rest = max(0.0, total_seconds - covered)
        rows.append({"part": REST, "ms_per_case": rest * 1000 / cases, "calls_per_case": None,
                     "share": rest / total_seconds})
        return sorted(rows, key=lambda r: -r["ms_per_case"])


def measure_breakdown(make_engine: Callable[[], Any], cases: int) -> dict:
    engine = make_engine()
    engine.run()  # warm: parsed definitions, statement caches
    profiler = Breakdown().install()
    try:
        start = time.perf_counter()
        for _ in range(cases):
            engine.run()
        total = time.perf_counter() - start
    finally:
        profiler.uninstall()
        engine.close()
    return {"total_ms_per_case": total * 1000 / cases, "rows": profiler.rows(total, cases)}
