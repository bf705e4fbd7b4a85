"""Scenario cases of the procedure library, built once per test session through the CLI, and the audit's promise on
them: every case replays exactly from its events alone, and `verify --all` finds every history intact.

The other audit tests import `library` (the built database) and `clone` (a private copy to tamper with) from here.
Scenarios, all received Monday 02/03/2026 08:00 unless said otherwise (1.014881 = tdc_qt01, 3 working days):

    happy                 every step on time or early
    late_step             appraisal overdue: the step timer fires on a tick, the officer notes the cause, the step
                          finishes late
    supplement            appraisal asks for a supplement; the case waits for the applicant's message
                          (`ho_so_bo_sung`), whose arrival restarts the time limit; the desk checks it
    apology               the apology timer and the appraisal timer fire on a tick; the director apologises with a
                          new date; the case is resolved late
    withdrawal            the applicant withdraws after reception
    refused_at_reception  the desk refuses the dossier
    supplement_at_desk    a required component is missing: completion instructions at the desk
    refusal               appraisal concludes with a refusal, which is the result
    rework                the department leader sends the appraisal back once
    library_<process>     a straight run on the library's other shapes of process (provincial office included)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import PG_ADMIN, ROOT, Cli

USERS = {"reception": "lan", "department_leader": "hung", "staff": "mai", "director": "son",
         "records_clerk": "ha", "provincial_office": "tuan"}
RECEPTION = {"applicant_name": "Công ty TNHH Ánh Dương", "applicant_address": "Số 12 phố Kim Đồng, Cao Bằng",
             "applicant_phone": "0912345678", "has_application": True, "has_legal_documents": True,
             "has_capacity_documents": True, "has_issued_certificate": True, "has_trial_plan": True, "sets": 1,
             "channel": "direct", "delivery": "counter", "reception_decision": "receive"}
STEP_DATA = {
    "receive": RECEPTION,
    "assign": {"assigned_officer": "mai", "assignment_note": "Đề nghị thẩm định trong ngày."},
    "appraise": {"conclusion": "approve", "draft_reference": "12/DT-TĐC"},
    "review": {"decision": "approve"},
    "approve": {"decision": "approve"},
    "register": {"document_number": "125/QĐ-SKHCN", "document_date": "2026-03-03"},
    "provincial_decide": {"provincial_document_number": "45/VP-UBND", "provincial_document_date": "2026-03-03"},
    "return_result": {"returned_via": "counter"},
    "receive_supplement": {"supplement_complete": True},
}
# The other processes with a structure of their own (a provincial-office step, another field); tdc_qt03-05 share
# tdc_qt01's shape and only add build time.
LIBRARY_CODES = {"tdc_qt02": "3.000452", "cns_qt01": "CNS.01", "cns_qt02": "CNS.02.1"}


@dataclass
class Library:
    url: str
    cases: dict[str, str] = field(default_factory=dict)  # scenario -> case id

    def cli(self, url: str | None = None) -> Cli:
        return Cli(url or self.url)


class Driver:
    """Runs one case through the CLI, failing loudly (with the CLI's message) when a command is refused."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.view: dict = {}
        self.case_id = ""

    def run(self, *args: str, now: str, user: str | None = None) -> dict:
        result = self.cli(*args, "--json", now=now, user=user)
        assert result.code == 0, f"{args} at {now}: exit {result.code}: {result.err}"
        return result.json()

    def start(self, code: str, applicant: str, now: str) -> "Driver":
        self.view = self.run("start", code, "--applicant", applicant, now=now, user="lan")
        self.case_id = self.view["case_id"]
        return self

    def task(self, element: str) -> dict:
        found = [t for t in self.view["tasks"] if t["element_id"] == element]
        assert found, f"{self.case_id}: no open '{element}' among {[t['element_id'] for t in self.view['tasks']]}"
        return found[0]

    def complete(self, element: str, now: str, data: dict | None = None, user: str | None = None) -> "Driver":
        task = self.task(element)
        who = user or USERS[task["candidate_groups"][0]]
        payload = data if data is not None else STEP_DATA[element]
        self.view = self.run("complete", task["task_id"], "--data", json.dumps(payload, ensure_ascii=False),
                             now=now, user=who)
        return self

    def correlate(self, message: str, now: str, data: dict | None = None, user: str = "lan") -> "Driver":
        """A message delivered to this case (the applicant's supplement from the national portal, say)."""
        extra = ["--data", json.dumps(data, ensure_ascii=False)] if data is not None else []
        self.view = self.run("correlate", message, "--case", self.case_id, *extra, now=now, user=user)
        return self

    def tick(self, now: str) -> "Driver":
        self.run("tick", now=now)
        self.view = self.run("show", self.case_id, now=now)
        return self

    def note(self, now: str, text: str, user: str) -> "Driver":
        self.run("note", self.case_id, text, now=now, user=user)
        return self

    def withdraw(self, now: str, reason: str) -> "Driver":
        self.view = self.run("withdraw", self.case_id, "--reason", reason, now=now, user="lan")
        return self

    def straight_on(self, start: str, step_minutes: int = 30) -> "Driver":
        """Complete whatever main step is open, one every `step_minutes`, until the case ends."""
        at = datetime.fromisoformat(start)
        for _ in range(20):
            if self.view["status"] != "active":
                return self
            main = [t for t in self.view["tasks"] if t["element_id"] != "issue_apology"]
            at += timedelta(minutes=step_minutes)
            self.complete(main[0]["element_id"], at.isoformat(timespec="minutes"))
        raise AssertionError(f"{self.case_id} did not end")


@contextmanager
def _one_store_per_url():
    """While the scenarios are built, every CLI command reuses one Store per database URL: each command otherwise
    opens a new engine (schema check, cold statement cache), which is not what these tests measure and would double
    the session's set-up time. Afterwards commands open their stores as usual."""
    from engine.store import Store

    original = Store.__dict__["open"]
    opened: dict[str, Store] = {}

    def reuse(cls, url, *, migrate=True):
        if url not in opened:
            opened[url] = original.__func__(cls, url, migrate=migrate)
        return opened[url]

    Store.open = classmethod(reuse)
    try:
        yield
    finally:
        Store.open = original
        for store in opened.values():
            store.dispose()


def _build(url: str) -> Library:
    with _one_store_per_url():
        return _build_cases(url)


def _build_cases(url: str) -> Library:
    cli = Cli(url)
    deployed = cli("deploy", str(ROOT / "bpmn"), str(ROOT / "forms"), "--json", now="2026-01-05T08:00")
    assert deployed.code == 0, deployed.err
    lib = Library(url)
    code = "1.014881"

    def case(name: str, applicant: str = "Công ty TNHH Ánh Dương", now: str = "2026-03-02T08:00") -> Driver:
        driver = Driver(cli).start(code, applicant, now)
        lib.cases[name] = driver.case_id
        return driver

    (case("happy").complete("receive", "2026-03-02T09:00").complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T14:00").complete("review", "2026-03-02T15:00")
     .complete("approve", "2026-03-02T16:00").complete("register", "2026-03-03T08:00")
     .complete("return_result", "2026-03-03T09:00"))
    (case("late_step", "Hợp tác xã Nà Giàng").complete("receive", "2026-03-02T08:30").complete("assign", "2026-03-02T09:00")
     .tick("2026-03-03T13:00").note("2026-03-03T13:30", "Chậm do chờ ý kiến phòng chuyên môn khác.", "mai")
     .complete("appraise", "2026-03-03T14:00").complete("review", "2026-03-03T15:00")
     .complete("approve", "2026-03-03T16:00").complete("register", "2026-03-03T16:30")
     .complete("return_result", "2026-03-03T17:00"))
    (case("supplement", "Công ty CP Đo lường Bắc Sơn").complete("receive", "2026-03-02T09:00")
     .complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T14:00", {"conclusion": "supplement", "reasons": "Thiếu bản sao quyết định đã cấp"})
     .correlate("ho_so_bo_sung", "2026-03-04T09:00", {"supplement_documents": "Bản sao quyết định đã cấp"})
     .complete("receive_supplement", "2026-03-04T09:30").complete("appraise", "2026-03-04T10:00")
     .complete("review", "2026-03-04T11:00").complete("approve", "2026-03-04T14:00")
     .complete("register", "2026-03-04T15:00").complete("return_result", "2026-03-05T08:00"))
    (case("apology", "Trung tâm Kỹ thuật Cao Bằng").complete("receive", "2026-03-02T09:00")
     .complete("assign", "2026-03-02T10:00").tick("2026-03-04T09:00")
     .complete("issue_apology", "2026-03-04T10:00",
               {"new_due_date": "2026-03-10", "apology_reason": "Cần xác minh thêm hồ sơ kỹ thuật của chuẩn đo lường"})
     .complete("appraise", "2026-03-05T09:00").complete("review", "2026-03-05T10:00")
     .complete("approve", "2026-03-05T11:00").complete("register", "2026-03-05T14:00")
     .complete("return_result", "2026-03-06T08:00"))
    case("withdrawal", "Ông Nông Văn Bình").complete("receive", "2026-03-02T09:00").withdraw(
        "2026-03-02T10:00", "Người nộp xin rút để bổ sung hồ sơ")
    case("refused_at_reception", "Bà Hoàng Thị Mơ").complete(
        "receive", "2026-03-02T09:00", {**RECEPTION, "reception_decision": "refuse",
                                        "reception_note": "Thủ tục không thuộc thẩm quyền của Sở"})
    case("supplement_at_desk", "Công ty TNHH Hà Quảng").complete(
        "receive", "2026-03-02T09:00", {**RECEPTION, "has_issued_certificate": False})
    (case("refusal", "Công ty TNHH Thạch An").complete("receive", "2026-03-02T09:00")
     .complete("assign", "2026-03-02T10:00")
     .complete("appraise", "2026-03-02T14:00", {"conclusion": "refuse", "reasons": "Chuẩn đo lường không còn hiệu lực"})
     .complete("review", "2026-03-02T15:00").complete("approve", "2026-03-02T16:00")
     .complete("register", "2026-03-03T08:00").complete("return_result", "2026-03-03T09:00"))
    (case("rework", "Công ty TNHH Trùng Khánh").complete("receive", "2026-03-02T09:00")
     .complete("assign", "2026-03-02T10:00").complete("appraise", "2026-03-02T11:00")
     .complete("review", "2026-03-02T14:00", {"decision": "rework", "decision_note": "Bổ sung căn cứ pháp lý"})
     .complete("appraise", "2026-03-02T15:00").complete("review", "2026-03-02T16:00")
     .complete("approve", "2026-03-03T08:00").complete("register", "2026-03-03T09:00")
     .complete("return_result", "2026-03-03T10:00"))
    for process, proc_code in LIBRARY_CODES.items():
        driver = Driver(cli).start(proc_code, f"Doanh nghiệp thử {process}", "2026-03-03T08:00")
        lib.cases[f"library_{process}"] = driver.case_id
        driver.straight_on("2026-03-03T08:00")
    return lib


_LIBRARY: dict[str, Library] = {}
_CLONES: list[str] = []  # PostgreSQL databases this module created, dropped at the end of the session


def _pg(statement: str, **params) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement), params)
    admin.dispose()


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def library_db(tmp_root: Path) -> Library:
    """The scenario database, built once per session and backend."""
    key = PG_ADMIN or "sqlite"
    if key not in _LIBRARY:
        if PG_ADMIN:
            name = f"tthc_audit_{uuid.uuid4().hex[:10]}"
            _pg(f'CREATE DATABASE "{name}"')
            _CLONES.append(name)
            url = _pg_url(name)
        else:
            url = f"sqlite:///{tmp_root / 'library.db'}"
        _LIBRARY[key] = _build(url)
    return _LIBRARY[key]


