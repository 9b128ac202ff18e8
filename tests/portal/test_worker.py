"""A real Celery worker runs each task in the schema of the workspace that sent it."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from members.models import Invitation
from members.services import invitation_create
from tenants.models import AuditLog, Role, Workspace
from tests.processes import celery_worker, process_env

pytestmark = pytest.mark.slow


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield
        for slug in ("acme", "globex"):
            connection.set_tenant(Workspace.objects.get(slug=slug))
            Invitation.objects.filter(email__endswith="@worker.test").delete()
        connection.set_schema_to_public()
        AuditLog.objects.filter(target__endswith="@worker.test").delete()


def test_tasks_run_in_the_schema_that_sent_them(committed, tmp_path, settings):
    from portal.celery import app

    app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    sent = {}
    for slug in ("acme", "globex"):
        workspace = Workspace.objects.get(slug=slug)
        connection.set_tenant(workspace)
        # Same id in both schemas: only the right schema finds the right invitation.
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('members_invitation', 'id'), 4999)")
        manager = workspace.memberships.get(role=Role.CLIENT_MANAGER).user
        invitation, _ = invitation_create(
            actor=manager, workspace=workspace, email=f"{slug}-invitee@worker.test", role=Role.CLIENT_VIEWER
        )
        sent[slug] = invitation
    connection.set_schema_to_public()
    assert sent["acme"].pk == sent["globex"].pk == 5000

    mail_dir = tmp_path / "mail"
    env = process_env(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)
    )
    with celery_worker(env, tmp_path / "worker.log"):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if mail_dir.exists() and len(list(mail_dir.iterdir())) >= 2:
                break
            time.sleep(0.5)
    messages = [path.read_text() for path in mail_dir.iterdir()] if mail_dir.exists() else []
    assert len(messages) == 2, (tmp_path / "worker.log").read_text()[-3000:]
    by_recipient = {}
    for message in messages:
        recipient = next(line for line in message.splitlines() if line.startswith("To: "))[4:]
        by_recipient[recipient] = message
    assert "http://acme.localhost:8000/invitations/" in by_recipient["acme-invitee@worker.test"]
    assert "Acme Labs" in by_recipient["acme-invitee@worker.test"]
    assert "http://globex.localhost:8000/invitations/" in by_recipient["globex-invitee@worker.test"]
    assert "Globex Labs" in by_recipient["globex-invitee@worker.test"]
    for slug in ("acme", "globex"):
        connection.set_tenant(Workspace.objects.get(slug=slug))
        assert Invitation.objects.get(pk=5000).sent_at is not None
