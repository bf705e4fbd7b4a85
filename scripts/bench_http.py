"""What HTTP costs: full cases per second through `tthc serve` against the same Service in-process, and the latency of
`complete` under concurrent clients. Loopback only, bounded in time; numbers are best read as ratios (same machine,
same run).

    python3 scripts/bench_http.py                      # SQLite, 1 and 2 worker processes, 50 concurrent clients
    python3 scripts/bench_http.py --quick              # a smoke run
    python3 scripts/bench_http.py --pg postgresql+psycopg://postgres:PASS@127.0.0.1:5432/postgres
                                                       # adds PostgreSQL (a database created and dropped beside it)

A full case is the review diagram of the test fixtures: start, then complete its three steps (reception, appraisal
with a form, the director's approval), each command by the right user, each step found by listing the case's open
steps: 7 calls. The in-process row calls the Service exactly as a server's request thread does; the HTTP rows send
the same calls as Camunda 7 requests over one keep-alive connection (with HTTP Basic on every request). The two are
measured in alternating rounds on the same database with both warm (one Service kept across rounds, the server after
two warm-up cases), and the ratio is the median of the rounds' ratios: on a shared machine the load drifts between
rounds, and a ratio of two runs minutes apart measured the drift. The concurrency row first starts one case per
completion, then lets CLIENTS clients (threads of several processes) complete the reception steps at once and reports
p50/p99 of those requests. The floor column is the same case's in-process time plus bare HTTP (as many calls to
GET /version on one keep-alive connection: no credentials, no database, no engine), over the in-process time: what
HTTP alone adds, through the same client and server, before tthc does anything.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
PASSWORDS = {"lan": "bench-lan-password", "mai": "bench-mai-password", "son": "bench-son-password"}
NOW = "2026-03-02T08:00"
STEPS = (("lan", {}), ("mai", {"score": 8, "draft_reference": "DT-01"}), ("son", {"decision": "approve"}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(db_url: str) -> None:
    """Deploy the fixtures and set the three users' passwords, through the Service and engine.auth directly."""
    from engine.auth.passwords import set_password
    from engine.calendar import FixedClock, parse_instant
    from engine.calendar import BusinessCalendar
    from engine.config import load_settings
    from engine.service import Service

    settings = load_settings(None, db_url)
    service = Service.open(settings, clock=FixedClock(parse_instant(NOW)), calendar=BusinessCalendar.default())
    service.deploy([FIXTURES])
    for user, password in PASSWORDS.items():
        set_password(service.store, settings, user, password, now=service.clock.now())
    service.store.dispose()


def open_service(db_url: str):
    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.service import Service

    return Service.open(load_settings(None, db_url), clock=FixedClock(parse_instant(NOW)),
                        calendar=BusinessCalendar.default())


def in_process(service, cases: int) -> float:
    """Seconds per full case, calling the Service directly."""
    began = time.perf_counter()
    for _ in range(cases):
        view = service.start_case("review_fixture", applicant="Công ty A", received_at=None, data={}, actor="lan")
        for user, data in STEPS:
            # As a Camunda client does over HTTP: ask for the case's open step, then complete it.
            [task] = service.list_tasks(case_id=view["case_id"])
            view = service.complete_task(task["task_id"], data, actor=user)
    return (time.perf_counter() - began) / cases


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, user: str, body=None):
        headers = {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, "/engine-rest" + path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None


def _typed(data: dict) -> dict:
    return {k: {"value": v, "type": "Integer" if isinstance(v, int) else "String"} for k, v in data.items()}


def _start(client: Client) -> str:
    doc = client.call("POST", "/process-definition/key/review_fixture/start", "lan",
                      {"variables": {"applicant_name": {"value": "Công ty A", "type": "String"}}})
    return doc["id"]


def over_http(port: int, cases: int) -> float:
    client = Client(port)
    began = time.perf_counter()
    for _ in range(cases):
        case_id = _start(client)
        for user, data in STEPS:
            [task] = client.call("GET", f"/task?processInstanceId={case_id}", user)
            client.call("POST", f"/task/{task['id']}/complete", user, {"variables": _typed(data)})
    return (time.perf_counter() - began) / cases


def bare_http(port: int, cases: int) -> float:
    """Seconds per case of HTTP alone: the same number of calls on the same kind of connection, to the one resource
    that does nothing (GET /version, no credentials, no database). No server of ours can add less than this to a case
    of 7 calls, whatever the engine does."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    began = time.perf_counter()
    for _ in range(cases * (1 + 2 * len(STEPS))):
        conn.request("GET", "/engine-rest/version")
        response = conn.getresponse()
        response.read()
    conn.close()
    return (time.perf_counter() - began) / cases


def warm(port: int, workers: int) -> None:
    """Every server process warm (imports, compiled definitions, authentication memory): a keep-alive connection
    stays with the process that accepted it, so several connections at once, until each process has served some."""
    threads = [threading.Thread(target=over_http, args=(port, 2)) for _ in range(4 * workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


CLIENT_PROCESSES = 5  # the load comes from several programs, as 50 officers' browsers or systems would send it


def concurrent_completes(port: int, clients: int, each: int) -> list[float]:
    """Latencies of `clients` keep-alive clients completing `each` steps at once, started together. The clients run
    as threads of CLIENT_PROCESSES processes: 50 threads of one interpreter queue for its lock after every response,
    and that queueing was measured as the server's latency."""
    import multiprocessing

    setup = Client(port)
    tasks = []
    for _ in range(clients * each):
        case_id = _start(setup)
        tasks.append(setup.call("GET", f"/task?processInstanceId={case_id}", "lan")[0]["id"])
    context = multiprocessing.get_context("spawn")  # nothing of this process's database connections is inherited
    barrier, results = context.Barrier(clients), context.Queue()
    processes = min(CLIENT_PROCESSES, clients)
    mine = [tasks[i::clients] for i in range(clients)]  # each client's steps
    groups = [mine[i::processes] for i in range(processes)]
    children = [context.Process(target=_client_process, args=(port, group, barrier, results)) for group in groups]
    for child in children:
        child.start()
    latencies: list[float] = []
    for _ in children:
        latencies += results.get(timeout=600)
    for child in children:
        child.join(timeout=60)
    return latencies


def _client_process(port: int, group: list[list[str]], barrier, results) -> None:
    latencies: list[float] = []
    lock = threading.Lock()

    def work(steps: list[str]) -> None:
        client = Client(port)
        client.call("GET", "/version", "lan")  # connected before the clock starts
        barrier.wait()
        for task_id in steps:
            began = time.perf_counter()
            client.call("POST", f"/task/{task_id}/complete", "lan", {"variables": {}})
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(steps,)) for steps in group]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    results.put(latencies)


