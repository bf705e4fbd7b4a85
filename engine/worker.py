"""The background worker: fires due timers continuously, one short transaction at a time, until told to stop.

Order of one pass: claim up to `batch` due cases (`Service.fire_due_timers`, which on PostgreSQL selects them
`FOR UPDATE SKIP LOCKED`), fire each case's due timers, append the events, save every case with its version check,
commit. A pass that found fewer cases than `batch` has drained the queue, so the worker then waits `interval` seconds
(woken early by a stop request). A stop request (SIGTERM, SIGINT) is only looked at between passes: the transaction
under way always finishes, and nothing is ever half-fired.

Why this is exactly-once with any number of workers on PostgreSQL: a case row stays locked from its claim to the
commit, so a second worker skips it instead of waiting for it; once the first commits, the case's `next_timer_at`
has moved past the clock and the row no longer matches the due query. A worker killed mid-pass holds its locks only
until PostgreSQL notices the closed connection and rolls its transaction back; the cases are then due again and the
next pass of any worker fires them. Operators' commands lock the case row first as well (`Tx.case(..., lock=True)`), so
a command on a case a worker is firing waits for that commit and then works on its result: one lock order (no
deadlock) and no stale version.

SQLite has one writer at a time, so more workers would only queue behind each other: the first worker holds an
exclusive `flock` on `<database>.worker.lock` for its whole life and a second one is refused (exit 5). The operating
system drops the lock when the process ends, however it ends, so a crashed worker never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from engine.errors import Conflict, EngineError, StoreUnavailable

Log = Callable[[str], None]


@dataclass
class WorkerStats:
    passes: int = 0
    fired: int = 0
    cases: int = 0
    failed_passes: int = 0


class Worker:
    """Runs passes of `service.fire_due_timers` until `stop` is set. Needs only that method from the service."""

    def __init__(self, service, *, interval: float, batch: int, log: Log, stop: threading.Event) -> None:
        self.service = service
        self.interval = interval
        self.batch = batch
        self.log = log
        self.stop = stop
        self.stats = WorkerStats()

    def run(self, on_stop: Callable[[], None] | None = None) -> WorkerStats:
        while not self.stop.is_set():
            drained = self.run_pass()
            if drained:
                self.stop.wait(self.interval)
        if on_stop is not None:
            on_stop()
        self.log(f"Đã dừng sau {self.stats.passes} lượt: kích hoạt {self.stats.fired} hẹn giờ ở "
                 f"{self.stats.cases} hồ sơ, {self.stats.failed_passes} lượt lỗi.")
        return self.stats

    def run_pass(self) -> bool:
        """One claim-fire-commit transaction. Returns True when the queue looked empty (or the store failed), i.e.
        when the worker should rest before the next pass."""
        self.stats.passes += 1
        try:
            # limit == batch: one claiming transaction per pass, so a stop request waits for at most one batch.
            result = self.service.fire_due_timers(batch=self.batch, limit=self.batch)
        except StoreUnavailable as err:
            # The whole pass rolled back (database restarting, connection lost, deadlock victim): nothing fired,
            # nothing is lost, the same cases are due on the next pass.
            self.stats.failed_passes += 1
            self.log(f"{err.message} Thử lại sau {self.interval:g} giây.")
            return True
        except EngineError as err:
            # A case whose timers cannot fire (for example a decision table that matches nothing) rolls the whole
            # batch back; resting keeps a broken case from spinning the worker while the log names it.
            self.stats.failed_passes += 1
            self.log(f"Lượt kích hoạt hẹn giờ bị hủy, không hồ sơ nào thay đổi: {err.message} "
                     f"Thử lại sau {self.interval:g} giây.")
            return True
        self.stats.fired += result["fired"]
        self.stats.cases += result["cases"]
        if result["cases"]:
            self.log(f"Đã kích hoạt {result['fired']} hẹn giờ ở {result['cases']} hồ sơ.")
        if result.get("started"):
            self.log(f"Đã mở {len(result['started'])} hồ sơ theo lịch: {', '.join(result['started'])}.")
        return result["cases"] < self.batch


def sqlite_lock_path(url: str) -> Path | None:
    """The lock file of a file-backed SQLite database; None for an in-memory one (no other process can share it)."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    db_file = Path(database).expanduser().resolve()
    return db_file.with_name(db_file.name + LOCK_SUFFIX)


LOCK_SUFFIX = ".worker.lock"


@contextmanager
def single_sqlite_worker(url: str) -> Iterator[Path | None]:
    """Hold the only worker slot of a SQLite database, or raise Conflict naming the process that holds it."""
    import fcntl

    path = sqlite_lock_path(url)
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            database = path.with_name(path.name[: -len(LOCK_SUFFIX)])
            raise Conflict(
                f"Đã có một worker (tiến trình {holder}) đang chạy trên cơ sở dữ liệu SQLite '{database}'; SQLite chỉ "
                "cho phép một worker — hãy dừng worker kia, hoặc dùng PostgreSQL để chạy nhiều worker.",
                lock=str(path), pid=holder,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the descriptor releases the flock
