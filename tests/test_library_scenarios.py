"""Every procedure of the library, every path the regulation requires, through the CLI with a fixed clock (issue 4).

The case starts on Monday 02/03/2026 at 08:00 (a working day). Legal due times counted by hand in working hours
(08:00-11:30 is 3.5 h on the first morning, 13:30-17:30 4 h, whole days 8 h; the 60-day limit crosses Hùng Kings day
Mon 27/04 and the 30/04-01/05 holidays):
  3 days  = 24 h → Thu 05/03 08:00      5 days = 40 h → Mon 09/03 08:00      7 days = 56 h → Wed 11/03 08:00
  10 days = 80 h → Mon 16/03 08:00     15 days = 120 h → Mon 23/03 08:00    60 days = 480 h → Thu 28/05 08:00
"""

from __future__ import annotations

import json

import pytest

from engine import demo_data
from engine.library import library_paths
from library_driver import CaseDriver, day

START = "2026-03-02T08:00"
PROCEDURES = {
    # code: (process, legal due from START, the main path after reception)
    "1.014881": ("tdc_qt01", "2026-03-05T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register"]),
    "3.000452": ("tdc_qt02", "2026-03-05T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register", "provincial_decide"]),
    "3.000450": ("tdc_qt03", "2026-03-09T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register", "provincial_decide"]),
    "1.014888": ("tdc_qt04", "2026-03-11T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register"]),
    "1.014879": ("tdc_qt05", "2026-03-16T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register"]),
    "CNS.01": ("cns_qt01", "2026-05-28T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register", "provincial_decide"]),
    "CNS.02.1": ("cns_qt02", "2026-03-23T08:00:00+07:00", ["assign", "appraise", "review", "approve", "register", "provincial_decide"]),
}
# One working hour apart, inside office hours, Monday to Wednesday of the first week.
SLOTS = ["2026-03-02T09:00", "2026-03-02T10:00", "2026-03-02T11:00", "2026-03-02T14:00", "2026-03-02T15:00",
         "2026-03-02T16:00", "2026-03-03T08:00", "2026-03-03T09:00", "2026-03-03T10:00", "2026-03-03T14:00",
         "2026-03-03T15:00", "2026-03-04T09:00"]


@pytest.fixture
def library(cli):
    result = cli("deploy", *map(str, library_paths()), "--json")
    assert result.code == 0, result.err
    return cli


def _run_main_path(case: CaseDriver, steps: list[str], slots: list[str]) -> None:
    for element, at in zip(steps, slots):
        case.do(element, at)


@pytest.mark.parametrize("code", PROCEDURES)
def test_happy_path_resolves_early_with_each_step_due_on_its_allotment(library, code):
    process, legal_due, steps = PROCEDURES[code]
    case = CaseDriver(library, code)
    view = case.start(START)
    assert view["due_at"] == legal_due
    assert case.task("receive")["due_at"] == "2026-03-02T10:00:00+07:00"  # 0.25 day from 08:00
    case.do("receive", SLOTS[0])
    # Step 2 (assignment) is created at 09:00 with its table's allotment in working time:
    # TĐC 0.5 day = 4 h: 09:00-11:30 (2.5 h) + 13:30-15:00; CNS QT02 0.75 day = 6 h → 17:00;
    # CNS QT01 10.25 days = 82 h: Mon 6.5 h, Tue-Fri 32 h, next week 40 h, then 3.5 h on Mon 16/03 → 11:00.
    expected_assign = {"cns_qt01": "2026-03-16T11:00:00+07:00", "cns_qt02": "2026-03-02T17:00:00+07:00"}
    assert case.task("assign")["due_at"] == expected_assign.get(process, "2026-03-02T15:00:00+07:00")
    _run_main_path(case, steps, SLOTS[1:])
    case.do("return_result", SLOTS[len(steps) + 1])
    final = case.show()
    assert final["status"] == "completed" and final["outcome"] == "granted"
    assert final["timing"] == "early"
    assert final["overdue_steps"] == []
    types = case.event_types()
    assert types[0] == "case_started" and types[-1] == "case_ended"
    assert "step_overdue" not in types and "deadline_restarted" not in types
    assert [e["element_id"] for e in case.events() if e["type"] == "task_completed"] == ["receive", *steps, "return_result"]


