"""Workflows kept in memory between commands (engine/workflow_cache.py) and the incremental state dump
(engine/state_codec.py): what is kept must always equal what the database says, whatever happens in between."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from engine import state_codec
from engine.calendar import BusinessCalendar, FixedClock
from engine.config import load_settings
from engine.errors import Conflict
from engine.schema import cases
from engine.service import Service
from engine.usecases import base
from engine.usecases import complete as complete_module
from engine.workflow_cache import WorkflowCache
from tests.library_driver import CaseDriver

ROOT = Path(__file__).resolve().parents[1]
START = "2026-03-02T08:00:00+07:00"
STEPS = [  # QT01 (1.014881) on its happy path: element, officer, data, time
    ("receive", "lan", {"applicant_name": "Công ty TNHH Ánh Dương", "applicant_address": "Số 1, phố Kim Đồng",
                        "applicant_phone": "0912345678", "has_application": True, "has_issued_certificate": True,
                        "sets": 1, "channel": "direct", "delivery": "counter", "reception_decision": "receive"},
     "2026-03-02T09:00:00+07:00"),
    ("assign", "hung", {"assigned_officer": "mai"}, "2026-03-02T10:00:00+07:00"),
    ("appraise", "mai", {"conclusion": "approve", "draft_reference": "12/DT"}, "2026-03-02T14:00:00+07:00"),
    ("review", "hung", {"decision": "approve"}, "2026-03-02T15:00:00+07:00"),
]


def at(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


@pytest.fixture
def service(db_url):
    clock = FixedClock(at(START))
    svc = Service.open(load_settings(None, db_url), clock=clock, calendar=BusinessCalendar.default())
    svc.deploy([ROOT / "bpmn", ROOT / "forms"])
    yield svc
    svc.store.dispose()


def _start(service) -> dict:
    service.clock.set(at(START))
    return service.start_case("1.014881", applicant="Công ty TNHH Ánh Dương", received_at=None, data=None, actor="lan")


def _do(service, view: dict, element: str, user: str, data: dict, when: str) -> dict:
    service.clock.set(at(when))
    task = next(t for t in view["tasks"] if t["element_id"] == element)
    return service.complete_task(task["task_id"], data, actor=user)


def _stored_state(service, case_id: str) -> dict:
    with service.store.transaction() as tx:
        return json.loads(tx.case(case_id)["state"])


def _reference_state(service, case_id: str) -> dict:
    """The stored case restored from the database alone and dumped by the library's serializer."""
    with service.store.transaction() as tx:
        case = tx.case(case_id)
        runtime = base.runtime_at(service.ctx, tx, service.clock.now())
        workflow = runtime.restore(base.compiled(service.ctx, tx, case["definition_id"]), case["state"])
        return json.loads(state_codec.reference_dump_state(workflow))


def test_a_process_reuses_the_workflow_it_committed_and_stores_exactly_what_the_library_would(service):
    view = _start(service)
    hits = service.workflows.hits
    for element, user, data, when in STEPS:
        view = _do(service, view, element, user, data, when)
    assert service.workflows.hits - hits == len(STEPS)  # no command restored from JSON
    assert _stored_state(service, view["case_id"]) == _reference_state(service, view["case_id"])


def test_the_incremental_dump_reencodes_a_finished_task_changed_in_place_once_told(service, monkeypatch):
    """The test suite runs with TTHC_CHECK_STATE=1; this shows the check fails when a finished task is changed
    without `mark_changed` (the incremental dump keeps its old JSON) and passes when it is marked."""
    view = _start(service)
    with service.store.transaction() as tx:
        case = tx.case(view["case_id"])
        workflow = base.workflow_of(service.ctx, tx, base.runtime_at(service.ctx, tx, service.clock.now()),
                                    base.compiled(service.ctx, tx, case["definition_id"]), case)
    state_codec.dump_state(workflow)  # every finished task's JSON is now kept
    finished = workflow.last_task
    finished.data["note"] = "changed in place"
    monkeypatch.setattr(state_codec, "_CHECK", True)
    with pytest.raises(AssertionError, match="incremental state dump differs"):
        state_codec.dump_state(workflow)
    state_codec.mark_changed(workflow, finished)
    text = state_codec.dump_state(workflow)
    assert json.loads(text) == json.loads(state_codec.reference_dump_state(workflow))


def test_a_failed_command_leaves_nothing_kept_and_the_next_one_restores_from_the_database(service, monkeypatch):
    view = _start(service)
    view = _do(service, view, *STEPS[0])
    element, user, data, when = STEPS[1]

    def refuse(tx, case, now):
        raise Conflict("mô phỏng lỗi sau khi đã ghi", case=case["id"])

    with monkeypatch.context() as patched:
        # The last thing inside the transaction, after the case row and the history were written: the transaction is
        # rolled back, so the workflow run for it must not be kept either.
        patched.setattr(complete_module, "case_view", refuse)
        with pytest.raises(Conflict):
            _do(service, view, element, user, data, when)
    assert len(service.workflows) == 0
    misses = service.workflows.misses
    view = _do(service, view, element, user, data, when)
    assert service.workflows.misses == misses + 1  # restored from the database, not the half-run object
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]
    assert _stored_state(service, view["case_id"]) == _reference_state(service, view["case_id"])


