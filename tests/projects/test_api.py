"""The projects API as a client sees it: bodies, parameters and errors."""

from __future__ import annotations

import pytest
from django.db import connection

from projects.models import Assignment, GuidelineVersion, Project
from tenants.models import Role


def _api(acme, user):
    client = acme.client(user)

    def call(method: str, path: str, body=None):
        connection.set_schema_to_public()
        if body is None:
            response = getattr(client, method)(path)
        else:
            response = getattr(client, method)(path, body, content_type="application/json")
        connection.set_tenant(acme.workspace)
        return response

    return call


@pytest.mark.parametrize("listing", ["items", "annotations"])
def test_a_page_limit_is_1_to_500(acme, project, listing):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    for limit in (0, 501, -1):
        response = manager("get", f"/api/v1/projects/{project.pk}/{listing}/?limit={limit}")
        assert response.status_code == 400, response.content[:300]
        assert response.json()["fields"] == {"limit": ["1 to 500."]}
    page = manager("get", f"/api/v1/projects/{project.pk}/{listing}/?limit=1")
    assert page.status_code == 200


def test_a_project_setting_the_api_does_not_take_is_named_not_dropped(acme, project):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    created = manager(
        "post",
        "/api/v1/projects/",
        {"name": "Typo", "task_type": "ranking", "overlapp": 3, "allow_edit": False},
    )
    assert created.status_code == 400, created.content[:300]
    assert created.json()["code"] == "invalid_project"
    assert created.json()["fields"] == {"allow_edit": ["Unknown setting."], "overlapp": ["Unknown setting."]}
    assert not Project.objects.filter(name="Typo").exists()

    edited = manager("patch", f"/api/v1/projects/{project.pk}/", {"name": "Renamed", "status": "paused"})
    assert edited.status_code == 400, edited.content[:300]
    assert list(edited.json()["fields"]) == ["status"]
    project.refresh_from_db()
    assert (project.name, project.status) == ("Chatbot preferences", "active")


def test_text_fields_take_strings_only(acme, project, annotators):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    annotator = _api(acme, annotators[0])
    guidelines = f"/api/v1/projects/{project.pk}/guidelines/"
    for field, value, sent in (
        ("changelog", None, "null"),
        ("changelog", {"a": 1}, "an object"),
        ("kind", ["semantic"], "an array"),
    ):
        response = manager("post", guidelines, {"body": "Rules", field: value})
        assert response.status_code == 400, response.content[:300]
        assert response.json()["fields"] == {field: [f"A string, not {sent}."]}
    assert not GuidelineVersion.objects.filter(project=project).exists()

    status = manager("post", f"/api/v1/projects/{project.pk}/status/", {"status": ["paused"]})
    assert status.json()["fields"] == {"status": ["A string, not an array."]}

    assignment_id = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    for reason in (None, ["too hard"]):
        response = annotator("post", f"/api/v1/assignments/{assignment_id}/skip/", {"reason": reason})
        assert response.status_code == 400, response.content[:300]
        assert list(response.json()["fields"]) == ["reason"]
    assert Assignment.objects.get(pk=assignment_id).status == Assignment.Status.LEASED


def test_an_unknown_item_status_filter_is_a_400_not_every_item(acme, project):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    response = manager("get", f"/api/v1/projects/{project.pk}/items/?status=finished")
    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ["Choose one of: pending, in_progress, done."]}
    pending = manager("get", f"/api/v1/projects/{project.pk}/items/?status=pending").json()
    assert len(pending["results"]) == 5
