"""Every shell command in the README's ```bash blocks runs as written, in order, in a temporary directory.

The blocks are run as one bash script (`set -euo pipefail`, so the first failing command fails the test, named), with
`tthc` being this checkout's code, `HOME` a temporary directory (the demo's database lands there) and a copy of the
files the examples read (`bpmn/`, `forms/`, `docs/examples/`, the importer's published tables), so that nothing the
examples write can touch the committed library. Two lines are not run, for a reason each:
- the install (`python3 -m venv .venv && … && pip install -e .`): the test process already runs the installed code,
  and installing needs the network; only its last command, `tthc demo`, runs;
- `bash scripts/test`: it is this test suite.
The HTTP examples are a ```sh block, not run here: they need a server, passwords and ids of the reader's own
(tests/test_server_http.py drives the same requests against a real server).
Synopsis lines of the reference sections are made concrete the way a reader would: `CASE_ID` is the case the
Operating section starts, an optional part `[...]` is left out unless it offers alternatives (`[A | B]` → `A`), and
`a|b|c` written without spaces (one of several values) is its first value.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CASE_ID = "SKHCN-261214-0001"  # the case `tthc --as lan start …` creates on the Operating section's clock
NOT_RUN = ("bash scripts/test",)


def readme_commands() -> list[str]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line.strip())
    return lines


def concrete(line: str) -> str | None:
    if line.startswith(NOT_RUN):
        return None
    if "pip install" in line:
        return line.split("&&")[-1].split("#")[0].strip()
    line = re.sub(r" \[([-A-Z][^\]|]*?) \| [^\]]*\]", r" \1", line)  # [A | B] → A
    line = re.sub(r" \[[-A-Z][^\]]*\]", "", line)  # [--until ISO] → nothing
    line = line.replace("CASE_ID", CASE_ID)
    return re.sub(r"\b(\w+)(\|\w+)+\b", r"\1", line)  # receipt|supplement|refusal → receipt


def test_the_readme_names_its_commands():
    commands = readme_commands()
    assert any(c.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e . && tthc demo")
               for c in commands)
    assert "tthc procedures" in " ".join(commands) and "bpmn --out" not in " ".join(commands)


def test_every_readme_command_runs_as_written(tmp_path):
    work, home, bin_dir = tmp_path / "work", tmp_path / "home", tmp_path / "bin"
    for sub in ("bpmn", "forms", "docs/examples"):
        shutil.copytree(ROOT / sub, work / sub)
    (work / "tests" / "fixtures").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "seed004.txt", work / "tests" / "fixtures")
    home.mkdir()
    bin_dir.mkdir()
    tthc = bin_dir / "tthc"
    tthc.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; from engine.cli.main import run; "
                    f"sys.exit(run())' \"$@\"\n", encoding="utf-8")
    tthc.chmod(0o755)
    steps = [c for c in map(concrete, readme_commands()) if c]
    script = "set -euo pipefail\n" + "".join(
        f"echo '>>> '{_quote(step)} >&2\n{step}\n" for step in steps)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TTHC_", "XDG_"))}
    env.update(HOME=str(home), PATH=f"{bin_dir}:{env['PATH']}", PYTHONPATH=str(ROOT), COLUMNS="100",
               TTHC_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    ran = re.findall(r"^>>> (.*)$", done.stderr, flags=re.M)
    assert done.returncode == 0, f"failed at: {ran[-1] if ran else '?'}\n{done.stderr[-3000:]}"
    assert len(ran) == len(steps)
    assert (home / ".local" / "share" / "tthc" / "demo.db").is_file()
    assert (work / "thu-vien" / "catalog.json").is_file()  # the import wrote beside, not over, the library
    assert (work / "quy1.csv").is_file() and (work / "bao-cao.html").is_file()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
