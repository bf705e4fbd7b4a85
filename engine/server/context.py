"""What every request handler needs: settings, clock, calendar, the Service pool, the authenticator, the options."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.auth.authenticate import Authenticator
from engine.db_url import sqlite_path
from engine.server.pool import ServicePool

MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerOptions:
    """Read from the environment so that every `--workers` process builds the same application."""

    db_url: str | None = None
    config_path: str | None = None
    now: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_json_bytes: int = 1 * MIB  # a task's form data, a start request
    max_upload_bytes: int = 10 * MIB  # a deployment: the diagram with its forms and decision tables
    pool_size: int = 8
    failed_login_delay: float = 1.0  # seconds, before a 401 for credentials that did not match
    credential_ttl: float = 5.0  # seconds a checked header is trusted without the database (0: every request)

    @classmethod
    def from_env(cls) -> "ServerOptions":
        env = os.environ
        origins = tuple(o.strip() for o in env.get("TTHC_SERVER_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            db_url=env.get("TTHC_DB"), config_path=env.get("TTHC_CONFIG"), now=env.get("TTHC_NOW"),
            cors_origins=origins,
            max_json_bytes=int(env.get("TTHC_SERVER_MAX_JSON_BYTES", MIB)),
            max_upload_bytes=int(env.get("TTHC_SERVER_MAX_UPLOAD_BYTES", 10 * MIB)),
            pool_size=int(env.get("TTHC_SERVER_POOL", 8)),
            failed_login_delay=float(env.get("TTHC_SERVER_FAILED_LOGIN_DELAY", 1.0)),
            credential_ttl=float(env.get("TTHC_SERVER_CREDENTIAL_TTL", 5.0)),
        )


class ServerContext:
    def __init__(self, options: ServerOptions) -> None:
        from engine.cli.context import AppContext

        self.options = options
        # The same construction as a CLI command's: settings, clock and calendar from the same global options.
        self._app = AppContext(db_url=options.db_url, config_path=Path(options.config_path) if options.config_path else None,
                               now=options.now)
        self.settings = self._app.settings
        self.clock = self._app.clock
        self.calendar = self._app.calendar
        self.authenticator = Authenticator(self.settings, ttl=options.credential_ttl)
        self.pool = ServicePool(self._new_service, options.pool_size,
                                sqlite=sqlite_path(self.settings.db_url) is not None)

    def _new_service(self):
        from engine.service import Service

        return Service.open(self.settings, clock=self.clock, calendar=self.calendar)

    def names(self) -> dict[str, str]:
        return {user.id: user.name for user in self.settings.users.values()}

    def close(self) -> None:
        self.pool.close()
