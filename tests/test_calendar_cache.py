"""The calendar's year tables are built once per machine and read back from a cache file by later processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.calendar import BusinessCalendar
from engine.calendar import cache

ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import sys, json; from engine.calendar import BusinessCalendar; c = BusinessCalendar.from_config({}); "
         "print(json.dumps({'holidays': 'holidays' in sys.modules, 'fingerprint': c.fingerprint(), "
         "'days_2027': c.days(2027)}))")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def probe(cache_dir: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TTHC_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def test_a_second_process_reads_the_tables_from_the_cache_file_and_does_not_rebuild_them(cache_dir):
    first = probe(cache_dir)
    files = list(cache_dir.glob("calendar-*.json"))
    assert first["holidays"] is True and len(files) == 1
    written = files[0].stat().st_mtime_ns
    second = probe(cache_dir)
    assert second["holidays"] is False  # the package was not even imported
    assert files[0].stat().st_mtime_ns == written
    assert second["fingerprint"] == first["fingerprint"] and second["days_2027"] == first["days_2027"]


def test_a_corrupt_cache_file_is_rebuilt(cache_dir):
    first = probe(cache_dir)
    path = next(cache_dir.glob("calendar-*.json"))
    path.write_text('{"format": 1, "years": {"2027": {"status": "provisional", "days_off": [["2027-13', encoding="utf-8")
    rebuilt = probe(cache_dir)
    assert rebuilt["holidays"] is True
    assert rebuilt["fingerprint"] == first["fingerprint"]
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == cache.FORMAT
    assert probe(cache_dir)["holidays"] is False


def test_a_cache_file_with_a_wrong_shape_is_rebuilt_in_process(cache_dir):
    config = {"extra_days_off": ["2027-01-04"]}
    calendar = BusinessCalendar.from_config(config)
    path = cache.cache_path(config)
    assert path.is_file()
    for bad in ("[]", '{"format": 1, "years": {"2027": {"status": "maybe", "days_off": [], "working_days": []}}}',
                '{"format": 1, "years": {"2027": {"status": "official", "days_off": [["2026-01-01", "x", "y"]], '
                '"working_days": []}}}', "\x00\x01"):
        path.write_text(bad, encoding="utf-8")
        again = BusinessCalendar.from_config(config)
        assert again.fingerprint() == calendar.fingerprint(), bad
        assert path.read_text(encoding="utf-8") != bad  # rewritten
        assert json.loads(path.read_text(encoding="utf-8"))["format"] == cache.FORMAT


def test_the_cache_is_keyed_by_the_configuration_and_counts_builds(cache_dir):
    calls = []

    def build():
        calls.append(1)
        return {2027: cache.YearTable(2027, "provisional", {}, {})}

    cache.cached_tables({"cutoff": "15:00"}, build)
    cache.cached_tables({"cutoff": "15:00"}, build)
    assert len(calls) == 1
    cache.cached_tables({"cutoff": "16:00"}, build)
    assert len(calls) == 2
    assert len(list(cache_dir.glob("calendar-*.json"))) == 2
    assert list(cache_dir.glob("*.tmp")) == []  # written to a temporary file, then renamed


def test_an_unwritable_cache_directory_only_means_the_tables_are_built(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("TTHC_CACHE_DIR", str(blocker / "cache"))
    calendar = BusinessCalendar.from_config({"cutoff": "15:30"})
    assert 2027 in calendar.known_years
