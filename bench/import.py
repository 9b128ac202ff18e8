"""A 100,000-item JSONL import through the real import path (as a job) against a raw COPY of the
same rows into a bare table; and, to show where the time goes, the same COPY, nothing done in
Python, into a table of the items' columns with no index, into a table like the items table (its
indexes: the floor of any import path), and into that table with the project's foreign key
checked row by row (which the import does once instead, where the database role may). Runs in a
scratch database of its own on the embedded PostgreSQL (or DATABASE_URL's server).

Usage: python bench/import.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py shares its name with the standard library's queue: keep bench/ off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

ITEMS = int(os.environ.get("BENCH_ITEMS", "100000"))
FOREIGN_KEY = ", FOREIGN KEY (project_id) REFERENCES projects_project (id) DEFERRABLE INITIALLY DEFERRED"
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def jsonl(count: int) -> bytes:
    lines = []
    for n in range(count):
        lines.append(
            json.dumps(
                {
                    "external_id": f"item-{n:06d}",
                    "prompt": f"Explain step {n} of the procedure in plain words.",
                    "responses": [
                        f"A first answer about step {n}, fairly detailed and polite.",
                        f"A second answer about step {n}, shorter and more direct.",
                    ],
                }
            )
        )
    return "\n".join(lines).encode()


def main() -> None:
    from bench.provision import scratch_database_url  # the same scratch-database helper

    url, admin = scratch_database_url("bench_import")
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.db import connection, transaction

    from projects.models import ImportJob, Item
    from projects.services.imports import import_job_create
    from projects.services.projects import project_create
    from projects.tasks import import_job_run
    from tenants.models import User
    from tenants.services.workspaces import workspace_provision

    call_command("migrate", verbosity=0)
    manager = User.objects.create_user(email="manager@bench.test", password="x-Pass-1234")
    workspace = workspace_provision(actor=manager, slug="acme", name="Acme")
    connection.set_tenant(workspace)
    content = jsonl(ITEMS)
    print(f"{ITEMS} items, {len(content) / 1e6:.1f} MB of JSONL")

    # Baseline: the same rows, already parsed, COPYed into a bare table with no index.
    rows = [json.loads(line) for line in content.splitlines()]
    copy_text = "".join(
        f"{r['external_id']}\t{json.dumps({k: v for k, v in r.items() if k != 'external_id'})}\n".replace(
            "\\", "\\\\"
        )
        for r in rows
    ).encode()
    # Where the time goes: the same rows COPYed, nothing done in Python, into a table of the items'
    # columns alone, into one like the items table (its columns, defaults, checks and indexes: the
    # floor of any import path), and into that one with the project's foreign key checked per row
    # at commit (as on the items table when the import may not do the check once itself).
    floor_project = project_create(
        actor=manager, workspace=workspace, name="Floor", task_type="pairwise_preference"
    )
    columns = "project_id, external_id, payload, is_gold, batch_id, assigned_count, completed_count, is_open, created_at"
    table_text = b"".join(
        b"%d\t" % floor_project.pk + line + b"\tf\t\\N\t0\t0\tt\t2026-01-01T00:00:00+00:00\n"
        for line in copy_text.splitlines()
    )
    copy_times, columns_times, table_times, fk_times, import_times = [], [], [], [], []
    for run in range(REPEATS):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_bare")
            cursor.execute("CREATE TABLE bench_bare (external_id text, payload jsonb)")
            start = time.perf_counter()
            with cursor.copy("COPY bench_bare (external_id, payload) FROM STDIN") as copy:
                copy.write(copy_text)
            copy_times.append(time.perf_counter() - start)
            cursor.execute("SELECT count(*) FROM bench_bare")
            assert cursor.fetchone()[0] == ITEMS
        for times, like in (
            (columns_times, "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY"),
            (table_times, "INCLUDING ALL"),
            (fk_times, f"INCLUDING ALL{FOREIGN_KEY}"),
        ):
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_items")
                cursor.execute(f"CREATE TABLE bench_items (LIKE projects_item {like})")
                start = time.perf_counter()
                with transaction.atomic(), cursor.copy(f"COPY bench_items ({columns}) FROM STDIN") as copy:
                    copy.write(table_text)
                times.append(time.perf_counter() - start)

        project = project_create(
            actor=manager, workspace=workspace, name=f"Import {run}", task_type="pairwise_preference"
        )
        start = time.perf_counter()
        job = import_job_create(actor=manager, project=project, filename="items.jsonl", content=content)
        import_job_run(job.pk)  # what the worker runs for a job
        import_times.append(time.perf_counter() - start)
        job = ImportJob.objects.get(pk=job.pk)
        default_storage.delete(job.file)
        assert job.status == "succeeded", job.errors
        assert Item.objects.filter(project=project).count() == ITEMS == job.created_count
        print(
            f"run {run + 1}: import job {import_times[-1]:.2f} s, raw COPY {copy_times[-1]:.2f} s, "
            f"ratio {import_times[-1] / copy_times[-1]:.2f}; COPY into the items' columns "
            f"{columns_times[-1]:.2f} s, ratio {columns_times[-1] / copy_times[-1]:.2f}; into an items-like "
            f"table {table_times[-1]:.2f} s, ratio {table_times[-1] / copy_times[-1]:.2f}; with the project's "
            f"foreign key checked per row {fk_times[-1]:.2f} s, ratio {fk_times[-1] / copy_times[-1]:.2f}"
        )

    again_start = time.perf_counter()
    job = import_job_create(actor=manager, project=project, filename="items.jsonl", content=content)
    import_job_run(job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    default_storage.delete(job.file)
    print(
        f"the same file again: {job.created_count} created, {job.duplicate_count} duplicates, "
        f"{time.perf_counter() - again_start:.2f} s"
    )

    seconds, copy_seconds = statistics.median(import_times), statistics.median(copy_times)
    columns_seconds, table_seconds = statistics.median(columns_times), statistics.median(table_times)
    fk_seconds = statistics.median(fk_times)
    print(
        f"median of {REPEATS}: import {seconds:.2f} s ({ITEMS / seconds:,.0f} items/s), raw COPY "
        f"{copy_seconds:.2f} s; ratio {seconds / copy_seconds:.2f}\n"
        f"the same COPY, no Python: into the items' columns with no index {columns_seconds:.2f} s, ratio "
        f"{columns_seconds / copy_seconds:.2f}; into an items-like table (its indexes) {table_seconds:.2f} s, "
        f"ratio {table_seconds / copy_seconds:.2f}, below which no import path into the items table can go; "
        f"with the project's foreign key checked per row {fk_seconds:.2f} s, ratio {fk_seconds / copy_seconds:.2f}"
    )
    connection.close()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "bench_import" WITH (FORCE)')
    print(
        json.dumps(
            {
                "bench": "import",
                "items": ITEMS,
                "seconds": round(seconds, 3),
                "copy_seconds": round(copy_seconds, 3),
                "ratio": round(seconds / copy_seconds, 2),
                "items_columns_copy_seconds": round(columns_seconds, 3),
                "items_columns_ratio": round(columns_seconds / copy_seconds, 2),
                "items_table_copy_seconds": round(table_seconds, 3),
                "items_table_ratio": round(table_seconds / copy_seconds, 2),
                "items_table_fk_copy_seconds": round(fk_seconds, 3),
                "items_table_fk_ratio": round(fk_seconds / copy_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
