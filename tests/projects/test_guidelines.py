import pytest
from django.db import connection

from portal.errors import ConflictError, DomainError
from projects.models import Annotation, GuidelineVersion
from projects.services.guidelines import (
    guideline_acknowledge,
    guideline_diff,
    guideline_draft_save,
    guideline_publish,
    guideline_render,
)
from projects.services.queue import assignment_submit, task_next
from tenants.models import Role
from tests.projects.conftest import pairwise_result


def test_rendering_is_sanitised():
    html = guideline_render(
        "# Title\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))\n**bold**"
    )
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html and "<h1>Title</h1>" in html


def test_published_versions_are_immutable_and_need_a_changelog(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    draft = guideline_draft_save(actor=manager, project=project, body="Rules")
    with pytest.raises(DomainError) as error:
        guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    assert error.value.fields == {"changelog": ["Say what changed in this version."]}
    draft = guideline_draft_save(actor=manager, project=project, body="Rules", changelog="v1")
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    with pytest.raises(ConflictError):
        guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    following = guideline_draft_save(actor=manager, project=project, body="Rules, clarified")
    assert following.number == 2 and following.pk != draft.pk
    draft.refresh_from_db()
    assert draft.body == "Rules"


def test_diff_between_versions(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    one = guideline_draft_save(actor=manager, project=project, body="a\nb\nc", changelog="one")
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=one.pk)
    two = guideline_draft_save(actor=manager, project=project, body="a\nB\nc", changelog="two")
    assert guideline_diff(one, two) == [
        {"op": "equal", "text": "a"},
        {"op": "delete", "text": "b"},
        {"op": "insert", "text": "B"},
        {"op": "equal", "text": "c"},
    ]


def test_semantic_change_flags_older_annotations_and_regates(acme, project, annotators, published_guideline):
    manager, person = acme.users[Role.CLIENT_MANAGER], annotators[0]
    guideline_acknowledge(user=person, project=project, version_id=published_guideline.pk)
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result()
    )
    # Two more, then settled by review: one accepted (still counts), one rejected (out of the data).
    settled = {}
    for other, verdict in zip(
        annotators[1:3], (Annotation.Status.ACCEPTED, Annotation.Status.REJECTED), strict=True
    ):
        guideline_acknowledge(user=other, project=project, version_id=published_guideline.pk)
        other_task = task_next(project=project, annotator=other)
        settled[verdict] = assignment_submit(
            annotator=other, assignment_id=other_task.assignment.pk, result=pairwise_result()
        ).pk
        Annotation.objects.filter(pk=settled[verdict]).update(status=verdict)
    editorial = guideline_draft_save(actor=manager, project=project, body="typo fixed", changelog="typo")
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=editorial.pk)
    annotation.refresh_from_db()
    assert annotation.needs_rereview is False
    semantic = guideline_draft_save(
        actor=manager,
        project=project,
        body="ties are now forbidden",
        changelog="no ties",
        kind=GuidelineVersion.Kind.SEMANTIC,
    )
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=semantic.pk)
    annotation.refresh_from_db()
    assert annotation.needs_rereview is True
    with pytest.raises(ConflictError) as error:
        task_next(project=project, annotator=person)
    assert error.value.code == "guideline_ack_required"
    client = acme.client(manager)
    page = client.get(f"/projects/{project.pk}/items/?needs_rereview=1").content.decode()
    assert annotation.item.external_id in page
    connection.set_tenant(acme.workspace)
    flagged = set(Annotation.objects.filter(needs_rereview=True).values_list("pk", flat=True))
    assert flagged == {annotation.pk, settled[Annotation.Status.ACCEPTED]}


def test_work_leased_before_a_semantic_change_is_not_recorded_as_up_to_date(
    acme, project, annotators, published_guideline
):
    manager, person, other = acme.users[Role.CLIENT_MANAGER], annotators[0], annotators[1]
    for user in (person, other):
        guideline_acknowledge(user=user, project=project, version_id=published_guideline.pk)
    held = task_next(project=project, annotator=person)
    stale = task_next(project=project, annotator=other)
    semantic = guideline_draft_save(
        actor=manager, project=project, body="ties are now forbidden", changelog="no ties", kind="semantic"
    )
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=semantic.pk)

    # Back at the workbench: acknowledging the new version hands the same task back, under it.
    guideline_acknowledge(user=person, project=project, version_id=semantic.pk)
    again = task_next(project=project, annotator=person)
    assert again.assignment.pk == held.assignment.pk
    assert again.assignment.guideline_version.number == 2
    annotation = assignment_submit(
        annotator=person, assignment_id=again.assignment.pk, result=pairwise_result()
    )
    annotation.refresh_from_db()
    assert (annotation.guideline_version_id, annotation.needs_rereview) == (semantic.pk, False)

    # Submitted from a page loaded before the change: kept under v1, and flagged for re-review.
    late = assignment_submit(annotator=other, assignment_id=stale.assignment.pk, result=pairwise_result())
    late.refresh_from_db()
    assert (late.guideline_version_id, late.needs_rereview) == (published_guideline.pk, True)
    client = acme.client(manager)
    page = client.get(f"/projects/{project.pk}/items/?needs_rereview=1").content.decode()
    assert late.item.external_id in page


