"""SQLite writers queue before BEGIN IMMEDIATE (engine.writer_lock): first come, first served within a process, one at a
time across processes, bounded waits, and the store takes the queue for every transaction."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.errors import StoreUnavailable
from engine.writer_lock import WriterLock

ROOT = Path(__file__).resolve().parents[1]


def _other_process(database: Path, body: str, **popen) -> subprocess.Popen:
    """Another process with the database's writer lock as `lock`, running `body` (which prints a line when ready)."""
    return subprocess.Popen(
        [sys.executable, "-c", "import sys, threading, time; from pathlib import Path\n"
                               "from engine.writer_lock import WriterLock\n"
                               f"lock = WriterLock.for_database(Path({str(database)!r}))\n" + body],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, **popen)


def test_one_lock_per_database_file_per_process(tmp_path):
    a = WriterLock.for_database(tmp_path / "x.db")
    assert WriterLock.for_database(tmp_path / "sub" / ".." / "x.db") is a
    assert WriterLock.for_database(tmp_path / "y.db") is not a
    assert a.file == (tmp_path / "x.db.writer-lock").resolve()


def test_threads_get_the_lock_in_the_order_they_asked(tmp_path):
    lock = WriterLock(tmp_path / "order.db")
    order: list[int] = []
    started: list[threading.Thread] = []

    def writer(n: int) -> None:
        with lock.held():
            order.append(n)

    with lock.held():  # every writer below queues behind this one, in the order it arrives
        for n in range(12):
            thread = threading.Thread(target=writer, args=(n,))
            thread.start()
            started.append(thread)
            deadline = time.monotonic() + 5
            while len(lock._threads._waiters) < n + 1 and time.monotonic() < deadline:
                time.sleep(0.001)
    for thread in started:
        thread.join(timeout=10)
    assert order == list(range(12))


def test_a_waiter_gives_up_after_the_timeout_and_the_queue_goes_on(tmp_path):
    lock = WriterLock(tmp_path / "t.db", timeout=0.2)
    errors: list[Exception] = []

    def impatient() -> None:
        try:
            with lock.held():
                pass
        except StoreUnavailable as exc:
            errors.append(exc)

    with lock.held():
        thread = threading.Thread(target=impatient)
        thread.start()
        thread.join(timeout=5)
    assert len(errors) == 1 and "bận" in str(errors[0])
    assert len(lock._threads._waiters) == 0
    with lock.held():  # the one that gave up left no turn behind
        pass


def test_a_nested_transaction_of_the_same_thread_goes_through(tmp_path):
    lock = WriterLock(tmp_path / "n.db", timeout=0.5)
    with lock.held():
        with lock.held():
            pass


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_another_process_waits_for_the_file_lock_and_times_out(tmp_path):
    database = tmp_path / "p.db"
    holder = _other_process(database, "with lock.held():\n    print('held', flush=True); time.sleep(3)\n")
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = WriterLock(database.resolve(), timeout=0.3)
        began = time.monotonic()
        with pytest.raises(StoreUnavailable):
            with lock.held():
                pass
        assert time.monotonic() - began >= 0.3
        holder.wait(timeout=10)
        with lock.held():  # released when the other process let go
            pass
    finally:
        holder.kill()


def test_every_sqlite_transaction_of_the_store_holds_the_writer_lock(tmp_path):
    from engine.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        lock = WriterLock.for_database(tmp_path / "s.db")
        with store.transaction():
            assert lock._owner == threading.get_ident()
        assert lock._owner is None
    finally:
        store.dispose()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_lock_file_takes_the_database_files_permissions(tmp_path):
    import os
    import stat

    database = tmp_path / "shared.db"
    database.write_bytes(b"")
    database.chmod(0o664)
    old = os.umask(0o002)
    try:
        with WriterLock(database.resolve()).held():
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shared.db.writer-lock").stat().st_mode) == 0o664


# --- the turn without waiting (a server's event loop asks for it: engine.server.pool) -----------------------------
def test_the_turn_is_taken_at_once_when_free_and_the_threads_transactions_go_straight_in(tmp_path):
    lock = WriterLock(tmp_path / "f.db")
    with lock.held_if_free() as taken:
        assert taken is True and lock._owner == threading.get_ident()
        with lock.held():  # the command's own transaction: no second wait
            pass
        assert lock._owner == threading.get_ident()
    assert lock._owner is None and lock._threads._taken is False
    with lock.held():  # and it was given back
        pass


def test_the_turn_is_not_taken_while_another_thread_holds_it_or_waits_for_it(tmp_path):
    lock = WriterLock(tmp_path / "w.db")
    holding, release = threading.Event(), threading.Event()
    order: list[str] = []

    def holder() -> None:
        with lock.held():
            holding.set()
            release.wait(10)

    def waiter() -> None:
        with lock.held():
            order.append("waiter")

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(5)
    with lock.held_if_free() as taken:
        assert taken is False and lock._owner != threading.get_ident()
    second = threading.Thread(target=waiter)
    second.start()
    deadline = time.monotonic() + 5
    while not lock._threads._waiters and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    first.join(10)
    # Released by the holder, but a thread waits: it goes first, nobody overtakes it.
    second.join(10)
    assert order == ["waiter"]
    with lock.held_if_free() as taken:
        assert taken is True


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_the_turn_is_not_taken_while_another_process_holds_the_file_lock(tmp_path):
    database = tmp_path / "q.db"
    holder = _other_process(database, "with lock.held():\n    print('held', flush=True); sys.stdin.readline()\n",
                            stdin=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = WriterLock(database.resolve())
        began = time.monotonic()
        with lock.held_if_free() as taken:
            assert taken is False
        assert time.monotonic() - began < 1.0  # never waits
        assert lock._threads._taken is False  # and left nothing held in this process
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        with lock.held_if_free() as taken:
            assert taken is True
    finally:
        holder.kill()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_busy_process_lets_a_waiting_process_have_the_next_turn(tmp_path):
    """Two threads of another process write back to back for 6 s (as a loaded server does); each turn this process
    asks for comes after about one of their writes, not when they happen to leave a gap."""
    database = tmp_path / "busy.db"
    busy = _other_process(database, "end = time.monotonic() + 6\n"
                                    "def write():\n"
                                    "    while time.monotonic() < end:\n"
                                    "        with lock.held():\n"
                                    "            time.sleep(0.003)\n"
                                    "threads = [threading.Thread(target=write) for _ in range(2)]\n"
                                    "[t.start() for t in threads]\n"
                                    "print('busy', flush=True)\n"
                                    "[t.join() for t in threads]\n")
    try:
        assert busy.stdout.readline().strip() == "busy"
        time.sleep(0.2)
        lock = WriterLock(database.resolve())
        waits = []
        for _ in range(10):
            time.sleep(0.02)  # they have the lock again meanwhile
            began = time.monotonic()
            with lock.held():
                waits.append(time.monotonic() - began)
        assert busy.poll() is None  # the other process was still busy when this one had its turns
        # About one 3 ms write of theirs per turn; trying every millisecond or two instead, this took ~0.1 s a turn.
        assert statistics.median(waits) < 0.03, waits
        with lock.held_if_free() as taken:  # free now, or taken by the other process: never a wait
            pass
        busy.wait(timeout=20)
        with lock.held_if_free() as taken:
            assert taken is True
    finally:
        busy.kill()
