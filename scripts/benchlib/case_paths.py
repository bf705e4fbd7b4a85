"""One full case of the 7-step TĐC procedure (QT01, code 1.014881), four ways, each a `run()` that does the whole case.

- `Floor`: raw SpiffWorkflow in memory — the same diagram parsed by the engine's parser, the same safe expressions,
  decision tables and working-time timers, the same (already validated) form data; no persistence, no history.
- `NaivePersisted`: the naive persistence the issue describes: the floor plus what a straightforward integration does
  around every step, in one SQLite transaction (plain sqlite3, the engine's WAL settings): read the case's JSON, load
  it with the library's full serializer (spec included), run the step, save the whole JSON back, commit.
- `Naive`: the same with the JSON kept in memory: the naive approach's own floor, no database counted against it.
- `DurableMinimum`: the floor plus the least any durable engine on SpiffWorkflow and SQLite must do per step: the
  engine's incremental state dump, and one transaction (plain sqlite3, the engine's WAL settings) that writes the state
  and one history row. No read model, no hash chain, no forms, no report sums: a lower bound, not an engine.
- `Engine`: `Service.start_case` and seven `Service.complete_task` calls on a database — durable (one committed
  transaction per command), with the hash-chained history, the read-model rows and form validation. One long-running
  process, as a worker or server is: it keeps the workflows it committed (engine/workflow_cache.py).
- `Engine.sqlite(cold=True)`: the same with nothing kept between commands — every command restores its workflow from
  the stored JSON, as each `tthc` CLI command (a process of its own) does; process start-up is not counted.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from engine.calendar import TZ, BusinessCalendar, FixedClock
from engine.definitions import load_dmn_cached, load_form_cached
from engine.dialect.script_engine import SafeScriptEngine
from engine.forms import validate_submission
from engine.rules import evaluate_decision, map_decision_result
from engine.runtime import compile_bpmn
from engine.state_codec import dump_state, full_serializer

ROOT = Path(__file__).resolve().parents[2]
CODE = "1.014881"
PROCESS = "tdc_qt01"
APPLICANT = "Công ty TNHH Ánh Dương"
RECEIVED = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # Monday morning; the whole case is on time
# (element, officer, form data, when): every user task of QT01 on its happy path.
STEPS: list[tuple[str, str, dict[str, Any], datetime]] = [
    ("receive", "lan", {"applicant_name": APPLICANT, "applicant_address": "Số 1, phố Kim Đồng, Cao Bằng",
                        "applicant_phone": "0912345678", "has_application": True, "has_issued_certificate": True,
                        "sets": 1, "channel": "direct", "delivery": "counter", "reception_decision": "receive"},
     datetime(2026, 3, 2, 9, 0, tzinfo=TZ)),
    ("assign", "hung", {"assigned_officer": "mai"}, datetime(2026, 3, 2, 10, 0, tzinfo=TZ)),
    ("appraise", "mai", {"conclusion": "approve", "draft_reference": "12/DT"}, datetime(2026, 3, 2, 14, 0, tzinfo=TZ)),
    ("review", "hung", {"decision": "approve"}, datetime(2026, 3, 2, 15, 0, tzinfo=TZ)),
    ("approve", "son", {"decision": "approve"}, datetime(2026, 3, 2, 16, 0, tzinfo=TZ)),
    ("register", "ha", {"document_number": "125/QĐ-SKHCN", "document_date": "2026-03-02"},
     datetime(2026, 3, 3, 8, 0, tzinfo=TZ)),
    ("return_result", "lan", {"returned_via": "counter"}, datetime(2026, 3, 3, 9, 0, tzinfo=TZ)),
]


def library_files() -> list[Path]:
    return [ROOT / "bpmn", ROOT / "forms"]


class InMemoryLibrary:
    """The diagram, decision tables and forms of QT01, parsed once with the engine's own loaders."""

    def __init__(self) -> None:
        path = ROOT / "bpmn" / f"{PROCESS}.bpmn"
        self.compiled = compile_bpmn(path.read_bytes(), str(path))
        self.decisions: dict[str, Any] = {}
        for dmn in sorted((ROOT / "bpmn").glob("*.dmn")):
            self.decisions.update(load_dmn_cached(dmn.read_bytes(), str(dmn)).decisions)
        self.forms = {}
        for source in sorted((ROOT / "forms").glob("*.form")):
            form = load_form_cached(source.read_bytes(), str(source))
            self.forms[form.id] = form
        self.calendar = BusinessCalendar.default()

    def decide(self, decision_ref: str, data, mode: str):
        return map_decision_result(evaluate_decision(self.decisions, decision_ref, data), mode)

    def validated_steps(self) -> list[tuple[str, dict, datetime]]:
        """Form data as the engine hands it to the workflow (typed; absent fields as None), computed once."""
        steps = []
        for element, _user, data, at in STEPS:
            form = self.forms[self.compiled.info.user_task(element).form_ref]
            values = validate_submission(form, data, today=at.date())
            for field in form.fields:
                if "." not in field.key:
                    values.setdefault(field.key, None)
            steps.append((element, values, at))
        return steps

    def start_data(self) -> dict:
        due = self.calendar.case_due(RECEIVED, 3)
        return {"case_id": "SKHCN-260302-0001", "procedure_code": CODE, "applicant_name": APPLICANT,
                "received_at": RECEIVED.isoformat(), "transferred_at": self.calendar.transfer_time(RECEIVED).isoformat(),
                "due_at": due.isoformat(), "apology_at": self.calendar.back(due, 1).isoformat()}


