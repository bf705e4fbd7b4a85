"""The procedure library shipped with tthc: `bpmn/` (diagrams, decision tables, catalog) and `forms/`.

They live beside the `engine` package in the source tree, where process designers edit them in Camunda Modeler;
`tthc demo` deploys them from there (an editable install, `pip install -e .`, keeps that layout).
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import NotFound

ROOT = Path(__file__).resolve().parent.parent


def library_paths(root: Path | None = None) -> list[Path]:
    base = root or ROOT
    paths = [base / "bpmn", base / "forms"]
    missing = [p for p in paths if not (p / "catalog.json").is_file() and not any(p.glob("*.form"))]
    if missing:
        raise NotFound(
            f"Không tìm thấy thư viện quy trình ({', '.join(str(p) for p in missing)}); hãy chạy từ bản sao mã nguồn "
            "đã cài bằng 'pip install -e .'.", path=str(base))
    return paths
