"""Golden histories: each regulated path of a library procedure, run with a fixed clock and counted task ids, must
produce exactly the committed event history (types, element ids, payloads, actors, times, hashes), and replay and
verify must reproduce it. A change of the engine or of the projection that changes a stored history fails here;
if the change is intended, regenerate with `scripts/regenerate_golden.py` and review the diff.
"""

from __future__ import annotations

import json

import pytest

from golden_histories import SCENARIOS, counted_task_ids, golden_path, produce, render


def _first_difference(expected: list[dict], produced: list[dict]) -> str:
    for index, (want, got) in enumerate(zip(expected, produced)):
        if want != got:
            keys = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
            return f"event {index + 1} ({want.get('type')}/{want.get('element_id')}) differs in {keys}"
    return f"{len(expected)} events committed, {len(produced)} produced"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_regulated_path_produces_exactly_its_committed_golden_history(cli, scenario):
    _, events = produce(cli, scenario)
    expected = json.loads(golden_path(scenario).read_text(encoding="utf-8"))
    assert events == expected, _first_difference(expected, events)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replay_and_verify_reproduce_a_golden_history_without_a_difference(cli, scenario):
    case_id, events = produce(cli, scenario)
    assert render(events) == golden_path(scenario).read_text(encoding="utf-8")
    with counted_task_ids():
        replayed = cli("replay", case_id, "--json")
    assert replayed.code == 0, replayed.err
    doc = replayed.json()
    assert doc["ok"] and doc["differences"] == [] and doc["commands"] >= 2
    verified = cli("verify", case_id, "--json")
    assert verified.code == 0, verified.err


def test_the_golden_histories_cover_every_regulated_path_with_its_own_ending():
    endings = {}
    for scenario in SCENARIOS:
        events = json.loads(golden_path(scenario).read_text(encoding="utf-8"))
        ended = [e for e in events if e["type"] == "case_ended"]
        assert len(ended) == 1, scenario
        endings[scenario] = ended[0]["payload"]["outcome"]
        types = {e["type"] for e in events}
        if scenario == "supplement_restart":
            assert "deadline_restarted" in types
        if scenario == "late_step_apology":
            assert {"step_overdue", "apology_issued", "note_added", "timer_fired"} <= types
    assert endings == {
        "happy": "granted", "supplement_restart": "granted", "refused_at_reception": "refused_at_reception",
        "rework": "granted", "refusal_after_appraisal": "refused", "late_step_apology": "granted",
        "withdrawal": "withdrawn",
    }


def test_a_changed_payload_is_caught_by_the_golden_comparison(cli):
    # The comparison itself must be able to fail: one altered payload value is named as the first difference.
    _, events = produce(cli, "refused_at_reception")
    expected = json.loads(golden_path("refused_at_reception").read_text(encoding="utf-8"))
    altered = json.loads(json.dumps(events))
    altered[-1]["payload"]["outcome"] = "granted"
    assert altered != expected
    assert "differs in ['payload']" in _first_difference(expected, altered)
