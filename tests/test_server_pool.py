"""How a server process runs requests (engine.server.pool, engine.server.security): a brief SQLite command on the event
loop when the writers' turn is free, in a thread otherwise; one credential check per header at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

from engine.server.pool import ServicePool
from engine.writer_lock import WriterLock


class FakeStore:
    def __init__(self, lock: WriterLock | None) -> None:
        self.is_sqlite = lock is not None
        self.lock = lock
        self.disposed = False

    def writer_turn_if_free(self):
        from contextlib import nullcontext

        return self.lock.held_if_free() if self.lock is not None else nullcontext(False)

    def dispose(self) -> None:
        self.disposed = True


def _pool(lock: WriterLock | None) -> ServicePool:
    return ServicePool(lambda: SimpleNamespace(store=FakeStore(lock), ctx=SimpleNamespace(origin=None)), size=2,
                       sqlite=lock is not None)


def _where(service) -> tuple[int, object, bool]:
    return threading.get_ident(), service.ctx.origin, bool(service.store.lock and service.store.lock._owner)


def test_a_brief_sqlite_command_runs_on_the_event_loop_holding_the_writers_turn(tmp_path):
    pool = _pool(WriterLock(tmp_path / "a.db"))

    async def main():
        loop_thread = threading.get_ident()
        brief = await pool.run(_where, origin="o", brief=True)
        other = await pool.run(_where, origin="o")
        return loop_thread, brief, other

    loop_thread, brief, other = asyncio.run(main())
    assert brief == (loop_thread, "o", True)  # on the loop, with the turn, with its origin
    assert other[0] != loop_thread and other[1] == "o"  # not brief: a worker thread, as before


def test_a_brief_command_goes_to_a_thread_and_queues_while_a_writer_holds_the_turn(tmp_path):
    lock = WriterLock(tmp_path / "b.db")
    pool = _pool(lock)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.held():
            holding.set()
            release.wait(10)

    async def main():
        loop_thread = threading.get_ident()
        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(5)
        waiting = asyncio.ensure_future(pool.run(lambda svc: (threading.get_ident(), _take(lock)), brief=True))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the loop did not wait for the turn: the command waits in its thread
        release.set()
        thread, took = await waiting
        holder.join(5)
        return loop_thread, thread, took

    loop_thread, thread, took = asyncio.run(main())
    assert thread != loop_thread and took is True


def _take(lock: WriterLock) -> bool:
    with lock.held():  # what a command's transaction does in its thread
        return lock._owner == threading.get_ident()


def test_on_postgresql_a_brief_command_still_goes_to_a_thread():
    pool = _pool(None)

    async def main():
        return threading.get_ident(), await pool.run(_where, brief=True), await pool.run(_where, brief=True)

    loop_thread, first, second = asyncio.run(main())
    assert first[0] != loop_thread and second[0] != loop_thread
    assert pool._loop_service is None  # no Service made for the loop


# --- credentials -------------------------------------------------------------------------------------------------
class FakeAuthenticator:
    """Counts checks against 'the database'; a check takes `delay` seconds in its thread."""

    def __init__(self, ttl: float, delay: float = 0.2, known: tuple[str, bool] | None = None) -> None:
        self.ttl, self.delay, self.known = ttl, delay, known
        self.checks = 0
        self.finished = threading.Event()

    def recent(self, header: str):
        return self.known

    def header_key(self, header: str) -> bytes:
        return header.encode()

    def user_for(self, store, header: str):
        self.checks += 1
        time.sleep(self.delay)
        self.finished.set()
        return "lan", "lan"


def _security(authenticator):
    from engine.server.context import ServerOptions
    from engine.server.security import Security

    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["state"]["user"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    ctx = SimpleNamespace(authenticator=authenticator, options=ServerOptions(),
                          pool=ServicePool(lambda: SimpleNamespace(store=None, ctx=SimpleNamespace(origin=None)), 4))
    return Security(app, ctx), seen


async def _request(security) -> int:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/engine-rest/task",
             "headers": [(b"authorization", b"Basic bGFuOng=")], "client": ("127.0.0.1", 1)}
    await security(scope, receive, send)
    return sent[0]["status"]


def test_requests_finding_the_same_header_unchecked_wait_for_one_check():
    authenticator = FakeAuthenticator(ttl=5)
    security, seen = _security(authenticator)

    async def main():
        return await asyncio.gather(*(_request(security) for _ in range(10)))

    assert asyncio.run(main()) == [200] * 10
    assert authenticator.checks == 1 and seen == ["lan"] * 10


def test_with_credential_ttl_zero_every_request_makes_its_own_check():
    authenticator = FakeAuthenticator(ttl=0, delay=0.01)
    security, _ = _security(authenticator)

    async def main():
        return await asyncio.gather(*(_request(security) for _ in range(5)))

    assert asyncio.run(main()) == [200] * 5
    assert authenticator.checks == 5


def test_a_header_due_for_a_check_is_checked_in_the_background_while_the_request_goes_on():
    authenticator = FakeAuthenticator(ttl=5, delay=0.5, known=("lan", True))
    security, seen = _security(authenticator)

    async def main():
        began = time.monotonic()
        statuses = [await _request(security) for _ in range(3)]
        answered = time.monotonic() - began
        await asyncio.sleep(0.8)  # the background check finishes
        return statuses, answered

    statuses, answered = asyncio.run(main())
    assert statuses == [200] * 3 and seen == ["lan"] * 3
    assert answered < 0.4  # nobody waited for the 0.5 s check
    assert authenticator.checks == 1 and authenticator.finished.is_set()  # one check for the three


def test_a_header_checked_recently_and_not_due_makes_no_check():
    authenticator = FakeAuthenticator(ttl=5, known=("lan", False))
    security, _ = _security(authenticator)
    assert asyncio.run(_request(security)) == 200
    assert authenticator.checks == 0


def test_the_authenticator_says_a_header_is_due_past_half_its_ttl_and_forgets_one_that_fails_a_check(monkeypatch):
    from engine.auth.authenticate import Authenticator

    authenticator = Authenticator(SimpleNamespace(users={}), ttl=0.6)
    answers = iter([("lan", "lan"), (None, "lan")])
    monkeypatch.setattr(authenticator, "_check", lambda store, header: next(answers))
    assert authenticator.user_for(None, "Basic x") == ("lan", "lan")
    assert authenticator.recent("Basic x") == ("lan", False)
    assert authenticator.recent("Basic y") is None
    time.sleep(0.35)
    assert authenticator.recent("Basic x") == ("lan", True)  # still trusted, due for a check
    assert authenticator.user_for(None, "Basic x") == (None, "lan")  # e.g. the token was revoked meanwhile
    assert authenticator.recent("Basic x") is None  # forgotten at once, not at the end of the ttl


def test_a_server_process_freezes_what_it_keeps_at_start_up_and_a_test_built_app_does_not(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import asyncio, gc\n"
        "from engine.server.app import create_app\n"
        "from engine.server.context import ServerOptions\n"
        "async def main(app):\n"
        "    async with app.router.lifespan_context(app):\n"
        "        return gc.get_freeze_count()\n"
        "test_built = asyncio.run(main(create_app(ServerOptions(db_url={url!r}))))\n"
        "served = asyncio.run(main(create_app()))\n"
        "print(test_built, served)\n"
    ).format(url=f"sqlite:///{tmp_path / 'h.db'}")
    env = {**os.environ, "TTHC_DB": f"sqlite:///{tmp_path / 'h.db'}", "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    test_built, served = map(int, out.stdout.split())
    assert test_built == 0
    assert served > 20000  # the modules, the workflow engine among them, out of the full collections' walk
