"""Two calibration rounds opened on one project at once: one opens, the other is told so."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from portal.errors import ConflictError
from projects.models import Project
from projects.services.projects import project_create
from reviews.models import CalibrationRound
from reviews.services.calibration import calibration_start
from tenants.models import AuditLog, Membership, Role, Workspace
from tests.conftest import another_waits_for_a_lock
from tests.reviews.conftest import gold_items

NAME = "Calibrated at once"


@pytest.fixture
def gold_project(django_db_setup, django_db_blocker):
    """A committed acme project with gold items."""
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager, workspace=workspace, name=NAME, task_type="pairwise_preference"
        )
        gold_items(project)
        connection.set_schema_to_public()
    yield workspace, manager, project
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        Project.objects.filter(pk=project.pk).delete()
        connection.set_schema_to_public()
        AuditLog.objects.filter(target=NAME).delete()


def test_a_second_round_started_at_the_same_time_is_a_conflict(gold_project, django_db_blocker):
    workspace, manager, project = gold_project
    opened, outcome = threading.Event(), []

    def start(reason: str):
        calibration_start(actor=manager, workspace=workspace, project=project, reason=reason)

    def first():
        """Opens a round and commits once the other start waits (or 3 s on)."""
        with django_db_blocker.unblock():
            try:
                connection.set_tenant(workspace)
                with transaction.atomic():
                    start("first")
                    opened.set()
                    another_waits_for_a_lock()
                outcome.append("opened")
            except DatabaseError as error:
                outcome.append(f"first: {error.__class__.__name__}")
            finally:
                opened.set()
                connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert opened.wait(timeout=30)
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        try:
            start("second")
            outcome.append("second opened")
        except ConflictError as error:
            outcome.append(error.code)
        except IntegrityError:
            outcome.append("IntegrityError")
        thread.join(timeout=30)
        assert sorted(outcome) == ["calibration_open", "opened"]
        assert list(CalibrationRound.objects.filter(project=project).values_list("reason", flat=True)) == [
            "first"
        ]
        connection.set_schema_to_public()
