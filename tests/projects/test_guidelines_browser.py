"""In headless Chromium: the guideline page keeps to the window and its diff reads line by line."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Max

from projects.models import Project
from projects.services.guidelines import guideline_draft_save, guideline_publish
from projects.services.projects import project_create
from tenants.models import AuditLog, User, Workspace
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.slow

UNBROKEN = "Reference-" + "x" * 300  # a pasted URL or identifier: no place to wrap


@pytest.fixture
def guideline_project(django_db_setup, django_db_blocker, monkeypatch):
    """A draft project in acme with two published guideline versions, committed for the server."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = User.objects.get(email="manager@acme.test")
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager, workspace=workspace, name="Guideline layout check", task_type="pairwise_preference"
        )
        for body, changelog in (
            (f"# Rules\n\nBe exact.\n\n{UNBROKEN}\n\nAsk when unsure.", "First version"),
            (f"# Rules\n\nBe precise.\n\n{UNBROKEN}\n\nAsk when unsure.", "Wording"),
        ):
            draft = guideline_draft_save(actor=manager, project=project, body=body, changelog=changelog)
            guideline_publish(actor=manager, workspace=workspace, project=project, version_id=draft.pk)
        connection.set_schema_to_public()
    try:
        yield project.pk
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            Project.objects.filter(pk=project.pk).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(pk__gt=first_audit).delete()


@pytest.mark.parametrize("width", [1280, 800])
def test_guideline_page_fits_the_window_and_diff_lines_are_single(
    guideline_project, portal_url, browser_page, width
):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_sign_in(page, portal_url, "manager@acme.test")
    page.goto(portal_url("acme.localhost", f"/projects/{guideline_project}/guidelines/?from=1&to=2"))

    # A long unbroken word wraps inside the guideline instead of pushing the editor off the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    editor = page.locator("#id_body").bounding_box()
    assert editor["x"] + editor["width"] <= width

    # Each line of the diff takes one line: no blank line between them.
    tops = page.eval_on_selector_all(
        "pre.diff span", "spans => spans.map((s) => s.getBoundingClientRect().top)"
    )
    heights = page.eval_on_selector_all(
        "pre.diff span", "spans => spans.map((s) => s.getBoundingClientRect().height)"
    )
    assert page.inner_text("pre.diff span.diff-delete") == "- Be exact."
    for index in (0, 1, 2):  # "# Rules", the empty line and the deleted line: one line box each
        assert tops[index + 1] - tops[index] == pytest.approx(heights[index], abs=1)
    page.screenshot(path=f"/tmp/guideline-page-{width}.png", full_page=True)
    assert page.js_errors == [] and page.failed_responses == []