class Floor:
    name = "floor"
    label = "SpiffWorkflow thuần, trong bộ nhớ (mức sàn)"

    def __init__(self, library: InMemoryLibrary) -> None:
        self.library = library
        self.clock = FixedClock(RECEIVED)
        self.steps = library.validated_steps()
        self.start = library.start_data()

    def _engine(self) -> SafeScriptEngine:
        return SafeScriptEngine(self.clock, self.library.calendar, self.library.decide)

    def _begin(self, script_engine) -> BpmnWorkflow:
        self.clock.set(RECEIVED)
        workflow = BpmnWorkflow(self.library.compiled.spec, script_engine=script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.start)
        workflow.do_engine_steps()
        return workflow

    def _step(self, workflow: BpmnWorkflow, element: str, values: dict, at: datetime) -> None:
        self.clock.set(at)
        task = next(t for t in workflow.get_tasks(state=TaskState.READY)
                    if isinstance(t.task_spec, UserTask) and t.task_spec.bpmn_id == element)
        task.data.update(values)
        task.run()
        workflow.do_engine_steps()

    def run(self) -> None:
        workflow = self._begin(self._engine())
        for element, values, at in self.steps:
            self._step(workflow, element, values, at)
        assert workflow.is_completed()


class Naive(Floor):
    name = "naive"
    label = "Cách ngây thơ, JSON giữ trong bộ nhớ (không ghi CSDL)"

    def __init__(self, library: InMemoryLibrary) -> None:
        super().__init__(library)
        self.serializer = full_serializer()
        self.size = 0

    def run(self) -> None:
        script_engine = self._engine()
        saved = self.serializer.serialize_json(self._begin(script_engine))
        for element, values, at in self.steps:
            workflow = self.serializer.deserialize_json(saved)
            workflow.script_engine = script_engine
            self._step(workflow, element, values, at)
            saved = self.serializer.serialize_json(workflow)
        self.size = len(saved)
        assert workflow.is_completed()


