"""Staffing writes take their locks in one order (the project, then the person, then the
commitment), so a person suspended while their project finishes, or while they are unstaffed,
waits instead of deadlocking."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction

from projects.models import Project
from projects.services.projects import project_create, project_transition
from tenants.models import AuditLog, Membership, Role, User, Workspace
from tests.workforce.conftest import make_expert
from workforce.models import AnnotatorProfile, Commitment
from workforce.services.staffing import staffing_confirm, staffing_end

EMAIL = "lock-order@pool.test"


@pytest.fixture
def staffed(django_db_setup, django_db_blocker):
    """A committed expert staffed for 5 h a week on an active acme project."""
    with django_db_blocker.unblock():
        staff = User.objects.get(email="staff@vendor.test")
        expert = make_expert(capacity=20, email=EMAIL)
        workspace = Workspace.objects.get(slug="acme")
        manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager,
            workspace=workspace,
            name="Lock order",
            task_type="pairwise_preference",
            requirements={"expertise": ["medicine/cardiology"], "hours_per_week": 5},
        )
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
        connection.set_schema_to_public()
        commitment = staffing_confirm(
            actor=staff, workspace=workspace, project_id=project.pk, profile_id=expert.pk, role="annotator"
        )
    yield {
        "staff": staff,
        "manager": manager,
        "workspace": workspace,
        "project": project,
        "commitment": commitment,
    }
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        Project.objects.filter(pk=project.pk).delete()
        connection.set_schema_to_public()
        Commitment.objects.filter(profile=expert).delete()
        Membership.objects.filter(user=expert.user).delete()
        AuditLog.objects.filter(target__in=[EMAIL, "Lock order"]).delete()
        expert.user.delete()


def _suspension_in_flight(
    profile_id: int, commitment_id: int, locked: threading.Event, outcome: list
) -> None:
    """What suspending the person does: lock them, then their commitments. It takes the commitment
    only once the other write is waiting for a lock, which is when the two orders would collide."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM workforce_annotatorprofile WHERE id = %s FOR UPDATE", [profile_id])
            locked.set()
            for _ in range(200):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                outcome.append("the other write never waited for the person")
                return
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute("SELECT id FROM workforce_commitment WHERE id = %s FOR UPDATE", [commitment_id])
        outcome.append("done")
    except DatabaseError as error:
        outcome.append(f"suspension: {error.__cause__.__class__.__name__}")
    finally:
        connections.close_all()


@pytest.mark.parametrize("write", ["project completed", "person unstaffed"])
def test_ending_a_commitment_waits_for_the_person_before_its_commitment(staffed, django_db_blocker, write):
    commitment = staffed["commitment"]
    locked, outcome = threading.Event(), []

    def in_thread():
        with django_db_blocker.unblock():
            _suspension_in_flight(commitment.profile_id, commitment.pk, locked, outcome)

    holder = threading.Thread(target=in_thread)
    holder.start()
    assert locked.wait(timeout=30)
    with django_db_blocker.unblock():
        try:
            if write == "project completed":
                connection.set_tenant(staffed["workspace"])
                project_transition(
                    actor=staffed["manager"],
                    workspace=staffed["workspace"],
                    project=staffed["project"],
                    status="completed",
                )
                connection.set_schema_to_public()
            else:
                staffing_end(actor=staffed["staff"], commitment_id=commitment.pk, reason="wound down")
        except DatabaseError as error:
            outcome.append(f"{write}: {error.__cause__.__class__.__name__}")
        holder.join(timeout=30)
        assert outcome == ["done"]  # not DeadlockDetected on either side
        commitment.refresh_from_db()
        assert commitment.ended_at is not None
        assert AnnotatorProfile.objects.get(pk=commitment.profile_id).committed_hours == 0
        connection.set_schema_to_public()
