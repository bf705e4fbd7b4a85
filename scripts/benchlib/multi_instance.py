"""A parallel consultation of 10 units (`bpmn/lay_y_kien.bpmn`, multi-instance) through the engine on SQLite.

Measured in the same interleaved rounds as the full QT01 case, so its ratio to the floor is from the same run: one
start, reception, 10 consultation instances each completed by its unit's officer, approval and the return of the
result — 13 completions on one case with ten open tasks of one element.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from benchlib.case_paths import STEPS, Engine
from engine.calendar import TZ

UNITS = ["staff", "department_leader", "provincial_office", "records_clerk", "director"] * 2  # 10 consultees
OFFICER = {"staff": "mai", "department_leader": "hung", "provincial_office": "tuan", "records_clerk": "ha",
           "director": "son"}
START = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


class ConsultationEngine(Engine):
    @classmethod
    def sqlite(cls, directory: str | None = None, *, cold: bool = False) -> "ConsultationEngine":
        made = super().sqlite(directory, cold=cold)
        made.__class__ = cls
        made.name = "engine_sqlite_consult10"
        made.label = "Engine tthc, SQLite: lấy ý kiến song song 10 đơn vị (nhiều phiên bản, 13 bước)"
        return made

    def run(self) -> None:
        service, clock = self.service, self.clock
        clock.set(START)
        view = service.start_case("lay_y_kien", applicant="Hợp tác xã Trùng Khánh", received_at=None,
                                  data={"consult_units": UNITS}, actor="lan")
        reception = STEPS[0][2]
        clock.set(START + timedelta(hours=1))
        view = service.complete_task(view["tasks"][0]["task_id"], reception, actor="lan")
        for i, task in enumerate(list(view["tasks"])):
            clock.set(START + timedelta(hours=2, minutes=i))
            view = service.complete_task(task["task_id"], {"opinion": "agree"},
                                         actor=OFFICER[task["candidate_groups"][0]])
        clock.set(START + timedelta(hours=4))
        view = service.complete_task(view["tasks"][0]["task_id"], {"decision": "approve"}, actor="son")
        view = service.complete_task(view["tasks"][0]["task_id"], {"returned_via": "counter"}, actor="lan")
        assert view["status"] == "completed" and view["outcome"] == "granted", view["status"]
        self.last_case = view["case_id"]
