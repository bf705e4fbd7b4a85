"""Service objects lent to the threads that run requests, one request at a time each.

A Service (with its Store and connection pool) is used by one thread at a time, as in the CLI and the worker. The pool
bounds how many requests of one server process reach the database at once; the others wait for a free Service
instead of opening more connections. Workflows kept in memory are shared by all of them (engine.workflow_cache).
"""

from __future__ import annotations

import queue
from typing import Any, Callable

import anyio
import anyio.to_thread


class ServicePool:
    def __init__(self, factory: Callable[[], Any], size: int) -> None:
        self.size = max(1, size)
        self._factory = factory
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._made = 0
        self._limiter = anyio.CapacityLimiter(self.size)

    def _borrow(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            self._made += 1  # under the limiter: at most `size` are ever made
            return self._factory()

    async def run(self, fn: Callable[..., Any], *args: Any, origin: Any = None) -> Any:
        """fn(service, *args) on a worker thread; the Service is returned to the pool afterwards.

        `origin` (engine.origin.Origin) is where a command comes from: the lent Service records it on the events it
        writes during this call only. The Service is lent to one thread at a time, so setting it is safe, and the
        Service keeps what it caches between commands (the newest forms and decision tables)."""

        def call():
            service = self._borrow()
            service.ctx.origin = origin
            try:
                return fn(service, *args)
            finally:
                service.ctx.origin = None
                self._idle.put(service)

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def close(self) -> None:
        while True:
            try:
                service = self._idle.get_nowait()
            except queue.Empty:
                return
            service.store.dispose()
