"""Reports over a small hand-made data set built through the real CLI with a fixed clock (issue 8).

Fourteen cases across February-April 2026, every command at a chosen instant, in time order. Office hours
07:30-11:30 and 13:30-17:30 (a working day is 480 min); days off used here: Mon 27/04, Thu 30/04, Fri 01/05.
Procedure A = 1.014881 (3 working days; steps: receive 2 h, assign 4 h, appraise 10 h, review 4 h, approve 2 h,
register 2 h), B = 1.014888 (7 days; 2 h, 4 h, 4 days, 1.25 days, 4 h, 4 h), CNS = CNS.02.1 (15 days, field cns).
A case received at hh:mm on a working day is due at hh:mm three working days later (24 working hours).
A step is late when completed after its due time, early when completed on an earlier date, on time otherwise.

The "fast" path of A on day D (received 08:00): receive 08:30, assign 09:00, appraise 10:00, review 10:30,
approve 11:00, register 14:00 (the result reaches the desk: resolved D 14:00), return 15:00. Its steps:
    receive  created 08:00 due 10:00 → on time, used 30 of 120 min
    assign   created 08:30 due 14:30 → on time, used 30 of 240
    appraise created 09:00 due D+1 11:00 → early, used 60 of 600
    review   created 10:00 due 16:00 → on time, used 30 of 240
    approve  created 10:30 due 14:30 → on time, used 30 of 120
    register created 11:00 due 15:00 → on time, used 60 (11:00-11:30 + 13:30-14:00) of 120
and the case: due D+3 08:00, resolved early, used 240 (08:00-11:30 + 13:30-14:00) of 1440 min.

  C1  A direct  recv Thu 26/02 09:00 (carried into March), due Tue 03/03 09:00.
      receive 26/02 10:00 (Feb), assign 26/02 14:00 (Feb), appraise (due Fri 27/02 16:00) done Mon 02/03 09:00 by mai
      → late, used 210+480+90 = 780 of 600; review 02/03 10:00 on time 60/240; approve 02/03 11:00 on time 60/120;
      register (due Mon 15:00) done Tue 03/03 08:00 by ha → late, used 30+240+30 = 300 of 120.
      Resolved Tue 03/03 08:00 → on time; used = 1440 - 60 left = 1380. Returned 03/03 10:00.
  C2  A online  fast path on Mon 02/03 (appraise by mai): early, used 240.
  C3  A postal  fast path on Tue 03/03, appraise by nam: early, used 240.
  C4  A online  recv Wed 04/03 08:00, due Mon 09/03 08:00. receive 08:30, assign 09:00 on time; appraise (due Thu
      05/03 11:00) done Mon 09/03 10:00 by nam → late, used 390+480+480+150 = 1500 of 600 (900 late); review 10:30,
      approve 11:00, register 14:00 on time (30/240, 30/120, 60/120). Resolved 09/03 14:00 → late by 240 min;
      used = 1440 + 240 = 1680. Returned 15:00. Cause noted by mai at 16:00.
  C5  A direct  recv Thu 05/03 08:00; receive 08:30, assign 09:00 on time; withdrawn Fri 06/03 09:00.
  C6  A direct  Fri 06/03 08:00, refused at the desk at 08:30 (receive on time).
  C7  A online  Fri 06/03 09:00, application missing: returned for supplement at the desk at 09:30 (on time).
  C8  A direct  recv Mon 23/03 08:00; receive 08:30, assign 09:00 on time; appraise 10:00 by mai (early, 60/600)
      asks for a supplement (request made 23/03). Supplement received Thu 02/04 08:00: limit restarts, due Tue 07/04
      08:00. appraise 09:00 by mai (due Fri 03/04 10:00) early 60/600; review 09:30 on time 30/240; approve 10:00 on
      time 30/120; register 11:00 (due 14:00) on time 60/120. Resolved 02/04 11:00 → early; used = 1440 - 1260 left
      (30+240+480+480+30) = 180. One supplement round. Returned 14:00.
  C9  A postal  recv Wed 08/04 08:00, due Mon 13/04 08:00, apology timer Fri 10/04 08:00. receive 08:30, assign 09:00
      on time. tick Fri 10/04 09:00 (C9 is the only open case then): apology step; son apologises 10:00 (1 apology).
      appraise (due Thu 09/04 11:00) done Tue 14/04 09:00 by mai → late, used 390+480+480+480+90 = 1920 of 600 (1320
      late); review 09:30, approve 10:00, register 11:00 on time (30/240, 30/120, 60/120). Resolved 14/04 11:00 →
      late by 210+240+210 = 660 min; used = 1440 + 660 = 2100. Returned 14:00; cause noted by hung at 15:00.
  C10 A direct  fast path on Wed 15/04, appraise by nam concludes "refuse": resolved early, refused, used 240.
  C11 B online  recv Mon 20/04 08:00 (due Mon 04/05 08:00), same times as the fast path: receive on time 30/120,
      assign on time 30/240, appraise (due Fri 24/04 09:00) early 60/1920 by mai, review (due Tue 21/04 14:00) early
      30/600, approve (due 16:30) on time 30/240, register (due 17:00) on time 60/240. Resolved 20/04 14:00 → early,
      used 240 of 3360.
  C12 A direct  recv Tue 21/04 08:00, due Fri 24/04 08:00; receive 08:30, assign 09:00 on time; appraise (due Wed
      22/04 11:00) still open: overdue.
  C13 CNS online recv Wed 29/04 08:00 (due mid-May); receive 08:30 on time 30/120; assign (due 29/04 16:30) open.
  C14 A online  recv Thu 23/04 08:00, due Wed 29/04 08:00; receive 08:30, assign 09:00 on time; appraise 10:00 by mai
      (early, 60/600) asks for a supplement (request made 23/04): still waiting for the applicant.

Reports are taken at NOW = Mon 04/05/2026 08:00, after everything above.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass

import pytest
from lxml import html as lxml_html

from conftest import PG_ADMIN, Cli
from engine.library import library_paths

NOW = "2026-05-04T08:00"
A, B, CNS = "1.014881", "1.014888", "CNS.02.1"
NOTE, WITHDRAW, TICK = "note", "withdraw", "tick"
SUPPLEMENT = "supplement"  # the applicant's supplemented dossier arrives: `tthc correlate ho_so_bo_sung --case ID`


def fast(day: str, staff: str = "mai", conclusion: str = "approve") -> list[tuple]:
    return [(f"{day}T08:30", "receive", "lan", {}), (f"{day}T09:00", "assign", "hung", {}),
            (f"{day}T10:00", "appraise", staff, {"conclusion": conclusion}), (f"{day}T10:30", "review", "hung", {}),
            (f"{day}T11:00", "approve", "son", {}), (f"{day}T14:00", "register", "ha", {}),
            (f"{day}T15:00", "return_result", "lan", {})]


CASES = [
    ("C1", A, "direct", "2026-02-26T09:00", [
        ("2026-02-26T10:00", "receive", "lan", {}), ("2026-02-26T14:00", "assign", "hung", {}),
        ("2026-03-02T09:00", "appraise", "mai", {}), ("2026-03-02T10:00", "review", "hung", {}),
        ("2026-03-02T11:00", "approve", "son", {}), ("2026-03-03T08:00", "register", "ha", {}),
        ("2026-03-03T10:00", "return_result", "lan", {})]),
    ("C2", A, "online", "2026-03-02T08:00", fast("2026-03-02")),
    ("C3", A, "postal", "2026-03-03T08:00", fast("2026-03-03", staff="nam")),
    ("C4", A, "online", "2026-03-04T08:00", [
        ("2026-03-04T08:30", "receive", "lan", {}), ("2026-03-04T09:00", "assign", "hung", {}),
        ("2026-03-09T10:00", "appraise", "nam", {}), ("2026-03-09T10:30", "review", "hung", {}),
        ("2026-03-09T11:00", "approve", "son", {}), ("2026-03-09T14:00", "register", "ha", {}),
        ("2026-03-09T15:00", "return_result", "lan", {}),
        ("2026-03-09T16:00", NOTE, "mai", "Chờ ý kiến phối hợp của cơ quan liên quan.")]),
    ("C5", A, "direct", "2026-03-05T08:00", [
        ("2026-03-05T08:30", "receive", "lan", {}), ("2026-03-05T09:00", "assign", "hung", {}),
        ("2026-03-06T09:00", WITHDRAW, "lan", "Người nộp đề nghị rút hồ sơ.")]),
    ("C6", A, "direct", "2026-03-06T08:00", [
        ("2026-03-06T08:30", "receive", "lan", {"reception_decision": "refuse",
                                                 "reception_note": "Không thuộc thẩm quyền của Sở."})]),
    ("C7", A, "online", "2026-03-06T09:00", [("2026-03-06T09:30", "receive", "lan", {"has_application": False})]),
    ("C8", A, "direct", "2026-03-23T08:00", [
        ("2026-03-23T08:30", "receive", "lan", {}), ("2026-03-23T09:00", "assign", "hung", {}),
        ("2026-03-23T10:00", "appraise", "mai", {"conclusion": "supplement"}),
        ("2026-04-02T08:00", SUPPLEMENT, "lan", None), ("2026-04-02T08:15", "receive_supplement", "lan", {}),
        ("2026-04-02T09:00", "appraise", "mai", {}),
        ("2026-04-02T09:30", "review", "hung", {}), ("2026-04-02T10:00", "approve", "son", {}),
        ("2026-04-02T11:00", "register", "ha", {}), ("2026-04-02T14:00", "return_result", "lan", {})]),
    ("C9", A, "postal", "2026-04-08T08:00", [
        ("2026-04-08T08:30", "receive", "lan", {}), ("2026-04-08T09:00", "assign", "hung", {}),
        ("2026-04-10T09:00", TICK, None, None), ("2026-04-10T10:00", "issue_apology", "son", {}),
        ("2026-04-14T09:00", "appraise", "mai", {}), ("2026-04-14T09:30", "review", "hung", {}),
        ("2026-04-14T10:00", "approve", "son", {}), ("2026-04-14T11:00", "register", "ha", {}),
        ("2026-04-14T14:00", "return_result", "lan", {}),
        ("2026-04-14T15:00", NOTE, "hung", "Thiếu công chức thẩm định do đi công tác.")]),
    ("C10", A, "direct", "2026-04-15T08:00", fast("2026-04-15", staff="nam", conclusion="refuse")),
    ("C11", B, "online", "2026-04-20T08:00", fast("2026-04-20")),
    ("C12", A, "direct", "2026-04-21T08:00", [
        ("2026-04-21T08:30", "receive", "lan", {}), ("2026-04-21T09:00", "assign", "hung", {})]),
    ("C13", CNS, "online", "2026-04-29T08:00", [("2026-04-29T08:30", "receive", "lan", {})]),
    ("C14", A, "online", "2026-04-23T08:00", [
        ("2026-04-23T08:30", "receive", "lan", {}), ("2026-04-23T09:00", "assign", "hung", {}),
        ("2026-04-23T10:00", "appraise", "mai", {"conclusion": "supplement"})]),
]


def step_data(element: str, at: str, channel: str) -> dict:
    day = at[:10]
    return {
        "receive": {"applicant_name": "Công ty TNHH Ánh Dương", "applicant_address": "Số 12, phố Kim Đồng, Cao Bằng",
                    "applicant_phone": "0912345678", "has_application": True, "has_legal_documents": True,
                    "has_capacity_documents": True, "has_issued_certificate": True, "has_trial_plan": True,
                    "sets": 1, "channel": channel, "delivery": "counter", "reception_decision": "receive"},
        "assign": {"assigned_officer": "mai"},
        "appraise": {"conclusion": "approve", "reasons": "Hồ sơ đáp ứng yêu cầu.", "draft_reference": "45/DT"},
        "review": {"decision": "approve"},
        "approve": {"decision": "approve"},
        "register": {"document_number": "125/QĐ-SKHCN", "document_date": day},
        "return_result": {"returned_via": "counter"},
        "receive_supplement": {"supplement_complete": True},
        "issue_apology": {"new_due_date": "2026-04-15", "apology_reason": "Cần xác minh thêm với cơ quan liên quan."},
    }[element]


@dataclass
class DataSet:
    cli: Cli
    ids: dict[str, str]

    def run(self, *args: str, now: str = NOW, user: str | None = None):
        result = self.cli(*args, now=now, user=user)
        assert result.code == 0, (args, result.err)
        return result

    def report(self, *args: str, now: str = NOW) -> dict:
        return self.run("report", *args, "--json", now=now).json()


def _build(cli: Cli) -> dict[str, str]:
    ok = cli("deploy", *map(str, library_paths()), "--json", now="2026-02-01T08:00")
    assert ok.code == 0, ok.err
    actions = []
    for name, code, channel, received, steps in CASES:
        actions.append((received, name, "start", None, (code, channel)))
        actions += [(at, name, what, user, extra) for at, what, user, extra in steps]
    ids: dict[str, str] = {}
    channels = {name: channel for name, _, channel, _, _ in CASES}
    for at, name, what, user, extra in sorted(actions, key=lambda a: a[0]):
        if what == "start":
            code, channel = extra
            result = cli("start", code, "--applicant", f"Công ty {name}", "--data", json.dumps({"channel": channel}),
                         "--json", now=at, user="lan")
            assert result.code == 0, (name, result.err)
            ids[name] = result.json()["case_id"]
        elif what == TICK:
            result = cli("tick", "--json", now=at)
        elif what == SUPPLEMENT:
            result = cli("correlate", "ho_so_bo_sung", "--case", ids[name], "--json", now=at, user=user)
        elif what == NOTE:
            result = cli("note", ids[name], extra, now=at, user=user)
        elif what == WITHDRAW:
            result = cli("withdraw", ids[name], "--reason", extra, "--json", now=at, user=user)
        else:
            view = cli("show", ids[name], "--json", now=at).json()
            task = next(t for t in view["tasks"] if t["element_id"] == what)
            data = {**step_data(what, at, channels[name]), **extra}
            result = cli("complete", task["task_id"], "--data", json.dumps(data, ensure_ascii=False), "--json",
                         now=at, user=user)
        assert result.code == 0, (name, what, at, result.err)
    return ids


def _own_pg_database() -> tuple[str, str]:
    """A database of this module's own: the shared test database is emptied before every other test."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tthc_reports_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), name