@pytest.mark.parametrize("code", PROCEDURES)
def test_incomplete_dossier_gets_a_supplement_request_at_the_desk_and_no_case_clock(library, code):
    case = CaseDriver(library, code)
    case.start(START)
    view = case.do("receive", SLOTS[0], demo_data.reception(case.applicant, complete=False))
    assert view["status"] == "completed" and view["outcome"] == "supplement_at_reception"
    assert view["tasks"] == [] and view["timing"] is None
    decision = next(e for e in case.events() if e["type"] == "decision_evaluated")
    assert decision["payload"]["result"]["result"] == "supplement"
    assert "đề nghị" in decision["payload"]["result"]["missing"]  # the missing application form is named
    assert case.tick("2026-06-30T08:00")["fired"] == 0


@pytest.mark.parametrize("code", PROCEDURES)
def test_refusal_at_reception_ends_the_case(library, code):
    case = CaseDriver(library, code)
    case.start(START)
    view = case.do("receive", SLOTS[0], demo_data.reception(case.applicant, refuse=True))
    assert view["outcome"] == "refused_at_reception" and view["tasks"] == []


@pytest.mark.parametrize("code", PROCEDURES)
def test_supplement_during_appraisal_waits_for_the_applicant_and_restarts_the_limit_from_zero(library, code):
    process, legal_due, steps = PROCEDURES[code]
    case = CaseDriver(library, code)
    case.start(START)
    case.do("receive", SLOTS[0])
    case.do("assign", SLOTS[1])
    view = case.do("appraise", SLOTS[2], demo_data.appraisal("supplement"))
    # The case waits on the message catch event: no step at anybody's desk until the applicant's dossier arrives.
    assert view["tasks"] == [] and view["stage"] == "supplement_requested" and view["supplement_rounds"] == 1
    assert view["waiting_messages"] == ["ho_so_bo_sung"]
    listed = library("tasks", "--json", user="lan", now=SLOTS[3])
    assert listed.code == 0 and case.case_id not in listed.out  # nothing at the desk until the dossier arrives
    awaited = [e for e in case.events() if e["type"] == "message_awaited"]
    assert [(e["element_id"], e["payload"]["message"]) for e in awaited] == [
        ("Event_supplement_received", "ho_so_bo_sung")]
    # The complete dossier arrives the next Monday at 08:00; the limit counts again from zero from then.
    view = case.supplement("2026-03-09T08:00")
    types = [e["type"] for e in view["events"]]
    assert types[:3] == ["message_correlated", "deadline_restarted", "task_created"]
    restarted = next(e for e in case.events() if e["type"] == "deadline_restarted")
    assert restarted["payload"]["previous_due_at"] == legal_due
    shift = {"2026-03-05": "2026-03-12", "2026-03-09": "2026-03-16", "2026-03-11": "2026-03-18",
             "2026-03-16": "2026-03-23", "2026-03-23": "2026-03-30", "2026-05-28": "2026-06-04"}[legal_due[:10]]
    # The same number of working hours from Mon 09/03 08:00 as from Mon 02/03 08:00: one week later
    # (the 60-day limit crosses the same three holidays either way).
    new_due = f"{shift}T08:00:00+07:00"
    assert view["due_at"] == new_due == restarted["payload"]["due_at"]
    assert view["restarts"] == 1 and view["supplement_rounds"] == 1 and view["stage"] == "processing"
    # The desk checks what arrived (inside the new limit), then the appraisal resumes.
    assert [t["element_id"] for t in view["tasks"]] == ["receive_supplement"]
    assert case.task("receive_supplement")["candidate_groups"] == ["reception"]
    listed = library("tasks", "--json", user="lan", now="2026-03-09T08:01")
    assert listed.code == 0 and case.case_id in listed.out  # now at the desk
    view = case.do("receive_supplement", "2026-03-09T08:30")
    assert view["due_at"] == new_due and view["restarts"] == 1
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]
    _run_main_path(case, steps[1:], ["2026-03-09T09:00", "2026-03-09T10:00", "2026-03-09T11:00", "2026-03-09T14:00",
                                     "2026-03-09T15:00", "2026-03-09T16:00"])
    final = case.do("return_result", "2026-03-10T08:00")
    assert final["outcome"] == "granted" and final["timing"] == "early"
    assert library("verify", case.case_id).code == 0


