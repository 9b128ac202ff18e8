"""Calibration through the pages and the API: a semantic guideline change opens a round, the
annotator works it in the workbench's endpoints and returns to production; a failed participant
retries when an auditor allows it; managers and auditors see pseudonyms only."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.db import connection

from projects.models import Item
from projects.services.guidelines import guideline_draft_save, guideline_publish
from reviews.models import CalibrationParticipant, CalibrationRound
from reviews.services.calibration import calibration_start
from tenants.models import Role
from tenants.selectors import pseudonym
from tests.projects.conftest import pairwise_result
from tests.projects.test_workbench import page_config
from tests.reviews.conftest import gold_items


@pytest.fixture
def semantic_change(acme, project):
    """Gold items, then a semantic guideline version: the round opens by itself."""
    gold_items(project)
    manager = acme.users[Role.CLIENT_MANAGER]
    draft = guideline_draft_save(
        actor=manager, project=project, body="Prefer the correct one.", changelog="New rule", kind="semantic"
    )
    return guideline_publish(actor=manager, workspace=acme.workspace, project=project, version_id=draft.pk)


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _work_round(acme, client, project, *, right: bool = True) -> dict:
    """Answer every item of the annotator's round through the API; the last answer's body."""
    base = f"/api/v1/projects/{project.pk}/calibration/"
    last = None
    for _ in range(10):
        task = _post(client, base + "next/").json()
        if task["assignment"] is None:
            break
        shown = task["item"]["payload"]["responses"].index("Right" if right else "Wrong")
        last = _post(
            client, base + f"answers/{task['item']['id']}/", {"result": pairwise_result("AB"[shown])}
        )
        assert last.status_code == 201, last.content
    connection.set_tenant(acme.workspace)
    return last.json()


def _leaks(acme, annotators) -> list[str]:
    people = [*annotators, acme.users[Role.AUDITOR]]
    return [p.email for p in people] + [p.full_name for p in people if p.full_name]


def test_a_semantic_change_opens_a_round_the_annotator_passes_then_works(
    acme, project, annotators, semantic_change
):
    round_ = CalibrationRound.objects.get(project=project, status="open")
    assert round_.guideline_version == semantic_change
    annotator = acme.users[Role.ANNOTATOR]
    client = acme.client(annotator)
    assert (
        _post(
            client, f"/api/v1/projects/{project.pk}/guidelines/{semantic_change.number}/acknowledge/"
        ).status_code
        == 200
    )
    held = _post(client, f"/api/v1/projects/{project.pk}/tasks/next/")
    assert held.status_code == 409 and held.json()["code"] == "calibration_required"

    # The page feeds the workbench the calibration endpoints: no skipping.
    page = client.get(f"/projects/{project.pk}/calibration/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/projects/workbench.js" in html and "Semantic guideline change: version 1" in html
    config = page_config(html)
    assert config["allow_skip"] is False and config["urls"]["skip"] is None
    assert config["urls"]["next"] == f"/api/v1/projects/{project.pk}/calibration/next/"
    assert config["urls"]["submit"] == f"/api/v1/projects/{project.pk}/calibration/answers/{{id}}/"
    assert config["urls"]["draft"] == f"/api/v1/projects/{project.pk}/calibration/drafts/{{id}}/"

    base = f"/api/v1/projects/{project.pk}/calibration/"
    task = _post(client, base + "next/").json()
    assert task["item"]["external_id"] == "Calibration 1 of 2" and task["assignment"]["draft"] is None
    assert task["project"]["questions"][0]["key"] == "preference"
    item_id = task["item"]["id"]
    # A bad answer names the question; a draft comes back with the task.
    bad = _post(client, base + f"answers/{item_id}/", {"result": {"preference": {"choice": "Z"}}})
    assert bad.status_code == 400 and any(key.startswith("preference") for key in bad.json()["fields"])
    draft = {"answers": {"preference": {"choice": "A"}}, "time_spent_ms": 1200}
    saved = client.put(base + f"drafts/{item_id}/", {"draft": draft}, content_type="application/json")
    assert saved.status_code == 204
    assert _post(client, base + "next/").json()["assignment"]["draft"] == draft

    finished = _work_round(acme, client, project)
    assert finished["finished"] is True and finished["status"] == "passed" and finished["passed"] is True
    assert finished["message"].startswith("You passed this calibration round (score 100%, pass mark 80%)")
    after = _post(client, base + "next/").json()
    assert after["assignment"] is None and after["finished"] is True and "You passed" in after["message"]
    assert "You passed" in client.get(f"/projects/{project.pk}/calibration/").content.decode()

    production = _post(client, f"/api/v1/projects/{project.pk}/tasks/next/")
    connection.set_tenant(acme.workspace)
    assert production.status_code == 200
    assert not Item.objects.get(pk=production.json()["item"]["id"]).is_gold
    # The others still owe the round.
    other = _post(acme.client(annotators[1]), f"/api/v1/projects/{project.pk}/tasks/next/")
    assert other.status_code == 409


def test_an_annotator_without_a_round_is_told_so(acme, project):
    client = acme.client(acme.users[Role.ANNOTATOR])
    body = _post(client, f"/api/v1/projects/{project.pk}/calibration/next/").json()
    assert body == {
        "assignment": None,
        "item": None,
        "finished": True,
        "status": None,
        "score": None,
        "passed": None,
        "message": "You have no calibration round on this project.",
    }
    html = client.get(f"/projects/{project.pk}/calibration/").content.decode()
    assert "You have no calibration round on this project." in html
    assert "workbench-config" not in html
    answer = _post(
        client, f"/api/v1/projects/{project.pk}/calibration/answers/1/", {"result": pairwise_result("A")}
    )
    assert answer.status_code == 404


def test_a_failed_participant_retries_when_an_auditor_allows(
    acme, project, annotators, auditor, semantic_change
):
    annotator = acme.users[Role.ANNOTATOR]
    client = acme.client(annotator)
    failed = _work_round(acme, client, project, right=False)
    assert failed["status"] == "failed" and failed["passed"] is False
    assert failed["message"].startswith("You failed this calibration round (score 50%, pass mark 80%)")
    assert _post(client, f"/api/v1/projects/{project.pk}/tasks/next/").status_code == 409
    connection.set_tenant(acme.workspace)
    participant = CalibrationParticipant.objects.get(annotator=annotator, round__project=project)

    # The manager sees the failure, by pseudonym, without a retry button.
    manager_page = acme.client(acme.users[Role.CLIENT_MANAGER]).get(f"/projects/{project.pk}/calibration/")
    html = manager_page.content.decode()
    row = re.search(
        rf"<tr>\s*<td>{pseudonym(workspace_id=acme.workspace.pk, user_id=annotator.pk)}</td>.*?</tr>",
        html,
        re.S,
    )
    assert row and "Failed" in row.group(0) and "50%" in row.group(0)
    assert "Let them retry" not in html

    auditor_client = acme.client(auditor)
    html = auditor_client.get(f"/projects/{project.pk}/calibration/").content.decode()
    assert html.count("Let them retry") == 1
    assert f'name="participant_id" value="{participant.pk}"' in html
    response = auditor_client.post(
        f"/projects/{project.pk}/calibration/retry/", {"participant_id": participant.pk}, follow=True
    )
    assert "They can take the round again" in response.content.decode()
    connection.set_tenant(acme.workspace)
    participant.refresh_from_db()
    assert (participant.status, participant.answers, participant.score) == ("pending", {}, None)
    passed = _work_round(acme, client, project)
    assert passed["status"] == "passed"
    # Retrying someone who did not fail says why it cannot.
    again = auditor_client.post(
        f"/projects/{project.pk}/calibration/retry/", {"participant_id": participant.pk}, follow=True
    )
    assert "Only a failed participant of an open round can retry." in again.content.decode()
    api = _post(
        auditor_client,
        f"/api/v1/projects/{project.pk}/calibration/retry/",
        {"participant_id": participant.pk},
    )
    assert api.status_code == 409 and api.json()["code"] == "not_failed"


def test_managers_see_the_round_with_pseudonyms_and_agreement(acme, project, annotators, semantic_change):
    for person in annotators[:2]:
        _work_round(acme, acme.client(person), project)
    _work_round(acme, acme.client(annotators[2]), project, right=False)
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    html = manager.get(f"/projects/{project.pk}/calibration/").content.decode()
    names = [pseudonym(workspace_id=acme.workspace.pk, user_id=p.pk) for p in annotators]
    participants = re.search(r'<table id="participants">.*?</table>', html, re.S).group(0)
    for name in names:
        assert name in participants
    assert "2 passed, 1 failed, 0 still to finish." in html
    agreement = re.search(r'<table id="round-agreement">.*?</table>', html, re.S).group(0)
    # Two of three answers agree on each item: one pair of three.
    assert agreement.count(">33%<") == 2 and "gold-0" in agreement
    for leak in _leaks(acme, annotators):
        assert leak not in html

    body = manager.get(f"/api/v1/projects/{project.pk}/calibration/").json()["round"]
    connection.set_tenant(acme.workspace)
    assert body["status"] == "open" and body["items"] == 2 and body["pass_mark"] == 0.8
    assert body["reason"] == "Semantic guideline change: version 1" and body["guideline_version"] == 1
    assert sorted(p["annotator"] for p in body["participants"]) == sorted(names)
    assert sorted(p["status"] for p in body["participants"]) == ["failed", "passed", "passed"]
    assert [row["percent_agreement"] for row in body["agreement"]] == [pytest.approx(1 / 3)] * 2
    text = json.dumps(body)
    assert "annotator_id" not in text
    for leak in _leaks(acme, annotators):
        assert leak not in text


def test_starting_and_closing_rounds(acme, project, annotators, auditor):
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    empty = manager.get(f"/projects/{project.pk}/calibration/").content.decode()
    assert "No calibration round has been run on this project yet." in empty
    refused = manager.post(f"/projects/{project.pk}/calibration/start/", {"reason": "Check"}, follow=True)
    assert "Calibration needs items: add gold items to the project." in refused.content.decode()
    connection.set_tenant(acme.workspace)
    gold_items(project, 3)
    no_reason = manager.post(f"/projects/{project.pk}/calibration/start/", {"reason": " "}, follow=True)
    assert "Say why the team calibrates" in no_reason.content.decode()
    started = manager.post(
        f"/projects/{project.pk}/calibration/start/", {"reason": "Harmlessness drift"}, follow=True
    )
    assert "Calibration round open on 3 item(s)" in started.content.decode()
    connection.set_tenant(acme.workspace)
    round_ = CalibrationRound.objects.get(project=project, status="open")
    assert round_.reason == "Harmlessness drift" and round_.participants.count() == 3

    auditor_client = acme.client(auditor)
    again = _post(auditor_client, f"/api/v1/projects/{project.pk}/calibration/start/", {"reason": "Twice"})
    assert again.status_code == 409 and again.json()["code"] == "calibration_open"
    closed = _post(auditor_client, f"/api/v1/projects/{project.pk}/calibration/close/")
    assert closed.status_code == 200 and closed.json()["round"]["status"] == "closed"
    connection.set_tenant(acme.workspace)
    assert _post(acme.client(annotators[0]), f"/api/v1/projects/{project.pk}/tasks/next/").status_code == 200
    html = manager.get(f"/projects/{project.pk}/calibration/").content.decode()
    assert "Last round" in html and "Start a calibration round" in html

    bad = _post(auditor_client, f"/api/v1/projects/{project.pk}/calibration/start/", {"reason": ""})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"reason"}
    chosen = _post(
        auditor_client,
        f"/api/v1/projects/{project.pk}/calibration/start/",
        {"reason": "Two items", "item_ids": [round_.item_ids[0], round_.item_ids[2]]},
    )
    assert chosen.status_code == 201 and chosen.json()["round"]["items"] == 2


def test_an_unstaffed_auditor_and_a_viewer_get_404(acme, project):
    connection.set_tenant(acme.workspace)
    calibration_start(
        actor=None,
        workspace=acme.workspace,
        project=project,
        reason="Check",
        item_ids=[project.items.first().pk],
    )
    auditor = acme.client(acme.users[Role.AUDITOR])  # not staffed on the project
    assert auditor.get(f"/projects/{project.pk}/calibration/").status_code == 404
    assert auditor.get(f"/api/v1/projects/{project.pk}/calibration/").status_code == 404
    viewer = acme.client(acme.users[Role.CLIENT_VIEWER])
    assert viewer.get(f"/projects/{project.pk}/calibration/").status_code == 404


def test_drafts_are_the_annotators_own(acme, globex, project, annotators, semantic_change):
    connection.set_tenant(acme.workspace)
    item_id = CalibrationRound.objects.get(project=project, status="open").item_ids[0]
    url = f"/api/v1/projects/{project.pk}/calibration/drafts/{item_id}/"
    body = {"draft": {"answers": {}}}
    assert acme.client().put(url, body, content_type="application/json").status_code == 401
    for stranger in (acme.users[Role.CLIENT_MANAGER], globex.users[Role.ANNOTATOR]):
        assert acme.client(stranger).put(url, body, content_type="application/json").status_code == 404
    mine = acme.client(annotators[0])
    assert mine.put(url, body, content_type="application/json").status_code == 204
    too_big = {"draft": {"text": "x" * 200_001}}
    assert mine.put(url, too_big, content_type="application/json").status_code == 400
    other_item = f"/api/v1/projects/{project.pk}/calibration/drafts/{item_id + 1000}/"
    assert mine.put(other_item, body, content_type="application/json").status_code == 404
    # Another participant's draft of the same item is theirs alone.
    assert (
        _post(acme.client(annotators[1]), f"/api/v1/projects/{project.pk}/calibration/next/").json()[
            "assignment"
        ]["draft"]
        is None
    )


def test_a_draft_is_kept_in_the_database_until_its_answer_is_sent(acme, project, annotators, semantic_change):
    base = f"/api/v1/projects/{project.pk}/calibration/"
    client = acme.client(annotators[0])
    task = _post(client, base + "next/").json()
    item_id = task["item"]["id"]
    assert task["assignment"]["draft"] is None
    draft = {"answers": {"preference": {"choice": "A"}}, "active_ms": 1200}
    saved = client.put(base + f"drafts/{item_id}/", {"draft": draft}, content_type="application/json")
    assert saved.status_code == 204
    connection.set_tenant(acme.workspace)
    assert CalibrationParticipant.objects.get(annotator=annotators[0]).drafts == {str(item_id): draft}
    cache.clear()  # another server process, or a restart: the draft does not live in memory
    assert _post(client, base + "next/").json()["assignment"]["draft"] == draft
    shown = task["item"]["payload"]["responses"].index("Right")
    assert (
        _post(client, base + f"answers/{item_id}/", {"result": pairwise_result("AB"[shown])}).status_code
        == 201
    )
    connection.set_tenant(acme.workspace)
    assert CalibrationParticipant.objects.get(annotator=annotators[0]).drafts == {}
    following = _post(client, base + "next/").json()
    assert following["item"]["id"] != item_id and following["assignment"]["draft"] is None
    answered = client.put(base + f"drafts/{item_id}/", {"draft": draft}, content_type="application/json")
    assert answered.status_code == 404  # an answered item takes no more drafts


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "Check", "item_ids": [True]}, "item_ids"),
        ({"reason": "Check", "item_ids": []}, "item_ids"),
        ({"reason": "x" * 301}, "reason"),
    ],
)
def test_a_calibration_start_that_cannot_be_kept_as_sent_is_a_400(acme, project, auditor, body, field):
    """`true` is not item 1, an empty list of items is not "the default items", and a reason over
    300 characters is refused rather than cut short."""
    gold_items(project, 2)
    response = _post(acme.client(auditor), f"/api/v1/projects/{project.pk}/calibration/start/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_calibration"
    assert set(response.json()["fields"]) == {field}
    connection.set_tenant(acme.workspace)
    assert not CalibrationRound.objects.filter(project=project).exists()
