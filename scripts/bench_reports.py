"""Benchmark: a yearly report over a million closed cases, on SQLite and (with TTHC_BENCH_PG) on PostgreSQL.

    python3 scripts/bench_reports.py [--cases 1000000[,100000...]] [--steps 6] [--workdir DIR] [--keep]
                                     [--engines sqlite,postgresql]
    TTHC_BENCH_PG=postgresql+psycopg://postgres:tthc@127.0.0.1:5432/postgres python3 scripts/bench_reports.py

Fills a fresh database with synthetic closed cases of 2026 (and `--steps` completed steps each, spread over five
lanes and ~30 officers, and the daily sums the engine keeps) by bulk inserts in chunks and INSERT ... SELECT - not
through the engine - then times, each in a fresh process,
`tthc report --period year` as JSON, as HTML (with the month trend) and `--by month`. Prints rows/s of the load,
seconds and the peak resident memory of each report process; run two sizes (`--cases 100000,1000000`) to see that
memory stays flat in the number of cases. Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 20_000
NOW = "2026-12-31T17:00"  # the clock of the report: the year 2026 has ended its last working day
PROCEDURES = [  # code, field, total working days
    ("1.014881", "tdc", 3), ("1.014885", "tdc", 3), ("3.000452", "tdc", 3), ("3.000450", "tdc", 5),
    ("1.014888", "tdc", 7), ("1.014880", "tdc", 7), ("1.014879", "tdc", 10), ("CNS.02.1", "cns", 15),
    ("CNS.01", "cns", 60),
]
LANES = [("Lane_reception", "Bộ phận Một cửa", 0.25), ("Lane_department_leader", "Lãnh đạo phòng", 0.5),
         ("Lane_staff", "Công chức thụ lý", 1.25), ("Lane_department_leader", "Lãnh đạo phòng", 0.5),
         ("Lane_director", "Lãnh đạo Sở", 0.25), ("Lane_records_clerk", "Văn thư Sở", 0.25)]
OFFICERS = {"Lane_reception": ("tn", 3), "Lane_department_leader": ("ld", 5), "Lane_staff": ("cv", 20),
            "Lane_director": ("gd", 2), "Lane_records_clerk": ("vt", 3)}  # user-id prefix, number of officers
CASE_COLS = ("id", "procedure_code", "process_id", "definition_id", "status", "stage", "outcome", "applicant_name",
             "channel", "received_at", "transferred_at", "due_at", "first_due_at", "resolved_at", "result_at",
             "ended_at", "timing", "total_working_days", "restarts", "supplement_rounds", "rework_rounds", "apologies",
             "policy", "state", "version", "created_at", "updated_at", "event_seq", "event_hash",
             "used_working_minutes", "allotted_working_minutes")
EVENT_COLS = ("case_id", "seq", "type", "at", "actor", "element_id", "payload", "prev_hash", "hash")
POLICY = json.dumps({"deadline_policy": "working-hours", "standard_day_minutes": 480})


def _timing(done: datetime, due: datetime) -> str:
    if done > due:
        return "late"
    return "early" if done.date() < due.date() else "on_time"


def synthetic(n: int, seed: int = 2026):
    """Chunks of (cases, events) rows: naive UTC datetimes, closed cases received in 2026."""
    rng = random.Random(seed)
    first = datetime(2026, 1, 5, 0, 30)  # 07:30 local
    for begin in range(0, n, CHUNK):
        cases, events = [], []
        for i in range(begin, min(begin + CHUNK, n)):
            code, _field, total = PROCEDURES[i % len(PROCEDURES)]
            day = first + timedelta(days=(i * 330) // n)
            received = day + timedelta(minutes=rng.randrange(0, 480))
            due = received + timedelta(days=total * 7 / 5)
            allotted = total * 480
            draw = rng.random()
            factor = rng.uniform(0.15, 0.8) if draw < 0.7 else rng.uniform(0.85, 1.0) if draw < 0.9 else rng.uniform(1.05, 1.6)
            resolved = received + (due - received) * factor
            timing = _timing(resolved, due)
            withdrawn = rng.random() < 0.02
            case_id = f"BENCH-{i:010d}"
            rounds = 0 if rng.random() < 0.85 else 1 if rng.random() < 0.8 else 2
            apology = timing == "late" and rng.random() < 0.5
            channel = "online" if draw * 7 % 1 < 0.4 else "direct" if draw * 7 % 1 < 0.9 else "postal"
            cases.append({
                "id": case_id, "procedure_code": code, "process_id": "bench", "definition_id": 1,
                "status": "withdrawn" if withdrawn else "completed", "stage": None,
                "outcome": "withdrawn" if withdrawn else ("refused" if rng.random() < 0.05 else "granted"),
                "applicant_name": "Công ty thử nghiệm", "channel": channel, "received_at": received,
                "transferred_at": received, "due_at": due, "first_due_at": due,
                "resolved_at": None if withdrawn else resolved, "result_at": None if withdrawn else resolved,
                "ended_at": received + timedelta(days=1) if withdrawn else resolved + timedelta(hours=1),
                "timing": None if withdrawn else timing, "total_working_days": total, "restarts": rounds,
                "supplement_rounds": rounds, "rework_rounds": 0, "apologies": int(apology), "policy": POLICY,
                "state": "", "version": 1, "created_at": received, "updated_at": received, "event_seq": 0,
                "event_hash": "", "used_working_minutes": None if withdrawn else round(allotted * factor),
                "allotted_working_minutes": None if withdrawn else allotted,
            })
            if apology:
                events.append({"case_id": case_id, "seq": 1, "type": "apology_issued", "at": due - timedelta(days=1),
                               "actor": "son", "element_id": "issue_apology", "payload": "{}", "prev_hash": "0" * 64,
                               "hash": "1" * 64})
        yield cases, events


def _steps_sql(sqlite: bool, steps: int) -> str:
    """INSERT ... SELECT of `steps` completed steps per case (two for a withdrawn case), pseudo-random but
    deterministic: a step takes f × 3 × its allotment in wall-clock minutes, f in [0, 1.3) from the case number."""
    values = ", ".join(
        f"({s}, '{LANES[s % len(LANES)][0]}', '{LANES[s % len(LANES)][1]}', {round(LANES[s % len(LANES)][2] * 480)}, "
        f"'{OFFICERS[LANES[s % len(LANES)][0]][0]}', {OFFICERS[LANES[s % len(LANES)][0]][1]})"
        for s in range(steps))
    number = "CAST(substr(c.id, 7) AS BIGINT)"
    frac = f"(({number} * 7919 + p.s * 104729) % 1300)"  # per mille
    minutes = f"(p.allotted * 3 * {frac} / 1000)"
    if sqlite:
        def at(offset: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%S', c.received_at, '+' || ({offset}) || ' minutes') || '.000000'"
        task_id = f"printf('%08d-0000-0000-0000-%012d', p.s, {number})"
    else:
        def at(offset: str) -> str:
            return f"c.received_at + make_interval(mins => ({offset})::int)"
        task_id = f"lpad(p.s::text, 8, '0') || '-0000-0000-0000-' || lpad({number}::text, 12, '0')"
    created = at("p.s * 120")
    return f"""
        WITH p(s, lane_id, lane, allotted, prefix, officers) AS (VALUES {values})
        INSERT INTO tasks (id, case_id, element_id, name, lane, lane_id, groups, candidate_users, step,
            allotted_working_days, status, created_at, due_at, completed_at, completed_by, overdue, timing,
            used_working_minutes, allotted_working_minutes, restart_deadline)
        SELECT {task_id}, c.id, 'step' || (p.s + 1), 'Bước ' || (p.s + 1), p.lane, p.lane_id, '', '', p.s + 1,
            p.allotted / 480.0, 'completed', {created}, {at(f"p.s * 120 + p.allotted * 3")},
            {at(f"p.s * 120 + {minutes}")}, p.prefix || ({number} % p.officers), {frac} > 1000,
            CASE WHEN {frac} > 1000 THEN 'late' WHEN {frac} < 500 THEN 'early' ELSE 'on_time' END,
            p.allotted * {frac} / 1000, p.allotted, {'0' if sqlite else 'false'}
        FROM cases c CROSS JOIN p
        WHERE c.status = 'completed' OR p.s < 2"""


def _daily_sql(sqlite: bool) -> list[str]:
    """What the engine adds to the daily sums as steps complete and cases are resolved (engine.reports.daily),
    computed in two statements from the loaded rows."""
    def day(column: str) -> str:  # the local date (UTC+7, no daylight saving)
        return f"date({column}, '+7 hours')" if sqlite else f"CAST({column} + interval '7 hours' AS date)"

    points = "CASE t.timing WHEN 'early' THEN 2 WHEN 'on_time' THEN 1 ELSE 0 END"
    steps = f"""
        INSERT INTO step_days (day, lane_id, officer, procedure_code, lane, steps, early, on_time, late, measured,
            used_minutes, allotted_minutes, late_minutes)
        SELECT {day("t.completed_at")}, coalesce(t.lane_id, ''), coalesce(t.completed_by, ''), c.procedure_code,
            max(t.lane), count(*), sum(CASE WHEN t.timing = 'early' THEN 1 ELSE 0 END),
            sum(CASE WHEN t.timing = 'on_time' THEN 1 ELSE 0 END), sum(CASE WHEN t.timing = 'late' THEN 1 ELSE 0 END),
            count(t.allotted_working_minutes), coalesce(sum(t.used_working_minutes), 0),
            coalesce(sum(t.allotted_working_minutes), 0),
            sum(CASE WHEN t.used_working_minutes > t.allotted_working_minutes
                     THEN t.used_working_minutes - t.allotted_working_minutes ELSE 0 END)
        FROM tasks t JOIN cases c ON c.id = t.case_id
        WHERE t.timing IS NOT NULL
        GROUP BY {day("t.completed_at")}, coalesce(t.lane_id, ''), coalesce(t.completed_by, ''), c.procedure_code"""
    units = []
    for kind, key, label in (("lane", "t.lane_id", "max(t.lane)"), ("officer", "t.completed_by", "NULL")):
        units.append(f"""
        INSERT INTO unit_score_days (day, kind, key, procedure_code, label, pairs, scored_2, scored_0)
        SELECT d, '{kind}', k, code, max(label), count(*), sum(CASE WHEN p = 2 THEN 1 ELSE 0 END),
            sum(CASE WHEN p = 0 THEN 1 ELSE 0 END)
        FROM (SELECT {day("c.resolved_at")} AS d, coalesce({key}, '') AS k, c.procedure_code AS code,
                     {label} AS label, min({points}) AS p
              FROM tasks t JOIN cases c ON c.id = t.case_id
              WHERE c.resolved_at IS NOT NULL AND t.timing IS NOT NULL
              GROUP BY t.case_id, {key}, c.procedure_code, c.resolved_at) AS pairs
        GROUP BY d, k, code""")
    return [steps, *units]


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")  # SQLAlchemy's storage format for DateTime on SQLite
    if isinstance(value, bool):
        return int(value)
    return value


def load(url: str, n: int, steps: int) -> dict:
    """Create the schema (migrations), drop the report indexes, bulk-insert, recreate the indexes."""
    from sqlalchemy import insert

    from engine.schema import cases as cases_t, definitions, events as events_t, procedures, tasks as tasks_t
    from engine.store import Store

    store = Store.open(url)
    indexes = [ix for table in (cases_t, tasks_t, events_t) for ix in table.indexes]
    with store.engine.begin() as conn:
        conn.execute(insert(definitions).values(id=1, kind="bpmn", key="bench", version=1, content_hash="0" * 64,
                                                filename="bench.bpmn", content=b"", name="bench", meta={},
                                                deployed_at=datetime(2026, 1, 1).astimezone()))
        for code, field, total in PROCEDURES:
            conn.execute(insert(procedures).values(code=code, name=f"Thủ tục {code}", field=field,
                                                   field_name=field.upper(), process_id="bench",
                                                   total_working_days=total, code_source="national"))
        for ix in indexes:
            ix.drop(conn)
    rows = 0
    started = time.perf_counter()
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if store.is_sqlite:
            cur.execute("PRAGMA synchronous=OFF")
        for cases, events in synthetic(n):
            for table, cols, batch in (("cases", CASE_COLS, cases), ("events", EVENT_COLS, events)):
                if not batch:
                    continue
                if store.is_sqlite:
                    cur.execute("BEGIN")
                    cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                    [tuple(_sqlite_value(r[c]) for c in cols) for r in batch])
                    cur.execute("COMMIT")
                else:
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in batch:
                            copy.write_row([r[c] for c in cols])
                    raw.commit()
                rows += len(batch)
        # The steps of every case in one INSERT ... SELECT: the database computes them from the case rows.
        if store.is_sqlite:
            cur.execute("BEGIN")
        cur.execute(_steps_sql(store.is_sqlite, steps))
        for statement in _daily_sql(store.is_sqlite):
            cur.execute(statement)
        for table in ("tasks", "step_days", "unit_score_days"):
            cur.execute(f"SELECT count(*) FROM {table}")
            rows += cur.fetchone()[0]
        if store.is_sqlite:
            cur.execute("COMMIT")
        else:
            raw.commit()
        load_seconds = time.perf_counter() - started
        index_started = time.perf_counter()
    finally:
        raw.close()
    with store.engine.begin() as conn:
        for ix in indexes:
            ix.create(conn)
    if not store.is_sqlite:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # the visibility map lets covering indexes answer alone
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()
    return {"rows": rows, "load_seconds": load_seconds, "index_seconds": time.perf_counter() - index_started}


REPORTS = {
    "report --period year (json)": ["report", "--period", "year", "--format", "json"],
    "report --period year (html, month trend)": ["report", "--period", "year", "--format", "html"],
    "report --period year --by month (json)": ["report", "--period", "year", "--by", "month", "--format", "json"],
}


def _peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM). ru_maxrss of a child would include its parent's at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, args: list[str]) -> None:
    """Runs one report in this fresh process and prints its duration and peak memory as JSON. The command-line
    modules are imported first: their import time is the same for every command and says nothing of the report."""
    from engine.cli.main import _click_command, run

    _click_command()
    baseline = _peak_rss_mb()

    with open(os.devnull, "w", encoding="utf-8") as sink:
        saved, sys.stdout = sys.stdout, sink
        started = time.perf_counter()
        try:
            code = run(["--db", url, "--now", NOW] + args)
        finally:
            sys.stdout = saved
    print(json.dumps({"code": code, "seconds": time.perf_counter() - started, "maxrss_mb": _peak_rss_mb(),
                      "baseline_mb": baseline}))


def time_report(url: str, args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", url, "--", *args], stdout=subprocess.PIPE, text=True,
                         check=False).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench(label: str, url: str, n: int, steps: int) -> None:
    print(f"== {label}: {n:_} closed cases, {steps} steps each".replace("_", " "))
    loaded = load(url, n, steps)
    print(f"   load: {loaded['rows']:,} rows in {loaded['load_seconds']:.1f} s "
          f"({loaded['rows'] / loaded['load_seconds']:,.0f} rows/s); indexes {loaded['index_seconds']:.1f} s")
    for name, args in REPORTS.items():
        r = time_report(url, args)
        status = "" if r["code"] == 0 else f" (exit {r['code']})"
        print(f"   {name}: {r['seconds']:.2f} s, peak RSS {r['maxrss_mb']:.0f} MB "
              f"(after imports {r['baseline_mb']:.0f} MB){status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1000000", help="comma-separated sizes")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--engines", default="sqlite,postgresql",
                        help="which databases (PostgreSQL only with TTHC_BENCH_PG set)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.child:
        child(ns.child, ns.rest)
        return
    workdir = ns.workdir or Path(tempfile.mkdtemp(prefix="tthc-bench-"))
    pg_admin = os.environ.get("TTHC_BENCH_PG")
    for n in (int(x) for x in ns.cases.split(",")):
        path = workdir / f"bench-{n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if "sqlite" in ns.engines:
            bench("SQLite", f"sqlite:///{path}", n, ns.steps)
        if not ns.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        if pg_admin and "postgresql" in ns.engines:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            name = f"tthc_bench_{n}"
            admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
            try:
                bench("PostgreSQL", url, n, ns.steps)
            finally:
                if not ns.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
