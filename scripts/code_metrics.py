#!/usr/bin/env python3
"""Function lengths, module sizes and annotation coverage of `engine/` (issue 17's targets: function length p90 ≤ 25
lines, none over 80, module median ≈ 100 lines, every public function annotated).

    python3 scripts/code_metrics.py                 # the whole engine
    python3 scripts/code_metrics.py --exclude importer/ --list 10

A function's length is its lines from `def` to its last line (docstring and comments included; nested functions are
counted on their own too). Public: a module-level function or a method whose name does not start with `_`, in a class
whose name does not either. Annotated: every parameter but self/cls, and the return.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "engine"


def _functions(tree: ast.AST):
    """(function node, its class or None, whether it is nested in a function)."""
    def walk(node, owner, nested):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, owner, nested
                yield from walk(child, None, True)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, child, nested)
            else:
                yield from walk(child, owner, nested)

    yield from walk(tree, None, False)


def _annotated(fn: ast.FunctionDef, in_class: bool) -> bool:
    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    if in_class and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    extra = [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    return fn.returns is not None and all(a.annotation is not None for a in args + extra)


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def measure(exclude: list[str]) -> dict:
    lengths: list[tuple[int, str]] = []
    modules: list[int] = []
    public, unannotated = 0, []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if any(relative.startswith(prefix) for prefix in exclude) or "migrations/" in relative:
            continue
        source = path.read_text(encoding="utf-8")
        modules.append(len(source.splitlines()))
        for fn, owner, nested in _functions(ast.parse(source)):
            size = fn.end_lineno - fn.lineno + 1
            lengths.append((size, f"{relative}:{fn.lineno} {fn.name}"))
            is_public = not nested and not fn.name.startswith("_") and (owner is None or not owner.name.startswith("_"))
            if is_public:
                public += 1
                if not _annotated(fn, owner is not None):
                    unannotated.append(f"{relative}:{fn.lineno} {fn.name}")
    sizes = [size for size, _ in lengths]
    return {
        "functions": len(sizes), "p50": percentile(sizes, 0.5), "p90": percentile(sizes, 0.9), "max": max(sizes),
        "over_80": sorted(((s, w) for s, w in lengths if s > 80), reverse=True),
        "longest": sorted(lengths, reverse=True),
        "modules": len(modules), "module_median": statistics.median(modules),
        "public": public, "unannotated": unannotated,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude", action="append", default=[], help="path prefix under engine/ to leave out")
    parser.add_argument("--list", type=int, default=5, help="how many of the longest functions to list")
    parser.add_argument("--unannotated", action="store_true", help="list the public functions not annotated")
    args = parser.parse_args(argv)
    m = measure(args.exclude)
    print(f"engine/{' (without ' + ', '.join(args.exclude) + ')' if args.exclude else ''}: {m['functions']} functions, "
          f"length p50 {m['p50']:.0f}, p90 {m['p90']:.1f}, max {m['max']} lines; {len(m['over_80'])} over 80")
    print(f"{m['modules']} modules, median {m['module_median']:.0f} lines")
    print(f"public functions: {m['public']}, annotated {m['public'] - len(m['unannotated'])} "
          f"({100 * (m['public'] - len(m['unannotated'])) / max(1, m['public']):.0f}%)")
    for size, where in m["longest"][:args.list]:
        print(f"  {size:4d}  {where}")
    if args.unannotated:
        for where in m["unannotated"]:
            print(f"  unannotated: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
