#!/usr/bin/env python3
"""Decisions per second of the library's reception table, before (another revision's engine) and after (this one).

    python3 scripts/bench_dmn.py                 # before = the `main` branch, after = this checkout
    python3 scripts/bench_dmn.py --before-rev d6f2710 --seconds 3

Each engine runs in a process of its own, with its own `engine` package first on sys.path: the "before" engine is
the revision's `engine/` extracted with `git archive` into a temporary directory. Both evaluate the same table, this
checkout's `bpmn/reception_check_tdc.dmn` (FIRST, 5 inputs, 10 rules), with the same 64 input rows built from the
table's own cells (every procedure code it names, every combination of the booleans), loaded once; what is timed is
`evaluate_decision` alone. The rounds of the two processes alternate, and each side reports its best round, so
other load on the machine slows both alike; compare the ratio, not the absolute numbers.

Before timing, both engines also evaluate every decision of the library (bpmn/*.dmn) on every combination of the
values their cells name (and one they do not, and null), with every input missing and with every input of the wrong kind; the script says whether the two agree on all of them and
exits 1 when they do not.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "bpmn" / "reception_check_tdc.dmn"
DECISION = "reception_check_tdc"


def rows(content: bytes) -> list[dict]:
    """64 input rows: procedure codes from the table's cells crossed with the booleans, deterministic."""
    text = content.decode("utf-8")
    codes = sorted(set(re.findall(r'"(\d\.\d{6})"', text)))
    names = re.findall(r"<inputExpression[^>]*>\s*<text>([^<]+)</text>", text)
    booleans = [n for n in names if n != "procedure_code"]
    combos = list(itertools.product([True, False], repeat=len(booleans)))
    out = []
    for i in range(64):
        row = {"procedure_code": codes[i % len(codes)]}
        row.update(zip(booleans, combos[(i * 7) % len(combos)]))
        out.append(row)
    return out


def library_cases() -> dict[str, list[dict]]:
    """For every decision of every library table (bpmn/*.dmn): input rows crossing, per column, the strings its
    cells and inputValues name plus one they do not, or true/false (capped at 512 rows per table): the "before" and
    "after" engines must give the same result on each."""
    import xml.etree.ElementTree as ET

    cases: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "bpmn").glob("*.dmn")):
        root = ET.fromstring(path.read_bytes())
        ns = root.tag.split("}")[0] + "}"
        for decision in root.iter(f"{ns}decision"):
            table = decision.find(f"{ns}decisionTable")
            columns = []
            for i, column in enumerate(table.findall(f"{ns}input")):
                expression = column.find(f"{ns}inputExpression")
                name = expression.findtext(f"{ns}text").strip()
                if expression.get("typeRef") == "boolean":
                    columns.append((name, [True, False, None]))
                    continue
                cells = [r.findall(f"{ns}inputEntry")[i].findtext(f"{ns}text") for r in table.findall(f"{ns}rule")]
                cells.append(column.findtext(f"{ns}inputValues/{ns}text") or "")
                strings = sorted({v for cell in cells for v in re.findall(r'"([^"]*)"', cell or "")})
                columns.append((name, strings + ["không có trong bảng"]))
            names = [n for n, _ in columns]
            combos = itertools.islice(itertools.product(*[values for _, values in columns]), 512)
            rows_ = [dict(zip(names, combo)) for combo in combos]
            rows_ += [{}, {name: 1 for name in names}]  # every input missing; every input of the wrong kind
            cases[f"{path.name}#{decision.get('id')}"] = rows_
    return cases


def _outcome(evaluate, decisions, key, row):
    try:
        return evaluate(decisions, key, row).entries
    except Exception as exc:  # noqa: BLE001 -- an error is an outcome to compare (its type, not its wording)
        return f"lỗi {type(exc).__name__}"


def inner(engine_root: str, rounds: int, seconds: float) -> None:
    """Runs in the child: measure this engine, one JSON line per round, when the parent says "go"."""
    sys.path.insert(0, engine_root)
    from engine.rules import evaluate_decision, load_dmn

    assert Path(sys.modules["engine"].__file__).resolve().is_relative_to(Path(engine_root).resolve())
    content = TABLE.read_bytes()
    decisions = load_dmn(content, TABLE.name).decisions
    data = rows(content)
    results = [evaluate_decision(decisions, DECISION, row).entries for row in data]  # also a warm-up
    library = {}
    for key, cases in library_cases().items():
        filename, decision_id = key.split("#")
        model = load_dmn((ROOT / "bpmn" / filename).read_bytes(), filename).decisions
        library[key] = [_outcome(evaluate_decision, model, decision_id, row) for row in cases]
    print(json.dumps({"ready": True, "results": results, "library": library}, default=str), flush=True)
    for _ in range(rounds):
        sys.stdin.readline()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for row in data:
                evaluate_decision(decisions, DECISION, row)
            count += len(data)
        elapsed = time.perf_counter() - start
        print(json.dumps({"per_second": count / elapsed}), flush=True)


def extract(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "engine"], check=True,
                             capture_output=True).stdout
    path = into / "engine.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before-rev", default="main", help="revision whose engine is 'before' (default: main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner, args.rounds, args.seconds)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        before_root = extract(args.before_rev, Path(tmp))
        sides = {"before": str(before_root), "after": str(ROOT)}
        procs = {
            name: subprocess.Popen([sys.executable, __file__, "--inner", root, "--rounds", str(args.rounds),
                                    "--seconds", str(args.seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, cwd=tmp)
            for name, root in sides.items()
        }
        ready = {name: json.loads(p.stdout.readline()) for name, p in procs.items()}
        best = {name: 0.0 for name in procs}
        for _ in range(args.rounds):
            for name, proc in procs.items():  # one side at a time, alternating
                proc.stdin.write("go\n")
                proc.stdin.flush()
                best[name] = max(best[name], json.loads(proc.stdout.readline())["per_second"])
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
    same = ready["before"]["results"] == ready["after"]["results"]
    library_same = ready["before"]["library"] == ready["after"]["library"]
    checked = sum(len(v) for v in ready["after"]["library"].values())
    print(f"Bảng {DECISION} ({TABLE.relative_to(ROOT)}), 64 bộ dữ liệu, tốt nhất {args.rounds} vòng × "
          f"{args.seconds:g} s:")
    print(f"  trước ({args.before_rev}): {best['before']:,.0f} quyết định/giây")
    print(f"  sau (bản này):   {best['after']:,.0f} quyết định/giây")
    print(f"  tỷ lệ sau/trước: {best['after'] / best['before']:.2f}")
    print(f"  kết quả hai bên {'giống nhau' if same else 'KHÁC NHAU'} trên 64 bộ dữ liệu")
    print(f"  mọi bảng của thư viện ({len(ready['after']['library'])} quyết định, {checked} bộ dữ liệu, kể cả null, "
          f"giá trị ngoài bảng, thiếu dữ liệu và sai kiểu): kết quả {'giống nhau' if library_same else 'KHÁC NHAU'}")
    if not library_same:
        for key, outcomes in ready["after"]["library"].items():
            before = ready["before"]["library"][key]
            diffs = [i for i, (a, b) in enumerate(zip(before, outcomes)) if a != b]
            if diffs:
                print(f"    {key}: {len(diffs)} bộ khác, ví dụ bộ số {diffs[0]}: {before[diffs[0]]} → "
                      f"{outcomes[diffs[0]]}")
    return 0 if same and library_same else 1


if __name__ == "__main__":
    sys.exit(main())
