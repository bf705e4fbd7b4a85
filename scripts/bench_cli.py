"""Benchmark: how long a `tthc` command takes from process start to exit, against the Python floors.

    python3 scripts/bench_cli.py [--runs N] [--write-docs]

Each `tthc` command is a process of its own, so its start-up is its cost. Measured in one run, interleaved (every
round runs each command once, in a shuffled order, so a busy machine slows all of them alike), median of the rounds:

- `python -c pass`                                        the interpreter alone;
- `python -c 'import sqlalchemy, typer, rich.console'`   the import floor: what any command built on these pays;
- `tthc --help`, `tthc tasks --json`, `tthc show CASE --json`, `tthc procedures --json` (read commands, target
  ≤ 1.3× the floor) and `tthc complete TASK --data @reception.json --json` (a write command, target ≤ 1.6×).

`tthc` runs this checkout's code exactly as the console script does (`from engine.cli.main import run`) on a SQLite
database in a temporary directory, with the calendar cache and compiled bytecode warm (as on any machine after the
first command; the bytecode goes to a directory under the temporary one, whatever PYTHONDONTWRITEBYTECODE says). Also
prints `python -X importtime` of `tthc tasks --json`: the top-level imports and their cumulative milliseconds.
`--write-docs` replaces the "CLI start-up" section of docs/benchmarks.md with the tables. Numbers only: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TTHC = [sys.executable, "-c", "import sys; from engine.cli.main import run; sys.exit(run())"]
NOW = "2026-11-23T09:00:00+07:00"
READ_TARGET, WRITE_TARGET = 1.3, 1.6
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Khởi động CLI (scripts/bench_cli.py)"


def tthc(env: dict, *args: str) -> str:
    done = subprocess.run(TTHC + list(args), env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tthc {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def prepare(tmp: Path, cases: int) -> tuple[dict, str, list[str]]:
    """A database with the library deployed and `cases` cases waiting at reception; returns env, a case, task ids."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TTHC_DB=f"sqlite:///{tmp / 'bench.db'}", TTHC_NOW=NOW,
               TTHC_CACHE_DIR=str(tmp / "cache"), NO_COLOR="1", COLUMNS="120",
               # Compiled bytecode kept between runs, as for any installed program (a sandbox may turn it off with
               # PYTHONDONTWRITEBYTECODE, which would time compiling tthc's modules on every run); kept out of the tree.
               PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    env.pop("TTHC_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tthc(env, "deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json")
    task_ids, case_id = [], ""
    for i in range(cases):
        view = json.loads(tthc(env, "--as", "lan", "start", "1.014881", "--applicant", f"Công ty Thử {i}",
                               "--received-at", "2026-11-23T08:00", "--json"))
        case_id = view["case_id"]
        task_ids.append(view["tasks"][0]["task_id"])
    sys.path.insert(0, str(ROOT))
    from engine.demo_data import reception

    (tmp / "reception.json").write_text(json.dumps(reception("Công ty Thử"), ensure_ascii=False), encoding="utf-8")
    return env, case_id, task_ids


def commands(tmp: Path, case_id: str, task_ids: list[str]) -> dict[str, tuple[list[str] | None, str]]:
    """name -> (argv, kind); a `complete` argv is filled per round with a fresh task."""
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], "floor"),
        "import floor": ([sys.executable, "-c", "import sqlalchemy, typer, rich.console"], "floor"),
        "tthc --help": (TTHC + ["--help"], "read"),
        "tthc tasks --json": (TTHC + ["tasks", "--json"], "read"),
        "tthc show CASE --json": (TTHC + ["show", case_id, "--json"], "read"),
        "tthc procedures --json": (TTHC + ["procedures", "--json"], "read"),
        "tthc complete TASK": (None, "write"),
    }


