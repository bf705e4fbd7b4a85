"""The auditor's case view opened in a real headless browser (Debian's `chromium`): it renders offline, the diagram
is in the page, and the screenshot is not blank. Skipped when no chromium is installed, except where
TTHC_REQUIRE_BROWSER=1 (CI) makes a missing browser a failure."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from test_audit_scenarios import library  # noqa: F401 - session fixture

NOW = "2026-03-20T08:00"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("TTHC_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (TTHC_REQUIRE_BROWSER=1) but was not found on PATH")
        pytest.skip("chromium not installed")
    return found


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--window-size=1400,1000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed image data of a PNG (enough to tell a blank page from a drawing)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_the_case_view_renders_in_headless_chromium_with_its_diagram(library, tmp_path):
    browser = _chromium()
    page = tmp_path / "case.html"
    made = library.cli()("slip", library.cases["apology"], "--format", "html", "--out", str(page), now=NOW)
    assert made.code == 0, made.err
    url = page.resolve().as_uri()

    dom = _run(browser, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-element-id="appraise"' in dom.stdout and "status-late" in dom.stdout
    assert "<svg" in dom.stdout and "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in dom.stdout

    shot = tmp_path / "case.png"
    taken = _run(browser, tmp_path / "profile-shot", f"--screenshot={shot}", url)
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1400, 1000)
    assert len(set(pixels)) > 32, "the screenshot is blank"
