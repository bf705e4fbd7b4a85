"""A copy of the scenario database edited by hand in each way an intruder or a careless administrator could, and
`tthc verify` / `tthc replay` catching and naming every one."""

from __future__ import annotations

import json
from datetime import datetime

from test_audit_scenarios import clone, library, sql  # noqa: F401 - fixtures shared with the scenario tests

NOW = "2026-03-20T08:00"


def _events(cli, case_id: str) -> list[dict]:
    return cli("history", case_id, "--json", now=NOW).json()["events"]


def _seq(events: list[dict], kind: str, element: str | None = None) -> int:
    return next(e["seq"] for e in events if e["type"] == kind and (element is None or e["element_id"] == element))


def _verify(cli, *args: str) -> tuple[int, dict]:
    result = cli("verify", *args, "--json", now=NOW)
    return result.code, result.json()


def test_an_edited_event_payload_is_caught_by_its_hash_and_named_by_seq(clone, library):
    case_id = library.cases["happy"]
    events = _events(clone, case_id)
    seq = _seq(events, "task_completed", "assign")
    payload = dict(next(e for e in events if e["seq"] == seq)["payload"])
    payload["data"] = {**payload["data"], "assigned_officer": "nam"}
    sql(clone.db_url, "UPDATE events SET payload = :p WHERE case_id = :c AND seq = :s",
        p=json.dumps(payload, ensure_ascii=False), c=case_id, s=seq)
    code, doc = _verify(clone, case_id)
    assert code == 7
    broken = doc["broken"][0]
    assert (broken["case_id"], broken["check"], broken["seq"], broken["reason"]) == (case_id, "chain", seq, "hash_mismatch")
    assert f"sự kiện số {seq}" in broken["message"]


def test_a_deleted_event_in_the_middle_is_named_as_the_missing_seq(clone, library):
    case_id = library.cases["happy"]
    seq = _seq(_events(clone, case_id), "task_completed", "review")
    sql(clone.db_url, "DELETE FROM events WHERE case_id = :c AND seq = :s", c=case_id, s=seq)
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert (doc["broken"][0]["seq"], doc["broken"][0]["reason"]) == (seq, "seq_gap")
    assert f"thiếu sự kiện số {seq}" in doc["broken"][0]["message"]


def test_deleting_the_last_events_is_caught_by_the_case_pointer(clone, library):
    case_id = library.cases["withdrawal"]
    last = _events(clone, case_id)[-1]["seq"]
    sql(clone.db_url, "DELETE FROM events WHERE case_id = :c AND seq = :s", c=case_id, s=last)
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert (doc["broken"][0]["seq"], doc["broken"][0]["reason"]) == (last, "tail_missing")


def test_two_swapped_events_break_the_chain_at_the_first_of_them(clone, library):
    case_id = library.cases["supplement"]
    seq = _seq(_events(clone, case_id), "deadline_restarted")
    for old, new in ((seq, -1), (seq + 1, seq), (-1, seq + 1)):
        sql(clone.db_url, "UPDATE events SET seq = :n WHERE case_id = :c AND seq = :o", n=new, c=case_id, o=old)
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert (doc["broken"][0]["check"], doc["broken"][0]["seq"]) == ("chain", seq)
    assert doc["broken"][0]["reason"] in ("link_broken", "hash_mismatch")


def test_a_due_time_changed_without_an_event_shows_up_as_a_replay_difference(clone, library):
    case_id = library.cases["late_step"]
    sql(clone.db_url, "UPDATE cases SET due_at = :d WHERE id = :c", d=datetime(2026, 3, 20, 10, 0), c=case_id)
    code, doc = _verify(clone, case_id)
    assert code == 7
    broken = doc["broken"][0]
    assert (broken["check"], broken["reason"]) == ("replay", "replay_differs")
    assert [(d["where"], d["field"]) for d in broken["differences"]] == [("case", "due_at")]
    assert "due_at" in broken["message"]


