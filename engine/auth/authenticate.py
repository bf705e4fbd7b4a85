"""Turning an `Authorization` header into a configured user id, or None.

Argon2 is deliberately slow (tens of milliseconds), and a client sends its Basic credentials on every request. A
process therefore remembers, for a user's *current* stored hash, a keyed digest of the password that last matched
it: a changed password (a new hash) or a removed user invalidates the memory at once, and the digest is useless
outside this process (its key is random and never stored).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading

from engine.auth.passwords import stored_hash, verify_password
from engine.auth.tokens import token_user
from engine.config import Settings
from engine.store import Store

_MEMORY_LIMIT = 1024


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def user_for(self, store: Store, header: str | None) -> tuple[str | None, str | None]:
        """(user id or None, the user name the client claimed, for the log; never the password)."""
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