class Serve:
    def __init__(self, db_url: str, workers: int, log: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["XDG_CONFIG_HOME"] = str(log.parent / "no-config")
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from engine.cli.main import run; run()", "--db", db_url, "--now", NOW,
             "serve", "--port", str(self.port), "--workers", str(workers)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/engine-rest/version")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("tthc serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def _pg_database(admin_url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tthc_bench_http_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def bench(label: str, db_url: str, args, folder: Path) -> list[dict]:
    _prepare(db_url)
    service = open_service(db_url)
    in_process(service, 2)  # warm: compiled definitions, statements, kept workflows
    rows = [{"database": label, "path": "in-process Service", "workers": "-"}]
    alone: list[float] = []
    for workers in args.workers:
        server = Serve(db_url, workers, folder / f"serve-{label}-{workers}.log")
        try:
            warm(server.port, workers)
            pairs, floors = [], []
            for _ in range(args.rounds):  # alternating, so all see the same load
                a = in_process(service, args.cases)
                pairs.append((a, over_http(server.port, args.cases)))
                floors.append((a + bare_http(server.port, args.cases)) / a)
            alone += [a for a, _ in pairs]
            row = {"database": label, "path": "tthc serve (HTTP)", "workers": workers,
                   "s_per_case": statistics.median(h for _, h in pairs),
                   "vs_in_process": statistics.median(h / a for a, h in pairs),
                   "floor_vs_in_process": statistics.median(floors)}
            latencies = sorted(concurrent_completes(server.port, args.clients, args.each))
            row["complete_p50_ms"] = 1000 * latencies[len(latencies) // 2]
            row["complete_p99_ms"] = 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            row["completes"] = len(latencies)
            rows.append(row)
        finally:
            server.stop()
    service.store.dispose()
    rows[0]["s_per_case"] = statistics.median(alone)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few cases, 10 clients")
    parser.add_argument("--pg", help="PostgreSQL admin URL: also run on a temporary database there")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    args.cases, args.rounds, args.clients, args.each = (3, 2, 10, 1) if args.quick else (10, 7, 50, 4)
    args.workers = (1, 2)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tthc-bench-http-") as tmp:
        folder = Path(tmp)
        rows += bench("sqlite", f"sqlite:///{folder / 'bench.db'}", args, folder)
        if args.pg:
            url, drop = _pg_database(args.pg)
            try:
                rows += bench("postgresql", url, args, folder)
            finally:
                drop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'database':<11} {'path':<20} {'workers':>7} {'ms/case':>9} {'× in-proc':>9} {'floor':>6} "
          f"{'complete p50':>13} {'p99 (ms)':>9}  ({args.clients} clients)")
    for r in rows:
        ratio = f"{r['vs_in_process']:.2f}" if "vs_in_process" in r else ""
        floor = f"{r['floor_vs_in_process']:.2f}" if "floor_vs_in_process" in r else ""
        p50 = f"{r['complete_p50_ms']:.0f}" if "complete_p50_ms" in r else ""
        p99 = f"{r['complete_p99_ms']:.0f}" if "complete_p99_ms" in r else ""
        print(f"{r['database']:<11} {r['path']:<20} {r['workers']!s:>7} {1000 * r['s_per_case']:>9.1f} {ratio:>9} "
              f"{floor:>6} {p50:>13} {p99:>9}")
    print("floor: the in-process time plus bare HTTP (as many GET /version, no credentials, no database) over the "
          "in-process time, the least any HTTP server adds here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
