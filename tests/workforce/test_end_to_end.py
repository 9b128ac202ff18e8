"""The expert pool end to end, the way people use it: an applicant applies, vendor staff screen
them, they pass a qualification test in the workbench's API, staff activate them and staff them
onto an acme project from the ranked suggestions, and they find the project on their home page
and work in it."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client

from projects.models import Annotation
from projects.services.guidelines import guideline_draft_save, guideline_publish
from projects.services.imports import items_import
from projects.services.projects import project_create, project_transition
from tenants.models import Membership, Role
from tests.projects.conftest import pairwise_items, pairwise_result
from tests.workforce.conftest import make_test
from workforce.models import AnnotatorProfile, Commitment

PASSWORD = "Heart-Beat-2026!"


def _acme_project(acme):
    manager = acme.users[Role.CLIENT_MANAGER]
    connection.set_tenant(acme.workspace)
    project = project_create(
        actor=manager,
        workspace=acme.workspace,
        name="Cardiology chatbot answers",
        task_type="pairwise_preference",
        requirements={
            "expertise": [{"area": "medicine/cardiology", "min_level": "practitioner"}],
            "languages": [{"code": "en", "min_proficiency": "C1"}],
            "hours_per_week": 10,
            "timezone": "Europe/Berlin",
        },
    )
    items_import(project=project, records=pairwise_items(3))
    draft = guideline_draft_save(
        actor=manager, project=project, body="Prefer the safe answer.", changelog="v1"
    )
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    connection.set_schema_to_public()
    return project


def _answer_test(person: Client, attempt_id: int) -> dict:
    base = f"/api/v1/qualifications/attempts/{attempt_id}"
    while True:
        task = person.post(f"{base}/next/").json()
        if not task.get("assignment"):
            return task
        shown = task["item"]["payload"]["responses"]
        sound = next(i for i, text in enumerate(shown) if "stress test" in text)
        result = {"verdict": "sound", "better": {"choice": "AB"[sound]}}
        response = person.post(
            f"{base}/answers/{task['item']['id']}/", {"result": result}, content_type="application/json"
        )
        assert response.status_code == 201, response.content


def test_from_application_to_annotating_an_acme_project(acme, staff):
    test = make_test()
    project = _acme_project(acme)
    public = Client(HTTP_HOST="localhost")
    application = {
        "full_name": "Dana Heart",
        "email": "dana@heart.example",
        "password": PASSWORD,
        "country": "DE",
        "timezone": "Europe/Berlin",
        "weekly_capacity_hours": "20",
        "summary": "Cardiologist, ten years on the ward.",
        "language_0_code": "en",
        "language_0_proficiency": "6",
        "expertise_0_area": "medicine/cardiology",
        "expertise_0_level": "2",
        "expertise_0_credential": "",
    }
    assert public.post("/apply/", application).status_code == 302
    profile = AnnotatorProfile.objects.get(user__email="dana@heart.example")
    assert profile.status == "applicant"

    console = Client(HTTP_HOST="localhost")
    console.force_login(staff)
    assert "dana@heart.example" in console.get("/console/applications/").content.decode()
    console.post(f"/console/pool/{profile.pk}/status/", {"status": "screening", "reason": "CV checks out"})
    profile.refresh_from_db()
    assert profile.status == "screening"

    start = public.post(f"/qualifications/{test.pk}/start/")
    attempt_id = int(re.search(r"/qualifications/attempts/(\d+)/", start["Location"]).group(1))
    assert public.get(start["Location"]).status_code == 200  # the workbench page of the attempt
    finished = _answer_test(public, attempt_id)
    assert finished["finished"] is True
    profile.refresh_from_db()
    assert profile.status == "vetted"

    console.post(f"/console/pool/{profile.pk}/status/", {"status": "active", "reason": "ready for work"})
    page = console.get(f"/console/staffing/acme/{project.pk}/?role=annotator").content.decode()
    assert "dana@heart.example" in page  # ranked among the suggestions
    console.post(
        f"/console/staffing/acme/{project.pk}/",
        {"profile_id": profile.pk, "role": "annotator", "hours_per_week": "10"},
    )
    assert Commitment.objects.get(profile=profile, ended_at=None).project_id == project.pk
    assert Membership.objects.get(user=profile.user, workspace=acme.workspace).role == Role.ANNOTATOR

    home = public.get("/").content.decode()
    assert "Cardiology chatbot answers" in home
    assert f"http://acme.localhost:8000/projects/{project.pk}/work/" in home

    worker = acme.client(profile.user)
    acknowledged = worker.post(f"/api/v1/projects/{project.pk}/guidelines/1/acknowledge/")
    assert acknowledged.status_code in (200, 201, 204)
    connection.set_schema_to_public()
    task = worker.post(f"/api/v1/projects/{project.pk}/tasks/next/").json()
    connection.set_schema_to_public()
    submitted = worker.post(
        f"/api/v1/assignments/{task['assignment']['id']}/submit/",
        {"result": pairwise_result("A")},
        content_type="application/json",
    )
    assert submitted.status_code == 201
    connection.set_tenant(acme.workspace)
    assert Annotation.objects.filter(project_id=project.pk, annotator=profile.user).count() == 1
