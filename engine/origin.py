"""Where a command came from, recorded on every event beside the officer, and who may act as which officer.

The officer (`--as`) is what a person typed; the origin is what the system itself knows about the caller. From the
command line that is the operating-system account the process runs as (its effective uid, looked up in the password
database — not `$USER`, which anyone can set) and the host name; an HTTP server records the user it authenticated and
the client address instead, with `channel="http"`. The origin is part of each event's hash (engine.history).

From the command line, `--as X` is accepted only when the OS account is one of X's `os_users` or an administrator
account (`[security] admin_os_users`), once the configuration turns the check on (engine.config.Security).
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass

from engine.config import Settings
from engine.errors import Conflict


@dataclass(frozen=True)
class Origin:
    channel: str  # cli, demo (the CLI and `tthc demo`), http (a server)
    account: str | None  # the OS account (cli, worker) or the authenticated user (http)
    host: str | None  # the machine's host name (cli, worker) or the client address (http)
    admin: bool = False  # the caller is an administrator (may unclaim any task)

    def record(self) -> dict:
        """What the event rows keep (the admin flag is a permission, not a fact about the event)."""
        return {"channel": self.channel, "account": self.account, "host": self.host}


def os_account() -> str:
    """The account this process runs as: the effective uid's name, not the environment's `USER`."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # no password database (Windows) or an uid without a name (containers)
        try:
            return getpass.getuser()
        except OSError:
            return f"uid:{os.geteuid()}" if hasattr(os, "geteuid") else "unknown"


def host_name() -> str:
    return socket.gethostname()


def process_origin(settings: Settings, channel: str = "cli") -> Origin:
    account = os_account()
    return Origin(channel, account, host_name(), admin=account in settings.security.admin_os_users)


def check_officer(settings: Settings, officer: str, origin: Origin) -> None:
    """Refuse acting as `officer` from an OS account the configuration does not give that officer (exit 5)."""
    if not settings.security.enforce or origin.admin:
        return
    user = settings.user(officer)  # an unknown officer is NotFound first
    if origin.account not in user.os_users:
        raise Conflict(
            f"Tài khoản hệ điều hành '{origin.account}' không được thao tác với tư cách cán bộ '{user.id}' "
            "(chỉ các tài khoản trong os_users của cán bộ đó hoặc tài khoản quản trị mới được).",
            os_user=origin.account, user=user.id)


def default_officer(settings: Settings, origin: Origin) -> str | None:
    """Without `--as`: the one officer the OS account is mapped to, when the check is on and there is exactly one."""
    if not settings.security.enforce:
        return None
    mapped = [u.id for u in settings.users.values() if origin.account in u.os_users]
    return mapped[0] if len(mapped) == 1 else None


def check_clock_override(settings: Settings, origin: Origin) -> None:
    """Refuse `--now` (TTHC_NOW) from a non-administrator once the check is on: every event and due time is stamped
    with the engine clock, so setting it would let an officer backdate their own work."""
    if settings.security.enforce and not origin.admin:
        raise Conflict(
            f"Tài khoản hệ điều hành '{origin.account}' không được đặt đồng hồ của hệ thống (--now, TTHC_NOW); "
            "chỉ tài khoản quản trị mới được.", os_user=origin.account)