def test_the_supplement_message_is_refused_where_no_case_waits_for_it(library):
    waiting = CaseDriver(library, "1.014881")
    waiting.start(START)
    other = CaseDriver(library, "1.014881")
    other.start(START)
    for case in (waiting, other):
        case.do("receive", SLOTS[0])
        case.do("assign", SLOTS[1])
    waiting.do("appraise", SLOTS[2], demo_data.appraisal("supplement"))
    # The other case is being appraised, not waiting: exit 3, and nothing changes in either case.
    before = waiting.event_types()
    wrong = library("correlate", "ho_so_bo_sung", "--case", other.case_id, "--json", now=SLOTS[3], user="lan")
    assert wrong.code == 3, wrong.err
    assert waiting.event_types() == before and other.show()["stage"] == "processing"
    # Addressed by the business key (the case number on the applicant's receipt), as the portal does.
    found = library("correlate", "ho_so_bo_sung", "--business-key", waiting.case_id, "--json", now=SLOTS[3], user="lan")
    assert found.code == 0, found.err
    assert [t["element_id"] for t in found.json()["tasks"]] == ["receive_supplement"]
    # Delivered once: the case no longer waits, so a second delivery finds nothing.
    again = library("correlate", "ho_so_bo_sung", "--case", waiting.case_id, now=SLOTS[4], user="lan")
    assert again.code == 3


@pytest.mark.parametrize("code", PROCEDURES)
def test_leader_and_director_can_send_the_draft_back_for_rework(library, code):
    case = CaseDriver(library, code)
    case.start(START)
    case.do("receive", SLOTS[0])
    case.do("assign", SLOTS[1])
    case.do("appraise", SLOTS[2])
    view = case.do("review", SLOTS[3], demo_data.decision(rework=True))
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]
    case.do("appraise", SLOTS[4])
    case.do("review", SLOTS[5])
    view = case.do("approve", SLOTS[6], demo_data.decision(rework=True))
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]
    assert view["rework_rounds"] == 2


@pytest.mark.parametrize("code", PROCEDURES)
def test_refusal_after_appraisal_is_a_result_returned_on_the_same_clock(library, code):
    process, legal_due, steps = PROCEDURES[code]
    case = CaseDriver(library, code)
    case.start(START)
    case.do("receive", SLOTS[0])
    case.do("assign", SLOTS[1])
    case.do("appraise", SLOTS[2], demo_data.appraisal("refuse"))
    _run_main_path(case, steps[2:], SLOTS[3:])
    final = case.do("return_result", SLOTS[len(steps) + 1])
    assert final["outcome"] == "refused" and final["timing"] == "early" and final["due_at"] == legal_due