def _drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    directory = tmp_path_factory.mktemp("reports")
    if PG_ADMIN:
        url, name = _own_pg_database()
    else:
        url, name = f"sqlite:///{directory / 'tthc.db'}", None
    with pytest.MonkeyPatch.context() as mp:
        for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
            mp.delenv(var, raising=False)
        mp.setenv("XDG_CONFIG_HOME", str(directory))
        cli = Cli(url)
        yield DataSet(cli, _build(cli))
    if name:
        _drop_pg(name)


def _pick(row: dict, keys) -> dict:
    return {k: row[k] for k in keys}


def _by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["key"]: r for r in rows}


# --- the flow of each month ------------------------------------------------------------------------------------------

def test_march_figures_match_the_hand_count(ds):
    totals = ds.report("--from", "2026-03-01", "--to", "2026-03-31")["totals"]
    assert totals == {
        "carried_over": 1,  # C1: received 26/02, resolved 03/03
        "received": 5,  # C2 C3 C4 C5 C8 (C6 and C7 never got past the desk)
        "received_online": 2,  # C2 C4
        "received_direct_postal": 3,  # C3 (postal) C5 C8
        "received_unspecified": 0,
        "refused_at_reception": 1,  # C6
        "supplement_at_reception": 1,  # C7
        "resolved": 4,  # C1 C2 C3 C4
        "resolved_early": 2,  # C2 C3
        "resolved_on_time": 1,  # C1
        "resolved_late": 1,  # C4
        "refused": 0,
        "withdrawn": 1,  # C5
        "ended_otherwise": 0,
        "pending": 1,  # C8, its limit restarted to 07/04: within the deadline on 31/03
        "pending_within_deadline": 1,
        "pending_overdue": 0,
        "pending_awaiting_supplement": 0,  # C8 is no longer waiting (stage as it is now)
        "supplement_requests": 1,  # C8 on 23/03
        "apologies": 0,
        "measured": 4,
        "used_minutes": 3540,  # 1380 + 240 + 240 + 1680
        "allotted_minutes": 5760,  # 4 × 3 days × 480
        "resolved_fast": 2,  # used <= 0.85 × 1440 = 1224: C2 C3
        "supplement_points": 8,  # no supplement round: 4 × 2
        "on_time_rate": 0.75,  # (2 + 1) / 4
        "avg_used_minutes": 885.0,  # 3540 / 4
        "avg_allotted_minutes": 1440.0,
        "used_share": 0.6146,  # 3540 / 5760 = 0.61458…
        "fast_share": 0.5,  # 2 / 4
        "case_score": 1.25,  # (2 × 2 + 1 × 1 + 0) / 4
        "supplement_score": 2.0,
        "balanced": True,  # 1 + 5 = 4 + 1 + 0 + 1
    }