def test_manager_edits_previews_and_publishes_in_the_page(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    saved = client.post(
        f"/projects/{project.pk}/guidelines/",
        {"body": "## Be **precise**", "changelog": "", "kind": "editorial", "action": "save"},
    )
    assert saved.status_code == 302
    connection.set_schema_to_public()
    page = client.get(f"/projects/{project.pk}/guidelines/").content.decode()
    assert "<strong>precise</strong>" in page
    connection.set_schema_to_public()
    refused = client.post(
        f"/projects/{project.pk}/guidelines/",
        {"body": "## Be **precise**", "changelog": "", "kind": "editorial", "action": "publish"},
    )
    assert refused.status_code == 400
    assert "Say what changed" in refused.content.decode()
    connection.set_schema_to_public()
    client.post(
        f"/projects/{project.pk}/guidelines/",
        {"body": "## Be **precise**", "changelog": "first", "kind": "editorial", "action": "publish"},
    )
    connection.set_tenant(acme.workspace)
    assert GuidelineVersion.objects.get(project=project).status == "published"


def test_work_leased_before_a_semantic_change_and_submitted_after_it_needs_rereview(
    acme, project, annotators, published_guideline
):
    manager, person = acme.users[Role.CLIENT_MANAGER], annotators[0]
    guideline_acknowledge(user=person, project=project, version_id=published_guideline.pk)
    before = task_next(project=project, annotator=person)
    editorial = guideline_draft_save(actor=manager, project=project, body="typo fixed", changelog="typo")
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=editorial.pk)
    annotation = assignment_submit(
        annotator=person, assignment_id=before.assignment.pk, result=pairwise_result()
    )
    assert Annotation.objects.get(pk=annotation.pk).needs_rereview is False  # an editorial change only
    guideline_acknowledge(user=person, project=project, version_id=editorial.pk)
    leased = task_next(project=project, annotator=person)
    semantic = guideline_draft_save(
        actor=manager, project=project, body="ties are now forbidden", changelog="no ties", kind="semantic"
    )
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=semantic.pk)
    late = assignment_submit(annotator=person, assignment_id=leased.assignment.pk, result=pairwise_result())
    assert late.needs_rereview is True
    assert Annotation.objects.get(pk=late.pk).needs_rereview is True
    assert Annotation.objects.get(pk=late.pk).guideline_version_id == editorial.pk


def test_annotators_cannot_read_the_draft_through_a_diff(acme, project, annotators, published_guideline):
    manager = acme.users[Role.CLIENT_MANAGER]
    guideline_draft_save(actor=manager, project=project, body="Unreleased rule: say SECRET", changelog="wip")
    annotator = acme.client(annotators[0])
    connection.set_schema_to_public()
    response = annotator.get(f"/api/v1/projects/{project.pk}/guidelines/diff/?from=1&to=2")
    assert response.status_code == 404
    assert "SECRET" not in response.content.decode()
    connection.set_schema_to_public()
    latest = annotator.get(f"/api/v1/projects/{project.pk}/guidelines/diff/").json()
    # The only published version against the empty text before it: all of it is new.
    assert (latest["from"], latest["to"]) == (0, 1)
    assert latest["lines"] and {line["op"] for line in latest["lines"]} == {"insert"}
    connection.set_schema_to_public()
    listed = annotator.get(f"/api/v1/projects/{project.pk}/guidelines/").json()["results"]
    assert [v["number"] for v in listed] == [1]
    viewer = acme.client(acme.users[Role.CLIENT_VIEWER])
    connection.set_schema_to_public()
    listed = viewer.get(f"/api/v1/projects/{project.pk}/guidelines/").json()["results"]
    assert [v["number"] for v in listed] == [1]  # a viewer reads what is published, as on the page
    connection.set_schema_to_public()
    assert viewer.get(f"/api/v1/projects/{project.pk}/guidelines/diff/?from=1&to=2").status_code == 404
    connection.set_schema_to_public()
    page = annotator.get(f"/projects/{project.pk}/guidelines/?from=1&to=2")
    assert page.status_code == 200 and "SECRET" not in page.content.decode()
    connection.set_schema_to_public()
    managed = acme.client(manager).get(f"/api/v1/projects/{project.pk}/guidelines/diff/?from=1&to=2")
    assert any("SECRET" in line["text"] for line in managed.json()["lines"])
    connection.set_schema_to_public()
    listed = acme.client(manager).get(f"/api/v1/projects/{project.pk}/guidelines/").json()["results"]
    assert [v["number"] for v in listed] == [2, 1]
    connection.set_schema_to_public()
    page = acme.client(manager).get(f"/projects/{project.pk}/guidelines/?from=1&to=2")
    assert "SECRET" in page.content.decode()


