"""Membership writes keep a workspace's last client manager even when two run at once."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connections, transaction

from portal.errors import ConflictError
from tenants.models import AuditLog, Membership, Role, User, Workspace
from tenants.services.memberships import membership_change_role, membership_remove
from tests.conftest import another_waits_for_a_lock

SLUG = "last-manager"


@pytest.fixture
def two_managers(django_db_setup, django_db_blocker):
    """A committed workspace row (memberships live in the public schema) with two managers."""
    with django_db_blocker.unblock():
        workspace = Workspace.objects.create(schema_name="ws_last_manager", slug=SLUG, name="Last manager")
        people = [
            User.objects.create_user(email=f"manager{n}@{SLUG}.test", password="x-Pass-1234") for n in (1, 2)
        ]
        memberships = [
            Membership.objects.create(user=person, workspace=workspace, role=Role.CLIENT_MANAGER)
            for person in people
        ]
    yield workspace, people, memberships
    with django_db_blocker.unblock():
        AuditLog.objects.filter(workspace=workspace).delete()
        Membership.objects.filter(workspace=workspace).delete()
        Workspace.objects.filter(pk=workspace.pk).delete()
        User.objects.filter(pk__in=[p.pk for p in people]).delete()


@pytest.mark.parametrize("change", ["remove", "demote"])
def test_two_managers_taken_away_at_once_leave_one(two_managers, django_db_blocker, change):
    """One manager (in two tabs) takes away both managers, the other and themselves, at once."""
    workspace, people, memberships = two_managers
    first, second = memberships

    def take_away(actor, membership):
        if change == "remove":
            membership_remove(actor=actor, workspace=workspace, membership_id=membership.pk)
        else:
            membership_change_role(
                actor=actor, workspace=workspace, membership_id=membership.pk, role=Role.CLIENT_VIEWER
            )

    done, outcome = threading.Event(), []

    def first_change():
        """Takes the first manager away and commits only once the other change waits (or 3 s on)."""
        with django_db_blocker.unblock():
            try:
                with transaction.atomic():
                    take_away(people[0], first)
                    done.set()
                    another_waits_for_a_lock()
                outcome.append("first done")
            except DatabaseError as error:
                outcome.append(f"first: {error.__cause__.__class__.__name__}")
            finally:
                done.set()
                connections.close_all()

    thread = threading.Thread(target=first_change)
    thread.start()
    assert done.wait(timeout=30)
    with django_db_blocker.unblock():
        try:
            take_away(people[0], second)
            outcome.append("second done")
        except ConflictError as error:
            outcome.append(error.code)
        thread.join(timeout=30)
        assert sorted(outcome) == ["first done", "last_manager"]
        assert Membership.objects.filter(workspace=workspace, role=Role.CLIENT_MANAGER).count() == 1
