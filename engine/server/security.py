"""Authentication, body limits and the slowing down of failed logins, as one ASGI middleware.

Every path but GET /engine-rest/version needs credentials (HTTP Basic with a configured user's password, or a Bearer
API token), checked against the database at most every `credential_ttl` seconds per header (engine.auth.authenticate).
A request without credentials is answered at once (clients such as Camunda Modeler first try without); credentials
that do not match are logged (the claimed user name and the client address, never the password) and
answered only after a delay that grows with the client's recent failures, so guessing passwords is slow.
"""

from __future__ import annotations

import asyncio
import logging
import time

import anyio

from engine.errors import EngineError
from engine.server.camunda import engine_error_response, error_response

log = logging.getLogger("tthc.server")

PUBLIC = {("GET", "/engine-rest/version")}
_WINDOW = 300.0  # seconds during which a client's failures count towards its delay
_MAX_DELAY = 8.0
_DRAIN_LIMIT = 64 * 1024 * 1024  # a larger declared body is refused without reading it


class Security:
    def __init__(self, app, ctx) -> None:
        self.app = app
        self.ctx = ctx
        # Wall-clock pacing of login attempts, not engine time: monotonic seconds, never stored or shown.
        self._failures: dict[str, tuple[int, float]] = {}
        self._checks: dict[bytes, asyncio.Future] = {}  # header digest -> its check against the database, running

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS" or (method, path.rstrip("/")) in PUBLIC or not path.startswith("/engine-rest"):
            return await self._limited(scope, receive, send)
        header = _header(scope, b"authorization")
        if not header:
            return await self._deny(scope, send, "Cần đăng nhập: gửi HTTP Basic (người dùng, mật khẩu) hoặc "
                                                 "Bearer (mã truy cập).")
        known = self.ctx.authenticator.recent(header)  # checked a moment ago: no thread, no query
        if known is not None:
            user, claimed = known[0], None
            if known[1]:
                self._check(header)  # due again: checked in the background, this request goes on
        else:
            try:
                user, claimed = await asyncio.shield(self._check(header))
            except EngineError as err:  # the database is unreachable: say so, as for any other request
                return await engine_error_response(err)(scope, _no_body, send)
        client = (scope.get("client") or ("?", 0))[0]
        if user is None:
            count = self._failed(client)
            log.warning("Đăng nhập thất bại: người dùng %r từ %s (lần %d trong %d phút).", claimed, client, count,
                        int(_WINDOW // 60))
            await anyio.sleep(min(_MAX_DELAY, self.ctx.options.failed_login_delay * (2 ** min(count - 1, 4))))
            return await self._deny(scope, send, "Thông tin đăng nhập không đúng.")
        self._failures.pop(client, None)
        scope.setdefault("state", {})["user"] = user
        return await self._limited(scope, receive, send)

    def _check(self, header: str):
        """The database's answer for `header`, one check at a time per header: the requests that find the same
        header unchecked (a client's burst after a quiet spell, every client at start-up) wait for one check,
        instead of each queueing its own. With `credential_ttl` 0 every request still makes its own."""
        authenticator = self.ctx.authenticator
        check = lambda svc: authenticator.user_for(svc.store, header)  # noqa: E731
        if authenticator.ttl <= 0:
            return self.ctx.pool.run(check)
        key = authenticator.header_key(header)
        running = self._checks.get(key)
        if running is None:
            running = self._checks[key] = asyncio.ensure_future(self.ctx.pool.run(check))
            running.add_done_callback(lambda done: self._checked(key, done))
        return running

    def _checked(self, key: bytes, done: asyncio.Future) -> None:
        self._checks.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: a background check that failed leaves the memory to expire, unlogged

    def _failed(self, client: str) -> int:
        now = time.monotonic()
        count, since = self._failures.get(client, (0, now))
        if now - since > _WINDOW:
            count, since = 0, now
        if len(self._failures) > 10000:  # bounded memory under a distributed attack
            self._failures.clear()
        self._failures[client] = (count + 1, since)
        return count + 1

    async def _deny(self, scope, send, message: str):
        response = error_response(401, "AuthenticationException", message,
                                  headers={"WWW-Authenticate": 'Basic realm="tthc", charset="UTF-8"'})
        await response(scope, _no_body, send)

    async def _limited(self, scope, receive, send):
        """The request body, refused with 413 past the limit of its kind (declared or streamed)."""
        multipart = (_header(scope, b"content-type") or "").startswith("multipart/")
        limit = self.ctx.options.max_upload_bytes if multipart else self.ctx.options.max_json_bytes
        declared = _header(scope, b"content-length")

        def too_big():
            return error_response(413, "InvalidRequestException", f"Nội dung yêu cầu quá lớn (tối đa {limit} byte).")

        if declared is not None and declared.isdigit() and int(declared) > limit:
            if int(declared) <= _DRAIN_LIMIT:
                # Read (and drop) what the client is sending, so it reads our answer instead of a reset connection.
                while (await receive()).get("more_body"):
                    pass
            return await too_big()(scope, _no_body, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        started = False

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked_send)
        except BodyTooLarge:
            if not started:
                await too_big()(scope, _no_body, send)


def _header(scope, name: bytes) -> str | None:
    """The first value of header `name` (lower case: ASGI servers give header names in lower case)."""
    for key, value in scope["headers"]:
        if key == name or key.lower() == name:
            return value.decode("latin-1")
    return None


class BodyTooLarge(Exception):
    pass


async def _no_body():
    return {"type": "http.request", "body": b"", "more_body": False}