def test_another_writer_moves_the_version_and_the_kept_workflow_is_not_used(service):
    view = _start(service)
    view = _do(service, view, *STEPS[0])
    case_id = view["case_id"]
    # A second process (its own cache) completes the next step behind this one's back.
    other = Service.open(service.settings, clock=FixedClock(at(STEPS[1][3])), calendar=service.calendar)
    other.ctx.workflows = WorkflowCache()
    task = next(t for t in view["tasks"] if t["element_id"] == "assign")
    other.complete_task(task["task_id"], STEPS[1][2], actor="hung")
    other.store.dispose()
    view = service.show_case(case_id)
    misses = service.workflows.misses
    view = _do(service, view, *STEPS[2])
    assert service.workflows.misses == misses + 1
    assert [e["element_id"] for e in service.history(case_id) if e["type"] == "task_completed"] == [
        "receive", "assign", "appraise"]
    assert _stored_state(service, case_id) == _reference_state(service, case_id)


def test_a_case_brought_back_to_an_old_version_by_a_restore_is_not_taken_from_memory(service):
    """A database restored from a backup can hold an earlier version number of a case this process has kept; the
    history head in the key tells them apart."""
    view = _start(service)
    case_id = view["case_id"]
    with service.store.transaction() as tx:
        backup = tx.case(case_id)
    view = _do(service, view, *STEPS[0])
    with service.store.transaction() as tx:  # "restore the backup", then the same version number is reached again
        tx.conn.execute(update(cases).where(cases.c.id == case_id).values(
            state=backup["state"], event_hash="0" * 64, version=backup["version"] + 1))
    misses = service.workflows.misses
    service.clock.set(at(STEPS[0][3]))
    with service.store.transaction() as tx:
        case = tx.case(case_id)
        runtime = base.runtime_at(service.ctx, tx, service.clock.now())
        workflow = base.workflow_of(service.ctx, tx, runtime, base.compiled(service.ctx, tx, case["definition_id"]), case)
        open_elements = [t.element_id for t in runtime.open_tasks(workflow)]
    assert service.workflows.misses == misses + 1
    assert open_elements == ["receive"]  # the backup's workflow, not the one kept after "receive" was done


def test_the_cache_is_bounded():
    cache = WorkflowCache(capacity=2)

    class Workflow:
        script_engine = object()

    for number in range(5):
        cache.put(f"case-{number}", (1, "h"), Workflow())
    assert len(cache) == 2
    assert cache.take("case-0", (1, "h")) is None
    assert cache.take("case-4", (1, "h")) is not None


def test_cli_commands_of_one_process_share_the_kept_workflows(cli, db_url):
    """The in-process CLI of the test suite works like a long-running process, so every CLI scenario test also runs
    the incremental dump on kept workflows, checked against the library serializer (TTHC_CHECK_STATE=1)."""
    deployed = cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json")
    assert deployed.code == 0, deployed.err
    case = CaseDriver(cli, "1.014881")
    case.start(START)
    cache = WorkflowCache.shared(db_url)
    hits = cache.hits
    case.do("receive", STEPS[0][3], STEPS[0][2])
    case.do("assign", STEPS[1][3], STEPS[1][2])
    assert cache.hits - hits == 2
    assert state_codec._CHECK is True


def test_a_form_deployed_between_two_commands_of_one_process_applies_to_the_next_command(service, tmp_path):
    """The newest form version is remembered per definitions head; a deploy moves the head."""
    from engine.errors import InvalidInput

    view = _start(service)
    view = _do(service, view, *STEPS[0])
    element, user, data, when = STEPS[1]
    with pytest.raises(InvalidInput, match="Công chức thụ lý"):
        _do(service, view, element, user, {}, when)  # the process has now looked up (and keeps) version 1
    form = json.loads((ROOT / "forms" / "assignment.form").read_text(encoding="utf-8"))
    note = next(c for c in form["components"] if c.get("key") == "assignment_note")
    note["validate"]["required"] = True  # the new version requires the assignment note
    (tmp_path / "assignment.form").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    assert [d["status"] for d in service.deploy([tmp_path / "assignment.form"])] == ["deployed"]
    with pytest.raises(InvalidInput, match="Ý kiến phân công"):
        _do(service, view, *STEPS[1])
    view = _do(service, view, element, user, {**data, "assignment_note": "Giao chị Mai thụ lý."}, when)
    assert [t["element_id"] for t in view["tasks"]] == ["appraise"]


def test_firing_timers_keeps_no_workflow_so_a_worker_sweeping_many_cases_stays_small(service):
    view = _start(service)
    service.workflows.clear()
    service.clock.set(at("2026-03-02T10:30:00+07:00"))  # the reception step (due 10:00) is overdue
    fired = service.fire_due_timers()
    assert fired["fired"] == 1 and fired["cases"] == 1
    assert len(service.workflows) == 0
    view = _do(service, service.show_case(view["case_id"]), *STEPS[0][:3], "2026-03-02T10:45:00+07:00")
    assert len(service.workflows) == 1  # an operator's command keeps it again
