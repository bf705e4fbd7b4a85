"""Service objects lent to the threads that run requests, one request at a time each.

A Service (with its Store and connection pool) is used by one thread at a time, as in the CLI and the worker. The pool
bounds how many requests of one server process reach the database at once; the others wait for a free Service
instead of opening more connections. Workflows kept in memory are shared by all of them (engine.workflow_cache).

A brief command (one case's: list its steps, complete one, start one) on SQLite runs on the event loop itself when the
writers' turn is free: handing it to a thread and back cost about 0.1 ms per request, a tenth of a completion, and
the command would take the same turn there anyway (SQLite admits one writer; every command here writes or reads in a
writing transaction). If a writer holds or waits for the turn (a thread of this process, the CLI, the worker, another
server process), the command goes to a thread and queues there in order, as before; the loop never waits for the turn.
PostgreSQL commands always go to a thread: they wait on the network, and other requests go on meanwhile.
"""

from __future__ import annotations

import queue
from typing import Any, Callable

import anyio
import anyio.to_thread


class ServicePool:
    def __init__(self, factory: Callable[[], Any], size: int, *, sqlite: bool = False) -> None:
        self.size = max(1, size)
        self._factory = factory
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._made = 0
        self._limiter = anyio.CapacityLimiter(self.size)
        self._sqlite = sqlite  # brief commands may run on the event loop (SQLite only)
        # The event loop's own Service, made at the first brief command; only the loop's thread uses it, one command
        # at a time.
        self._loop_service: Any = None

    def _borrow(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            self._made += 1  # under the limiter: at most `size` are ever made
            return self._factory()

    async def run(self, fn: Callable[..., Any], *args: Any, origin: Any = None, brief: bool = False) -> Any:
        """fn(service, *args) on a worker thread; the Service is returned to the pool afterwards.

        `origin` (engine.origin.Origin) is where a command comes from: the lent Service records it on the events it
        writes during this call only. The Service is lent to one thread at a time, so setting it is safe, and the
        Service keeps what it caches between commands (the newest forms and decision tables).

        `brief`: fn is bounded by one case (never a report, a deployment or a password check), so on SQLite it may
        run on the event loop when the writers' turn is free (see the module's docstring)."""
        if brief and self._sqlite:
            if self._loop_service is None:
                self._loop_service = self._factory()
            with self._loop_service.store.writer_turn_if_free() as taken:
                if taken:
                    return _call(self._loop_service, fn, args, origin)

        def call():
            service = self._borrow()
            try:
                return _call(service, fn, args, origin)
            finally:
                self._idle.put(service)

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def close(self) -> None:
        if self._loop_service is not None:
            self._loop_service.store.dispose()
        while True:
            try:
                service = self._idle.get_nowait()
            except queue.Empty:
                return
            service.store.dispose()


def _call(service, fn: Callable[..., Any], args: tuple, origin: Any) -> Any:
    service.ctx.origin = origin
    try:
        return fn(service, *args)
    finally:
        service.ctx.origin = None
