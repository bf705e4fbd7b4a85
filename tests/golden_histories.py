"""Golden event histories: one case per regulated path of procedure 1.014881 (tdc_qt01), driven through the CLI with a
fixed clock, its history recorded exactly as `tthc history --json` prints it (types, element ids, payloads, actors,
times, hashes).

The origin of each event (OS account, host) is fixed to `operator@tthc-host`. Task ids are random UUIDs in production; while a golden case runs, SpiffWorkflow's `uuid4` is replaced by a counter
(00000000-0000-4000-8000-000000000001, …), so the ids — and with them every payload and every hash — are the same on
every run. The committed files live in tests/golden/histories/<scenario>.json; `scripts/regenerate_golden.py`
rewrites them deliberately (then review the diff: a changed history is a changed behaviour).
"""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from test_audit_scenarios import RECEPTION, Driver

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "histories"
CODE = "1.014881"
DEPLOYED_AT = "2026-01-05T08:00"
START = "2026-03-02T08:00"


@contextmanager
def counted_task_ids() -> Iterator[None]:
    """SpiffWorkflow names each task with `uuid4()`; number them instead, from 1, for the duration."""
    import SpiffWorkflow.task as spiff_task

    original = spiff_task.uuid4
    counter = iter(range(1, 1 << 62))
    spiff_task.uuid4 = lambda: uuid.UUID(int=(0x4000 << 64) | (0x8 << 60) | next(counter))
    try:
        yield
    finally:
        spiff_task.uuid4 = original


@contextmanager
def fixed_origin() -> Iterator[None]:
    """Every event records the OS account and host it came from (engine.origin); a golden history records the same
    ones on every machine."""
    import engine.origin as origin

    saved = origin.os_account, origin.host_name
    origin.os_account, origin.host_name = (lambda: "operator"), (lambda: "tthc-host")
    try:
        yield
    finally:
        origin.os_account, origin.host_name = saved


def _happy(d: Driver) -> None:
    for element, at in (("receive", "2026-03-02T09:00"), ("assign", "2026-03-02T10:00"),
                        ("appraise", "2026-03-02T14:00"), ("review", "2026-03-02T15:00"),
                        ("approve", "2026-03-02T16:00"), ("register", "2026-03-03T08:00"),
                        ("return_result", "2026-03-03T09:00")):
        d.complete(element, at)


def _supplement_restart(d: Driver) -> None:
    (d.complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T14:00", {"conclusion": "supplement", "reasons": "Thiếu bản sao quyết định đã cấp"})
     .correlate("ho_so_bo_sung", "2026-03-04T09:00", {"supplement_documents": "Bản sao quyết định đã cấp"})
     .complete("receive_supplement", "2026-03-04T09:30").complete("appraise", "2026-03-04T10:00")
     .complete("review", "2026-03-04T11:00").complete("approve", "2026-03-04T14:00")
     .complete("register", "2026-03-04T15:00").complete("return_result", "2026-03-05T08:00"))


def _refused_at_reception(d: Driver) -> None:
    d.complete("receive", "2026-03-02T09:00", {**RECEPTION, "reception_decision": "refuse",
                                               "reception_note": "Thủ tục không thuộc thẩm quyền của Sở"})


def _rework(d: Driver) -> None:
    (d.complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T11:00")
     .complete("review", "2026-03-02T14:00", {"decision": "rework", "decision_note": "Bổ sung căn cứ pháp lý"})
     .complete("appraise", "2026-03-02T15:00").complete("review", "2026-03-02T16:00")
     .complete("approve", "2026-03-03T08:00").complete("register", "2026-03-03T09:00")
     .complete("return_result", "2026-03-03T10:00"))


def _refusal_after_appraisal(d: Driver) -> None:
    (d.complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T14:00", {"conclusion": "refuse", "reasons": "Chuẩn đo lường không còn hiệu lực"})
     .complete("review", "2026-03-02T15:00").complete("approve", "2026-03-02T16:00")
     .complete("register", "2026-03-03T08:00").complete("return_result", "2026-03-03T09:00"))


def _late_step_and_apology(d: Driver) -> None:
    (d.complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00")
     .tick("2026-03-03T15:00").note("2026-03-03T15:30", "Chậm do chờ ý kiến phòng chuyên môn khác.", "mai")
     .tick("2026-03-04T09:00")
     .complete("issue_apology", "2026-03-04T10:00",
               {"new_due_date": "2026-03-10", "apology_reason": "Cần xác minh thêm hồ sơ kỹ thuật của chuẩn đo lường"})
     .complete("appraise", "2026-03-05T09:00").complete("review", "2026-03-05T10:00")
     .complete("approve", "2026-03-05T11:00").complete("register", "2026-03-05T14:00")
     .complete("return_result", "2026-03-06T08:00"))


def _withdrawal(d: Driver) -> None:
    d.complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00").withdraw(
        "2026-03-02T11:00", "Người nộp xin rút để bổ sung hồ sơ")


SCENARIOS: dict[str, Callable[[Driver], None]] = {
    "happy": _happy,
    "supplement_restart": _supplement_restart,
    "refused_at_reception": _refused_at_reception,
    "rework": _rework,
    "refusal_after_appraisal": _refusal_after_appraisal,
    "late_step_apology": _late_step_and_apology,
    "withdrawal": _withdrawal,
}


def produce(cli, scenario: str) -> tuple[str, list[dict]]:
    """Deploy the library into the (empty) database behind `cli`, run the scenario, return its case id and history."""
    with counted_task_ids(), fixed_origin():
        deployed = cli("deploy", str(_root() / "bpmn"), str(_root() / "forms"), "--json", now=DEPLOYED_AT)
        assert deployed.code == 0, deployed.err
        driver = Driver(cli).start(CODE, "Công ty TNHH Ánh Dương", START)
        SCENARIOS[scenario](driver)
    result = cli("history", driver.case_id, "--json")
    assert result.code == 0, result.err
    return driver.case_id, result.json()["events"]


def golden_path(scenario: str) -> Path:
    return GOLDEN_DIR / f"{scenario}.json"


def render(events: list[dict]) -> str:
    return json.dumps(events, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _root() -> Path:
    return Path(__file__).resolve().parent.parent
