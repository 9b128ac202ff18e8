"""The projects API as a client sees it: bodies, parameters and errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Assignment, GuidelineVersion, Project
from tenants.models import Role
from tests.projects.conftest import pairwise_result


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
    # Only plain digits: int() alone would take a space, an underscore or Arabic-Indic digits.
    for limit in ("%205", "1_0", "%D9%A1%D9%A2", "5.0"):
        response = manager("get", f"/api/v1/projects/{project.pk}/{listing}/?limit={limit}")
        assert response.status_code == 400, limit
        assert list(response.json()["fields"]) == ["limit"]


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


def test_an_annotator_lists_their_own_work_and_reads_one_back_as_they_answered_it(acme, project, annotators):
    from projects.models import Annotation
    from projects.services.queue import annotation_revise, assignment_submit, task_next
    from tests.projects.conftest import pairwise_result

    person, other = annotators[0], annotators[1]
    mine = []
    for choice in ("A", "B", "tie"):
        task = task_next(project=project, annotator=person)
        result = pairwise_result(choice)
        if choice == "tie":
            result["preference"]["strength"] = None
        mine.append(
            (
                assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=result),
                result,
                task,
            )
        )
    assignment_submit(
        annotator=other,
        assignment_id=task_next(project=project, annotator=other).assignment.pk,
        result=pairwise_result(),
    )
    annotation_revise(annotator=person, annotation_id=mine[0][0].pk, result=pairwise_result("B"))
    Annotation.objects.filter(pk=mine[1][0].pk).update(status="accepted")  # audited: locked
    annotator = _api(acme, person)

    listing = annotator("get", f"/api/v1/projects/{project.pk}/annotations/mine/?limit=2")
    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert [row["id"] for row in rows] == [mine[2][0].pk, mine[1][0].pk]  # newest first, only theirs
    assert rows[0]["item_external_id"] == mine[2][2].item.external_id
    assert (rows[0]["editable"], rows[1]["editable"]) == (True, False)
    assert (
        rows[1]["not_editable_because"]
        == "This annotation is accepted after review and can no longer be edited."
    )
    rest = annotator(
        "get",
        f"/api/v1/projects/{project.pk}/annotations/mine/?limit=2&before={listing.json()['next_before']}",
    ).json()
    assert [row["id"] for row in rest["results"]] == [mine[0][0].pk] and rest["next_before"] is None
    assert rest["results"][0]["revisions"] == 1

    # Read back: the item in the order the annotator saw it, and the answer as they gave it.
    annotation, answer, task = mine[2]
    body = annotator("get", f"/api/v1/annotations/{annotation.pk}/").json()
    assert body["annotation"]["answer"]["preference"] == answer["preference"]
    assert body["item"]["payload"]["responses"] == [
        task.item.payload["responses"][index] for index in task.assignment.response_order
    ]
    assert body["project"]["questions"] == project.questions
    # Sending that answer back as an edit keeps the result as it was.
    edited = annotator(
        "patch", f"/api/v1/annotations/{annotation.pk}/", {"result": body["annotation"]["answer"]}
    )
    assert edited.status_code == 200 and edited.json()["result"] == annotation.result

    # Someone else's annotation is missing, as is any id of another annotator's.
    other_id = Annotation.objects.get(annotator=other).pk
    assert annotator("get", f"/api/v1/annotations/{other_id}/").status_code == 404

    # The listing's queries do not grow with the page: the same for one row as for three.
    with CaptureQueriesContext(connection) as one:
        annotator("get", f"/api/v1/projects/{project.pk}/annotations/mine/?limit=1")
    with CaptureQueriesContext(connection) as three:
        annotator("get", f"/api/v1/projects/{project.pk}/annotations/mine/?limit=100")
    assert len(one) == len(three)


def test_ten_thousand_items_fit_in_one_request_beyond_the_default_body_limit(acme, project):
    from django.conf import settings

    from tests.projects.conftest import pairwise_items

    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    items = pairwise_items(10_000, start=100)
    for item in items:
        item["responses"] = [response + " " + "x" * 150 for response in item["responses"]]
    body = {"items": items}
    import json

    assert len(json.dumps(body)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = manager("post", f"/api/v1/projects/{project.pk}/items/", body)
    assert response.status_code == 201, response.content[:300]
    assert response.json() == {"received": 10_000, "created": 10_000, "duplicates": 0}


def test_a_body_over_the_limit_is_a_json_413(acme, project, monkeypatch):
    from django.conf import settings

    from portal.parsers import BulkJSONObjectParser
    from projects.models import Item

    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = manager("post", f"/api/v1/projects/{project.pk}/guidelines/", {"body": too_big})
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request body is larger than 2.5 MB.",
        "fields": {},
    }
    assert not GuidelineVersion.objects.filter(project=project).exists()

    monkeypatch.setattr(BulkJSONObjectParser, "max_bytes", 1000)
    items = [
        {"external_id": f"big-{n}", "prompt": "Which?", "responses": ["a" * 100, "b"]} for n in range(10)
    ]
    response = manager("post", f"/api/v1/projects/{project.pk}/items/", {"items": items})
    assert response.status_code == 413
    body = response.json()
    assert (body["code"], body["fields"]) == ("request_too_large", {})
    assert "import a file" in body["message"]
    assert not Item.objects.filter(project=project, external_id__startswith="big-").exists()


def test_saving_the_guideline_draft_changes_only_the_fields_sent(acme, project):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    guidelines = f"/api/v1/projects/{project.pk}/guidelines/"
    first = manager("post", guidelines, {"body": "# Rules\nBe kind.", "changelog": "", "kind": "semantic"})
    assert first.status_code == 201, first.content[:300]

    saved = manager("post", guidelines, {"changelog": "Kindness first"})
    assert saved.status_code == 200, saved.content[:300]  # the draft updated, not a new version
    body = saved.json()
    assert (body["number"], body["body"], body["changelog"], body["kind"]) == (
        1,
        "# Rules\nBe kind.",
        "Kindness first",
        "semantic",
    )
    manager("post", guidelines, {"body": "# Rules\nBe very kind."})
    draft = GuidelineVersion.objects.get(project=project, status="draft")
    assert (draft.body, draft.changelog, draft.kind) == (
        "# Rules\nBe very kind.",
        "Kindness first",
        "semantic",
    )

    fresh = manager("post", f"/api/v1/projects/{project.pk}/guidelines/1/publish/")
    assert fresh.status_code == 200, fresh.content[:300]
    created = manager("post", guidelines, {"body": "# Rules v2"})
    assert created.status_code == 201, created.content[:300]
    second = created.json()  # a new draft starts empty
    assert (second["number"], second["changelog"], second["kind"]) == (2, "", "editorial")


def test_a_draft_is_an_object_and_a_missing_one_does_not_wipe_the_saved_one(acme, project, annotators):
    annotator = _api(acme, annotators[0])
    assignment_id = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    draft_url = f"/api/v1/assignments/{assignment_id}/draft/"
    saved = {"answers": {"preference": {"choice": "A"}}, "time_spent_ms": 1200}
    assert annotator("put", draft_url, {"draft": saved}).status_code == 204

    for body, sent in (
        ({}, "null"),
        ({"draft": None}, "null"),
        ({"draft": "A"}, "a string"),
        ({"draft": [1]}, "an array"),
    ):
        response = annotator("put", draft_url, body)
        assert response.status_code == 400, (body, response.content[:300])
        assert response.json()["fields"] == {"draft": [f"An object, not {sent}."]}
    assert Assignment.objects.get(pk=assignment_id).draft == saved


def test_an_item_with_a_gold_answer_but_not_marked_gold_is_refused_not_stored_as_work(acme, project):
    from projects.models import Item
    from tests.projects.conftest import pairwise_items, pairwise_result

    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    item = {**pairwise_items(1, start=50)[0], "gold_answer": pairwise_result()}
    response = manager("post", f"/api/v1/projects/{project.pk}/items/", {"items": [item]})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["fields"] == {
        "items[0].gold_answer": [
            'Only a gold item has an answer: add "is_gold": true, or leave the answer out.'
        ]
    }
    assert not Item.objects.filter(project=project, external_id="item-50").exists()

    gold = manager("post", f"/api/v1/projects/{project.pk}/items/", {"items": [{**item, "is_gold": True}]})
    assert gold.status_code == 201, gold.content[:300]
    assert Item.objects.get(project=project, external_id="item-50").is_gold


def test_an_unknown_needs_rereview_value_is_a_400_not_every_item(acme, project):
    manager = _api(acme, acme.users[Role.CLIENT_MANAGER])
    response = manager("get", f"/api/v1/projects/{project.pk}/items/?needs_rereview=yes")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["fields"] == {"needs_rereview": ["1 or true, 0 or false."]}
    for value, count in (("1", 0), ("true", 0), ("0", 5), ("false", 5), ("", 5)):
        page = manager("get", f"/api/v1/projects/{project.pk}/items/?needs_rereview={value}")
        assert page.status_code == 200
        assert len(page.json()["results"]) == count, value


def test_a_skip_reason_over_500_characters_is_a_400_not_cut_short(acme, project, annotators):
    annotator = _api(acme, annotators[0])
    assignment_id = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    skip = f"/api/v1/assignments/{assignment_id}/skip/"
    response = annotator("post", skip, {"reason": "x" * 501})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["fields"] == {"reason": ["At most 500 characters."]}
    assert Assignment.objects.get(pk=assignment_id).status == Assignment.Status.LEASED

    assert annotator("post", skip, {"reason": "y" * 500}).status_code == 200
    assert Assignment.objects.get(pk=assignment_id).skip_reason == "y" * 500


def test_saving_a_draft_of_a_finished_task_is_a_409_lease_ended_like_skip_and_submit(
    acme, project, annotators
):
    annotator = _api(acme, annotators[0])
    skipped = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    assert annotator("post", f"/api/v1/assignments/{skipped}/skip/", {"reason": "Unsure"}).status_code == 200
    submitted = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    sent = annotator("post", f"/api/v1/assignments/{submitted}/submit/", {"result": pairwise_result()})
    assert sent.status_code == 201, sent.content[:300]
    for assignment_id in (skipped, submitted):
        response = annotator("put", f"/api/v1/assignments/{assignment_id}/draft/", {"draft": {"a": 1}})
        assert response.status_code == 409, response.content[:300]
        assert response.json()["code"] == "lease_ended"
    assert Assignment.objects.get(pk=submitted).draft is None

    # Another person's task, or none at all, is still a 404.
    other = _api(acme, annotators[1])
    for assignment_id in (submitted, submitted + 1000):
        response = other("put", f"/api/v1/assignments/{assignment_id}/draft/", {"draft": {"a": 1}})
        assert response.status_code == 404, response.content[:300]


def test_an_edit_that_changes_nothing_adds_no_revision_but_its_time(acme, project, annotators):
    from projects.models import Annotation

    annotator = _api(acme, annotators[0])
    assignment_id = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    sent = annotator(
        "post",
        f"/api/v1/assignments/{assignment_id}/submit/",
        {"result": pairwise_result(), "time_spent_ms": 1000},
    )
    annotation_id = sent.json()["annotation_id"]
    before = Annotation.objects.get(pk=annotation_id)
    answer = annotator("get", f"/api/v1/annotations/{annotation_id}/").json()["annotation"]["answer"]
    for _ in range(2):
        same = annotator(
            "patch", f"/api/v1/annotations/{annotation_id}/", {"result": answer, "time_spent_ms": 500}
        )
        assert same.status_code == 200, same.content[:300]
        assert same.json() == {"annotation_id": annotation_id, "result": before.result, "revisions": 0}
    after = Annotation.objects.get(pk=annotation_id)
    assert (after.result, after.updated_at, after.time_spent_ms) == (before.result, before.updated_at, 2000)

    answer["preference"]["choice"] = "B" if answer["preference"]["choice"] == "A" else "A"
    changed = annotator("patch", f"/api/v1/annotations/{annotation_id}/", {"result": answer})
    assert changed.status_code == 200, changed.content[:300]
    assert changed.json()["revisions"] == 1
    assert changed.json()["result"] != before.result


def test_a_result_that_is_not_an_object_says_so(acme, project, annotators):
    annotator = _api(acme, annotators[0])
    assignment_id = annotator("post", f"/api/v1/projects/{project.pk}/tasks/next/").json()["assignment"]["id"]
    submit = f"/api/v1/assignments/{assignment_id}/submit/"
    for body, problem in (
        ({"result": []}, "An object, not an array."),
        ({"result": "A"}, "An object, not a string."),
        ({"result": None}, "Required."),
        ({}, "Required."),
    ):
        response = annotator("post", submit, body)
        assert response.status_code == 400, response.content[:300]
        assert response.json()["code"] == "invalid_result"
        assert response.json()["fields"] == {"result": [problem]}, body
    assert Assignment.objects.get(pk=assignment_id).status == Assignment.Status.LEASED
