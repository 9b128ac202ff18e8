"""The fair queue under load: annotators asking for their next task and submitting it, over HTTP
against gunicorn on loopback, with 10,000 and 100,000 items.

Set-up, through the services: workspace `acme`, a client manager, 32 annotators (members with
the annotator role, each with a personal access token). Every run gets a fresh ACTIVE pairwise
project (overlap 3, 10-minute leases) with N items and all 32 staffed, so runs never share
items; no guideline is published, so there is nothing to acknowledge.

For each size: one annotator working sequentially; 8 and 32 annotators in closed loop; an open
loop at half the closed-loop rate of 32. After each run the database is checked for items
handed out beyond the overlap and for (item, annotator) pairs done twice; both must be 0. Each
run also prints where the CPU went (gunicorn, PostgreSQL, this client, anything else on the
machine) and PostgreSQL's background work, since the load generator, gunicorn and PostgreSQL
share the machine.

Runs on the embedded PostgreSQL (or DATABASE_URL's server) in a scratch database of its own.
Usage: python bench/queue.py  (make bench)
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `queue`: keep its folder off the import path,
# or every `import queue` (threading, concurrent.futures, ...) would load this script again.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import http.client  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import orjson  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

BENCH_DB = "bench_queue"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
ANNOTATORS = 32
OVERLAP = 3
LEASE_SECONDS = 600
CHUNK = 10_000  # items_import takes at most 10,000 records per call
SEQUENTIAL_S = float(os.environ.get("BENCH_SEQUENTIAL_S", "20"))
SEQUENTIAL_ROUNDS = 2_000  # whichever comes first: the rounds or the time budget
CLOSED_S = float(os.environ.get("BENCH_CLOSED_S", "30"))
CLOSED_K = (8, 32)
OPEN_S = float(os.environ.get("BENCH_OPEN_S", "20"))
TRIM = 0.15  # closed loop: drop the first and last 15% of the window (warm-up and wind-down)

# Gunicorn on a 2-core machine shared with PostgreSQL and this load generator. Measured with
# this bench (N = 10,000, closed loop, 12 s runs, two rounds each; annotations/s):
#   --workers 2                                  K=8: 84, 84    K=32: 50*, 68
#   --workers 3                                  K=8: 98, 82    K=32: 98, 87   p99 ~0.2-0.35 s
#   --workers 2 --worker-class gthread --threads 4   K=8: 88, 86    K=32: 91, 74
#   --workers 3 --worker-class gthread --threads 4   K=8: 108, 75   K=32: 100, 66  p99 ~0.5-0.8 s
# (* another test suite was using 0.7 of a core.) Every setting saturates the two cores (gunicorn
# ~1.3-1.4 cores, PostgreSQL ~0.45), so throughput is set by CPU per request, not by concurrency;
# threads add GIL contention and longer tails for no gain. 3 sync workers were the steadiest and
# have the shortest tails, so they are the default. A sync worker closes the connection after
# each response (no keep-alive); http.client reconnects on loopback, which costs little next to
# the ~15 ms of CPU an annotation takes. BENCH_GUNICORN overrides the choice (space-separated).
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN", "--workers 3").split()

# One valid pairwise result, encoded once: the client does no per-request JSON work but parsing
# the assignment id out of next-task's answer.
SUBMIT_BODY = orjson.dumps(
    {
        "result": {
            "preference": {
                "choice": "A",
                "strength": 2,
                "dimensions": {"helpfulness": "A", "honesty": "tie", "harmlessness": "tie"},
            }
        },
        "time_spent_ms": 1000,
    }
)


# The client ---------------------------------------------------------------------------------


class Annotator:
    """One simulated annotator: an HTTP/1.1 connection of their own (kept alive when the server
    allows it, reopened when it does not) and their token."""

    def __init__(self, port: int, host: str, secret: str, project_id: int = 0):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        auth = f"Bearer {secret}"
        self.h_next = {"Host": host, "Authorization": auth, "Content-Length": "0"}
        self.h_submit = {
            "Host": host,
            "Authorization": auth,
            "Content-Type": "application/json",
            "Content-Length": str(len(SUBMIT_BODY)),
        }
        self.h_get = {"Host": host, "Authorization": auth}
        self.next_path = f"/api/v1/projects/{project_id}/tasks/next/"

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()  # reconnects on the next request
            return 0, repr(error).encode()

    def next_task(self) -> tuple[int, bytes]:
        return self.request("POST", self.next_path, b"", self.h_next)

    def submit(self, assignment_id: int) -> tuple[int, bytes]:
        return self.request(
            "POST", f"/api/v1/assignments/{assignment_id}/submit/", SUBMIT_BODY, self.h_submit
        )

    def close(self) -> None:
        self.conn.close()


class Stats:
    """What one run saw. list.append is atomic under the GIL; errors are rare and locked."""

    def __init__(self):
        self.next: list[tuple[float, float]] = []  # (finished at, seconds)
        self.submit: list[tuple[float, float]] = []
        self.total: list[float] = []  # open loop: scheduled arrival to submitted
        self.done: list[float] = []  # when each annotation was submitted
        self.empty = 0
        self.t0 = 0.0  # open loop: when the first arrival was due
        self.errors = Counter()
        self.samples: list[str] = []
        self._lock = threading.Lock()

    def error(self, what: str, status: int, body: bytes) -> None:
        with self._lock:
            self.errors[f"{what} {status}"] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{what} -> {status}: {body[:300].decode(errors='replace')}")


def one_task(annotator: Annotator, stats: Stats, started: float) -> bool:
    """next-task then submit; latencies measured from `started`. False when nothing is left."""
    status, body = annotator.next_task()
    got = time.perf_counter()
    if status != 200:
        stats.error("next", status, body)
        time.sleep(0.05)  # do not spin on a failing server
        return True
    try:
        assignment = orjson.loads(body)["assignment"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        stats.error("next (unreadable answer)", status, body)
        return True
    if assignment is None:
        stats.empty += 1
        return False
    stats.next.append((got, got - started))
    status, body = annotator.submit(assignment["id"])
    done = time.perf_counter()
    if status != 201:
        stats.error("submit", status, body)
        time.sleep(0.05)
        return True
    stats.submit.append((done, done - got))
    stats.done.append(done)
    stats.total.append(done - started)
    return True


def percentiles(seconds: list[float]) -> dict:
    if not seconds:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(seconds)
    last = len(ordered) - 1

    def at(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * 1000, 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def run_sequential(annotator: Annotator) -> tuple[Stats, float]:
    stats = Stats()
    start = time.perf_counter()
    deadline = start + SEQUENTIAL_S
    rounds = 0
    while rounds < SEQUENTIAL_ROUNDS and time.perf_counter() < deadline:
        if not one_task(annotator, stats, time.perf_counter()):
            break
        rounds += 1
    elapsed = time.perf_counter() - start
    return stats, len(stats.done) / elapsed


def run_closed(annotators: list[Annotator]) -> tuple[Stats, float, tuple[float, float]]:
    stats = Stats()
    start = time.perf_counter() + 0.2  # every thread starts together
    deadline = start + CLOSED_S

    def work(annotator: Annotator) -> None:
        time.sleep(max(0.0, start - time.perf_counter()))
        while time.perf_counter() < deadline:  # a started task is finished: no lease left behind
            if not one_task(annotator, stats, time.perf_counter()):
                return

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window = (start + TRIM * CLOSED_S, deadline - TRIM * CLOSED_S)
    steady = sum(1 for t in stats.done if window[0] <= t < window[1])
    return stats, steady / (window[1] - window[0]), window


def run_open(annotators: list[Annotator], rate: float) -> Stats:
    """Arrivals at a fixed rate; each is served by the next free annotator, in arrival order.

    Arrival i is due at t0 + i/rate. A free annotator takes the next arrival and waits for it to
    be due; when every annotator is busy, arrivals wait for one, and that wait is in their
    latency: next-task's latency is measured from the due time, submit's from next-task's answer.
    """
    stats = Stats()
    arrivals = int(OPEN_S * rate)
    counter = itertools.count()
    t0 = time.perf_counter() + 0.2

    def work(annotator: Annotator) -> None:
        while (i := next(counter)) < arrivals:
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if not one_task(annotator, stats, due):
                return

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.t0 = t0
    return stats


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DEBUG": "0",
        "PORTAL_PORT": str(port),
    }
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += GUNICORN_ARGS
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def gunicorn_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_wait(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not come up:\n{log_path.read_text()[-3000:]}")


def warm_up(annotators: list[Annotator]) -> None:
    """Every worker process and thread serves a few requests before anything is measured."""

    def work(annotator: Annotator) -> None:
        for _ in range(4):
            status, body = annotator.request("GET", "/api/v1/me/", None, annotator.h_get)
            if status != 200:
                raise RuntimeError(f"warm-up request failed: {status} {body[:300]!r}")

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Where the CPU goes ---------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int, *, tree: bool = False) -> float:
    """CPU seconds of a process; with `tree`, of all its descendants too, the exited ones included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if tree else []
    except OSError:
        return 0.0
    own = sum(int(value) for value in fields[11 : 15 if tree else 13]) / TICK  # utime stime (cutime cstime)
    return own + sum(proc_cpu(int(child), tree=True) for child in children)