def test_april_figures_match_the_hand_count(ds):
    totals = ds.report("--from", "2026-04-01", "--to", "2026-04-30")["totals"]
    assert totals == {
        "carried_over": 1,  # C8
        "received": 6,  # C9 C10 C11 C12 C13 C14
        "received_online": 3,  # C11 C13 C14
        "received_direct_postal": 3,  # C9 (postal) C10 C12
        "received_unspecified": 0,
        "refused_at_reception": 0,
        "supplement_at_reception": 0,
        "resolved": 4,  # C8 C9 C10 C11
        "resolved_early": 3,  # C8 C10 C11
        "resolved_on_time": 0,
        "resolved_late": 1,  # C9
        "refused": 1,  # C10
        "withdrawn": 0,
        "ended_otherwise": 0,
        "pending": 3,  # C12 C13 C14
        "pending_within_deadline": 2,  # C13 (due in May); C14 waits for the applicant, its limit stopped
        "pending_overdue": 1,  # C12, due 24/04
        "pending_awaiting_supplement": 1,  # C14
        "supplement_requests": 1,  # C14 on 23/04
        "apologies": 1,  # C9 on 10/04
        "measured": 4,
        "used_minutes": 2760,  # 180 + 2100 + 240 + 240
        "allotted_minutes": 7680,  # 3 × 1440 + 3360
        "resolved_fast": 3,  # C8 (180 <= 1224), C10 (240 <= 1224), C11 (240 <= 2856)
        "supplement_points": 7,  # C8 had one supplement round: 1 + 2 + 2 + 2
        "on_time_rate": 0.75,  # 3 / 4
        "avg_used_minutes": 690.0,  # 2760 / 4
        "avg_allotted_minutes": 1920.0,  # 7680 / 4
        "used_share": 0.3594,  # 2760 / 7680 = 0.359375
        "fast_share": 0.75,
        "case_score": 1.5,  # 3 × 2 / 4
        "supplement_score": 1.75,  # 7 / 4
        "balanced": True,  # 1 + 6 = 4 + 0 + 0 + 3
    }


