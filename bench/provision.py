"""Provisioning a workspace: replaying the captured schema template vs running the migrations,
with no other workspaces and with 1,000; and the routing overhead of a workspace request.

Runs on the embedded PostgreSQL (or DATABASE_URL's server) in a scratch database of its own.
Usage: python bench/provision.py  (make bench)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py shares its name with the standard library's queue: keep bench/ off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

BENCH_DB = "bench_provision"
FLEET = int(os.environ.get("BENCH_FLEET", "1000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
REQUESTS = 300


def scratch_database_url(name: str = BENCH_DB) -> tuple[str, str]:
    """A fresh database for a bench: (its URL, the URL of the server's maintenance database).

    On the filesystem broker the bench's tasks also go to an empty folder of its own: a `make run`
    worker would otherwise pick them up and look for their rows in its own database.
    """
    import shutil

    import psycopg

    from portal.embedded import DATA_DIR, embedded_postgres_host

    if not os.environ.get("CELERY_BROKER_URL"):
        broker = DATA_DIR / "bench-broker" / name
        shutil.rmtree(broker, ignore_errors=True)
        os.environ["PORTAL_BROKER_DIR"] = str(broker)

    base = os.environ.get("DATABASE_URL")
    if base:
        admin = base
        url = base.rsplit("/", 1)[0] + f"/{name}"
    else:
        host = embedded_postgres_host()
        admin = f"postgresql://postgres@{quote(host, safe='')}/postgres"
        url = f"postgresql://postgres@{quote(host, safe='')}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url, admin


def main() -> None:
    url, admin = scratch_database_url()
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from tenants.models import Domain, Workspace
    from tenants.services.schema_template import schema_create_by_migrating, schema_template_current
    from tenants.services.workspaces import workspace_domain, workspace_provision, workspace_schema_name

    call_command("migrate", verbosity=0)
    schema_template_current()
    counter = iter(range(1_000_000))

    def fast() -> float:
        slug = f"fast{next(counter)}"
        start = time.perf_counter()
        workspace_provision(actor=None, slug=slug, name=slug)
        return time.perf_counter() - start

    def migrate() -> float:
        slug = f"slow{next(counter)}"
        start = time.perf_counter()
        with transaction.atomic():
            workspace = Workspace.objects.create(
                schema_name=workspace_schema_name(slug), slug=slug, name=slug
            )
            Domain.objects.create(domain=workspace_domain(slug), tenant=workspace, is_primary=True)
        schema_create_by_migrating(workspace.schema_name)
        return time.perf_counter() - start

    def existing() -> int:
        return Workspace.objects.exclude(schema_name="public").count()

    runs = []

    def measure(method: str, fn) -> None:
        count = existing()
        samples = [fn() for _ in range(REPEATS)]
        # Drop what was measured, so every run starts from exactly `count` workspaces.
        for workspace in Workspace.objects.filter(slug__regex=r"^(fast|slow)\d+$"):
            workspace.delete(force_drop=True)
        median = statistics.median(samples)
        runs.append({"existing": count, "method": method, "median_s": round(median, 4)})
        print(
            f"{method:>8} with {count:>5} workspaces present: median {median * 1000:8.1f} ms "
            f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}, n={len(samples)})"
        )

    measure("fast", fast)
    measure("migrate", migrate)

    print(f"creating a fleet of {FLEET} workspaces ...", flush=True)
    start = time.perf_counter()
    while existing() < FLEET:
        workspace_provision(actor=None, slug=f"fleet{next(counter)}", name="fleet")
    print(f"  done in {time.perf_counter() - start:.1f} s")

    measure("fast", fast)
    measure("migrate", migrate)

    # Routing: the same sign-in page on the public host and on a workspace host.
    def per_request_ms(host: str) -> float:
        client = Client(HTTP_HOST=host)
        client.get("/login/")
        samples = []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = client.get("/login/")
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        connection.set_schema_to_public()
        return statistics.median(samples) * 1000

    public_ms = per_request_ms("localhost")
    workspace_ms = per_request_ms(workspace_domain("fleet100"))
    overhead = workspace_ms - public_ms
    print(
        f"routing: public request {public_ms:.2f} ms, workspace request {workspace_ms:.2f} ms "
        f"(median of {REQUESTS}); overhead {overhead:.2f} ms"
    )

    by = {(r["existing"] >= FLEET, r["method"]): r["median_s"] for r in runs}
    print(
        f"fast at {FLEET}: {by[(True, 'fast')] / by[(False, 'fast')]:.2f}x its time with none; "
        f"migrate at {FLEET}: {by[(True, 'migrate')] / by[(False, 'migrate')]:.2f}x; "
        f"migrate/fast at {FLEET}: {by[(True, 'migrate')] / by[(True, 'fast')]:.1f}x"
    )

    connection.close()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    print(json.dumps({"bench": "provision", "runs": runs, "routing_overhead_ms": round(overhead, 3)}))


if __name__ == "__main__":
    main()