def clone_db(lib: Library, tmp_path: Path) -> str:
    """A private copy of the scenario database to tamper with."""
    if not PG_ADMIN:
        source = Path(lib.url.split("///", 1)[1])
        with sqlite3.connect(source) as conn:  # fold the WAL into the file before copying it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = tmp_path / "tampered.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    from sqlalchemy.engine import make_url

    source = make_url(lib.url).database
    name = f"{source}_c{len(_CLONES)}"
    # CREATE DATABASE … TEMPLATE needs the source idle: close what earlier commands left in their pools.
    _pg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()",
        d=source)
    _pg(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    _CLONES.append(name)
    return _pg_url(name)


def sql(url: str, statement: str, **params) -> None:
    """Edit a database by hand, as an intruder would: no engine, no events."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        conn.execute(text(statement), params)
    engine.dispose()


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> Library:
    root = tmp_path_factory.mktemp("audit")
    with pytest.MonkeyPatch.context() as env:
        # Same isolation as the `cli` fixture, for the whole session: no developer settings leak into the cases.
        for var in ("TTHC_DB", "TTHC_CONFIG", "TTHC_NOW", "TTHC_USER"):
            env.delenv(var, raising=False)
        env.setenv("XDG_CONFIG_HOME", str(root))
        yield library_db(root)
    while _CLONES:
        _pg(f'DROP DATABASE IF EXISTS "{_CLONES.pop()}" WITH (FORCE)')


@pytest.fixture
def clone(library, tmp_path) -> Cli:
    return Cli(clone_db(library, tmp_path))


# --- the audit's promise on every scenario ------------------------------------------------------------------------
SCENARIOS = ["happy", "late_step", "supplement", "apology", "withdrawal", "refused_at_reception",
             "supplement_at_desk", "refusal", "rework"] + [f"library_{p}" for p in LIBRARY_CODES]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replay_reproduces_the_scenario_case_exactly_from_its_events(library, scenario):
    result = library.cli()("replay", library.cases[scenario], "--json", now="2026-03-20T08:00")
    doc = result.json()
    assert result.code == 0, [d["message"] for d in doc["differences"]]
    assert doc["ok"] is True and doc["differences"] == []
    assert doc["commands"] >= 2


def test_scenarios_reach_the_outcomes_they_are_named_after(library):
    cli = library.cli()
    shown = {name: cli("show", cid, "--json", now="2026-03-20T08:00").json() for name, cid in library.cases.items()}
    assert {n: (v["status"], v["outcome"]) for n, v in shown.items() if not n.startswith("library_")} == {
        "happy": ("completed", "granted"), "late_step": ("completed", "granted"),
        "supplement": ("completed", "granted"), "apology": ("completed", "granted"),
        "withdrawal": ("withdrawn", "withdrawn"), "refused_at_reception": ("completed", "refused_at_reception"),
        "supplement_at_desk": ("completed", "supplement_at_reception"), "refusal": ("completed", "refused"),
        "rework": ("completed", "granted"),
    }
    assert shown["supplement"]["restarts"] == 1 and shown["apology"]["apologies"] == 1
    assert shown["rework"]["rework_rounds"] == 1
    assert all(v["status"] == "completed" for n, v in shown.items() if n.startswith("library_"))


def test_replay_until_a_moment_prints_the_case_as_it_was_then(library):
    cid = library.cases["supplement"]
    doc = library.cli()("replay", cid, "--until", "2026-03-03T12:00", "--json", now="2026-03-20T08:00").json()
    state = doc["state"]
    assert state["case"]["stage"] == "supplement_requested"
    assert state["open_tasks"] == []  # waiting for the applicant's message, nobody's step
    assert datetime.fromisoformat(state["case"]["due_at"]) == datetime.fromisoformat("2026-03-05T08:00+07:00")


def test_replay_of_an_unknown_case_exits_3_naming_it(library):
    result = library.cli()("replay", "SKHCN-000000-9999", "--json", now="2026-03-20T08:00")
    assert result.code == 3
    assert "SKHCN-000000-9999" in result.err_json()["message"]


def test_verify_all_finds_every_scenario_history_intact(library):
    result = library.cli()("verify", "--all", "--json", now="2026-03-20T08:00")
    doc = result.json()
    assert result.code == 0, doc["broken"]
    assert doc["checked"] == len(library.cases) and doc["ok"] == len(library.cases) and doc["broken"] == []


def test_verify_without_a_case_or_all_is_refused_with_a_vietnamese_sentence(library):
    result = library.cli()("verify", now="2026-03-20T08:00")
    assert result.code == 4
    assert "--all" in result.err