def test_two_months_balance_with_carry_over_month_by_month(ds):
    doc = ds.report("--from", "2026-03-01", "--to", "2026-04-30", "--by", "month")
    march, april = doc["groups"]
    assert (march["label"], april["label"]) == ("03/2026", "04/2026")
    flows = ("carried_over", "received", "resolved", "withdrawn", "ended_otherwise", "pending")
    assert _pick(march, flows) == {"carried_over": 1, "received": 5, "resolved": 4, "withdrawn": 1,
                                   "ended_otherwise": 0, "pending": 1}
    assert _pick(april, flows) == {"carried_over": 1, "received": 6, "resolved": 4, "withdrawn": 0,
                                   "ended_otherwise": 0, "pending": 3}
    assert march["pending"] == april["carried_over"]  # what March leaves pending, April carries over
    # The two months as one period: 1 carried over + 11 received = 8 resolved + 1 withdrawn + 3 pending.
    assert _pick(doc["totals"], flows) == {"carried_over": 1, "received": 11, "resolved": 8, "withdrawn": 1,
                                           "ended_otherwise": 0, "pending": 3}
    assert all(row["balanced"] for row in (march, april, doc["totals"]))


def test_cutoff_day_25_months_run_from_the_25th_to_the_24th(ds):
    doc = ds.report("--from", "2026-02-25", "--to", "2026-04-24", "--cutoff-day", "25", "--by", "month")
    first, second = doc["groups"]
    assert (first["label"], str(first["from"]), str(first["to"])) == ("03/2026", "2026-02-25", "2026-03-24")
    assert (second["label"], str(second["from"]), str(second["to"])) == ("04/2026", "2026-03-25", "2026-04-24")
    keys = ("carried_over", "received", "resolved", "withdrawn", "pending", "pending_overdue",
            "pending_awaiting_supplement", "supplement_requests", "apologies")
    # 25/02-24/03: nothing open on 25/02; received C1 C2 C3 C4 C5 C8; resolved C1-C4; C5 withdrawn; C8 pending.
    assert _pick(first, keys) == {"carried_over": 0, "received": 6, "resolved": 4, "withdrawn": 1, "pending": 1,
                                  "pending_overdue": 0, "pending_awaiting_supplement": 0,
                                  "supplement_requests": 1, "apologies": 0}
    # 25/03-24/04: C8 carried over; received C9 C10 C11 C12 C14; resolved C8 C9 C10 C11; pending on 25/04:
    # C12 (due 24/04: overdue) and C14 (waiting for its supplement, requested 23/04).
    assert _pick(second, keys) == {"carried_over": 1, "received": 5, "resolved": 4, "withdrawn": 0, "pending": 2,
                                   "pending_overdue": 1, "pending_awaiting_supplement": 1,
                                   "supplement_requests": 1, "apologies": 1}


def test_quarter_with_cutoff_is_the_one_containing_the_clock_and_closes_at_now(ds):
    doc = ds.report("--period", "quarter", "--cutoff-day", "25")
    # 04/05 falls in the reporting month of May (before the 25th), so in quarter II: 25/03/2026-24/06/2026.
    assert (str(doc["period"]["from"]), str(doc["period"]["to"])) == ("2026-03-25", "2026-06-24")
    assert doc["period"]["label"].startswith("Quý II/2026")
    assert doc["as_of"].startswith("2026-05-04T08:00")  # the quarter still runs: figures as of now
    keys = ("carried_over", "received", "resolved", "pending", "pending_within_deadline", "pending_overdue")
    # C8 carried over; received C9-C14; resolved C8-C11; pending C12 (overdue), C13 and C14 (within).
    assert _pick(doc["totals"], keys) == {"carried_over": 1, "received": 6, "resolved": 4, "pending": 3,
                                          "pending_within_deadline": 2, "pending_overdue": 1}


# --- groups ----------------------------------------------------------------------------------------------------------

def test_april_by_procedure_and_by_field(ds):
    keys = ("carried_over", "received", "resolved", "resolved_early", "resolved_late", "pending", "pending_overdue")
    groups = _by_key(ds.report("--from", "2026-04-01", "--to", "2026-04-30", "--by", "procedure")["groups"])
    assert sorted(groups) == [A, B, CNS]
    # A: C8 carried over; received C9 C10 C12 C14; resolved C8 (early) C9 (late) C10 (early); pending C12, C14.
    assert _pick(groups[A], keys) == {"carried_over": 1, "received": 4, "resolved": 3, "resolved_early": 2,
                                      "resolved_late": 1, "pending": 2, "pending_overdue": 1}
    assert _pick(groups[B], keys) == {"carried_over": 0, "received": 1, "resolved": 1, "resolved_early": 1,
                                      "resolved_late": 0, "pending": 0, "pending_overdue": 0}
    assert _pick(groups[CNS], keys) == {"carried_over": 0, "received": 1, "resolved": 0, "resolved_early": 0,
                                        "resolved_late": 0, "pending": 1, "pending_overdue": 0}
    assert groups[A]["on_time_rate"] == 0.6667  # 2 / 3
    assert groups[A]["label"].startswith("Thủ tục hủy bỏ hiệu lực")
    fields = _by_key(ds.report("--from", "2026-04-01", "--to", "2026-04-30", "--by", "field")["groups"])
    assert _pick(fields["tdc"], keys) == {"carried_over": 1, "received": 5, "resolved": 4, "resolved_early": 3,
                                          "resolved_late": 1, "pending": 2, "pending_overdue": 1}
    assert _pick(fields["cns"], keys) == {"carried_over": 0, "received": 1, "resolved": 0, "resolved_early": 0,
                                          "resolved_late": 0, "pending": 1, "pending_overdue": 0}
    assert fields["cns"]["label"] == "Công nghiệp công nghệ số"


def test_procedure_filter_keeps_only_its_cases(ds):
    doc = ds.report("--from", "2026-04-01", "--to", "2026-04-30", "--procedure", A)
    assert _pick(doc["totals"], ("carried_over", "received", "resolved", "pending")) == {
        "carried_over": 1, "received": 4, "resolved": 3, "pending": 2}  # 1 + 4 = 3 + 2
    assert [g["key"] for g in doc["groups"]] == [A]
    # Steps of A's cases only: C11's (B) and C13's (CNS) leave the staff and reception figures.
    lanes = _by_key(doc["lanes"])
    assert lanes["Lane_staff"]["steps"] == 4  # C8 C9 C10 C14
    assert lanes["Lane_reception"]["steps"] == 4  # receive of C9 C10 C12 C14


