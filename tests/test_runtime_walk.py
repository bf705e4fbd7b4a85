"""The runtime walks the task tree itself (engine/runtime.py `_tree`) instead of the library's iterator; events and
open-task lists depend on that order, so it must be exactly the library's `get_tasks()` order, loops included."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from engine import demo_data
from engine.calendar import BusinessCalendar, FixedClock
from engine.config import load_settings
from engine.runtime import _tree
from engine.service import Service
from engine.usecases import base

ROOT = Path(__file__).resolve().parents[1]
USERS = {"receive": "lan", "assign": "hung", "appraise": "mai", "review": "hung", "approve": "son", "register": "ha",
         "return_result": "lan"}
# QT01 with the director sending the draft back once: the loop creates a second round of tasks under the gateway.
PATH = ["receive", "assign", "appraise", "review", "approve", "appraise", "review", "approve", "register",
        "return_result"]


def _workflow(service: Service, case_id: str):
    with service.store.transaction() as tx:
        case = tx.case(case_id)
        runtime = base.runtime_at(service.ctx, tx, service.clock.now())
        return runtime, runtime.restore(base.compiled(service.ctx, tx, case["definition_id"]), case["state"])


def test_the_runtime_walks_tasks_in_the_library_order_at_every_step_of_a_case_with_a_loop(db_url):
    clock = FixedClock(datetime.fromisoformat("2026-03-02T08:00:00+07:00"))
    service = Service.open(load_settings(None, db_url), clock=clock, calendar=BusinessCalendar.default())
    service.deploy([ROOT / "bpmn", ROOT / "forms"])
    view = service.start_case("1.014881", applicant="Công ty TNHH Ánh Dương", received_at=None, data=None, actor="lan")
    rework_sent = False
    compared = 0
    for hour, element in enumerate(PATH, start=9):
        runtime, workflow = _workflow(service, view["case_id"])
        assert list(_tree(workflow)) == workflow.get_tasks()
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask)]
        assert [t.task_id for t in runtime.open_tasks(workflow)] == [str(t.id) for t in ready]
        compared += len(workflow.tasks)
        clock.set(datetime.fromisoformat(f"2026-03-{2 + hour // 17:02d}T{9 + hour % 8:02d}:00:00+07:00"))
        data = demo_data.default_step_data(element, applicant="Công ty TNHH Ánh Dương", today=clock.now().date())
        if element == "approve" and not rework_sent:
            data, rework_sent = {"decision": "rework"}, True
        task = next(t for t in view["tasks"] if t["element_id"] == element)
        view = service.complete_task(task["task_id"], data, actor=USERS[element])
    assert view["status"] == "completed" and view["rework_rounds"] == 1
    assert compared > 300  # the comparisons above covered the whole growing tree, not an empty one
    service.store.dispose()