def test_a_task_marked_completed_without_an_event_shows_up_as_a_replay_difference(clone, library):
    case_id = library.cases["withdrawal"]
    sql(clone.db_url, "UPDATE tasks SET status = 'completed', completed_by = 'hung' "
                      "WHERE case_id = :c AND element_id = 'assign'", c=case_id)
    assign = next(t for t in clone("show", case_id, "--json", now=NOW).json()["steps"] if t["element_id"] == "assign")
    result = clone("replay", case_id, "--json", now=NOW)
    assert result.code == 7
    fields = {d["field"]: (d["where"], d["task_id"], d["stored"], d["replayed"]) for d in result.json()["differences"]}
    assert fields == {"status": ("task", assign["task_id"], "completed", "cancelled"),
                      "completed_by": ("task", assign["task_id"], "hung", None)}
    assert "phát lại" in result.err


def test_an_edited_workflow_state_shows_up_as_a_replay_difference_in_the_data(clone, library):
    case_id = library.cases["happy"]
    sql(clone.db_url, "UPDATE cases SET state = REPLACE(state, '125/QĐ-SKHCN', '999/QĐ-SKHCN') WHERE id = :c",
        c=case_id)
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert [(d["where"], d["field"]) for d in doc["broken"][0]["differences"]] == [("state", "data")]


def test_a_rewritten_chain_that_hashes_correctly_is_still_caught_by_replay(clone, library):
    from engine.history import GENESIS, event_hash

    case_id = library.cases["happy"]
    events = _events(clone, case_id)
    seq = _seq(events, "task_completed", "register")
    prev = GENESIS
    for e in events:  # the intruder knows the hash function and rewrites everything after the edit
        payload = e["payload"]
        if e["seq"] == seq:
            payload = {**payload, "data": {**payload["data"], "document_number": "999/QĐ-SKHCN"}}
        digest = event_hash(case_id, e["seq"], e["type"], datetime.fromisoformat(e["at"]), e["actor"],
                            e["element_id"], payload, prev, e["origin"])
        sql(clone.db_url, "UPDATE events SET payload = :p, prev_hash = :ph, hash = :h WHERE case_id = :c AND seq = :s",
            p=json.dumps(payload, ensure_ascii=False), ph=prev, h=digest, c=case_id, s=e["seq"])
        prev = digest
    sql(clone.db_url, "UPDATE cases SET event_hash = :h WHERE id = :c", h=prev, c=case_id)
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert doc["broken"][0]["check"] == "replay"
    assert ("state", "data") in [(d["where"], d["field"]) for d in doc["broken"][0]["differences"]]


def test_verify_all_names_only_the_tampered_cases(clone, library):
    sql(clone.db_url, "UPDATE events SET actor = 'son' WHERE case_id = :c AND seq = 3", c=library.cases["rework"])
    sql(clone.db_url, "UPDATE cases SET restarts = 5 WHERE id = :c", c=library.cases["refusal"])
    code, doc = _verify(clone, "--all")
    assert code == 7
    assert doc["checked"] == len(library.cases) and doc["ok"] == len(library.cases) - 2
    assert sorted((b["case_id"], b["check"]) for b in doc["broken"]) == sorted(
        [(library.cases["rework"], "chain"), (library.cases["refusal"], "replay")])


def test_verify_all_streams_broken_cases_and_a_summary_in_vietnamese(clone, library):
    sql(clone.db_url, "UPDATE cases SET apologies = 3 WHERE id = :c", c=library.cases["happy"])
    result = clone("verify", "--all", now=NOW)
    assert result.code == 7
    lines = result.out.strip().splitlines()
    assert lines[0].startswith(f"HỎNG {library.cases['happy']}")
    assert lines[-1] == f"Đã kiểm tra {len(library.cases)} hồ sơ: {len(library.cases) - 1} nguyên vẹn, 1 có vấn đề."


def test_replay_of_a_case_whose_definition_version_is_gone_says_so(clone, library):
    case_id = library.cases["happy"]
    sql(clone.db_url, "DELETE FROM definitions WHERE kind = 'bpmn' AND key = 'tdc_qt01'")
    result = clone("replay", case_id, "--json", now=NOW)
    assert result.code == 3
    message = result.err_json()["message"]
    assert "phiên bản 1 của quy trình 'tdc_qt01'" in message and "không còn trong cơ sở dữ liệu" in message
    code, doc = _verify(clone, case_id)
    assert code == 7
    assert (doc["broken"][0]["check"], doc["broken"][0]["reason"]) == ("definition", "definition_missing")
