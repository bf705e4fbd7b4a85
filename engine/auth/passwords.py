"""Officers' passwords for HTTP Basic authentication, stored only as argon2id hashes (argon2-cffi's defaults)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from engine.config import Settings
from engine.errors import InvalidInput
from engine.store import Store

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 hashes any length; a bound keeps a login request from costing more than a normal one


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def normalize(password: str) -> str:
    # The same password typed on two keyboards may arrive composed or decomposed; Vietnamese text always can.
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return _hasher().hash(normalize(password))


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored, normalize(password))
    except (VerificationError, InvalidHashError):
        return False


def set_password(store: Store, settings: Settings, user_id: str, password: str, *, now: datetime) -> None:
    user = settings.user(user_id)  # NotFound for a user the configuration does not list
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Mật khẩu của '{user.id}' quá ngắn (cần ít nhất {MIN_LENGTH} ký tự).", user=user.id)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Mật khẩu của '{user.id}' quá dài (tối đa {MAX_LENGTH} ký tự).", user=user.id)
    digest = hash_password(password)
    with store.transaction() as tx:
        tx.set_password_hash(user.id, digest, now)


def stored_hash(store: Store, user_id: str) -> str | None:
    row = store.credential("password", user_id)
    return row["hash"] if row else None