def machine_busy() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK  # all but idle and iowait


class CpuMeter:
    """CPU used during a run by gunicorn (master and workers), the PostgreSQL backends serving the
    scratch database (when they run on this machine), this client, and the machine as a whole;
    "other" is the rest: other users of the machine and of the PostgreSQL server."""

    def __init__(self, gunicorn_pid: int):
        self.gunicorn_pid = gunicorn_pid
        self.local_postgres = postgres_is_local()

    def snapshot(self) -> dict:
        times = os.times()
        return {
            "maintenance": maintenance_snapshot(),
            "gunicorn": proc_cpu(self.gunicorn_pid, tree=True),
            "backends": {pid: proc_cpu(pid) for pid in backend_pids()} if self.local_postgres else {},
            "client": times.user + times.system,
            "machine": machine_busy(),
            "wall": time.perf_counter(),
        }

    def describe(self, before: dict, after: dict, annotations: int) -> str:
        wall = after["wall"] - before["wall"]
        used = {name: after[name] - before[name] for name in ("gunicorn", "client", "machine")}
        if self.local_postgres:  # a backend that ended during the run takes its time with it
            used["postgres"] = sum(
                cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items()
            )
        ours = sum(used[name] for name in ("gunicorn", "postgres", "client") if name in used)
        cores = ", ".join(
            f"{name} {used[name] / wall:.2f}" for name in ("gunicorn", "postgres", "client") if name in used
        )
        line = f"cpu (cores): {cores}, other {(used['machine'] - ours) / wall:.2f}; "
        line += f"machine busy {used['machine'] / wall:.2f} of {os.cpu_count()}"
        if annotations:
            per = ", ".join(
                f"{name} {used[name] * 1000 / annotations:.1f}"
                for name in ("gunicorn", "postgres")
                if name in used
            )
            line += f"; cpu ms per annotation: {per}"
        return line + "\n             " + maintenance_describe(before["maintenance"], after["maintenance"])


def backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def postgres_is_local() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        return "postgres" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False  # PostgreSQL on another machine


def maintenance_snapshot() -> dict:
    """Autovacuum and autoanalyze runs per table of the scratch database, and the server's checkpoints."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_all_tables"
            " WHERE autovacuum_count + autoanalyze_count > 0"
        )
        tables = {name: (vacuums, analyzes) for name, vacuums, analyzes in cursor.fetchall()}
        cursor.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        checkpoints = cursor.fetchone()[0]
        cursor.execute(
            "SELECT query FROM pg_stat_activity"
            " WHERE backend_type = 'autovacuum worker' AND datname = current_database()"
        )
        running = [query for (query,) in cursor.fetchall()]
    return {"tables": tables, "checkpoints": checkpoints, "running": running}


def maintenance_describe(before: dict, after: dict) -> str:
    """What PostgreSQL's background work did during a run, which may show in the tail latencies."""
    runs = []
    for name, (vacuums, analyzes) in sorted(after["tables"].items()):
        was = before["tables"].get(name, (0, 0))
        runs += [f"autovacuum {name}"] * (vacuums - was[0]) + [f"autoanalyze {name}"] * (analyzes - was[1])
    checkpoints = after["checkpoints"] - before["checkpoints"]
    line = f"background: {', '.join(runs) or 'no autovacuum finished'}"
    if after["running"]:
        line += f"; still running: {'; '.join(after['running'])}"
    return line + f"; server checkpoints {checkpoints}"


