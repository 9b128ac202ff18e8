"""Blindness, checked on the raw bytes of every response:

- nothing an auditor gets for an audit or an adjudication (pages, API, errors) names who made
  the annotation (email, full name, pseudonym, user id) or carries another auditor's verdict;
- an annotator's task for a gold item never carries the gold answer;
- an annotator's feedback never carries another annotator's answer, nor who audited them.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from projects.models import Item
from projects.services.imports import items_import
from projects.services.projects import project_create, project_staff, project_transition
from reviews.models import Adjudication, Audit
from reviews.services.audits import audit_next, audit_submit
from tenants.models import Role
from tenants.selectors import pseudonym
from tests.reviews.conftest import staff_auditor, work
from tests.reviews.test_audit_pages import acknowledge_all, new_member

SECRET_ID = 918273645  # an id no other number on a page is likely to contain
SECRET_COMMENT = "Second-auditor-private-comment"


@pytest.fixture
def scene(acme, project, annotators, published_guideline):
    """A distinctive annotator and an ordinary one answer item-0 differently (an adjudication);
    a second auditor judged the distinctive one's item-0 answer; the first auditor holds the
    audit of their item-1 answer."""
    secret = new_member(
        acme, "zq.secret.annotator@acme.test", Role.ANNOTATOR, pk=SECRET_ID, full_name="Zebulon Quintero"
    )
    manager = acme.users[Role.CLIENT_MANAGER]
    project_staff(
        actor=manager, workspace=acme.workspace, project=project, user_id=secret.pk, role="annotator"
    )
    ordinary = annotators[0]
    acknowledge_all(project, published_guideline, [secret, ordinary])
    first_auditor = staff_auditor(acme, project, acme.users[Role.AUDITOR])
    second_auditor = staff_auditor(
        acme, project, new_member(acme, "second.auditor@acme.test", Role.AUDITOR, full_name="Odile Second")
    )
    secret_first = work(project, secret, "A", rationale="Secret annotator's own reasoning.")
    secret_second = work(project, secret, "A", rationale="Secret annotator again.")
    ordinary_first = work(project, ordinary, "B", rationale="Ordinary annotator's reasoning.")
    assert secret_first.item_id == ordinary_first.item_id
    judged = audit_next(auditor=second_auditor, project=project)
    assert judged.annotation_id == secret_first.pk
    audit_submit(
        auditor=second_auditor,
        workspace=acme.workspace,
        audit_id=judged.pk,
        verdict="minor",
        error_categories=["tone"],
        comment=SECRET_COMMENT,
    )
    held = audit_next(auditor=first_auditor, project=project)
    assert held.annotation_id == secret_second.pk
    return {
        "secret": secret,
        "ordinary": ordinary,
        "first_auditor": first_auditor,
        "second_auditor": second_auditor,
        "held": held,
        "adjudication": Adjudication.objects.get(item_id=secret_first.item_id),
        "ordinary_first": ordinary_first,
    }


def _forbidden_to_auditors(acme, scene) -> list[str]:
    markers = [SECRET_COMMENT, scene["second_auditor"].email, scene["second_auditor"].full_name]
    for person in (scene["secret"], scene["ordinary"]):
        markers += [person.email, pseudonym(workspace_id=acme.workspace.pk, user_id=person.pk)]
        if person.full_name:
            markers.append(person.full_name)
    return [*markers, str(SECRET_ID)]


# Keys no successful API answer to an auditor may have, at any depth.
IDENTIFYING_KEYS = {
    "annotator",
    "annotator_id",
    "user",
    "user_id",
    "email",
    "full_name",
    "pseudonym",
    "auditor",
    "auditor_id",
    "verdict",
    "comment",
    "reason",
}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def _assert_blind(response, markers: list[str], where: str) -> None:
    raw = response.content
    for marker in markers:
        assert marker.encode() not in raw, f"{marker!r} in {where}"
    if response.get("Content-Type", "").startswith("application/json") and response.status_code == 200:
        assert not _keys(response.json()) & IDENTIFYING_KEYS, where


def test_nothing_an_auditor_gets_names_the_annotator_or_another_auditors_verdict(acme, project, scene):
    markers = _forbidden_to_auditors(acme, scene)
    client = acme.client(scene["first_auditor"])
    audit_id, adjudication_id = scene["held"].pk, scene["adjudication"].pk
    json_post = {"content_type": "application/json"}
    responses = {
        "home": client.get("/reviews/"),
        "audit page": client.get(f"/audits/{audit_id}/"),
        "blind audit page": client.get(f"/audits/{audit_id}/?mode=blind"),
        "refused blind answer": client.post(f"/audits/{audit_id}/blind/", {"result": '{"preference": 1}'}),
        "refused verdict": client.post(f"/audits/{audit_id}/", {"verdict": "fail"}),
        "API next": client.post(f"/api/v1/projects/{project.pk}/audits/next/", {"blind": True}, **json_post),
        "API audit": client.get(f"/api/v1/audits/{audit_id}/"),
        "API refused verdict": client.post(
            f"/api/v1/audits/{audit_id}/verdict/", {"verdict": "x"}, **json_post
        ),
        "adjudication list": client.get(f"/projects/{project.pk}/adjudications/"),
        "adjudication page": client.get(f"/adjudications/{adjudication_id}/"),
        "refused adjudication": client.post(f"/adjudications/{adjudication_id}/", {"pick": "write"}),
        "API adjudications": client.get(f"/api/v1/projects/{project.pk}/adjudications/"),
        "API adjudication": client.get(f"/api/v1/adjudications/{adjudication_id}/"),
        "API refused resolve": client.post(
            f"/api/v1/adjudications/{adjudication_id}/resolve/", {}, **json_post
        ),
    }
    responses["API blind answer"] = client.post(
        f"/api/v1/audits/{audit_id}/blind/",
        {
            "result": {
                "preference": {
                    "choice": "tie",
                    "dimensions": {"helpfulness": "tie", "honesty": "tie", "harmlessness": "tie"},
                }
            }
        },
        **json_post,
    )
    responses["API resolve"] = client.post(
        f"/api/v1/adjudications/{adjudication_id}/resolve/",
        {"annotation_id": scene["ordinary_first"].pk},
        **json_post,
    )
    responses["verdict"] = client.post(
        f"/audits/{audit_id}/", {"verdict": "pass", "comment": "ok"}, follow=True
    )
    for where, response in responses.items():
        assert response.status_code in (200, 400), (where, response.status_code)
        _assert_blind(response, markers, where)
    # The responses did carry the work itself (the test would pass on empty pages otherwise).
    assert b"Secret annotator again." in responses["audit page"].content
    assert b"Secret annotator&#x27;s own reasoning." in responses["adjudication page"].content
    assert b"Secret annotator's own reasoning." in responses["API adjudication"].content
    connection.set_tenant(acme.workspace)
    assert Audit.objects.get(pk=audit_id).verdict == "pass"


def test_a_gold_items_task_never_carries_its_answer(acme):
    manager, annotator = acme.users[Role.CLIENT_MANAGER], acme.users[Role.ANNOTATOR]
    connection.set_tenant(acme.workspace)
    project = project_create(
        actor=manager, workspace=acme.workspace, name="Rewrites", task_type="rewrite", gold_rate="1"
    )
    items_import(
        project=project,
        records=[
            {
                "external_id": "g-1",
                "prompt": "Say hello politely.",
                "response": "hey",
                "is_gold": True,
                "gold_answer": {"rewrite": "Golden rewrite that nobody may see.", "main_change": "style"},
            },
            {"external_id": "p-1", "prompt": "Say bye.", "response": "bye"},
        ],
    )
    project_staff(
        actor=manager, workspace=acme.workspace, project=project, user_id=annotator.pk, role="annotator"
    )
    project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    response = acme.client(annotator).post(
        f"/api/v1/projects/{project.pk}/tasks/next/", content_type="application/json"
    )
    assert response.status_code == 200
    connection.set_tenant(acme.workspace)
    assert response.json()["item"]["id"] == Item.objects.get(external_id="g-1").pk  # the gold item was served
    raw = response.content.lower()
    assert b"golden rewrite" not in raw and b"gold" not in raw


@pytest.mark.parametrize("viewer", ["secret", "ordinary"])
def test_feedback_never_carries_another_annotators_answer(acme, project, scene, viewer):
    connection.set_tenant(acme.workspace)
    # The first auditor judges the audit they hold, then the ordinary annotator's answer to the
    # item both annotated.
    first = scene["first_auditor"]
    audit_submit(auditor=first, workspace=acme.workspace, audit_id=scene["held"].pk, verdict="pass")
    audit = audit_next(auditor=scene["first_auditor"], project=project)
    assert audit.annotation_id == scene["ordinary_first"].pk
    audit_submit(auditor=scene["first_auditor"], workspace=acme.workspace, audit_id=audit.pk, verdict="pass")
    own, other = (
        ("Secret annotator", "Ordinary annotator")
        if viewer == "secret"
        else ("Ordinary annotator", "Secret annotator")
    )
    client = acme.client(scene[viewer])
    page, api = client.get("/feedback/"), client.get("/api/v1/feedback/")
    auditors = [scene["first_auditor"], scene["second_auditor"]]
    for where, response in (("page", page), ("API", api)):
        assert response.status_code == 200
        raw = response.content.replace(b"&#x27;", b"'")
        assert own.encode() in raw, where  # their own answer is there
        assert other.encode() not in raw, where
        for person in auditors:
            assert person.email.encode() not in raw and (person.full_name or "@@").encode() not in raw
    body = json.dumps(api.json())
    assert '"auditor' not in body
    assert (SECRET_COMMENT in body) == (viewer == "secret")  # the second auditor judged the secret one
