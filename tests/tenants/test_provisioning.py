"""Provisioning: slugs, atomicity, and a schema identical to a freshly migrated one."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from portal.errors import ConflictError, DomainError
from tenants.models import AuditLog, Domain, Workspace
from tenants.services.schema_template import (
    schema_create_by_migrating,
    schema_create_from_template,
    schema_template_current,
    tenant_migration_state,
)
from tenants.services.workspaces import workspace_provision

CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default,
               character_maximum_length, numeric_precision, numeric_scale, is_identity,
               identity_generation, identity_start, identity_increment
        FROM information_schema.columns WHERE table_schema = %(schema)s ORDER BY 1, 3""",
    "tables": """
        SELECT table_name, table_type FROM information_schema.tables
        WHERE table_schema = %(schema)s ORDER BY 1""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, %(schema)s || '.', '')
        FROM pg_indexes WHERE schemaname = %(schema)s ORDER BY 1, 2""",
    "constraints": """
        SELECT rel.relname, con.conname, con.contype, con.condeferrable, con.condeferred,
               replace(pg_get_constraintdef(con.oid), %(schema)s || '.', '')
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = con.connamespace
        WHERE ns.nspname = %(schema)s ORDER BY 1, 2""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle
        FROM pg_sequences WHERE schemaname = %(schema)s ORDER BY 1""",
    "sequence_owners": """
        SELECT s.relname, t.relname, a.attname FROM pg_class s
        JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE s.relkind = 'S' AND n.nspname = %(schema)s ORDER BY 1""",
}


def catalog(schema: str) -> dict[str, list]:
    result = {}
    with connection.cursor() as cursor:
        for name, query in CATALOG_QUERIES.items():
            cursor.execute(query, {"schema": schema})
            result[name] = cursor.fetchall()
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        result["migrations"] = cursor.fetchall()
    return result


@pytest.fixture
def two_schemas(django_db_setup, django_db_blocker):
    names = ("ws_by_template", "ws_by_migrating")
    with django_db_blocker.unblock():
        yield names
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_template_schema_equals_freshly_migrated_schema(two_schemas):
    by_template, by_migrating = two_schemas
    template = schema_template_current()
    with transaction.atomic():
        schema_create_from_template(schema_name=by_template, template=template)
    schema_create_by_migrating(by_migrating)

    fast, slow = catalog(by_template), catalog(by_migrating)
    assert fast["tables"], "the template produced no tables"
    assert fast["migrations"], "the template produced no migration records"
    for part in CATALOG_QUERIES.keys() | {"migrations"}:
        assert fast[part] == slow[part], f"{part} differ between template and migrations"


def test_template_is_keyed_by_the_migration_files(db):
    template = schema_template_current()
    assert template.state == tenant_migration_state()
    assert schema_template_current().pk == template.pk  # captured once, reused


def test_provision_creates_row_domain_schema_and_audit(db, staff):
    workspace = workspace_provision(actor=staff, slug="initech", name="Initech")
    assert workspace.schema_name == "ws_initech"
    assert Domain.objects.get(tenant=workspace).domain == "initech.localhost"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ws_initech.members_invitation")
        assert cursor.fetchone()[0] == 0
    assert AuditLog.objects.filter(action="workspace.provisioned", target="initech").exists()


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("www", "reserved_slug"),
        ("admin", "reserved_slug"),
        ("public", "reserved_slug"),
        ("Has Space", "invalid_slug"),
        ("9lives", "invalid_slug"),
        ("a", "invalid_slug"),
        ("trailing-", "invalid_slug"),
        ("double--hyphen", "invalid_slug"),
        ("x" * 31, "invalid_slug"),
    ],
)
def test_bad_slugs_are_refused_with_a_clear_error(db, slug, code):
    with pytest.raises(DomainError) as error:
        workspace_provision(actor=None, slug=slug, name="Anything")
    assert error.value.code == code
    assert "slug" in error.value.fields
    assert not Workspace.objects.filter(name="Anything").exists()


def test_taken_slug_is_a_conflict(acme):
    with pytest.raises(ConflictError) as error:
        workspace_provision(actor=None, slug="acme", name="Acme again")
    assert error.value.code == "slug_taken"


def test_failed_provisioning_leaves_nothing_behind(db):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "ws_collide"')
    with pytest.raises(IntegrityError):
        workspace_provision(actor=None, slug="collide", name="Collide")
    assert not Workspace.objects.filter(slug="collide").exists()
    assert not Domain.objects.filter(domain="collide.localhost").exists()


def test_provision_command(db, capsys):
    from django.core.management import call_command

    call_command("provision_workspace", "umbrella", "Umbrella", "--manager-email", "boss@umbrella.test")
    assert "umbrella.localhost" in capsys.readouterr().out
    connection.set_tenant(Workspace.objects.get(slug="umbrella"))
    from members.models import Invitation

    assert Invitation.objects.get().email == "boss@umbrella.test"


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ('SET CONSTRAINTS "x_fk" IMMEDIATE; ALTER TABLE "t" DROP CONSTRAINT "x_fk"', True),
        ('ALTER TABLE "t" ADD COLUMN "c" integer', True),
        ('SET search_path = "ws_a", public', False),
        ("SELECT c.relname FROM pg_class c", False),
        ('INSERT INTO "django_migrations" ("app", "name", "applied") VALUES (%s, %s, %s)', False),
    ],
)
def test_the_template_keeps_every_string_that_changes_the_schema(sql, kept):
    from tenants.services.schema_template import _changes_schema

    assert _changes_schema(sql) is kept
