"""Fast workspace schemas: capture a migrated schema's DDL once, replay it for every workspace.

Running every migration for each new workspace gets slower as schemas accumulate (the migration
executor introspects a catalog that grows with the fleet), and so does django-tenants'
`clone_schema`. Instead, the first time a migration state is seen, the tenant migrations run once
in a scratch schema while every statement that changes it is recorded; the scratch schema is
dropped and the statements are stored in `SchemaTemplate`, keyed by a hash of the tenant
migration files. Provisioning a workspace then replays those statements in one round trip under
the new schema's search_path and writes the same migration records, which costs the same with
ten schemas or ten thousand. `tests/tenants/test_provisioning.py` proves the result identical to
a freshly migrated schema.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_tenant_base_migrate_command_class, schema_exists

from tenants.models import SchemaTemplate

# Statements that read, or that manage the session, change nothing worth replaying.
_SKIP = re.compile(r"^\s*(SELECT|SHOW|SET\s|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", re.I)
_MIGRATION_RECORD = re.compile(r'^\s*INSERT INTO "django_migrations"', re.I)


def _changes_schema(sql: str) -> bool:
    """Whether a string of SQL holds a statement worth replaying. Django sends some as one string
    of several ("SET CONSTRAINTS ... IMMEDIATE; ALTER TABLE ... DROP CONSTRAINT ..."), so each
    part is looked at, and the whole string is kept when any part changes the schema."""
    parts = [part for part in sql.split(";") if part.strip()]
    return any(not _SKIP.match(part) and not _MIGRATION_RECORD.match(part) for part in parts)


def tenant_app_labels() -> list[str]:
    labels = []
    for app_name in settings.TENANT_APPS:
        if app_name in settings.SHARED_APPS:
            continue
        labels.append(apps.get_app_config(app_name.rsplit(".", 1)[-1]).label)
    return sorted(labels)


def tenant_migration_state() -> str:
    """A hash of every tenant migration file: it changes whenever the schema would."""
    loader = MigrationLoader(None, ignore_no_migrations=True, load=False)
    loader.load_disk()
    digest = hashlib.sha256()
    for app_label, name in sorted(loader.disk_migrations):
        if app_label not in tenant_app_labels():
            continue
        module = importlib.import_module(loader.disk_migrations[(app_label, name)].__module__)
        digest.update(f"{app_label}.{name}\n".encode())
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _migrate_options() -> dict:
    """The options `migrate` would get from its command line, quiet and non-interactive."""
    parser = get_tenant_base_migrate_command_class()().create_parser("manage.py", "migrate")
    options = vars(parser.parse_args([]))
    options.update(verbosity=0, interactive=False, database="default", skip_checks=True)
    return options


def _capture(scratch_schema: str) -> dict:
    """Migrate a scratch schema for real, recording every statement that changes it."""
    recorded: list[str] = []

    def recorder(execute, sql, params, many, context):
        if _changes_schema(sql):
            cursor = context["cursor"].cursor
            if many:
                recorded.extend(cursor.mogrify(sql, p) for p in params)
            else:
                recorded.append(cursor.mogrify(sql, params) if params else sql)
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{scratch_schema}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{scratch_schema}"')
    try:
        with connection.execute_wrapper(recorder):
            run_migrations([], _migrate_options(), "template", scratch_schema)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{scratch_schema}".django_migrations ORDER BY id')
            migrations = [list(row) for row in cursor.fetchall()]
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{scratch_schema}" CASCADE')
    return {"ddl": recorded, "migrations": migrations}


def schema_template_current() -> SchemaTemplate:
    """The template for the current migration state, captured on first use."""
    state = tenant_migration_state()
    template = SchemaTemplate.objects.filter(state=state).first()
    if template is not None:
        return template
    if connection.in_atomic_block:
        raise RuntimeError("Capture the schema template outside a transaction (manage.py migrate).")
    statements = _capture(f"_template_{state[:16]}")
    try:
        return SchemaTemplate.objects.create(state=state, statements=statements)
    except IntegrityError:  # another process captured the same state first
        return SchemaTemplate.objects.get(state=state)


def schema_create_from_template(*, schema_name: str, template: SchemaTemplate) -> None:
    """Create `schema_name` with the template's tables, indexes, constraints and migration records.

    Runs inside the caller's transaction, so a failure leaves no schema behind.
    """
    if schema_exists(schema_name):
        raise IntegrityError(f"Schema {schema_name} already exists.")
    ddl = ";\n".join(template.statements["ddl"])
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        previous = cursor.fetchone()[0]
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
        cursor.execute("SELECT set_config('search_path', %s, true)", [f'"{schema_name}", public'])
        cursor.execute(ddl)
        cursor.executemany(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
            template.statements["migrations"],
        )
        cursor.execute("SELECT set_config('search_path', %s, true)", [previous])


def schema_create_by_migrating(schema_name: str) -> None:
    """The slow reference path: create the schema and run every tenant migration in it."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    run_migrations([], _migrate_options(), "migrate", schema_name)
