"""What the numbers were measured on: CPU, cores, memory, Python, SQLite, PostgreSQL and library versions."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def pg_version(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW server_version").scalar()
    finally:
        engine.dispose()


def describe(pg_url: str | None = None) -> dict:
    return {
        "CPU": _cpu_model(),
        "Lõi (cores)": str(os.cpu_count()),
        "Bộ nhớ (RAM)": _memory_gib(),
        "Hệ điều hành": platform.platform(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": pg_version(pg_url) or "không đo (đặt TTHC_BENCH_PG để đo)",
        "SpiffWorkflow": _version("SpiffWorkflow"),
        "SQLAlchemy": _version("SQLAlchemy"),
        "psycopg": _version("psycopg"),
    }