# --- where the time goes ---------------------------------------------------------------------------------------------

STEP_KEYS = ("steps", "early", "on_time", "late", "used_minutes", "allotted_minutes", "late_minutes", "open_overdue")


def test_march_steps_per_lane(ds):
    lanes = _by_key(ds.report("--from", "2026-03-01", "--to", "2026-03-31", "--by", "lane")["groups"])
    expected = {
        # receive of C2 C3 C4 C5 C6 C7 C8, 30 of 120 min each
        "Lane_reception": (7, 0, 7, 0, 210, 840, 0, 0),
        # C1 review (60 of 240); assign and review of C2 C3 C4, assign of C5 C8: 8 × 30 of 240
        "Lane_department_leader": (9, 0, 9, 0, 300, 2160, 0, 0),
        # appraise: C1 late 780, C2 early 60, C3 early 60, C4 late 1500, C8 early 60; 5 × 600 allotted;
        # beyond the allotment (780 - 600) + (1500 - 600) = 1080
        "Lane_staff": (5, 3, 0, 2, 2460, 3000, 1080, 0),
        # approve of C1 (60) C2 C3 C4 (30 each), 4 × 120
        "Lane_director": (4, 0, 4, 0, 150, 480, 0, 0),
        # register: C1 late 300, C2 C3 C4 on time 60 each; 4 × 120; 300 - 120 = 180 late
        "Lane_records_clerk": (4, 0, 3, 1, 480, 480, 180, 0),
    }
    assert {k: tuple(_pick(v, STEP_KEYS).values()) for k, v in lanes.items()} == expected
    assert lanes["Lane_staff"]["on_time_rate"] == 0.6  # (3 + 0) / 5
    assert lanes["Lane_staff"]["late_working_days"] == 2.25  # 1080 / 480
    assert lanes["Lane_staff"]["avg_used_minutes"] == 492.0  # 2460 / 5


def test_april_steps_per_lane_count_steps_open_and_past_due_at_the_end(ds):
    lanes = _by_key(ds.report("--from", "2026-04-01", "--to", "2026-04-30", "--by", "lane")["groups"])
    expected = {
        # receive of C9 C10 C11 C12 C13 C14 (C8's supplement receipt has no time limit)
        "Lane_reception": (6, 0, 6, 0, 180, 720, 0, 0),
        # C8 review; C9, C10, C11 assign and review; C12, C14 assign = 9 steps of 30 min; C11's review (1.25 days)
        # is early; allotted 8 × 240 + 600. Open on 30/04 past due: C13's assign (due 29/04 16:30).
        "Lane_department_leader": (9, 1, 8, 0, 270, 2520, 0, 1),
        # appraise: C8 early 45/600 (opened by the desk's check at 08:15), C9 late 1920/600, C10 early 60/600,
        # C11 early 60/1920, C14 early 60/600; 1920 - 600 = 1320 late. Open past due: C12's appraise (due 22/04 11:00).
        "Lane_staff": (5, 4, 0, 1, 2145, 4320, 1320, 1),
        # approve of C8 C9 C10 (30 of 120) and C11 (30 of 240); C9's apology has no time limit
        "Lane_director": (4, 0, 4, 0, 120, 600, 0, 0),
        # register of C8 C9 C10 (60 of 120) and C11 (60 of 240)
        "Lane_records_clerk": (4, 0, 4, 0, 240, 600, 0, 0),
    }
    assert {k: tuple(_pick(v, STEP_KEYS).values()) for k, v in lanes.items()} == expected


def test_steps_per_officer(ds):
    keys = ("steps", "early", "on_time", "late", "used_minutes", "allotted_minutes", "late_minutes")
    march = _by_key(ds.report("--from", "2026-03-01", "--to", "2026-03-31", "--by", "officer")["groups"])
    assert {k: tuple(_pick(v, keys).values()) for k, v in march.items()} == {
        "lan": (7, 0, 7, 0, 210, 840, 0),
        "hung": (9, 0, 9, 0, 300, 2160, 0),
        "mai": (3, 2, 0, 1, 900, 1800, 180),  # C1 late 780, C2 and C8 early 60
        "nam": (2, 1, 0, 1, 1560, 1200, 900),  # C3 early 60, C4 late 1500
        "son": (4, 0, 4, 0, 150, 480, 0),
        "ha": (4, 0, 3, 1, 480, 480, 180),
    }
    assert march["mai"]["label"] == "Lê Thị Mai"
    april = _by_key(ds.report("--from", "2026-04-01", "--to", "2026-04-30", "--by", "officer")["groups"])
    # mai: C8 early 45/600, C9 late 1920/600, C11 early 60/1920, C14 early 60/600; nam: C10 early 60/600
    assert tuple(_pick(april["mai"], keys).values()) == (4, 3, 0, 1, 2085, 3720, 1320)
    assert tuple(_pick(april["nam"], keys).values()) == (1, 1, 0, 0, 60, 600, 0)


# --- TT 01/2018 scores -------------------------------------------------------------------------------------------------

