"""Fixtures for the annotation workflow: an active pairwise project in acme with staffed people."""

from __future__ import annotations

import pytest
from django.db import connection

from projects.models import Project
from projects.services.guidelines import guideline_draft_save, guideline_publish
from projects.services.imports import items_import
from projects.services.projects import project_create, project_staff, project_transition
from tenants.models import Membership, Role, User


def pairwise_items(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "external_id": f"item-{n}",
            "prompt": f"Question number {n}?",
            "responses": [f"First answer to {n}", f"Second answer to {n}"],
        }
        for n in range(start, start + count)
    ]


def pairwise_result(choice: str = "A") -> dict:
    return {
        "preference": {
            "choice": choice,
            "strength": 2,
            "dimensions": {"helpfulness": choice, "honesty": "tie", "harmlessness": "tie"},
        }
    }


@pytest.fixture
def in_acme(acme):
    """Run the test's own queries in acme's schema."""
    connection.set_tenant(acme.workspace)
    return acme


@pytest.fixture
def annotators(acme) -> list[User]:
    """Three annotators in acme (the seeded one and two more)."""
    people = [acme.users[Role.ANNOTATOR]]
    for n in (2, 3):
        user = User.objects.create_user(email=f"annotator{n}@acme.test", password="x-Pass-1234")
        Membership.objects.create(user=user, workspace=acme.workspace, role=Role.ANNOTATOR)
        people.append(user)
    return people


@pytest.fixture
def project(acme, annotators) -> Project:
    manager = acme.users[Role.CLIENT_MANAGER]
    connection.set_tenant(acme.workspace)
    project = project_create(
        actor=manager,
        workspace=acme.workspace,
        name="Chatbot preferences",
        task_type="pairwise_preference",
        overlap=2,
    )
    items_import(project=project, records=pairwise_items(5))
    for user in annotators:
        project_staff(
            actor=manager, workspace=acme.workspace, project=project, user_id=user.pk, role="annotator"
        )
    project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    project.refresh_from_db()
    return project


@pytest.fixture
def published_guideline(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    draft = guideline_draft_save(
        actor=manager, project=project, body="# Rules\nPrefer the **helpful** one.", changelog="First version"
    )
    return guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
