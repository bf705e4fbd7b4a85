"""A call activity (issue 14) through the engine on SQLite: the caller starts, its call activity starts a child case
of the called process in the same command, an officer completes the child's step (the child ends and the caller's
call activity completes with the out variables in that command), the director approves the caller.

Measured in the same interleaved rounds as the full QT01 case, so its ratio to the floor is from the same run. The
diagrams are the test fixtures `tests/fixtures/bpmn/call/permit_parent.bpmn` and `permit_check.bpmn`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from benchlib.case_paths import Engine
from engine.calendar import TZ

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "bpmn" / "call"
START = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


class CallActivityEngine(Engine):
    @classmethod
    def sqlite(cls, directory: str | None = None, *, cold: bool = False) -> "CallActivityEngine":
        made = super().sqlite(directory, cold=cold)
        made.__class__ = cls
        made.name = "engine_sqlite_call"
        made.label = "Engine tthc, SQLite: gọi quy trình (call activity, một hồ sơ con; 3 lệnh, 2 hồ sơ)"
        made.service.deploy([FIXTURES / "permit_check.bpmn", FIXTURES / "permit_parent.bpmn"])
        return made

    def run(self) -> None:
        service, clock = self.service, self.clock
        clock.set(START)
        view = service.start_case("call_parent", applicant="Công ty TNHH Ánh Dương", received_at=None,
                                  data={"permit_no": "GP-123", "fee": 150}, actor="lan")
        child = service.show_case(view["case_id"])["children"][0]["id"]
        clock.set(START + timedelta(hours=1))
        task = service.show_case(child)["tasks"][0]
        service.complete_task(task["task_id"], {"valid": True, "note": "Còn hạn"}, actor="mai")
        clock.set(START + timedelta(hours=2))
        task = service.show_case(view["case_id"])["tasks"][0]
        view = service.complete_task(task["task_id"], {}, actor="son")
        assert view["status"] == "completed", view["status"]
        self.last_case = view["case_id"]