def test_march_scores_per_unit_and_officer(ds):
    doc = ds.report("--from", "2026-03-01", "--to", "2026-03-31")
    # Cases resolved in March: C1 C2 C3 C4. Unit points per case (minimum of its step points):
    #   reception 1 1 1 1 | leader 1 1 1 1 | staff C1 late 0, C2 early 2, C3 early 2, C4 late 0 | director 1 1 1 1 |
    #   records C1 late 0, then 1 1 1.
    lanes = {k: (v["score_cases"], v["score_points"], v["score"]) for k, v in _by_key(doc["lanes"]).items()}
    assert lanes == {"Lane_reception": (4, 4, 1.0), "Lane_department_leader": (4, 4, 1.0),
                     "Lane_staff": (4, 4, 1.0), "Lane_director": (4, 4, 1.0), "Lane_records_clerk": (4, 3, 0.75)}
    # Officers: mai C1 0 + C2 2; nam C3 2 + C4 0; ha C1 0 + 1 + 1 + 1.
    officers = {k: (v["score_cases"], v["score_points"]) for k, v in _by_key(doc["officers"]).items()}
    assert officers == {"lan": (4, 4), "hung": (4, 4), "mai": (2, 2), "nam": (2, 2), "son": (4, 4), "ha": (4, 3)}
    assert doc["scores"] == {
        "case": {"cases": 4, "average": 1.25, "scored_2": 2, "scored_1": 1, "scored_0": 1},
        "supplement": {"cases": 4, "average": 2.0},
        "units": {"pairs": 20, "average": 0.95},  # 19 points over 20 (case, unit) pairs
        "officers": {"pairs": 20, "average": 0.95},
    }


def test_april_scores_count_every_step_of_the_resolved_cases(ds):
    doc = ds.report("--from", "2026-04-01", "--to", "2026-04-30")
    # Resolved in April: C8 C9 C10 C11. Staff: C8 both appraisals early 2, C9 late 0, C10 2, C11 2 → 6 / 4.
    # Everything else 1 per case (C11's leader: assign on time, review early → 1).
    lanes = {k: v["score"] for k, v in _by_key(doc["lanes"]).items()}
    assert lanes == {"Lane_reception": 1.0, "Lane_department_leader": 1.0, "Lane_staff": 1.5,
                     "Lane_director": 1.0, "Lane_records_clerk": 1.0}
    officers = {k: (v["score_cases"], v["score_points"], v["score"]) for k, v in _by_key(doc["officers"]).items()}
    # mai: C8 2, C9 0, C11 2 → 4 / 3; nam: C10 2.
    assert officers["mai"] == (3, 4, 1.3333)
    assert officers["nam"] == (1, 2, 2.0)
    assert doc["scores"]["units"] == {"pairs": 20, "average": 1.1}  # 22 / 20
    assert doc["scores"]["supplement"] == {"cases": 4, "average": 1.75}


# --- overdue review --------------------------------------------------------------------------------------------------

def test_overdue_lists_late_cases_with_the_late_step_lane_officer_and_cause(ds):
    doc = ds.run("overdue", "--json").json()
    rows = {i["case_id"]: i for i in doc["cases"]}
    c4, c9, c12 = ds.ids["C4"], ds.ids["C9"], ds.ids["C12"]
    # C14 is past its first due time but waits for the applicant: not late. C1 was on time.
    assert list(rows) == [c12, c9, c4]  # most late first
    assert (doc["resolved_late"], doc["pending_overdue"]) == (2, 1)
    # C12: due Fri 24/04 08:00, open at Mon 04/05 08:00: 450 + 480 (28/04) + 480 (29/04) + 30 = 1440 min = 3 days.
    assert _pick(rows[c12], ("state", "late_working_minutes", "late_step", "lane_id", "officer")) == {
        "state": "pending_overdue", "late_working_minutes": 1440, "late_step": rows[c12]["steps"][0]["name"],
        "lane_id": "Lane_staff", "officer": None}
    assert rows[c12]["steps"][0]["element_id"] == "appraise"
    assert rows[c12]["steps"][0]["late_working_minutes"] == 2220  # from 22/04 11:00
    assert rows[c12]["causes"] == []
    # C9: resolved 14/04 11:00, due 13/04 08:00 → 660 min; its appraisal by mai was 1320 min late.
    assert _pick(rows[c9], ("state", "late_working_minutes", "lane_id", "officer", "officer_name")) == {
        "state": "resolved_late", "late_working_minutes": 660, "lane_id": "Lane_staff", "officer": "mai",
        "officer_name": "Lê Thị Mai"}
    assert [s["late_working_minutes"] for s in rows[c9]["steps"]] == [1320]
    assert [(c["actor"], c["text"]) for c in rows[c9]["causes"]] == [
        ("hung", "Thiếu công chức thẩm định do đi công tác.")]
    # C4: resolved 09/03 14:00, due 09/03 08:00 → 240 min = 0.5 day; nam's appraisal 900 min late.
    assert _pick(rows[c4], ("late_working_minutes", "officer")) == {"late_working_minutes": 240, "officer": "nam"}
    assert float(rows[c4]["late_working_days"]) == 0.5
    assert [c["text"] for c in rows[c4]["causes"]] == ["Chờ ý kiến phối hợp của cơ quan liên quan."]