def test_late_step_is_marked_overdue_and_a_single_apology_is_raised_a_working_day_before_the_due_time(library):
    case = CaseDriver(library, "1.014881")  # 3 days: due Thu 05/03 08:00; apology timer at Wed 04/03 08:00
    case.start(START)
    case.do("receive", SLOTS[0])
    # Appraisal created Mon 10:00 with 1.25 days = 10 h: Mon 10:00-11:30 (1.5 h) + 13:30-17:30 (4 h),
    # Tue 07:30-11:30 (4 h), 13:30-14:00 (0.5 h) → due Tue 14:00.
    case.do("assign", SLOTS[1])
    assert case.task("appraise")["due_at"] == "2026-03-03T14:00:00+07:00"
    assert case.tick("2026-03-03T14:00:00")["fired"] == 0
    fired = case.tick("2026-03-03T14:00:01")
    assert [t["element_id"] for t in fired["timers"]] == ["Timer_appraise"]
    view = case.show("2026-03-03T14:01")
    assert [t["element_id"] for t in view["overdue_steps"]] == ["appraise"]
    assert case.tick("2026-03-04T08:00:00")["fired"] == 0
    fired = case.tick("2026-03-04T08:00:01")
    assert [t["element_id"] for t in fired["timers"]] == ["Timer_apology"]
    assert case.open_elements("2026-03-04T08:01") == ["appraise", "issue_apology"]
    assert case.task("issue_apology")["candidate_groups"] == ["director"]
    view = case.do("issue_apology", "2026-03-04T09:00", demo_data.apology(day("2026-03-10")), user="son")
    assert view["apology_due_at"] == "2026-03-10T17:30:00+07:00" and view["apologies"] == 1
    assert view["due_at"] == "2026-03-05T08:00:00+07:00"  # the legal due time is kept for the statistics
    assert case.tick("2026-03-09T08:00")["fired"] == 0  # at most once per case
    for element, at in zip(["appraise", "review", "approve", "register", "return_result"],
                           ["2026-03-05T09:00", "2026-03-05T10:00", "2026-03-05T11:00", "2026-03-05T14:00", "2026-03-05T15:00"]):
        case.do(element, at)
    final = case.show()
    assert final["timing"] == "late" and final["outcome"] == "granted"
    assert case.event_types().count("apology_issued") == 1


def test_apology_timer_follows_a_restarted_limit(library):
    case = CaseDriver(library, "1.014881")
    case.start(START)
    case.do("receive", SLOTS[0])
    case.do("assign", SLOTS[1])
    case.do("appraise", SLOTS[2], demo_data.appraisal("supplement"))
    # Waiting for the applicant: the old limit's apology time (Wed 04/03 08:00) passes without an apology.
    assert case.tick("2026-03-04T08:00:01")["fired"] == 0
    case.supplement("2026-03-09T08:00")  # new due Thu 12/03 08:00 → apology at Wed 11/03 08:00
    case.do("receive_supplement", "2026-03-09T08:30")
    assert all(t["element_id"] != "issue_apology" for t in case.show("2026-03-09T08:01")["tasks"])
    fired = case.tick("2026-03-11T08:00:01")
    assert "Timer_apology" in [t["element_id"] for t in fired["timers"]]


@pytest.mark.parametrize("code", PROCEDURES)
def test_withdrawal_before_a_result_stops_the_case_and_after_a_result_is_refused(library, code):
    process, legal_due, steps = PROCEDURES[code]
    case = CaseDriver(library, code)
    case.start(START)
    case.do("receive", SLOTS[0])
    case.do("assign", SLOTS[1])
    result = library("withdraw", case.case_id, "--reason", "Tổ chức đề nghị rút hồ sơ.", "--json",
                     now=SLOTS[2], user="lan")
    assert result.code == 0, result.err
    view = result.json()
    assert view["status"] == "withdrawn" and view["outcome"] == "withdrawn" and view["tasks"] == []
    assert "case_withdrawn" in case.event_types()
    assert library("tick", "--json", now="2026-07-01T08:00").json()["fired"] == 0

    decided = CaseDriver(library, code)
    decided.start(START)
    _run_main_path(decided, ["receive", "assign", "appraise", "review", "approve"], SLOTS)
    refused = library("withdraw", decided.case_id, "--reason", "Muộn.", "--json", now=SLOTS[6], user="lan")
    assert refused.code == 5 and "đã có kết quả" in refused.err_json()["message"]
    assert decided.show()["status"] == "active"