def run_once(argv: list[str], env: dict) -> tuple[float, float, int, str]:
    """Wall-clock and CPU (user + system) milliseconds of one process, its exit code and stderr."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read() if child.stderr else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = (time.perf_counter() - start) * 1000
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, child.returncode, stderr.decode(errors="replace")


def measure(env: dict, table: dict, tmp: Path, task_ids: list[str], runs: int) -> dict[str, dict[str, list[float]]]:
    for argv, _ in table.values():  # warm-up: bytecode written, files in the page cache
        if argv is not None:
            run_once(argv, env)
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in table}
    rng = random.Random(16)
    for round_ in range(runs):
        order = list(table)
        rng.shuffle(order)
        for name in order:
            argv, _ = table[name]
            if argv is None:
                argv = TTHC + ["--as", "lan", "complete", task_ids[round_], "--data", f"@{tmp / 'reception.json'}",
                               "--json"]
            wall, cpu, code, stderr = run_once(argv, env)
            if code != 0:
                raise SystemExit(f"{name} failed ({code}): {stderr.strip()}")
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def importtime(env: dict) -> list[tuple[str, float]]:
    """Top-level imports of `tthc tasks --json` with their cumulative milliseconds, largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime"] + TTHC[1:] + ["tasks", "--json"], env=env,
                          capture_output=True, text=True, check=False)
    top = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:  # no indentation before the name: imported by the command itself, not by another module
            top.append((match.group(2), int(match.group(1)) / 1000))
    return sorted(top, key=lambda item: -item[1])


def render(times: dict[str, dict[str, list[float]]], table: dict, runs: int, imports: list[tuple[str, float]],
           load: str) -> str:
    med = {kind: {name: statistics.median(v[kind]) for name, v in times.items()} for kind in ("wall", "cpu")}
    lines = [f"Trung vị của {runs} lượt xen kẽ, mili giây; tỷ lệ so với `python -c pass` và với mức sàn import "
             "(`import sqlalchemy, typer, rich.console`), theo thời gian thực (wall) và theo thời gian CPU của tiến "
             f"trình (user + sys, ít phụ thuộc vào việc máy bận). Tải máy lúc đo (loadavg 1/5/15 phút): {load}.", "",
             "| lệnh | loại | wall ms | CPU ms | wall × pass | wall × sàn | CPU × sàn | mục tiêu | đạt (wall / CPU) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, (_, kind) in table.items():
        target = {"read": READ_TARGET, "write": WRITE_TARGET}.get(kind)
        wall = med["wall"][name] / med["wall"]["import floor"]
        cpu = med["cpu"][name] / med["cpu"]["import floor"]
        verdict = "—" if target is None else " / ".join("đạt" if r <= target else "**chưa đạt**" for r in (wall, cpu))
        lines.append(f"| `{name}` | {kind} | {med['wall'][name]:.0f} | {med['cpu'][name]:.0f} | "
                     f"{med['wall'][name] / med['wall']['python -c pass']:.2f} | {wall:.2f} | {cpu:.2f} | "
                     f"{'—' if target is None else f'≤ {target}×'} | {verdict} |")
    total = sum(ms for _, ms in imports)
    lines += ["", f"`python -X importtime` của `tthc tasks --json`: các import cấp cao nhất, cộng dồn {total:.0f} ms "
              "(một lần chạy):", "", "| module | ms |", "|---|---:|"]
    lines += [f"| `{name}` | {ms:.1f} |" for name, ms in imports[:12]]
    return "\n".join(lines)


def write_docs(body: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = f"{SECTION}\n\n{body}\n"
    if SECTION in text:
        start = text.index(SECTION)
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("" if following < 0 else text[following:])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (each runs every command once)")
    parser.add_argument("--write-docs", action="store_true", help="record the tables in docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tthc-bench-cli-") as name:
        tmp = Path(name)
        env, case_id, task_ids = prepare(tmp, args.runs)
        table = commands(tmp, case_id, task_ids)
        times = measure(env, table, tmp, task_ids, args.runs)
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        body = render(times, table, args.runs, importtime(env), load)
    print(body)
    if args.write_docs:
        write_docs(body)
        print(f"\nĐã ghi vào {DOCS.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