def submitted_then_semantic_change(acme, project, person, published_guideline):
    """`person` submits a task under version 1, then a semantic version 2 is published."""
    manager = acme.users[Role.CLIENT_MANAGER]
    guideline_acknowledge(user=person, project=project, version_id=published_guideline.pk)
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result()
    )
    semantic = guideline_draft_save(
        actor=manager, project=project, body="ties are now forbidden", changelog="no ties", kind="semantic"
    )
    guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=semantic.pk)
    return annotation, semantic


def test_editing_after_a_semantic_change_needs_the_new_version_acknowledged(
    acme, project, annotators, published_guideline
):
    """An edit is stamped with the current version and clears the re-review flag, so the annotator
    must have read that version first, as for new work."""
    from projects.services.queue import annotation_revise

    person = annotators[0]
    annotation, semantic = submitted_then_semantic_change(acme, project, person, published_guideline)
    with pytest.raises(ConflictError) as error:
        annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result("B"))
    assert error.value.code == "guideline_ack_required"
    annotation.refresh_from_db()
    assert annotation.needs_rereview is True
    assert annotation.guideline_version_id == published_guideline.pk
    assert not annotation.revisions.exists()
    guideline_acknowledge(user=person, project=project, version_id=semantic.pk)
    revised = annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result("B"))
    assert revised.needs_rereview is False
    assert revised.guideline_version_id == semantic.pk


def test_the_same_answer_sent_after_a_semantic_change_confirms_it_under_the_new_version(
    acme, project, annotators, published_guideline
):
    """Not an edit that changes nothing: it clears the re-review flag and restamps the version."""
    from projects.services.queue import annotation_revise

    person = annotators[0]
    annotation, semantic = submitted_then_semantic_change(acme, project, person, published_guideline)
    guideline_acknowledge(user=person, project=project, version_id=semantic.pk)
    confirmed = annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result())
    assert (confirmed.needs_rereview, confirmed.guideline_version_id) == (False, semantic.pk)
    assert confirmed.revisions.count() == 1


def test_the_compare_form_shows_the_versions_being_compared(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    for number in (1, 2, 3):
        draft = guideline_draft_save(actor=manager, project=project, body=f"Rule {number}", changelog="c")
        guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)
    connection.set_schema_to_public()
    client = acme.client(manager)

    def selected(page: str, name: str) -> list[str]:
        select = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        return [part.split('"', 1)[0] for part in select.split('<option value="')[1:] if "selected" in part]

    compared = client.get(f"/projects/{project.pk}/guidelines/?from=1&to=3").content.decode()
    assert (selected(compared, "from"), selected(compared, "to")) == (["1"], ["3"])
    assert "Changes from v1 to v3" in compared


@pytest.fixture
def committed_guideline_project(django_db_setup, django_db_blocker):
    """A draft project in acme with a draft guideline, committed so that two threads can race."""
    from projects.models import Project
    from projects.services.projects import project_create
    from tenants.models import AuditLog, Membership, Workspace

    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager, workspace=workspace, name="Guideline race", task_type="pairwise_preference"
        )
        draft = guideline_draft_save(actor=manager, project=project, body="Rules", changelog="First")
        connection.set_schema_to_public()
        yield workspace, manager, project, draft
        connection.set_tenant(workspace)
        Project.objects.filter(pk=project.pk).delete()
        connection.set_schema_to_public()
        AuditLog.objects.filter(workspace=workspace, data__project_id=project.pk).delete()


def test_saving_the_draft_while_it_is_published_does_not_unpublish_it(
    committed_guideline_project, django_db_blocker, monkeypatch
):
    """An edit of the draft that read it just before another manager published it must not write
    the version back as a draft: published versions are immutable."""
    import threading

    from django.db import connections

    workspace, manager, project, draft = committed_guideline_project
    read, go = threading.Event(), threading.Event()
    save = GuidelineVersion.save

    def save_after_the_publish(self, *args, **kwargs):
        if threading.current_thread().name == "editor":
            read.set()
            go.wait(timeout=10)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(GuidelineVersion, "save", save_after_the_publish)
    failures = []

    def run(action):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(workspace)
                action()
        except Exception as error:  # noqa: BLE001
            failures.append(repr(error))
        finally:
            connections.close_all()

    editor = threading.Thread(
        name="editor",
        target=run,
        args=(
            lambda: guideline_draft_save(
                actor=manager, project=project, body="Rules, edited", changelog="First"
            ),
        ),
    )
    publisher = threading.Thread(
        target=run,
        args=(
            lambda: guideline_publish(
                actor=manager, workspace=workspace, project=project, version_id=draft.pk
            ),
        ),
    )
    editor.start()
    assert read.wait(timeout=10)
    publisher.start()
    publisher.join(timeout=1)  # done already, or waiting for the edit
    go.set()
    editor.join(timeout=10)
    publisher.join(timeout=10)
    assert not failures
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        versions = list(GuidelineVersion.objects.filter(project=project).order_by("number"))
        connection.set_schema_to_public()
    assert versions[0].status == GuidelineVersion.Status.PUBLISHED
    assert versions[0].published_at is not None
    # Whichever came first, every edit is kept: in the published version or in a new draft.
    assert "Rules, edited" in [version.body for version in versions]