# The database -------------------------------------------------------------------------------

_OVER_ASSIGNED = """
    SELECT count(DISTINCT item_id) FROM (
        SELECT item_id FROM projects_annotation WHERE project_id = %(p)s
        GROUP BY item_id HAVING count(*) > %(o)s
        UNION ALL
        SELECT item_id FROM projects_assignment
        WHERE project_id = %(p)s AND status IN ('leased', 'submitted')
        GROUP BY item_id HAVING count(*) > %(o)s
        UNION ALL
        SELECT id FROM projects_item WHERE project_id = %(p)s AND assigned_count > %(o)s
    ) over_assigned
"""
_DUPLICATES = """
    SELECT
        (SELECT count(*) FROM (
            SELECT 1 FROM projects_annotation WHERE project_id = %(p)s
            GROUP BY item_id, annotator_id HAVING count(*) > 1) a)
      + (SELECT count(*) FROM (
            SELECT 1 FROM projects_assignment WHERE project_id = %(p)s
            GROUP BY item_id, annotator_id HAVING count(*) > 1) s)
"""
_COUNTS = """
    SELECT
        (SELECT count(*) FROM projects_annotation WHERE project_id = %(p)s),
        (SELECT count(*) FROM projects_assignment WHERE project_id = %(p)s AND status = 'leased'),
        (SELECT count(*) FROM projects_item i WHERE project_id = %(p)s AND assigned_count <> (
            SELECT count(*) FROM projects_assignment a
            WHERE a.item_id = i.id AND a.status IN ('leased', 'submitted')))
"""


def db_check(project_id: int) -> dict:
    from django.db import connection

    params = {"p": project_id, "o": OVERLAP}
    with connection.cursor() as cursor:
        cursor.execute(_OVER_ASSIGNED, params)
        over = cursor.fetchone()[0]
        cursor.execute(_DUPLICATES, params)
        duplicates = cursor.fetchone()[0]
        cursor.execute(_COUNTS, params)
        annotations, leased, drift = cursor.fetchone()
    return {
        "over_assigned": over,
        "duplicates": duplicates,
        "annotations": annotations,
        "leased": leased,
        "drift": drift,
    }


def items(count: int, start: int) -> list[dict]:
    return [
        {
            "external_id": f"item-{n:06d}",
            "prompt": f"Explain step {n} of the procedure in plain words.",
            "responses": [
                f"A first answer about step {n}, fairly detailed and polite.",
                f"A second answer about step {n}, shorter and more direct.",
            ],
        }
        for n in range(start, start + count)
    ]


# The bench ----------------------------------------------------------------------------------


