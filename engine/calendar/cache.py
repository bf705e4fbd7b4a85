"""The calendar's year tables, computed once per machine and kept in a cache file, not rebuilt by every process.

Building the provisional years from the `holidays` package (importing it and walking its lunar calendars) cost more
than the rest of a CLI command. The tables depend only on the `[calendar]` configuration, the shipped schedule
(`engine/data/calendar_vn.toml`) and the installed `holidays` package, so the cache file is named after a digest of
those three (and of this file's format): change any of them and another file is used.

Where: `$TTHC_CACHE_DIR`, else `$XDG_CACHE_HOME/tthc`, else `~/.cache/tthc`. Writers never leave a half-written
file: each writes a temporary file in the same directory and renames it over the old one (atomic on POSIX), so two
processes racing both leave a complete file. A file that cannot be read or does not have the expected shape is
rebuilt; a directory that cannot be written is no error (the tables are then simply computed).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable, Mapping

from engine.calendar.settings import DayEntry
from engine.calendar.year_tables import DATA_FILE, YearTable

FORMAT = 1  # bump when YearTable or the way tables are built changes


def cache_dir() -> Path:
    explicit = os.environ.get("TTHC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tthc"


def _holidays_version() -> str:
    """The installed `holidays` package's version, read from its version file without importing the package."""
    spec = find_spec("holidays")
    if spec is None or not spec.origin:
        return "absent"
    version_file = Path(spec.origin).with_name("version.py")
    try:
        return version_file.read_text(encoding="utf-8")
    except OSError:
        return f"{spec.origin}:{Path(spec.origin).stat().st_mtime_ns}"


def cache_key(config: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\n".encode())
    digest.update(json.dumps(config, sort_keys=True, default=str, ensure_ascii=False).encode())
    digest.update(resources.files("engine.data").joinpath(DATA_FILE).read_bytes())
    digest.update(_holidays_version().encode())
    return digest.hexdigest()[:32]


def cache_path(config: Mapping[str, Any]) -> Path:
    return cache_dir() / f"calendar-{cache_key(config)}.json"


def cached_tables(config: Mapping[str, Any], build: Callable[[], dict[int, YearTable]]) -> dict[int, YearTable]:
    """The year tables for `config`: from the cache file when it is there and sound, else built and saved."""
    try:
        path = cache_path(config)
    except OSError:
        return build()
    tables = _read(path)
    if tables is None:
        tables = build()
        _write(path, tables)
    return tables


def _read(path: Path) -> dict[int, YearTable] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            return None
        return {int(year): _table(int(year), entry) for year, entry in doc["years"].items()} or None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # unreadable or corrupt: rebuilt and rewritten


def _table(year: int, entry: dict) -> YearTable:
    def days(items: list) -> dict[date, DayEntry]:
        out = {}
        for day, name, source in items:
            parsed = date.fromisoformat(day)
            if not isinstance(name, str) or not isinstance(source, str) or parsed.year != year:
                raise ValueError(day)
            out[parsed] = DayEntry(parsed, name, source)
        return out

    if entry["status"] not in ("official", "provisional"):
        raise ValueError(entry["status"])
    return YearTable(year, entry["status"], days(entry["days_off"]), days(entry["working_days"]))


def _write(path: Path, tables: Mapping[int, YearTable]) -> None:
    doc = {"format": FORMAT, "years": {
        str(year): {"status": t.status,
                    "days_off": [[d.isoformat(), e.name, e.source] for d, e in sorted(t.days_off.items())],
                    "working_days": [[d.isoformat(), e.name, e.source] for d, e in sorted(t.working_days.items())]}
        for year, t in sorted(tables.items())}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(doc, out, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home or a full disk: the tables were built, the next process builds them again
