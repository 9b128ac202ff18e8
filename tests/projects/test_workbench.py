"""The annotator workbench page: who may open it, what it renders, and that the guideline is inert."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from django.db import connection

from projects.services.guidelines import guideline_draft_save, guideline_publish
from tenants.models import Membership, Role, User


def workbench_url(project) -> str:
    return f"/projects/{project.pk}/work/"


def page_config(html: str) -> dict:
    start = html.index('<script id="workbench-config" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


class ActiveContent(HTMLParser):
    """Collects everything in a page that could run script."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.script_urls: list[tuple[str, str]] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                ("javascript:", "data:text/html", "vbscript:")
            ):
                self.script_urls.append((tag, value))
            if name == "style":
                self.styles.append(tag)


def test_staffed_annotator_opens_the_workbench(acme, project, published_guideline):
    annotator = acme.users[Role.ANNOTATOR]
    response = acme.client(annotator).get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chatbot preferences" in html
    assert "/static/projects/workbench.js" in html
    assert "/static/projects/workbench.css" in html
    assert "Prefer the <strong>helpful</strong> one." in html  # the guideline, rendered
    assert "I have read version 1" in html
    config = page_config(html)
    assert config["project"]["id"] == project.pk
    assert config["project"]["task_type"] == "pairwise_preference"
    assert [q["key"] for q in config["questions"]] == ["preference", "rationale"]
    assert config["questions"][0]["kind"] == "pairwise"
    assert config["guideline"] == {"number": published_guideline.number, "acknowledged": False}
    urls = config["urls"]
    assert urls["next"] == f"/api/v1/projects/{project.pk}/tasks/next/"
    assert urls["acknowledge"] == f"/api/v1/projects/{project.pk}/guidelines/{{id}}/acknowledge/"
    assert urls["submit"] == "/api/v1/assignments/{id}/submit/"
    assert urls["skip"] == "/api/v1/assignments/{id}/skip/"
    assert urls["draft"] == "/api/v1/assignments/{id}/draft/"
    assert {s["value"] for s in config["strengths"]} == {1, 2, 3}
    # The CSP allows no inline script and no inline style: only the JSON block and the file.
    active = ActiveContent()
    active.feed(html)
    assert all(s.get("src") or s.get("type") == "application/json" for s in active.scripts), active.scripts
    assert not active.handlers
    assert not active.styles


def test_workbench_says_when_the_guideline_was_acknowledged(acme, project, published_guideline):
    from projects.services.guidelines import guideline_acknowledge

    annotator = acme.users[Role.ANNOTATOR]
    connection.set_tenant(acme.workspace)
    guideline_acknowledge(user=annotator, project=project, version_id=published_guideline.pk)
    connection.set_schema_to_public()
    response = acme.client(annotator).get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 200
    assert page_config(response.content.decode())["guideline"]["acknowledged"] is True
    assert "You have acknowledged this version." in response.content.decode()


def test_workbench_without_a_guideline(acme, project):
    response = acme.client(acme.users[Role.ANNOTATOR]).get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 200
    assert page_config(response.content.decode())["guideline"] is None


def test_annotator_not_staffed_on_the_project_gets_404(acme, project, published_guideline):
    outsider = User.objects.create_user(email="outsider@acme.test", password="x-Pass-1234")
    Membership.objects.create(user=outsider, workspace=acme.workspace, role=Role.ANNOTATOR)
    response = acme.client(outsider).get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 404
    assert "Chatbot preferences" not in response.content.decode()


def test_other_roles_and_missing_projects_get_404(acme, project):
    for role in (Role.CLIENT_MANAGER, Role.CLIENT_VIEWER, Role.AUDITOR):
        response = acme.client(acme.users[role]).get(workbench_url(project))
        connection.set_schema_to_public()
        assert response.status_code == 404, role
    response = acme.client(acme.users[Role.ANNOTATOR]).get(f"/projects/{project.pk + 1000}/work/")
    connection.set_schema_to_public()
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(acme, project):
    response = acme.client().get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_guideline_html_is_sanitised(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    connection.set_tenant(acme.workspace)
    body = (
        "# Rules\n\n"
        "<script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        "Read [x](javascript:alert(1)) and [the docs](https://example.com/docs).\n\n"
        '<a href="javascript:alert(2)" onclick="alert(3)">y</a>\n'
    )
    draft = guideline_draft_save(actor=manager, project=project, body=body, changelog="Hostile")
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    connection.set_schema_to_public()

    response = acme.client(acme.users[Role.ANNOTATOR]).get(workbench_url(project))
    connection.set_schema_to_public()
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Rules</h1>" in html  # the guideline is there...
    assert 'href="https://example.com/docs"' in html
    # ...and nothing of it can run.
    assert "alert(1)" not in html
    assert "alert(2)" not in html
    assert "alert(3)" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    active = ActiveContent()
    active.feed(html)
    assert all(s.get("src") or s.get("type") == "application/json" for s in active.scripts), active.scripts
    assert not active.handlers
    assert not active.script_urls
