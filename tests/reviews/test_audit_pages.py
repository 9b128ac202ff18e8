"""Auditors' and annotators' pages and API for quality control: the auditor home, blind audits,
verdicts and rework, adjudication, reinstating paused annotators, and annotators' feedback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import Annotation, Item, Project
from projects.presentation import result_display
from projects.questions import questions_validate, result_as_answer, result_validate
from projects.services.guidelines import guideline_acknowledge
from projects.services.projects import project_create
from projects.services.queue import task_next
from reviews.models import Adjudication, AnnotatorQuality, Audit, Consensus
from reviews.services.audits import audit_next, audit_submit
from reviews.services.policy import review_policy
from tenants.models import AuditLog, Membership, Role, User
from tenants.selectors import pseudonym
from tests.projects.conftest import pairwise_result
from tests.reviews.conftest import staff_auditor, work


def new_member(acme, email: str, role: str, **extra) -> User:
    user = User.objects.create_user(email=email, password="x-Pass-1234", **extra)
    Membership.objects.create(user=user, workspace=acme.workspace, role=role)
    return user


def acknowledge_all(project: Project, version, people) -> None:
    for person in people:
        guideline_acknowledge(user=person, project=project, version_id=version.pk)


@pytest.fixture
def worked(acme, project, annotators, auditor, published_guideline):
    """Annotators acknowledged v1; annotators[0] annotated item-0 (audited: new to the project)."""
    acknowledge_all(project, published_guideline, annotators)
    return work(project, annotators[0], "A")


def _body(response) -> str:
    return response.content.decode()


def _in_acme(acme) -> None:
    connection.set_tenant(acme.workspace)


# The auditor home -------------------------------------------------------------------------------


def test_auditor_home_lists_the_projects_they_audit(acme, project, annotators, auditor, worked):
    other = project_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        name="Not audited by them",
        task_type="pairwise_preference",
    )
    response = acme.client(auditor).get("/reviews/")
    assert response.status_code == 200
    html = _body(response)
    assert "Chatbot preferences" in html and other.name not in html
    assert "<strong>1</strong> pending audit" in html
    assert "no round open" in html
    assert f'action="/projects/{project.pk}/audits/next/"' in html
    assert f'href="/projects/{project.pk}/adjudications/"' in html


def test_auditor_home_reads_a_fixed_number_of_queries(acme, project, annotators, auditor, worked):
    client = acme.client(auditor)
    client.get("/reviews/")  # warm the session and the host lookup

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/reviews/").status_code == 200
        return len(queries)

    one = count()
    _in_acme(acme)
    for n in range(3):
        extra = project_create(
            actor=acme.users[Role.CLIENT_MANAGER],
            workspace=acme.workspace,
            name=f"Extra {n}",
            task_type="pairwise_preference",
        )
        staff_auditor(acme, extra, auditor)
    assert count() == one


# Claiming and judging ---------------------------------------------------------------------------


def test_claim_shows_the_item_the_result_and_the_guideline(acme, project, auditor, worked):
    client = acme.client(auditor)
    response = client.post(f"/projects/{project.pk}/audits/next/")
    _in_acme(acme)
    audit = Audit.objects.get(annotation=worked)
    assert (audit.auditor_id, response.status_code) == (auditor.pk, 302)
    assert response["Location"] == f"/audits/{audit.pk}/"
    html = _body(client.get(response["Location"]))
    assert "Response A" in html and "First answer to 0" in html  # canonical order, lettered
    assert html.index("First answer to 0") < html.index("Second answer to 0")
    assert "A is better (clearly better)" in html  # the canonical winner, in words
    assert "Helpfulness: follows the instructions and solves the task: A" in html
    assert "Guideline v1" in html and "Prefer the <strong>helpful</strong> one." in html
    assert 'type="radio" name="verdict" value="fail"' in html
    assert 'value="wrong_preference"' in html  # the policy's error categories
    # The correction box starts from the annotation's answer, written as an answer.
    assert "&quot;choice&quot;: &quot;A&quot;" in html


def test_a_pass_accepts_and_moves_to_the_next_audit(acme, project, annotators, auditor, worked):
    second = work(project, annotators[0], "B")
    client = acme.client(auditor)
    client.post(f"/projects/{project.pk}/audits/next/")
    _in_acme(acme)
    first = Audit.objects.get(annotation=worked)
    response = client.post(f"/audits/{first.pk}/", {"verdict": "pass", "comment": "Fine."})
    _in_acme(acme)
    following = Audit.objects.get(annotation=second)
    assert response.status_code == 302 and response["Location"] == f"/audits/{following.pk}/"
    first.refresh_from_db()
    assert (first.status, first.verdict, first.corrected_result, first.comment) == (
        "done",
        "pass",
        None,
        "Fine.",
    )
    assert Annotation.objects.get(pk=worked.pk).status == Annotation.Status.ACCEPTED
    response = client.post(f"/audits/{following.pk}/", {"verdict": "pass"})
    assert response.status_code == 302 and response["Location"] == "/reviews/"  # nothing left


def test_an_incomplete_verdict_is_refused_with_its_fields_and_nothing_is_written(acme, auditor, worked):
    _in_acme(acme)
    audit = audit_next(auditor=auditor, project=worked.project)
    logged = AuditLog.objects.filter(action="audit.finished").count()
    client = acme.client(auditor)
    url = f"/audits/{audit.pk}/"

    response = client.post(url, {"verdict": "fail"})
    assert response.status_code == 400
    assert "name at least one category for minor issues or a fail" in _body(response)

    response = client.post(url, {"verdict": "pass", "corrected_result": "{not json"})
    assert response.status_code == 400 and "Not valid JSON" in _body(response)

    bad = json.dumps({"preference": {"choice": "C", "strength": 1}})
    response = client.post(url, {"verdict": "minor", "error_categories": ["tone"], "corrected_result": bad})
    assert response.status_code == 400
    assert "corrected_result.preference.choice: must be A, B or tie" in _body(response)

    response = client.post(url, {"verdict": "fail", "error_categories": ["no_such_category"]})
    assert response.status_code == 400 and "no_such_category" in _body(response)

    _in_acme(acme)
    audit.refresh_from_db()
    assert (audit.status, audit.verdict, audit.error_categories, audit.comment) == ("pending", "", [], "")
    assert Annotation.objects.get(pk=worked.pk).status == Annotation.Status.SUBMITTED
    assert AuditLog.objects.filter(action="audit.finished").count() == logged


def test_a_fail_rejects_and_another_annotator_reworks_the_item(acme, project, annotators, auditor, worked):
    client = acme.client(auditor)
    client.post(f"/projects/{project.pk}/audits/next/")
    _in_acme(acme)
    audit = Audit.objects.get(annotation=worked)
    corrected = json.dumps({"preference": pairwise_result("B")["preference"], "rationale": "B is right."})
    response = client.post(
        f"/audits/{audit.pk}/",
        {
            "verdict": "fail",
            "error_categories": ["wrong_preference", "factual_error"],
            "corrected_result": corrected,
            "comment": "B answers the question.",
        },
    )
    assert response.status_code == 302
    _in_acme(acme)
    audit.refresh_from_db()
    assert audit.error_categories == ["factual_error", "wrong_preference"]
    assert audit.corrected_result["preference"]["winner"] == 1
    assert Annotation.objects.get(pk=worked.pk).status == Annotation.Status.REJECTED
    item = Item.objects.get(pk=worked.item_id)
    assert item.is_open and item.completed_count == 0
    # The slot goes back to the queue: the next annotator is served the rejected item.
    served = acme.client(annotators[1]).post(
        f"/api/v1/projects/{project.pk}/tasks/next/", content_type="application/json"
    )
    assert served.status_code == 200 and served.json()["item"]["id"] == worked.item_id


def test_blind_mode_hides_the_result_until_the_auditor_answers(acme, project, auditor, worked):
    client = acme.client(auditor)
    response = client.post(f"/projects/{project.pk}/audits/next/", {"blind": "1"})
    _in_acme(acme)
    audit = Audit.objects.get(annotation=worked)
    assert response["Location"] == f"/audits/{audit.pk}/?mode=blind"
    html = _body(client.get(response["Location"]))
    assert "Your answer first" in html
    assert "A is better" not in html and 'name="verdict"' not in html

    url = f"/audits/{audit.pk}/blind/"
    response = client.post(url, {"result": "[1, 2"})
    assert response.status_code == 400 and "Not valid JSON" in _body(response)
    response = client.post(url, {"result": json.dumps({"preference": {"choice": "C"}})})
    assert response.status_code == 400
    html = _body(response)
    assert "result.preference.choice: must be A, B or tie" in html and "A is better" not in html
    _in_acme(acme)
    audit.refresh_from_db()
    assert audit.blind_result is None

    response = client.post(url, {"result": json.dumps(pairwise_result("B"))})
    assert response.status_code == 302
    html = _body(client.get(response["Location"]))
    assert "Your answer" in html and "The annotation" in html
    assert "A is better (clearly better)" in html and "B is better (clearly better)" in html
    assert 'name="verdict"' in html
    _in_acme(acme)
    audit.refresh_from_db()
    assert audit.blind_result["preference"]["winner"] == 1


def test_only_the_claiming_auditor_opens_or_judges_an_audit(acme, project, auditor, worked):
    _in_acme(acme)
    audit = audit_next(auditor=auditor, project=project)
    other = staff_auditor(acme, project, new_member(acme, "auditor2@acme.test", Role.AUDITOR))
    client = acme.client(other)
    assert client.get(f"/audits/{audit.pk}/").status_code == 404
    assert client.post(f"/audits/{audit.pk}/", {"verdict": "pass"}).status_code == 404
    assert client.post(f"/audits/{audit.pk}/blind/", {"result": "{}"}).status_code == 404
    api = client.post(
        f"/api/v1/audits/{audit.pk}/verdict/", {"verdict": "pass"}, content_type="application/json"
    )
    assert api.status_code == 404 and api.json()["code"] == "not_found"
    assert client.get(f"/api/v1/audits/{audit.pk}/").status_code == 404
    # The other auditor finds nothing else to claim: the one audit is taken.
    response = client.post(f"/projects/{project.pk}/audits/next/")
    assert response["Location"] == "/reviews/"
    _in_acme(acme)
    audit.refresh_from_db()
    assert (audit.auditor_id, audit.status) == (auditor.pk, "pending")


def test_an_auditor_not_staffed_on_the_project_cannot_claim(acme, project, worked):
    outsider = new_member(acme, "auditor3@acme.test", Role.AUDITOR)
    client = acme.client(outsider)
    assert client.post(f"/projects/{project.pk}/audits/next/").status_code == 404
    assert client.post(f"/api/v1/projects/{project.pk}/audits/next/").status_code == 404
    assert client.get(f"/projects/{project.pk}/adjudications/").status_code == 404
    _in_acme(acme)
    assert Audit.objects.get(annotation=worked).auditor_id is None


# The audit API ----------------------------------------------------------------------------------


def test_the_audit_api_claims_answers_blind_and_judges(acme, project, auditor, worked):
    client = acme.client(auditor)
    url = f"/api/v1/projects/{project.pk}/audits/next/"
    body = client.post(url, {"blind": True}, content_type="application/json").json()
    audit_id = body["audit"]["id"]
    assert body["result"] is None and body["blind"] is True
    assert body["item"]["external_id"] == "item-0"
    assert body["item"]["payload"]["responses"] == ["First answer to 0", "Second answer to 0"]
    assert body["guideline_version"] == 1
    assert "wrong_preference" in body["project"]["error_categories"]
    assert "reason" not in body["audit"] and "reason" not in body

    refused = client.post(
        f"/api/v1/audits/{audit_id}/blind/", {"result": {"preference": {}}}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_result"
    assert "preference.choice" in refused.json()["fields"]

    answered = client.post(
        f"/api/v1/audits/{audit_id}/blind/", {"result": pairwise_result("A")}, content_type="application/json"
    ).json()
    assert answered["blind"] is False
    assert answered["result"]["preference"]["winner"] == 0
    assert answered["audit"]["blind_result"]["preference"]["winner"] == 0
    again = client.post(
        f"/api/v1/audits/{audit_id}/blind/", {"result": pairwise_result("A")}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_answered"

    incomplete = client.post(
        f"/api/v1/audits/{audit_id}/verdict/",
        {"verdict": "minor", "corrected_result": {"preference": {"choice": "C"}}},
        content_type="application/json",
    )
    assert incomplete.status_code == 400
    error = incomplete.json()
    assert error["code"] == "invalid_audit"
    assert set(error["fields"]) == {"error_categories", "corrected_result.preference.choice"}
    _in_acme(acme)
    assert Audit.objects.get(pk=audit_id).status == "pending"

    done = client.post(
        f"/api/v1/audits/{audit_id}/verdict/",
        {"verdict": "minor", "error_categories": ["tone"], "comment": "Terse."},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["audit"]["verdict"] == "minor" and done.json()["audit"]["status"] == "done"
    assert client.post(url, content_type="application/json").json() == {
        "audit": None,
        "message": "Nothing to audit here right now.",
    }
    assert client.get(f"/api/v1/audits/{audit_id}/").status_code == 404  # done: no longer open


def test_the_api_reveals_a_claimed_audit_to_its_auditor(acme, project, auditor, worked):
    client = acme.client(auditor)
    claimed = client.post(f"/api/v1/projects/{project.pk}/audits/next/").json()
    assert claimed["result"]["preference"]["winner"] == 0 and claimed["blind"] is False
    audit_id = claimed["audit"]["id"]
    assert client.get(f"/api/v1/audits/{audit_id}/").json()["result"] == claimed["result"]
    assert client.get(f"/api/v1/audits/{audit_id}/?blind=1").json()["result"] is None


# Adjudication -----------------------------------------------------------------------------------


@pytest.fixture
def split(acme, project, annotators, auditor, published_guideline):
    """Two items answered A by annotators[0] and B by annotators[1]: two open adjudications."""
    acknowledge_all(project, published_guideline, annotators)
    pairs = []
    for _ in range(2):
        pairs.append((work(project, annotators[0], "A"), work(project, annotators[1], "B")))
    return pairs


def test_adjudication_pages_pick_one_answer(acme, project, auditor, split):
    (first_a, first_b), _ = split
    _in_acme(acme)
    adjudication = Adjudication.objects.get(item_id=first_a.item_id)
    client = acme.client(auditor)
    html = _body(client.get(f"/projects/{project.pk}/adjudications/"))
    assert "item-0" in html and "item-1" in html and f"/adjudications/{adjudication.pk}/" in html

    html = _body(client.get(f"/adjudications/{adjudication.pk}/"))
    assert "Answer 1" in html and "Answer 2" in html and "Answer 3" not in html
    assert "A is better (clearly better)" in html and "B is better (clearly better)" in html
    assert f'value="{first_b.pk}"' in html

    response = client.post(f"/adjudications/{adjudication.pk}/", {"pick": str(first_b.pk), "comment": "B."})
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/adjudications/"
    _in_acme(acme)
    adjudication.refresh_from_db()
    assert (adjudication.status, adjudication.chosen_annotation_id) == ("resolved", first_b.pk)
    assert Consensus.objects.get(item_id=first_a.item_id).result == first_b.result
    assert client.get(f"/adjudications/{adjudication.pk}/").status_code == 404  # settled
    assert "item-0" not in _body(client.get(f"/projects/{project.pk}/adjudications/"))


def test_adjudication_page_writes_the_answer_or_says_what_is_wrong(acme, project, auditor, split):
    _, (second_a, _) = split
    _in_acme(acme)
    adjudication = Adjudication.objects.get(item_id=second_a.item_id)
    client = acme.client(auditor)
    url = f"/adjudications/{adjudication.pk}/"

    response = client.post(url, {"pick": "write", "result": ""})
    assert response.status_code == 400 and "Write the answer as a JSON object" in _body(response)
    response = client.post(url, {"pick": "write", "result": json.dumps({"preference": {"choice": "X"}})})
    assert response.status_code == 400
    assert "result.preference.choice: must be A, B or tie" in _body(response)
    response = client.post(url, {"pick": "12345"})
    assert response.status_code == 400  # not one of the answers
    _in_acme(acme)
    adjudication.refresh_from_db()
    assert adjudication.status == "open" and not Consensus.objects.filter(item_id=second_a.item_id).exists()

    tie = {
        "preference": {
            "choice": "tie",
            "dimensions": {"helpfulness": "tie", "honesty": "tie", "harmlessness": "tie"},
        }
    }
    response = client.post(url, {"pick": "write", "result": json.dumps(tie), "comment": "Both fine."})
    assert response.status_code == 302
    _in_acme(acme)
    consensus = Consensus.objects.get(item_id=second_a.item_id)
    assert consensus.source == "adjudication" and consensus.result["preference"]["winner"] is None


def test_the_adjudication_api(acme, project, auditor, split):
    (first_a, first_b), (second_a, _) = split
    client = acme.client(auditor)
    listed = client.get(f"/api/v1/projects/{project.pk}/adjudications/").json()["results"]
    assert [entry["item"]["external_id"] for entry in listed] == ["item-0", "item-1"]
    detail = client.get(f"/api/v1/adjudications/{listed[0]['id']}/").json()
    assert [(a["number"], a["annotation_id"]) for a in detail["answers"]] == [
        (1, first_a.pk),
        (2, first_b.pk),
    ]
    assert set(detail["answers"][0]) == {"number", "annotation_id", "result"}

    both = client.post(
        f"/api/v1/adjudications/{listed[0]['id']}/resolve/",
        {"annotation_id": first_a.pk, "result": pairwise_result("A")},
        content_type="application/json",
    )
    assert both.status_code == 400 and "annotation_id" in both.json()["fields"]
    wrong = client.post(
        f"/api/v1/adjudications/{listed[1]['id']}/resolve/",
        {"result": {"preference": {"choice": "Z"}}},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "result.preference.choice" in wrong.json()["fields"]
    foreign = client.post(
        f"/api/v1/adjudications/{listed[0]['id']}/resolve/",
        {"annotation_id": second_a.pk},
        content_type="application/json",
    )
    assert foreign.status_code == 400  # an answer to another item
    picked = client.post(
        f"/api/v1/adjudications/{listed[0]['id']}/resolve/",
        {"annotation_id": first_a.pk},
        content_type="application/json",
    )
    assert picked.status_code == 200 and picked.json()["adjudication"]["status"] == "resolved"
    written = client.post(
        f"/api/v1/adjudications/{listed[1]['id']}/resolve/",
        {"result": pairwise_result("B"), "comment": "B."},
        content_type="application/json",
    )
    assert written.json()["adjudication"]["consensus_result"]["preference"]["winner"] == 1
    assert client.get(f"/api/v1/projects/{project.pk}/adjudications/").json()["results"] == []


def test_an_auditor_who_annotated_the_item_does_not_adjudicate_it(acme, project, annotators, split):
    (first_a, _), _ = split
    _in_acme(acme)
    adjudication = Adjudication.objects.get(item_id=first_a.item_id)
    # A vendor staff member who annotated the item (staff pass every gate but this one).
    staff = User.objects.get(email="staff@vendor.test")
    Annotation.objects.filter(pk=first_a.pk).update(annotator=staff)
    client = acme.client(staff)
    assert client.get(f"/adjudications/{adjudication.pk}/").status_code == 404
    assert client.get(f"/api/v1/adjudications/{adjudication.pk}/").status_code == 404
    listed = client.get(f"/api/v1/projects/{project.pk}/adjudications/").json()["results"]
    assert adjudication.pk not in [entry["id"] for entry in listed]


# Pausing and reinstating ------------------------------------------------------------------------


@pytest.fixture
def paused(acme, project, annotators, auditor, published_guideline):
    """annotators[0] failed twice and is paused (the policy judges on two audits)."""
    acknowledge_all(project, published_guideline, annotators)
    policy = review_policy(project)
    policy.quality_minimum = 2
    policy.save()
    for _ in range(2):
        work(project, annotators[0], "A")
        audit = audit_next(auditor=auditor, project=project)
        audit_submit(
            auditor=auditor,
            workspace=acme.workspace,
            audit_id=audit.pk,
            verdict="fail",
            error_categories=["wrong_preference"],
            comment="Read the responses to the end.",
        )
    row = AnnotatorQuality.objects.get(project=project, annotator=annotators[0])
    assert row.status == AnnotatorQuality.Status.PAUSED
    return row


def test_the_auditor_home_lists_paused_annotators_by_pseudonym_and_reinstates(
    acme, project, annotators, auditor, paused
):
    name = pseudonym(workspace_id=acme.workspace.pk, user_id=annotators[0].pk)
    client = acme.client(auditor)
    html = _body(client.get("/reviews/"))
    assert name in html and "Paused annotators" in html and "0%" in html
    assert annotators[0].email not in html
    url = f"/projects/{project.pk}/quality/{paused.pk}/reinstate/"
    assert f'action="{url}"' in html

    response = client.post(url, {"reason": ""})
    assert response.status_code == 302
    _in_acme(acme)
    paused.refresh_from_db()
    assert paused.status == "paused"

    response = client.post(url, {"reason": "Coached on the guideline."}, follow=True)
    assert f"{name} may work on Chatbot preferences again." in _body(response)
    _in_acme(acme)
    paused.refresh_from_db()
    assert (paused.status, paused.reinstated_by_id) == ("active", auditor.pk)
    assert task_next(project=project, annotator=annotators[0]) is not None
    log = AuditLog.objects.get(action="quality.reinstated")
    assert log.data["reason"] == "Coached on the guideline."


def test_the_reinstate_api_takes_the_quality_row_not_the_user(acme, project, annotators, auditor, paused):
    client = acme.client(auditor)
    overview = client.get("/api/v1/reviews/").json()["results"]
    (row,) = [r for r in overview if r["project"]["id"] == project.pk]
    (person,) = row["paused"]
    assert person["quality_id"] == paused.pk and person["score"] == 0.0
    assert "annotator_id" not in person and "user_id" not in person
    url = f"/api/v1/projects/{project.pk}/quality/{paused.pk}/reinstate/"
    missing = client.post(url, {}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["fields"] == {"reason": ["Required."]}
    done = client.post(url, {"reason": "coached"}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["status"] == "active" and done.json()["pseudonym"] == person["pseudonym"]
    again = client.post(url, {"reason": "coached"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "not_paused"
    _in_acme(acme)
    other = project_create(
        actor=acme.users[Role.CLIENT_MANAGER], workspace=acme.workspace, name="Other", task_type="ranking"
    )
    staff_auditor(acme, other, auditor)
    wrong_project = client.post(
        f"/api/v1/projects/{other.pk}/quality/{paused.pk}/reinstate/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert wrong_project.status_code == 404


# Feedback ---------------------------------------------------------------------------------------


def test_feedback_shows_the_annotators_own_audits_and_pause(acme, project, annotators, auditor, paused):
    _in_acme(acme)
    mine = work(project, annotators[1], "B", rationale="My own reasoning.")
    audit = audit_next(auditor=auditor, project=project)
    assert audit.annotation_id == mine.pk
    audit_submit(
        auditor=auditor,
        workspace=acme.workspace,
        audit_id=audit.pk,
        verdict="minor",
        error_categories=["tone"],
        corrected_result={"preference": pairwise_result("B")["preference"], "rationale": "Sharper wording."},
        comment="Tighten the rationale.",
    )
    html = _body(acme.client(annotators[1]).get("/feedback/"))
    assert "Tighten the rationale." in html and "Sharper wording." in html and "My own reasoning." in html
    assert "Minor issues" in html and "tone" in html
    assert "Read the responses to the end." not in html  # annotators[0]'s feedback
    assert "is paused" not in html
    assert auditor.email not in html and (auditor.full_name or "@@") not in html

    html = _body(acme.client(annotators[0]).get("/feedback/"))
    assert "Your work on Chatbot preferences is paused" in html and "under this project" in html
    assert html.count("Read the responses to the end.") == 2
    assert "Tighten the rationale." not in html and "My own reasoning." not in html

    body = acme.client(annotators[1]).get("/api/v1/feedback/").json()
    (entry,) = body["results"]
    assert entry["comment"] == "Tighten the rationale." and entry["verdict"] == "minor"
    assert entry["corrected_result"]["rationale"] == "Sharper wording."
    assert entry["result"]["rationale"] == "My own reasoning."
    assert body["paused"] == [] and "auditor" not in json.dumps(body)
    paused_body = acme.client(annotators[0]).get("/api/v1/feedback/").json()
    assert [p["project"]["name"] for p in paused_body["paused"]] == ["Chatbot preferences"]
    assert len(paused_body["results"]) == 2


def test_feedback_reads_a_fixed_number_of_queries(acme, project, annotators, auditor, published_guideline):
    acknowledge_all(project, published_guideline, annotators)
    client = acme.client(annotators[0])
    client.get("/feedback/")

    def judge() -> None:
        _in_acme(acme)
        work(project, annotators[0], "A")
        audit = audit_next(auditor=auditor, project=project)
        audit_submit(auditor=auditor, workspace=acme.workspace, audit_id=audit.pk, verdict="pass")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/feedback/").status_code == 200
        return len(queries)

    judge()
    one = count()
    judge()
    judge()
    assert count() == one


def test_feedback_letters_responses_as_the_annotator_saw_them(acme, project, annotators, auditor, worked):
    _in_acme(acme)
    audit = audit_next(auditor=auditor, project=project)
    audit_submit(auditor=auditor, workspace=acme.workspace, audit_id=audit.pk, verdict="pass")
    order = Annotation.objects.select_related("assignment").get(pk=worked.pk).assignment.response_order
    seen = "AB"[order.index(0)] if order else "A"  # where canonical response 0 (the choice) was shown
    html = _body(acme.client(annotators[0]).get("/feedback/"))
    assert f"{seen} is better (clearly better)" in html


def test_pages_stay_inside_the_project_the_auditor_audits(acme, project, auditor, worked):
    other = project_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        name="Elsewhere",
        task_type="pairwise_preference",
    )
    client = acme.client(auditor)
    assert client.get(f"/projects/{other.pk}/adjudications/").status_code == 404
    assert client.post(f"/projects/{other.pk}/audits/next/").status_code == 404
    assert client.get(f"/api/v1/projects/{other.pk}/adjudications/").status_code == 404


def test_results_read_in_words_for_every_kind():
    questions = questions_validate(
        [
            {
                "key": "tone",
                "kind": "single_choice",
                "prompt": "Tone?",
                "options": [{"value": "calm", "label": "Calm"}, {"value": "angry", "label": "Angry"}],
            },
            {
                "key": "flags",
                "kind": "multi_choice",
                "prompt": "Flags?",
                "options": [{"value": "pii", "label": "Personal data"}, {"value": "spam", "label": "Spam"}],
            },
            {
                "key": "score",
                "kind": "rating",
                "prompt": "Score?",
                "scale": [{"value": 1, "label": "Bad"}, {"value": 2, "label": "Good"}],
            },
            {"key": "rank", "kind": "ranking", "prompt": "Rank?", "allow_ties": True},
            {
                "key": "claims",
                "kind": "spans",
                "prompt": "Claims?",
                "field": "prompt",
                "labels": [{"value": "wrong", "label": "Wrong claim"}],
            },
            {
                "key": "turns",
                "kind": "per_turn",
                "prompt": "Turns?",
                "field": "conversation",
                "options": [{"value": "ok", "label": "Fine"}, {"value": "bad", "label": "Harmful"}],
            },
            {
                "key": "steps",
                "kind": "per_step",
                "prompt": "Steps?",
                "field": "trace",
                "options": [{"value": "ok", "label": "Correct"}, {"value": "bad", "label": "Mistake"}],
            },
            {"key": "note", "kind": "text", "prompt": "Note?", "required": False},
        ]
    )
    payload = {
        "prompt": "Paris is in Spain.",
        "responses": ["r0", "r1", "r2"],
        "conversation": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "go away"}],
        "trace": [{"action": "search"}, {"action": "answer"}],
    }
    result = {
        "tone": "angry",
        "flags": ["pii", "spam"],
        "score": 2,
        "rank": [[2], [0, 1]],
        "claims": [{"start": 12, "end": 17, "label": "wrong"}],
        "turns": [{"turn": 1, "value": "bad", "reason": "Rude."}],
        "steps": [
            {"step": 0, "value": "ok", "reason": None},
            {"step": 1, "value": "bad", "reason": "Guessed."},
        ],
        "note": None,
    }
    rows = {row["key"]: row["lines"] for row in result_display(questions, result, payload)}
    assert rows == {
        "tone": ["Angry"],
        "flags": ["Personal data, Spam"],
        "score": ["2 — Good"],
        "rank": ["1. C", "2. A = B"],
        "claims": ["Wrong claim: “Spain” (12–17)"],
        "turns": ["Turn 2 (assistant): Harmful — Rude."],
        "steps": ["Step 1: Correct", "Step 2: Mistake — Guessed."],
        "note": ["(not answered)"],
    }
    # Shown to an annotator who saw the responses as [r2, r0, r1]: r2 was their A.
    shown = {row["key"]: row["lines"] for row in result_display(questions, result, payload, [2, 0, 1])}
    assert shown["rank"] == ["1. A", "2. B = C"]
    # The JSON forms take the canonical result back as it is, for these kinds.
    assert result_as_answer(questions, result) == result


def test_the_prefilled_correction_is_the_annotation_itself(acme, project, auditor, worked):
    answer = result_as_answer(project.questions, worked.result)
    assert (
        result_validate(questions=project.questions, result=answer, item=worked.item.payload) == worked.result
    )
    _in_acme(acme)
    audit = audit_next(auditor=auditor, project=project)
    response = acme.client(auditor).post(
        f"/audits/{audit.pk}/", {"verdict": "pass", "corrected_result": json.dumps(answer)}
    )
    assert response.status_code == 302
    _in_acme(acme)
    audit.refresh_from_db()
    assert audit.status == "done" and audit.corrected_result is None  # left as it was: no correction


def test_coming_back_to_a_stale_claim_renews_it(acme, project, auditor, worked):
    _in_acme(acme)
    audit = audit_next(auditor=auditor, project=project)
    Audit.objects.filter(pk=audit.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    response = acme.client(auditor).post(f"/projects/{project.pk}/audits/next/")
    assert response["Location"] == f"/audits/{audit.pk}/"
    _in_acme(acme)
    other = staff_auditor(acme, project, new_member(acme, "auditor4@acme.test", Role.AUDITOR))
    assert audit_next(auditor=other, project=project) is None  # renewed: not up for grabs
    audit.refresh_from_db()
    assert audit.auditor_id == auditor.pk
    assert audit.claimed_at > timezone.now() - timedelta(minutes=1)


def test_a_correction_that_is_not_an_object_is_named_as_sent(acme, project, auditor, worked):
    client = acme.client(auditor)
    audit_id = client.post(f"/api/v1/projects/{project.pk}/audits/next/").json()["audit"]["id"]
    for sent, what in (("A", "a string"), ([1], "an array")):
        refused = client.post(
            f"/api/v1/audits/{audit_id}/verdict/",
            {"verdict": "pass", "corrected_result": sent},
            content_type="application/json",
        )
        assert refused.status_code == 400
        assert refused.json()["fields"] == {"corrected_result": [f"An object keyed by question, not {what}."]}
    _in_acme(acme)
    assert Audit.objects.get(pk=audit_id).status == "pending"


def test_an_adjudication_answer_that_is_not_an_object_is_named_as_sent(acme, project, auditor, split):
    client = acme.client(auditor)
    listed = client.get(f"/api/v1/projects/{project.pk}/adjudications/").json()["results"]
    url = f"/api/v1/adjudications/{listed[0]['id']}/resolve/"
    refused = client.post(url, {"result": "A"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_result"
    assert refused.json()["fields"] == {"result": ["An object, not a string."]}
    neither = client.post(url, {}, content_type="application/json")
    assert neither.status_code == 400
    assert neither.json()["fields"] == {"annotation_id": ["Give annotation_id or result."]}


def _prefer_b_instead(annotation: Annotation, person: User) -> None:
    """The annotator edits their answer to prefer canonical response B, as they see it."""
    from projects.services.queue import annotation_revise

    order = annotation.assignment.response_order or [0, 1]
    annotation_revise(
        annotator=person, annotation_id=annotation.pk, result=pairwise_result("AB"[order.index(1)])
    )


def test_a_verdict_on_an_answer_changed_since_it_was_opened_is_refused(
    acme, project, annotators, auditor, worked
):
    """The annotator may edit while the audit is pending: a verdict names the revision the auditor
    looked at, and one the annotator has changed since is judged again, not accepted unseen."""
    client = acme.client(auditor)
    client.post(f"/projects/{project.pk}/audits/next/")
    _in_acme(acme)
    audit = Audit.objects.get(annotation=worked)
    html = _body(client.get(f"/audits/{audit.pk}/"))
    assert 'type="hidden" name="revision" value="0"' in html
    _in_acme(acme)
    _prefer_b_instead(worked, annotators[0])

    stale = client.post(f"/audits/{audit.pk}/", {"verdict": "pass", "revision": "0"})
    assert stale.status_code == 409
    html = _body(stale)
    assert "The annotator changed this annotation after you opened it" in html
    assert "B is better (clearly better)" in html  # the answer as it is now
    assert 'type="hidden" name="revision" value="1"' in html
    _in_acme(acme)
    audit.refresh_from_db()
    assert (audit.status, Annotation.objects.get(pk=worked.pk).status) == ("pending", "submitted")

    judged = client.post(f"/audits/{audit.pk}/", {"verdict": "pass", "revision": "1"})
    assert judged.status_code == 302
    _in_acme(acme)
    assert Annotation.objects.get(pk=worked.pk).status == Annotation.Status.ACCEPTED


def test_the_audit_api_names_the_revision_and_refuses_a_verdict_on_another(
    acme, project, annotators, auditor, worked
):
    client = acme.client(auditor)
    body = client.post(f"/api/v1/projects/{project.pk}/audits/next/", content_type="application/json").json()
    audit_id = body["audit"]["id"]
    assert body["revision"] == 0
    _in_acme(acme)
    _prefer_b_instead(worked, annotators[0])
    url = f"/api/v1/audits/{audit_id}/verdict/"
    malformed = client.post(url, {"verdict": "pass", "revision": "0"}, content_type="application/json")
    assert malformed.status_code == 400 and set(malformed.json()["fields"]) == {"revision"}
    stale = client.post(url, {"verdict": "pass", "revision": 0}, content_type="application/json")
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["fields"]) == ("annotation_changed", {"revision": ["1"]})
    assert client.get(f"/api/v1/audits/{audit_id}/").json()["revision"] == 1
    judged = client.post(url, {"verdict": "pass", "revision": 1}, content_type="application/json")
    assert judged.status_code == 200 and judged.json()["audit"]["status"] == "done"


def test_a_verdict_comment_too_long_to_keep_is_refused_not_cut(acme, project, auditor, worked):
    client = acme.client(auditor)
    claimed = client.post(f"/api/v1/projects/{project.pk}/audits/next/", content_type="application/json")
    audit_id = claimed.json()["audit"]["id"]
    verdict = client.post(
        f"/api/v1/audits/{audit_id}/verdict/",
        {"verdict": "pass", "comment": "x" * 5001},
        content_type="application/json",
    )
    assert (verdict.status_code, verdict.json()["fields"]) == (
        400,
        {"comment": ["At most 5,000 characters."]},
    )
    _in_acme(acme)
    assert Audit.objects.get(pk=audit_id).status == "pending"


def test_an_adjudication_comment_too_long_to_keep_is_refused_not_cut(acme, project, auditor, split):
    (first_a, _), _ = split
    client = acme.client(auditor)
    adjudication_id = client.get(f"/api/v1/projects/{project.pk}/adjudications/").json()["results"][0]["id"]
    answer = client.post(
        f"/api/v1/adjudications/{adjudication_id}/resolve/",
        {"annotation_id": first_a.pk, "comment": "x" * 5001},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["fields"]) == (400, {"comment": ["At most 5,000 characters."]})
    _in_acme(acme)
    assert Adjudication.objects.get(pk=adjudication_id).status == "open"
