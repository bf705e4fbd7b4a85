"""SQLite writers queue before `BEGIN IMMEDIATE`, so each one starts as soon as the one before it commits.

SQLite admits one writer at a time; the others wait in its busy handler, which sleeps between tries for 1, 2, 5, ...
up to 100 ms. Under load (a server's request threads, two `tthc serve` processes, the worker beside them) a command
that had already waited kept sleeping while newcomers took the lock: at 50 concurrent clients some completions of a
2 ms command took over a second. Writers therefore queue here first: the threads of one process on a lock, first come,
first served (a plain lock lets a thread that just arrived overtake one that has waited), and the processes on an
advisory lock (`flock`) on a file beside the database (`<database>.writer-lock`). SQLite's own lock still guards the
data; this only decides who asks for it next.

Between processes, a writer that finds the file locked waits in the kernel, which wakes it the moment the holder lets
go, and says that it waits with a shared lock on a second file (`<database>.writer-wait`) until it has its turn. A
process about to take the file lock again first looks there: if another process waits, it queues behind it instead
of taking the lock straight back. Without that, a busy server process handed the lock from one of its own writers to
the next with no gap, and another process (a second server worker, an officer's CLI command, `tthc worker`) that
tried every millisecond or two waited until the busy one fell idle: at 50 clients on two server processes, p99 of
`complete` reached 0.6 s. Where `fcntl` or the files are not available (Windows, a directory the account cannot
write) only the threads of a process queue. The files get the database's permission bits, so every account that may
write the database (officers' accounts running the CLI) shares the queue.

A waiter gives up after `timeout` seconds (SQLite's busy timeout, 30 s) with the same refusal as SQLite's "database
is locked", so a stuck writer elsewhere never hangs a command for ever. (The kernel's wait cannot be given a timeout,
so it happens on a helper thread with a file of its own; one that was given up on lets go of the lock as soon as it
gets it.)
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


class WriterLock:
    """One per database file per process (`for_database`, keyed by the file's resolved path)."""

    _by_path: dict[str, "WriterLock"] = {}
    _registry = threading.Lock()

    def __init__(self, database: Path, timeout: float = TIMEOUT) -> None:
        self.database = database
        self.file = database.with_name(database.name + ".writer-lock")
        self.wait_file = database.with_name(database.name + ".writer-wait")
        self.timeout = timeout
        self._threads = _FairLock()
        self._owner: int | None = None
        # Both files opened on first use and kept for the life of the process (reopened after a fork: a forked child
        # shares the parent's open files, and with them the parent's locks). Used only by the thread whose turn it is.
        self._fds: dict[Path, int] = {}
        self._fds_pid = 0
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
            fd, own = self._lock_file(deadline)
            try:
                yield
            finally:
                _unlock(fd, own)
        finally:
            self._owner = None
            self._threads.release()

    @contextmanager
    def held_if_free(self) -> Iterator[bool]:
        """The turn at once, or not at all: yields True holding it, or False (holding nothing) if a writer of this
        process holds it or waits for it, or another process holds the file's lock or waits for it. Never waits, so
        an event loop may ask (engine.server.pool runs a one-case command there instead of handing it to a thread)."""
        me = threading.get_ident()
        if self._owner == me:
            yield True
            return
        if not self._threads.try_acquire():
            yield False
            return
        try:
            fd = self._open(self.file)
            if fd is not None and (self._others_wait() or not _try_flock(fd)):
                yield False
                return
            self._owner = me
            try:
                yield True
            finally:
                self._owner = None
                _unlock(fd, False)
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float) -> tuple[int | None, bool]:
        """(the descriptor holding the file lock, whether it is one of its own to close afterwards)."""
        fd = self._open(self.file)
        if fd is None:
            return None, False
        if not self._others_wait() and _try_flock(fd):
            return fd, False
        waiting = self._open(self.wait_file)
        if waiting is not None:
            fcntl.flock(waiting, fcntl.LOCK_SH)  # others hold it exclusively only for the instant of a look
        try:
            own = _wait_for_lock(self.file, deadline)
        finally:
            if waiting is not None:
                fcntl.flock(waiting, fcntl.LOCK_UN)
        return own, own is not None

    def _others_wait(self) -> bool:
        """Whether a writer of another process waits for the file lock (holds the wait file shared)."""
        fd = self._open(self.wait_file)
        if fd is None or _try_flock(fd):
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True

    def _open(self, path: Path) -> int | None:
        if self._file_failed:
            return None
        if self._fds_pid != os.getpid():
            self._fds, self._fds_pid = {}, os.getpid()
        fd = self._fds.get(path)
        if fd is None:
            try:
                fd = self._fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, _mode_of(self.database))
            except OSError:
                self._file_failed = True  # e.g. a read-only directory: SQLite's own waiting remains
                return None
        return fd


def _mode_of(database: Path) -> int:
    try:
        return os.stat(database).st_mode & 0o666
    except OSError:
        return 0o644


def _wait_for_lock(path: Path, deadline: float) -> int | None:
    """A descriptor of its own holding the file lock, waited for in the kernel on a helper thread until `deadline`.
    None if the file cannot be opened (only the threads of this process queue then)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    guard = threading.Lock()
    got = threading.Event()
    state = {"given_up": False, "failed": False}

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            state["failed"] = True
            got.set()
            return
        with guard:
            if not state["given_up"]:
                got.set()
                return
        fcntl.flock(fd, fcntl.LOCK_UN)  # the waiter had given up: let the next one have it
        os.close(fd)

    threading.Thread(target=wait, name="tthc-writer-wait", daemon=True).start()
    got.wait(max(0.0, deadline - time.monotonic()))
    with guard:
        if got.is_set():
            if state["failed"]:
                os.close(fd)
                return None
            return fd
        state["given_up"] = True
    raise _busy()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int | None, own: bool) -> None:
    if fd is None:
        return
    fcntl.flock(fd, fcntl.LOCK_UN)
    if own:
        os.close(fd)


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


def _busy() -> StoreUnavailable:
    return StoreUnavailable("Cơ sở dữ liệu đang bận: một lệnh khác ghi quá lâu (quá 30 giây); hãy thử lại sau.")
