"""API tokens for integrations (HTTP `Authorization: Bearer ...`), revocable, stored as a SHA-256 of their secret.

A token reads `tthc_<id>_<secret>`: the id finds the row (and names the token in `tthc token list` and in logs), the
secret is 256 random bits shown once at creation. A fast hash is enough for such a secret; a slow one (as for
passwords) would only slow every request down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from engine.config import Settings
from engine.errors import Conflict, NotFound
from engine.store import Store

PREFIX = "tthc_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: Store, settings: Settings, user_id: str, *, label: str | None, now: datetime) -> dict:
    user = settings.user(user_id)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with store.transaction() as tx:
        tx.insert_token(token_id=token_id, user_id=user.id, secret_hash=_digest(secret), label=label, at=now)
    return {"id": token_id, "user": user.id, "label": label, "created_at": now, "token": f"{PREFIX}{token_id}_{secret}"}


def revoke_token(store: Store, token_id: str, *, now: datetime) -> dict:
    with store.transaction() as tx:
        row = tx.token(token_id)
        if row is None:
            raise NotFound(f"Không có mã truy cập (token) '{token_id}'.", token=token_id)
        if row["revoked_at"] is not None:
            raise Conflict(f"Mã truy cập '{token_id}' đã bị thu hồi từ trước.", token=token_id)
        tx.revoke_token(token_id, now)
    return {"id": token_id, "user": row["user_id"], "revoked_at": now}


def list_tokens(store: Store) -> list[dict]:
    with store.transaction() as tx:
        rows = tx.tokens()
        return [{"id": r["id"], "user": r["user_id"], "label": r["label"], "created_at": r["created_at"],
                 "revoked_at": r["revoked_at"]} for r in rows]


def token_user(store: Store, token: str) -> str | None:
    """The user a valid, unrevoked token acts for; None for anything else."""
    if not token.startswith(PREFIX):
        return None
    token_id, _, secret = token[len(PREFIX):].partition("_")
    if not token_id or not secret or len(token) > 200:
        return None
    row = store.credential("token", token_id)
    if row is None or row["revoked_at"] is not None:
        return None
    return row["user_id"] if hmac.compare_digest(row["secret_hash"], _digest(secret)) else None
