"""SQLite writers queue before `BEGIN IMMEDIATE`, so each one starts as soon as the one before it commits.

SQLite admits one writer at a time; the others wait in its busy handler, which sleeps between tries for 1, 2, 5, ...
up to 100 ms. Under load (a server's request threads, two `tthc serve` processes, the worker beside them) a command
that had already waited kept sleeping while newcomers took the lock: at 50 concurrent clients some completions of a
2 ms command took over a second. Writers therefore queue here first: the threads of one process on a lock, the
processes on an advisory lock (`flock`) on a file beside the database (`<database>.writer-lock`), tried every
millisecond or so. The threads queue first come, first served (a plain lock lets a thread that just arrived overtake
one that has waited, which at 50 clients left a few requests waiting several times longer than the rest). SQLite's
own lock still guards the data; this only decides who asks for it next. Where `fcntl` or the file is not available
(Windows, a directory the account cannot write) only the threads of a process queue. The file gets the database's
permission bits, so every account that may write the database (officers' accounts running the CLI) shares the queue.

A waiter gives up after `timeout` seconds (SQLite's busy timeout, 30 s) with the same refusal as SQLite's "database
is locked", so a stuck writer elsewhere never hangs a command for ever.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: the threads of a process still queue
    fcntl = None  # type: ignore[assignment]

from engine.errors import StoreUnavailable

TIMEOUT = 30.0
_POLL_MIN, _POLL_MAX = 0.0005, 0.002


class WriterLock:
    """One per database file per process (`for_database`, keyed by the file's resolved path)."""

    _by_path: dict[str, "WriterLock"] = {}
    _registry = threading.Lock()

    def __init__(self, database: Path, timeout: float = TIMEOUT) -> None:
        self.database = database
        self.file = database.with_name(database.name + ".writer-lock")
        self.timeout = timeout
        self._threads = _FairLock()
        self._owner: int | None = None
        self._fd: int | None = None  # opened on first use, kept for the life of the process (reopened after a fork:
        self._fd_pid = 0  # a forked child shares the parent's open file, and with it the parent's flock)
        self._file_failed = fcntl is None

    @classmethod
    def for_database(cls, database: Path) -> "WriterLock":
        key = str(database.expanduser().resolve())
        with cls._registry:
            lock = cls._by_path.get(key)
            if lock is None:
                lock = cls._by_path[key] = cls(Path(key))
            return lock

    @contextmanager
    def held(self) -> Iterator[None]:
        """Held while one transaction writes. A thread that already holds it (a nested transaction, which SQLite
        would refuse on its own) goes through unchanged."""
        me = threading.get_ident()
        if self._owner == me:
            yield
            return
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            raise _busy()
        try:
            self._owner = me
            fd = self._lock_file(deadline)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._owner = None
            self._threads.release()

    @contextmanager
    def held_if_free(self) -> Iterator[bool]:
        """The turn at once, or not at all: yields True holding it, or False (holding nothing) if a writer of this
        process holds it or waits for it, or another process holds the file's lock. Never waits, so an event loop
        may ask (engine.server.pool runs a one-case command there instead of handing it to a thread)."""
        me = threading.get_ident()
        if self._owner == me:
            yield True
            return
        if not self._threads.try_acquire():
            yield False
            return
        try:
            fd = self._open()
            if fd is not None and not _try_flock(fd):
                yield False
                return
            self._owner = me
            try:
                yield True
            finally:
                self._owner = None
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float) -> int | None:
        fd = self._open()
        if fd is None:
            return None
        pause = _POLL_MIN
        while not _try_flock(fd):
            if time.monotonic() > deadline:
                raise _busy()
            time.sleep(pause)  # wall-clock pacing of a retry, not engine time
            pause = min(_POLL_MAX, pause * 2)
        return fd

    def _open(self) -> int | None:
        if self._file_failed:
            return None
        if self._fd is None or self._fd_pid != os.getpid():
            try:
                mode = os.stat(self.database).st_mode & 0o666
            except OSError:
                mode = 0o644
            try:
                self._fd, self._fd_pid = os.open(self.file, os.O_RDWR | os.O_CREAT, mode), os.getpid()
            except OSError:
                self._file_failed = True  # e.g. a read-only directory: SQLite's own waiting remains
                return None
        return self._fd


class _FairLock:
    """A lock handed to its waiters in the order they came (threading.Lock wakes one, but anyone may take it)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._taken = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._taken:
                self._taken = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release(): the lock stayed taken
        with self._mutex:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        # release() handed it over just as the wait ended: it is ours after all.
        turn.acquire()
        return True

    def try_acquire(self) -> bool:
        """Taken only if free and nobody waits (never ahead of a waiter)."""
        with self._mutex:
            if self._taken:
                return False
            self._taken = True
            return True

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._taken = False


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _busy() -> StoreUnavailable:
    return StoreUnavailable("Cơ sở dữ liệu đang bận: một lệnh khác ghi quá lâu (quá 30 giây); hãy thử lại sau.")