def main() -> None:
    from bench.provision import scratch_database_url  # the same scratch-database helper

    url, admin = scratch_database_url(BENCH_DB)
    os.environ["DATABASE_URL"] = url  # for this process and gunicorn's
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from projects.services.imports import items_import
    from projects.services.projects import project_create, project_staff, project_transition
    from tenants.models import Membership, Role, User
    from tenants.services.tokens import token_create
    from tenants.services.workspaces import workspace_domain, workspace_provision

    process = None
    log_dir = tempfile.TemporaryDirectory(prefix="bench_queue_")
    log_path = Path(log_dir.name) / "gunicorn.log"
    runs: list[dict] = []
    try:
        call_command("migrate", verbosity=0)
        workspace = workspace_provision(actor=None, slug="acme", name="Acme Labs")
        manager = User.objects.create_user(email="manager@acme.test", password=None)
        Membership.objects.create(user=manager, workspace=workspace, role=Role.CLIENT_MANAGER)
        people, secrets = [], []
        for n in range(ANNOTATORS):
            user = User.objects.create_user(email=f"annotator{n:02d}@acme.test", password=None)
            Membership.objects.create(user=user, workspace=workspace, role=Role.ANNOTATOR)
            people.append(user)
            secrets.append(token_create(user=user, name="bench")[1])
        connection.set_tenant(workspace)

        counter = itertools.count(1)

        def project_fresh(size: int) -> int:
            """An active pairwise project with `size` items, all 32 staffed; no guideline published,
            so nobody has one to acknowledge."""
            started = time.perf_counter()
            project = project_create(
                actor=manager,
                workspace=workspace,
                name=f"Preferences {next(counter)}",
                task_type="pairwise_preference",
                overlap=OVERLAP,
                lease_seconds=LEASE_SECONDS,
            )
            for start in range(0, size, CHUNK):
                items_import(project=project, records=items(min(CHUNK, size - start), start))
            for user in people:
                project_staff(
                    actor=manager, workspace=workspace, project=project, user_id=user.pk, role="annotator"
                )
            project_transition(actor=manager, workspace=workspace, project=project, status="active")
            with connection.cursor() as cursor:
                # What autovacuum would do in the next seconds, after the load and the previous run
                # (and, the first time, after provisioning churned the catalogs), done now: the
                # run measures the queue, not stale statistics or a vacuum running beside it.
                cursor.execute("VACUUM (ANALYZE)")
            print(
                f"  project {project.pk}: {size:,} items in {time.perf_counter() - started:.1f} s", flush=True
            )
            return project.pk

        port = free_port()
        host = f"{workspace_domain('acme')}:{port}"
        process = gunicorn_start(port, log_path)
        server_wait(process, port, log_path)
        clients = [Annotator(port, host, secret) for secret in secrets]
        warm_up(clients)
        for client in clients:
            client.close()
        print(f"gunicorn {' '.join(GUNICORN_ARGS)} on 127.0.0.1:{port}, Host {host}", flush=True)
        meter = CpuMeter(process.pid)

        def record(
            size: int,
            k: int,
            mode: str,
            stats: Stats,
            rate: float,
            project_id: int,
            extra: str,
            cpu: str,
            window: tuple[float, float] = (0.0, float("inf")),
        ) -> dict:
            check = db_check(project_id)
            errors = sum(stats.errors.values())
            nexts = [s for t, s in stats.next if window[0] <= t < window[1]]
            submits = [s for t, s in stats.submit if window[0] <= t < window[1]]
            run = {
                "items": size,
                "annotators": k,
                "mode": mode,
                "annotations_per_s": round(rate, 1),
                "next_ms": percentiles(nexts),
                "submit_ms": percentiles(submits),
                "over_assigned": check["over_assigned"],
                "duplicates": check["duplicates"],
                "errors": errors,
            }
            if stats.empty:
                run["empty"] = stats.empty
            runs.append(run)
            n, s = run["next_ms"], run["submit_ms"]
            print(
                f"  {mode:>10} K={k:<2} {rate:7.1f} ann/s {extra}\n"
                f"             next   p50 {n['p50']} p95 {n['p95']} p99 {n['p99']} ms (n={len(nexts)})\n"
                f"             submit p50 {s['p50']} p95 {s['p95']} p99 {s['p99']} ms (n={len(submits)})\n"
                f"             db: over_assigned {check['over_assigned']}, duplicates {check['duplicates']}, "
                f"annotations {check['annotations']} (client saw {len(stats.done)}), "
                f"live leases {check['leased']}, counter drift {check['drift']}; "
                f"errors {errors}{f' {dict(stats.errors)}' if errors else ''}"
                f"{f', empty queue {stats.empty}' if stats.empty else ''}",
                flush=True,
            )
            print(f"             {cpu}")
            for sample in stats.samples:
                print(f"             error: {sample}")
            return run

        for size in SIZES:
            print(f"N = {size:,} items (a fresh project for each run)", flush=True)

            project_id = project_fresh(size)
            solo = Annotator(port, host, secrets[0], project_id)
            before = meter.snapshot()
            stats, rate = run_sequential(solo)
            cpu = meter.describe(before, meter.snapshot(), len(stats.done))
            solo.close()
            record(size, 1, "sequential", stats, rate, project_id, f"({len(stats.done)} rounds)", cpu)

            closed_rate = {}
            for k in CLOSED_K:
                project_id = project_fresh(size)
                clients = [Annotator(port, host, secret, project_id) for secret in secrets[:k]]
                before = meter.snapshot()
                stats, rate, window = run_closed(clients)
                cpu = meter.describe(before, meter.snapshot(), len(stats.done))
                for client in clients:
                    client.close()
                closed_rate[k] = rate
                extra = f"(rate and latencies over the middle {1 - 2 * TRIM:.0%} of {CLOSED_S:.0f} s)"
                record(size, k, "closed", stats, rate, project_id, extra, cpu, window)

            project_id = project_fresh(size)
            target = closed_rate[32] / 2
            clients = [Annotator(port, host, secret, project_id) for secret in secrets]
            before = meter.snapshot()
            stats = run_open(clients, target)
            cpu = meter.describe(before, meter.snapshot(), len(stats.done))
            for client in clients:
                client.close()
            finished = max(stats.done) if stats.done else stats.t0 + OPEN_S
            achieved = len(stats.done) / max(finished - stats.t0, 1e-9)
            total = percentiles(stats.total)
            # The JSON keeps the whole run; this shows how much of the tail is the first seconds,
            # when every annotator takes their first item of the new project.
            middle = (stats.t0 + TRIM * OPEN_S, stats.t0 + (1 - TRIM) * OPEN_S)
            steady_next = percentiles([s for t, s in stats.next if middle[0] <= t < middle[1]])
            steady_submit = percentiles([s for t, s in stats.submit if middle[0] <= t < middle[1]])
            record(
                size,
                ANNOTATORS,
                "open",
                stats,
                achieved,
                project_id,
                f"(target {target:.1f}/s for {OPEN_S:.0f} s; arrival to submitted p50 {total['p50']} "
                f"p95 {total['p95']} p99 {total['p99']} ms)",
                cpu,
            )
            print(
                f"             middle {1 - 2 * TRIM:.0%} only: next p50 {steady_next['p50']} "
                f"p95 {steady_next['p95']} p99 {steady_next['p99']} ms, submit p50 {steady_submit['p50']} "
                f"p95 {steady_submit['p95']} p99 {steady_submit['p99']} ms",
                flush=True,
            )
            runs[-1]["target_per_s"] = round(target, 1)
    finally:
        if process is not None:
            gunicorn_stop(process)
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            if "Traceback" in log or "[ERROR]" in log or "WORKER TIMEOUT" in log:
                print(f"gunicorn log (last 3,000 characters):\n{log[-3000:]}")
        log_dir.cleanup()
        connection.close()
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    print(json.dumps({"bench": "queue", "runs": runs}))


if __name__ == "__main__":
    main()
