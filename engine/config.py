"""Settings from a TOML file and the environment: database URL, calendar, users and groups.

Lookup order for the file: `--config PATH`, then `$TTHC_CONFIG`, then `$XDG_CONFIG_HOME/tthc/config.toml`
(`~/.config/tthc/config.toml`). Without a file the built-in defaults apply: the embedded SQLite database at
`$XDG_DATA_HOME/tthc/tthc.db` (`~/.local/share/tthc/tthc.db`), the Vietnamese civil-service calendar, and the demo users
of `engine/data/demo_users.toml` so that `tthc demo` works on a fresh machine.

Officers may list the operating-system accounts allowed to act as them (`[users.lan] os_users = ["lan"]`), and
`[security] admin_os_users = [...]` the accounts allowed to act as anyone (see `Security` and engine.origin).
"""

from __future__ import annotations

import os
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, NotFound

GROUPS = ("reception", "department_leader", "staff", "director", "records_clerk", "provincial_office")

GROUP_LABELS = {
    "reception": "Bộ phận Một cửa",
    "department_leader": "Lãnh đạo phòng",
    "staff": "Công chức thụ lý",
    "director": "Lãnh đạo Sở",
    "records_clerk": "Văn thư",
    "provincial_office": "Văn phòng UBND tỉnh",
}


@dataclass(frozen=True)
class User:
    id: str
    name: str
    groups: tuple[str, ...]
    os_users: tuple[str, ...] = ()  # operating-system accounts allowed to act as this officer from the CLI


@dataclass(frozen=True)
class Security:
    """Who may act as whom from the command line (engine.origin).

    `[security] admin_os_users = ["root", ...]` lists the operating-system accounts that may act as any officer and
    unclaim any task. `enforce` is on when the configuration maps any officer to an OS account (`os_users`) or names
    an administrator account; `[security] enforce = true | false` overrides that. The built-in demo users map no
    account, so `tthc demo` and first steps work as any officer."""

    admin_os_users: tuple[str, ...] = ()
    enforce: bool = False


@dataclass(frozen=True)
class Settings:
    db_url: str
    calendar: dict[str, Any] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    source: str = "built-in defaults"
    security: Security = field(default_factory=Security)

    def user(self, user_id: str | None) -> User:
        if not user_id:
            raise InvalidInput("Chưa chọn người dùng: hãy dùng --as USER hoặc biến môi trường TTHC_USER.")
        try:
            return self.users[user_id]
        except KeyError:
            raise NotFound(f"Không có người dùng '{user_id}' trong cấu hình ({self.source}).", user=user_id) from None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tthc" / "config.toml"


def default_db_url() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return "sqlite:///" + str(Path(base) / "tthc" / "tthc.db")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy tệp cấu hình '{path}'.", path=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"Không đọc được tệp cấu hình '{path}': {exc.strerror}.", path=str(path)) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"Tệp cấu hình '{path}' không phải UTF-8.", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"Tệp cấu hình '{path}' sai cú pháp TOML: {exc}.", path=str(path)) from exc


def _demo_users() -> dict[str, Any]:
    text = resources.files("engine.data").joinpath("demo_users.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["users"]


def parse_users(raw: Any, source: str) -> dict[str, User]:
    if not isinstance(raw, dict):
        raise InvalidInput(f"Mục [users] trong {source} phải là bảng người dùng.", source=source)
    users: dict[str, User] = {}
    for user_id, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InvalidInput(f"Người dùng '{user_id}' trong {source} thiếu 'name'.", user=user_id)
        groups = entry.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InvalidInput(f"'groups' của người dùng '{user_id}' phải là danh sách chuỗi.", user=user_id)
        unknown = [g for g in groups if g not in GROUPS]
        if unknown:
            raise InvalidInput(
                f"Người dùng '{user_id}' thuộc nhóm không tồn tại: {', '.join(unknown)} "
                f"(các nhóm hợp lệ: {', '.join(GROUPS)}).",
                user=user_id,
            )
        os_users = _names(entry.get("os_users", []), f"'os_users' của người dùng '{user_id}'", user=user_id)
        users[user_id] = User(id=user_id, name=nfc(entry["name"]), groups=tuple(groups), os_users=os_users)
    return users


def _names(raw: Any, what: str, **details: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise InvalidInput(f"{what} phải là danh sách tên tài khoản hệ điều hành (chuỗi khác rỗng).", **details)
    return tuple(v.strip() for v in raw)


def parse_security(raw: Any, users: dict[str, User], source: str) -> Security:
    if not isinstance(raw, dict):
        raise InvalidInput(f"Mục [security] trong {source} phải là một bảng.", source=source)
    unknown = sorted(set(raw) - {"admin_os_users", "enforce"})
    if unknown:
        raise InvalidInput(f"Mục [security] trong {source} có khóa không hỗ trợ '{unknown[0]}' "
                           "(chỉ có admin_os_users, enforce).", source=source, key=unknown[0])
    admins = _names(raw.get("admin_os_users", []), f"[security] admin_os_users trong {source}", source=source)
    enforce = raw.get("enforce")
    if enforce is None:
        enforce = bool(admins) or any(u.os_users for u in users.values())
    elif not isinstance(enforce, bool):
        raise InvalidInput(f"[security] enforce trong {source} phải là true hoặc false.", source=source)
    return Security(admin_os_users=admins, enforce=enforce)


def load_settings(config_path: Path | None = None, db_url: str | None = None) -> Settings:
    data: dict[str, Any] = {}
    source = "built-in defaults"
    path = config_path
    if path is None and default_config_path().is_file():
        path = default_config_path()
    if path is not None:
        data = _read_toml(Path(path))
        source = str(path)
    users_raw = data.get("users") if "users" in data else _demo_users()
    users = parse_users(users_raw, source)
    calendar = data.get("calendar", {})
    if not isinstance(calendar, dict):
        raise InvalidInput(f"Mục [calendar] trong {source} phải là một bảng.", source=source)
    security = parse_security(data.get("security", {}), users, source)
    url = db_url or (data.get("database") or {}).get("url") or default_db_url()
    return Settings(db_url=url, calendar=calendar, users=users, source=source, security=security)
