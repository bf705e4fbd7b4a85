"""Turning an `Authorization` header into a configured user id, or None.

Argon2 is deliberately slow (tens of milliseconds), and a client sends its Basic credentials on every request. A
process therefore remembers, for a user's *current* stored hash, a keyed digest of the password that last matched
it: a changed password (a new hash) or a removed user invalidates the memory at once, and the digest is useless
outside this process (its key is random and never stored).

Reading the stored hash (or the token's row) still costs a database query and a hop to a worker thread on every
request. `recent` answers without either for a header that was checked against the database less than `ttl` seconds
ago (keyed by a digest of the whole header, so neither password nor token is kept): a changed password, a revoked
token or a removed password takes effect in every server process within `ttl` seconds, as Camunda 7's web
applications keep a login for five minutes. `ttl=0` checks the database on every request. Past half the `ttl`,
`recent` also says the header is due for a check, which the server runs in the background while it keeps answering
from memory (engine.server.security): a busy client's header is then never found expired, and its requests never
wait for the database. A check that no longer finds the user forgets the header at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time

from engine.auth.passwords import stored_hash, verify_password
from engine.auth.tokens import token_user
from engine.config import Settings
from engine.store import Store

_MEMORY_LIMIT = 1024


class Authenticator:
    def __init__(self, settings: Settings, *, ttl: float = 0.0) -> None:
        self.settings = settings
        self.ttl = max(0.0, ttl)
        self._key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, str], bytes] = {}
        # digest of an Authorization header -> (user id, monotonic second it was last checked against the database)
        self._recent: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def recent(self, header: str) -> tuple[str, bool] | None:
        """(user, due) for a header checked against the database less than `ttl` seconds ago, `due` once half of
        that has passed (check it again now, in the background); None otherwise (then `user_for` must check it
        before the request goes on). No I/O: safe on the event loop. Wall-clock pacing, not engine time."""
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._recent.get(self.header_key(header))
        if entry is None:
            return None
        age = time.monotonic() - entry[1]
        if age > self.ttl:
            return None
        return entry[0], age > self.ttl / 2

    def header_key(self, header: str) -> bytes:
        """A keyed digest of the whole header: what this process remembers instead of a password or token."""
        return hmac.new(self._key, header.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def user_for(self, store: Store, header: str | None) -> tuple[str | None, str | None]:
        """(user id or None, the user name the client claimed, for the log; never the password)."""
        began = time.monotonic()  # the memory counts from the read, so a change just after it is seen within `ttl`
        user, claimed = self._check(store, header)
        if self.ttl > 0 and header:
            key = self.header_key(header)
            with self._lock:
                if user is None:
                    self._recent.pop(key, None)
                else:
                    if len(self._recent) >= _MEMORY_LIMIT:
                        self._recent.clear()
                    self._recent[key] = (user, began)
        return user, claimed

    def _check(self, store: Store, header: str | None) -> tuple[str | None, str | None]:
        if not header:
            return None, None
        scheme, _, value = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None, None
            name, sep, password = decoded.partition(":")
            if not sep:
                return None, name[:100]
            return self._basic(store, name, password), name[:100]
        if scheme == "bearer":
            user_id = token_user(store, value.strip())
            return (user_id if user_id in self.settings.users else None), "(token)"
        return None, None

    def _basic(self, store: Store, name: str, password: str) -> str | None:
        if name not in self.settings.users:
            return None
        digest = stored_hash(store, name)
        if digest is None:
            return None
        mark = hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        with self._lock:
            known = self._verified.get((name, digest))
        if known is not None and hmac.compare_digest(known, mark):
            return name
        if not verify_password(digest, password):
            return None
        with self._lock:
            if len(self._verified) >= _MEMORY_LIMIT:
                self._verified.clear()
            self._verified[(name, digest)] = mark
        return name
