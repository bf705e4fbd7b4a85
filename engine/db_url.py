"""What an operator types as a database (`--db`, `TTHC_DB`, `[database] url`) → a URL the store can open.

Accepted: `sqlite:///PATH` (`sqlite://` alone is an in-memory database), `postgresql+psycopg://…` (`postgresql://` means
the same: psycopg 3 is the driver tthc installs), and a bare file path, taken as SQLite (`data/x.db` →
`sqlite:////abs/data/x.db`). Anything else is refused with one sentence naming what was typed and what to write
instead, before SQLAlchemy looks for a driver module that is not installed. Checked without importing SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import InvalidInput, StoreUnavailable

EXAMPLES = "sqlite:///đường/dẫn/tthc.db, một đường dẫn tệp (data/tthc.db) hoặc postgresql+psycopg://người_dùng@máy/csdl"
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg")}


def redact(url: str) -> str:
    """The URL as it may be shown: the password replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    auth, _, host = rest.partition("@")
    user, colon, _password = auth.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def normalize(text: str) -> str:
    """The URL to open for what was typed; InvalidInput (exit 4) for what tthc cannot open."""
    typed = text.strip() if isinstance(text, str) else ""
    if not typed:
        raise InvalidInput(f"Chưa có cơ sở dữ liệu: hãy ghi --db {EXAMPLES}.")
    scheme, sep, rest = typed.partition("://")
    if not sep:
        if ":" in typed.split("/", 1)[0]:
            # `mysql:x`, `postgres:/…`: a scheme without `//` is a typo, not a file name.
            raise InvalidInput(
                f"Không hiểu cơ sở dữ liệu '{redact(typed)}': hãy ghi {EXAMPLES}.", url=redact(typed))
        return "sqlite:///" + str(Path(typed).expanduser().absolute())
    dialect, _, driver = scheme.lower().partition("+")
    if dialect not in _DRIVERS:
        raise InvalidInput(
            f"tthc không hỗ trợ cơ sở dữ liệu '{dialect}' trong '{redact(typed)}': hãy ghi {EXAMPLES}.",
            url=redact(typed))
    if driver not in _DRIVERS[dialect]:
        wanted = redact(("sqlite://" if dialect == "sqlite" else "postgresql+psycopg://") + rest)
        raise InvalidInput(
            f"tthc không có trình điều khiển '{driver}' cho '{redact(typed)}': hãy ghi {wanted}.", url=redact(typed))
    if dialect == "postgresql":
        return "postgresql+psycopg://" + rest
    return f"sqlite{'+' + driver if driver else ''}://{rest}"  # the scheme as SQLAlchemy spells it (lower case)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory ones)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def check_directory(url: str, *, create: bool) -> None:
    """A SQLite file's directory must exist: a typo in `--db` must not leave new directories behind.

    Only the built-in default location (`create`) is made on first use."""
    path = sqlite_path(url)
    if path is None or path.parent.is_dir():
        return
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    raise StoreUnavailable(
        f"Thư mục '{path.parent}' của cơ sở dữ liệu '{redact(url)}' không tồn tại; hãy tạo nó "
        f"(mkdir -p '{path.parent}') hoặc ghi --db với một thư mục có sẵn.", path=str(path.parent))
