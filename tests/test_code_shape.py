"""Issue 17's limits on the engine's code, held by the suite: function length p90 ≤ 25 lines and none over 80,
every public function annotated (`scripts/code_metrics.py` prints the same figures)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _metrics():
    spec = importlib.util.spec_from_file_location("code_metrics", ROOT / "scripts" / "code_metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_engine_function_is_longer_than_80_lines_and_the_p90_is_at_most_25():
    measured = _metrics().measure([])
    assert measured["over_80"] == []
    assert measured["p90"] <= 25


def test_every_public_engine_function_is_annotated():
    assert _metrics().measure([])["unannotated"] == []


def test_the_measure_finds_an_unannotated_public_function(tmp_path, monkeypatch):
    metrics = _metrics()
    (tmp_path / "sample.py").write_text("def shown(x):\n    return x\n\n\ndef _hidden(y):\n    return y\n",
                                        encoding="utf-8")
    monkeypatch.setattr(metrics, "ROOT", tmp_path)
    assert metrics.measure([])["unannotated"] == ["sample.py:1 shown"]