class OwnDatabase:
    """A path that keeps its cases in a SQLite file of its own, with the engine's settings (WAL, synchronous=NORMAL;
    transactions begun explicitly), removed by `close`."""

    def _open(self, prefix: str, name: str, *schema: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.db = sqlite3.connect(self.folder / name, isolation_level=None)
        for statement in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", *schema):
            self.db.execute(statement)
        self.cases = 0

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class NaivePersisted(OwnDatabase, Naive):
    name = "naive_sqlite"
    label = "Cách ngây thơ: JSON đầy đủ lưu trong SQLite, đọc/nạp rồi lưu/ghi quanh mỗi bước"

    def __init__(self, library: InMemoryLibrary) -> None:
        super().__init__(library)
        self._open("tthc-bench-naive-", "naive.db", "CREATE TABLE cases (id INTEGER PRIMARY KEY, workflow TEXT NOT NULL)")

    def run(self) -> None:
        self.cases += 1
        script_engine = self._engine()
        saved = self.serializer.serialize_json(self._begin(script_engine))
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO cases VALUES (?, ?)", (self.cases, saved))
        self.db.execute("COMMIT")
        for element, values, at in self.steps:
            self.db.execute("BEGIN IMMEDIATE")  # read-modify-write of one case: one transaction
            (saved,) = self.db.execute("SELECT workflow FROM cases WHERE id = ?", (self.cases,)).fetchone()
            workflow = self.serializer.deserialize_json(saved)
            workflow.script_engine = script_engine
            self._step(workflow, element, values, at)
            saved = self.serializer.serialize_json(workflow)
            self.db.execute("UPDATE cases SET workflow = ? WHERE id = ?", (saved, self.cases))
            self.db.execute("COMMIT")
        self.size = len(saved)
        assert workflow.is_completed()


class DurableMinimum(OwnDatabase, Floor):
    name = "durable_minimum"
    label = "Giới hạn dưới bền vững: mức sàn + lưu trạng thái theo phần + 1 giao dịch SQLite tối thiểu mỗi bước"

    def __init__(self, library: InMemoryLibrary) -> None:
        super().__init__(library)
        self._open("tthc-bench-min-", "minimum.db",
                   "CREATE TABLE cases (id INTEGER PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL)",
                   "CREATE TABLE events (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
                   "payload TEXT NOT NULL, UNIQUE (case_id, seq))")

    def _save(self, case_id: int, workflow: BpmnWorkflow, seq: int, payload: dict) -> None:
        state = dump_state(workflow)
        self.db.execute("BEGIN IMMEDIATE")
        if seq == 1:
            self.db.execute("INSERT INTO cases VALUES (?, ?, 1)", (case_id, state))
        else:
            self.db.execute("UPDATE cases SET state = ?, version = version + 1 WHERE id = ?", (state, case_id))
        self.db.execute("INSERT INTO events (case_id, seq, payload) VALUES (?, ?, ?)",
                        (case_id, seq, json.dumps(payload, ensure_ascii=False)))
        self.db.execute("COMMIT")

    def run(self) -> None:
        self.cases += 1
        workflow = self._begin(self._engine())
        self._save(self.cases, workflow, 1, {"type": "case_started"})
        for seq, (element, values, at) in enumerate(self.steps, start=2):
            self._step(workflow, element, values, at)
            self._save(self.cases, workflow, seq, {"type": "task_completed", "element_id": element})
        assert workflow.is_completed()


class Engine:
    """The engine's service layer on its own fresh database (a temporary SQLite file, or a new PostgreSQL database)."""

    def __init__(self, url: str, label: str, name: str, drop: Callable[[], None] | None = None,
                 cold: bool = False) -> None:
        from engine.config import load_settings
        from engine.service import Service

        self.name = name
        self.label = label
        self.url = url
        self._drop = drop
        self.clock = FixedClock(RECEIVED)
        settings = load_settings(None, url)
        self.service = Service.open(settings, clock=self.clock, calendar=BusinessCalendar.default())
        if cold:
            from engine.workflow_cache import WorkflowCache

            self.service.workflows = WorkflowCache(capacity=0)
        self.service.deploy(library_files())
        self.last_case: str | None = None

    @classmethod
    def sqlite(cls, directory: str | None = None, *, cold: bool = False) -> "Engine":
        folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="tthc-bench-"))
        drop = None if directory else (lambda: shutil.rmtree(folder, ignore_errors=True))
        if cold:
            return cls(f"sqlite:///{folder / 'bench.db'}",
                       "Engine tthc, SQLite, không giữ workflow giữa các lệnh (như CLI)", "engine_sqlite_cold", drop,
                       cold=True)
        return cls(f"sqlite:///{folder / 'bench.db'}", "Engine tthc, SQLite (bền vững, có lịch sử)", "engine_sqlite",
                   drop)

    @classmethod
    def postgresql(cls, admin_url: str) -> "Engine":
        url, drop = new_pg_database(admin_url, "tthc_bench")
        return cls(url, "Engine tthc, PostgreSQL (bền vững, có lịch sử)", "engine_pg", drop)

    def run(self) -> None:
        service, clock = self.service, self.clock
        clock.set(RECEIVED)
        view = service.start_case(CODE, applicant=APPLICANT, received_at=None, data=None, actor="lan")
        for element, user, data, at in STEPS:
            clock.set(at)
            task = next(t for t in view["tasks"] if t["element_id"] == element)
            view = service.complete_task(task["task_id"], data, actor=user)
        assert view["status"] == "completed" and view["outcome"] == "granted", view["status"]
        self.last_case = view["case_id"]

    def close(self) -> None:
        self.service.store.dispose()
        if self._drop is not None:
            self._drop()


def new_pg_database(admin_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL database next to `admin_url`'s, and a function that drops it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()

    def drop() -> None:
        again = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with again.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        again.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop
