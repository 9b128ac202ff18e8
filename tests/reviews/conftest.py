"""Fixtures and helpers for quality tests: an active pairwise project in acme (from the
annotation workflow's fixtures), its auditor, gold items, and annotating by canonical choice."""

from __future__ import annotations

import pytest

from projects.models import Annotation, Project
from projects.services.imports import items_import
from projects.services.projects import project_staff
from projects.services.queue import assignment_submit, task_next
from tenants.models import Role, User
from tests.projects.conftest import annotators, in_acme, pairwise_result, project, published_guideline  # noqa: F401


def work(project: Project, person: User, choice: str = "A", rationale: str | None = None) -> Annotation:  # noqa: F811
    """`person` annotates their next item, preferring canonical response `choice`."""
    task = task_next(project=project, annotator=person)
    order = task.assignment.response_order or [0, 1]
    shown = "AB"[order.index("AB".index(choice))]
    result = pairwise_result(shown)
    if rationale is not None:
        result["rationale"] = rationale
    return assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=result)


def gold_items(project: Project, count: int = 2) -> None:  # noqa: F811
    """`count` gold items whose known answer prefers the first response, "Right"."""
    items_import(
        project=project,
        records=[
            {
                "external_id": f"gold-{n}",
                "prompt": f"Gold {n}?",
                "responses": ["Right", "Wrong"],
                "is_gold": True,
                "gold_answer": pairwise_result("A"),
            }
            for n in range(count)
        ],
    )


def staff_auditor(acme, project: Project, person: User) -> User:  # noqa: F811
    project_staff(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        project=project,
        user_id=person.pk,
        role="auditor",
    )
    return person


@pytest.fixture
def auditor(acme, project) -> User:  # noqa: F811
    return staff_auditor(acme, project, acme.users[Role.AUDITOR])