def test_overdue_for_march_lists_only_what_was_late_in_march(ds):
    doc = ds.run("overdue", "--from", "2026-03-01", "--to", "2026-03-31", "--json").json()
    # Resolved late in March: C4. Open and past due on 31/03: none (C8's limit restarted).
    assert [i["case_id"] for i in doc["cases"]] == [ds.ids["C4"]]


def test_overdue_table_names_the_cause_in_vietnamese(ds):
    out = ds.run("overdue").out
    assert ds.ids["C9"] in out and "Thiếu công chức thẩm định" in out and "chưa ghi nguyên nhân" in out


# --- formats ---------------------------------------------------------------------------------------------------------

def test_csv_opens_in_a_spreadsheet_with_vietnamese_text_intact(ds):
    out = ds.run("report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv").out
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out[1:])))
    header, *body = rows
    assert header[:4] == ["Mã thủ tục", "Thủ tục", "Kỳ trước chuyển sang", "Tiếp nhận trong kỳ"]
    total = dict(zip(header, body[-1]))
    assert total["Thủ tục"] == "Tổng cộng"
    assert (total["Tiếp nhận trong kỳ"], total["Đã giải quyết"], total["Tỷ lệ đúng hạn (%)"]) == ("5", "4", "75.0")
    line = dict(zip(header, body[0]))
    assert line["Mã thủ tục"] == A and line["Thủ tục"].startswith("Thủ tục hủy bỏ hiệu lực của quyết định")


def test_csv_written_to_a_file_keeps_the_byte_order_mark(ds, tmp_path):
    target = tmp_path / "bao-cao.csv"
    ds.run("report", "--from", "2026-04-01", "--to", "2026-04-30", "--by", "lane", "--format", "csv",
           "--output", str(target))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Đơn vị (làn)" in text and "Công chức thụ lý" in text


def test_html_is_one_self_contained_page_with_inline_svg_charts(ds):
    page = ds.run("report", "--from", "2026-03-01", "--to", "2026-04-30", "--format", "html").out
    lowered = page.lower()
    for outside in ("http:", "https:", "<script", "<link", "@import", "url("):
        assert outside not in lowered, outside
    tree = lxml_html.fromstring(page.encode("utf-8"))
    charts = tree.xpath("//svg")
    assert [c.xpath("string(./title)") for c in charts] == [
        "Xu hướng theo tháng: tiếp nhận, đã giải quyết, tỷ lệ đúng hạn",
        "Tỷ lệ giải quyết đúng hạn theo thủ tục",
        "Thời gian chậm theo đơn vị (ngày làm việc, các bước quá hạn)",
    ]
    # Trend bars carry their month and value: received 5 in March, 6 in April.
    bars = [t.text for t in charts[0].xpath(".//rect/title")]
    assert "03/2026: 5" in bars and "04/2026: 6" in bars
    # On-time rate per procedure over March-April: A 5 of 7, B 1 of 1.
    assert [t.text for t in charts[1].xpath(".//text")][1:] == [A, "71,4%", B, "100,0%"]
    assert "Tổng cộng" in page and "Điểm theo Thông tư 01/2018/TT-VPCP" in page


def test_table_shows_the_balance_in_words(ds):
    out = ds.run("report", "--from", "2026-03-01", "--to", "2026-03-31").out
    assert ("Cân đối: kỳ trước chuyển sang 1 + tiếp nhận 5 = đã giải quyết 4 + rút 1 + kết thúc khác 0 + "
            "đang giải quyết 1") in out


# --- refusals --------------------------------------------------------------------------------------------------------

def test_unknown_procedure_is_refused_with_its_code(ds):
    result = ds.cli("report", "--procedure", "9.999999", now=NOW)
    assert result.code == 3 and "9.999999" in result.err


def test_two_ways_of_choosing_the_period_are_refused(ds):
    result = ds.cli("report", "--from", "2026-03-01", "--to", "2026-03-31", "--period", "month", now=NOW)
    assert result.code == 4 and "--period" in result.err


def test_unknown_grouping_and_format_are_refused_by_name(ds):
    by = ds.cli("report", "--by", "district", now=NOW)
    fmt = ds.cli("report", "--format", "pdf", now=NOW)
    assert (by.code, fmt.code) == (4, 4)
    assert "district" in by.err and "pdf" in fmt.err


def test_a_period_starting_after_the_clock_is_refused(ds):
    result = ds.cli("report", "--from", "2026-06-01", "--to", "2026-06-30", now=NOW)
    assert result.code == 4 and re.search(r"sau thời điểm hiện tại", result.err)


@pytest.mark.skipif(bool(PG_ADMIN), reason="SQLite's write lock; PostgreSQL readers never wait for writers")
def test_a_report_reads_while_a_writer_holds_the_database(ds):
    import sqlite3

    from engine.calendar import parse_instant
    from engine.reports.build import build_report
    from engine.reports.periods import containing_period
    from engine.store import Store

    store = Store.open(ds.cli.db_url)
    writer = sqlite3.connect(ds.cli.db_url.split("///", 1)[1], isolation_level=None, timeout=0.1)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what every engine command takes for its transaction
        now = parse_instant(NOW)
        doc = build_report(store, period=containing_period("month", parse_instant("2026-03-15").date()), now=now)
        assert doc["totals"]["received"] == 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.dispose()
