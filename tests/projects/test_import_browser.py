"""In headless Chromium, with a real Celery worker: a client manager uploads a file too large to
import at once, and the import page follows the background job to the end without reloading."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Max

from projects.models import ImportJob, Item, Project
from projects.services.imports import ASYNC_THRESHOLD
from projects.services.projects import project_create
from tenants.models import AuditLog, User, Workspace
from tests.conftest import browser_sign_in
from tests.processes import celery_worker, process_env
from tests.projects.conftest import pairwise_items

pytestmark = pytest.mark.slow

ROWS = ASYNC_THRESHOLD + 1_000


@pytest.fixture
def empty_project(django_db_setup, django_db_blocker, monkeypatch):
    """A draft pairwise project in acme, committed so the server and the worker see it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop is in this thread
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        connection.set_tenant(workspace)
        project = project_create(
            actor=User.objects.get(email="manager@acme.test"),
            workspace=workspace,
            name="Import browser check",
            task_type="pairwise_preference",
        )
        connection.set_schema_to_public()
    try:
        yield {"workspace": workspace, "project_id": project.pk}
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            for job in ImportJob.objects.filter(project_id=project.pk):
                if job.file:
                    default_storage.delete(job.file)
            Item.objects.filter(project_id=project.pk).delete()
            Project.objects.filter(pk=project.pk).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(pk__gt=first_audit).delete()
            connection.close()


def test_a_large_upload_runs_in_the_background_and_the_page_follows_it(
    empty_project, portal_url, browser_page, django_db_blocker, tmp_path
):
    page = browser_page
    upload = tmp_path / "items.jsonl"
    upload.write_text("\n".join(json.dumps(record) for record in pairwise_items(ROWS)))
    browser_sign_in(page, portal_url, "manager@acme.test")

    page.goto(portal_url("acme.localhost", f"/projects/{empty_project['project_id']}/import/"))
    page.set_input_files("input[name=file]", str(upload))
    page.click("text=Upload and import")
    page.wait_for_load_state()
    assert page.is_visible("text=items.jsonl is being imported in the background.")
    row = "tr.import-job"
    assert page.inner_text(f"{row} .job-status") == "Pending"  # no worker yet: the job waits
    page.evaluate("window.sameDocument = true")

    with celery_worker(process_env(), tmp_path / "worker.log"):
        page.wait_for_function(
            "() => document.querySelector('tr.import-job .job-status').textContent === 'Succeeded'",
            timeout=90_000,
        )
    assert page.evaluate("window.sameDocument") is True  # followed by polling, not by reloading
    assert page.get_attribute(f"{row} progress", "value") == "100"
    assert page.inner_text(f"{row} .job-count") == f"{ROWS:,} / {ROWS:,}"
    assert page.inner_text(f"{row} .job-created") == f"{ROWS:,}"
    assert page.inner_text(f"{row} .job-duplicates") == "0"
    assert not page.js_errors, page.js_errors
    assert not page.failed_responses, page.failed_responses

    with django_db_blocker.unblock():
        connection.set_tenant(empty_project["workspace"])
        assert Item.objects.filter(project_id=empty_project["project_id"]).count() == ROWS
        connection.set_schema_to_public()
        connection.close()  # opened while Playwright runs; the test database is dropped at the end
