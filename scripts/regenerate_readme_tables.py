#!/usr/bin/env python3
"""Rewrite the README's generated tables from the code: BPMN elements (engine.dialect.elements) and Camunda extensions
(engine.dialect.extensions). Each table is found by its header line and replaced up to the blank line after it;
tests/test_bpmn_elements.py and tests/test_camunda_extensions.py fail until this has been run after a change."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.dialect import elements, extensions  # noqa: E402


def replace_table(text: str, table: str) -> str:
    header = table.splitlines()[0]
    start = text.index(header)
    end = text.index("\n\n", start)
    return text[:start] + table + text[end:]


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = replace_table(replace_table(text, elements.markdown_table()), extensions.markdown_table())
    if new != text:
        readme.write_text(new, encoding="utf-8")
        print("README.md: tables regenerated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
