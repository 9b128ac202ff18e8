"""The quality page and `GET /api/v1/projects/<id>/quality/`: agreement trends and figures,
audits, error categories, position bias and the pseudonymous annotator table; refreshing
agreement; the review policy; the dashboard's quality notice."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import Annotation, Project
from projects.services.imports import items_import
from projects.services.projects import project_create, project_staff, project_transition
from reviews.models import AgreementSnapshot, AnnotatorQuality, Audit, default_error_categories
from reviews.services.calibration import calibration_start
from reviews.services.metrics import agreement_snapshot_take
from reviews.services.policy import review_policy
from reviews.tasks import agreement_refresh
from tenants.models import AuditLog, Role, User, Workspace
from tenants.selectors import pseudonym
from tests.conftest import browser_sign_in
from tests.projects.conftest import pairwise_items, pairwise_result
from tests.reviews.conftest import work


@pytest.fixture
def measured(project, annotators) -> list[AgreementSnapshot]:
    """Two annotators on all five items, disagreeing on one; three measurements of it."""
    for first, second in zip("AABBA", "AABAA", strict=True):
        work(project, annotators[0], first)
        work(project, annotators[1], second)
    return [agreement_snapshot_take(project)[0] for _ in range(3)]


def _people_leaks(acme, annotators) -> list[str]:
    people = [*annotators, acme.users[Role.AUDITOR]]
    return [p.email for p in people] + [p.full_name for p in people if p.full_name]


def _get(acme, user, url):
    response = acme.client(user).get(url)
    connection.set_tenant(acme.workspace)
    return response


def test_the_page_shows_the_latest_snapshot_and_pseudonyms_only(acme, project, annotators, measured):
    latest = measured[-1]
    assert latest.alpha is not None and latest.alpha_low is not None  # a real interval to show
    response = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/quality/")
    assert response.status_code == 200
    html = response.content.decode()
    figures = re.search(r'<table class="figures">.*?</table>', html, re.S).group(0)
    assert f"{latest.alpha:.2f}" in figures
    assert f"[{latest.alpha_low:.2f}, {latest.alpha_high:.2f}]" in figures
    assert f"{latest.percent_agreement:.0%}" in figures
    assert f"[{latest.percent_low:.0%}, {latest.percent_high:.0%}]" in figures
    assert f"{latest.cohen_kappa_mean:.2f}" in figures and f"{latest.fleiss_kappa:.2f}" in figures
    assert f">{latest.items}<" in figures and f">{latest.annotators}<" in figures
    table = re.search(r'<table id="annotators">.*?</table>', html, re.S).group(0)
    for person in annotators:
        name = pseudonym(workspace_id=acme.workspace.pk, user_id=person.pk)
        assert name in table
    first = pseudonym(workspace_id=acme.workspace.pk, user_id=annotators[0].pk)
    row = re.search(rf"<tr>\s*<td>{first}</td>.*?</tr>", table, re.S).group(0)
    assert f"{latest.per_annotator[str(annotators[0].pk)]:.0%}" in row
    assert "Position bias" in html and "decided comparisons" in html
    for leak in _people_leaks(acme, annotators):
        assert leak not in html


def test_the_chart_is_an_svg_polyline_with_one_point_per_snapshot(acme, project, annotators, measured):
    html = _get(acme, acme.users[Role.CLIENT_MANAGER], f"/projects/{project.pk}/quality/").content.decode()
    points = re.search(r'<polyline class="chart-line" points="([^"]+)"', html).group(1).split()
    assert len(points) == len(measured) == 3
    xs = [float(point.split(",")[0]) for point in points]
    assert xs == sorted(xs) and len(set(xs)) == 3  # oldest on the left
    assert html.count('<circle class="chart-point"') == 3
    assert '<polygon class="chart-band"' in html  # the 95% interval
    assert "/static/reviews/quality.css" in html

    class Inline(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found += [(tag, name) for name, _ in attrs if name == "style" or name.startswith("on")]
            if tag in ("script", "style") and not dict(attrs).get("src"):
                self.found.append((tag, "inline"))

    parser = Inline()
    parser.feed(html)
    assert parser.found == []  # the CSP allows no inline style or script


def test_the_api_returns_series_figures_and_no_annotator_ids(acme, project, annotators, measured, auditor):
    first_audit, second_audit = Audit.objects.filter(project=project, status="pending").order_by("id")[:2]
    finished = {"status": "done", "finished_at": timezone.now()}
    Audit.objects.filter(pk=first_audit.pk).update(
        verdict="fail", error_categories=["tone", "safety"], **finished
    )
    Audit.objects.filter(pk=second_audit.pk).update(verdict="minor", error_categories=["tone"], **finished)
    response = _get(acme, auditor, f"/api/v1/projects/{project.pk}/quality/")
    assert response.status_code == 200
    body = response.json()
    question = body["questions"][0]
    latest = measured[-1]
    assert question["key"] == "preference"
    assert [s["alpha"] for s in question["series"]] == [s.alpha for s in measured]
    assert question["latest"]["alpha"] == latest.alpha
    assert question["latest"]["percent_agreement"] == latest.percent_agreement
    assert (question["latest"]["items"], question["latest"]["annotators"]) == (5, 2)
    bias = question["position_bias"]
    assert bias["project"]["decided"] == 10
    assert bias["project"]["reading"] in (
        "no evidence of position bias",
        f"the first-shown response wins more often than chance (p = {bias['project']['p_value']:.3g})",
        f"the second-shown response wins more often than chance (p = {bias['project']['p_value']:.3g})",
    )
    names = {pseudonym(workspace_id=acme.workspace.pk, user_id=p.pk): p for p in annotators}
    assert {row["annotator"] for row in bias["annotators"]} == set(list(names)[:2])
    assert {row["annotator"] for row in body["annotators"]} == set(names)
    first = next(r for r in body["annotators"] if names[r["annotator"]] == annotators[0])
    assert first["annotations"] == 5
    assert first["agreement"] == {"preference": latest.per_annotator[str(annotators[0].pk)]}
    assert body["audits"]["by_verdict"] == {"pass": 0, "minor": 1, "fail": 1}
    assert body["audits"]["pass_rate"] == 0.25
    counts = {row["category"]: row["count"] for row in body["error_categories"]}
    assert counts["tone"] == 2 and counts["safety"] == 1 and counts["factual_error"] == 0
    assert body["policy"]["quality_threshold"] == 0.7

    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    ids = {str(p.pk) for p in annotators}
    assert not ids & set(keys(body))
    assert "annotator_id" not in set(keys(body))
    text = json.dumps(body)
    for leak in _people_leaks(acme, annotators):
        assert leak not in text


def test_nothing_measured_yet_says_so(acme, project):
    html = _get(acme, acme.users[Role.CLIENT_MANAGER], f"/projects/{project.pk}/quality/").content.decode()
    assert "Nothing has been measured yet." in html
    assert "No audit has been finished yet" in html
    assert "<polyline" not in html
    body = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/api/v1/projects/{project.pk}/quality/").json()
    assert body["questions"] == [] and body["audits"]["pass_rate"] is None
    assert body["audits"]["finished"] == 0


def test_the_page_and_api_read_in_a_fixed_number_of_queries(acme, project, annotators, measured):
    def count():
        connection.set_tenant(acme.workspace)
        with CaptureQueriesContext(connection) as queries:
            assert (
                _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/quality/").status_code
                == 200
            )
            assert (
                _get(
                    acme, acme.users[Role.CLIENT_VIEWER], f"/api/v1/projects/{project.pk}/quality/"
                ).status_code
                == 200
            )
        return len(queries)

    count()  # the first request of a test also looks up the workspace's host
    few = count()
    items_import(project=project, records=pairwise_items(4, start=10))
    for _ in range(4):
        work(project, annotators[2], "A")
    agreement_snapshot_take(project)
    Audit.objects.filter(project=project).update(status="done", verdict="pass", finished_at=timezone.now())
    assert count() == few


def test_refresh_enqueues_the_snapshot_job_on_commit(
    acme, project, auditor, measured, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(agreement_refresh, "apply_async", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks() as callbacks:
        response = acme.client(auditor).post(f"/projects/{project.pk}/quality/refresh/", follow=True)
    connection.set_tenant(acme.workspace)
    assert response.status_code == 200
    assert "Agreement is being measured again in the background" in response.content.decode()
    assert len(callbacks) == 1 and sent == []  # nothing is sent before the commit
    callbacks[0]()
    assert sent == [{"args": (project.pk,), "kwargs": {}, "headers": {"_schema_name": "ws_acme"}}]
    assert agreement_refresh(project.pk) == 1  # what the worker runs: a new point of the trend
    assert AgreementSnapshot.objects.filter(project=project).count() == 4
    # The button is there for auditors and client managers, not for viewers.
    assert "Refresh agreement now" in _get(acme, auditor, f"/projects/{project.pk}/quality/").content.decode()
    viewer_page = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/quality/")
    assert "Refresh agreement now" not in viewer_page.content.decode()


def test_the_api_refresh_answers_202(acme, project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = acme.client(acme.users[Role.CLIENT_MANAGER]).post(
            f"/api/v1/projects/{project.pk}/quality/refresh/", content_type="application/json"
        )
    assert response.status_code == 202 and response.json()["queued"] is True
    assert len(callbacks) == 1


POLICY = {
    "error_categories": "factual_error, tone , unsafe_advice",
    "new_annotator_audits": "3",
    "low_quality_audit_rate": "0.4",
    "quality_threshold": "0.75",
    "disagreement_threshold": "0.5",
    "calibration_pass_mark": "0.9",
}


def test_a_manager_changes_the_review_policy_on_the_page(acme, project):
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = manager.post(f"/projects/{project.pk}/quality/", POLICY)
    connection.set_tenant(acme.workspace)
    assert response.status_code == 302
    policy = review_policy(Project.objects.get(pk=project.pk))
    assert policy.error_categories == ["factual_error", "tone", "unsafe_advice"]
    assert (policy.new_annotator_audits, policy.quality_threshold, policy.calibration_pass_mark) == (
        3,
        Decimal("0.750"),
        Decimal("0.900"),
    )
    html = _get(acme, acme.users[Role.CLIENT_MANAGER], f"/projects/{project.pk}/quality/").content.decode()
    assert 'value="factual_error, tone, unsafe_advice"' in html
    # Readers see the settings, without the form.
    html = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/quality/").content.decode()
    assert "Save review settings" not in html and "unsafe_advice" in html


def test_a_bad_policy_is_refused_with_field_errors(acme, project):
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = manager.post(
        f"/projects/{project.pk}/quality/",
        {
            **POLICY,
            "quality_threshold": "1.5",
            "new_annotator_audits": "-1",
            "error_categories": "tone, tone",
        },
    )
    connection.set_tenant(acme.workspace)
    assert response.status_code == 400
    html = response.content.decode()
    assert "a fraction from 0 to 1" in html
    assert "a whole number from 0 to 1000" in html
    assert "a non-empty list of distinct category names" in html
    policy = review_policy(Project.objects.get(pk=project.pk))
    assert policy.quality_threshold == Decimal("0.700") and policy.new_annotator_audits == 5  # unchanged


def test_the_policy_api(acme, project):
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    url = f"/api/v1/projects/{project.pk}/review-policy/"
    bad = manager.patch(url, {"quality_threshold": 2, "seed": 1}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_policy"
    assert set(bad.json()["fields"]) == {"quality_threshold", "seed"}
    clash = manager.patch(url, {"project": 1}, content_type="application/json")
    assert clash.status_code == 400 and set(clash.json()["fields"]) == {"project"}
    good = manager.patch(
        url, {"error_categories": ["tone"], "disagreement_threshold": 0.55}, content_type="application/json"
    )
    assert good.status_code == 200
    assert good.json()["error_categories"] == ["tone"] and good.json()["disagreement_threshold"] == 0.55
    viewer = acme.client(acme.users[Role.CLIENT_VIEWER])
    assert viewer.get(url).json()["error_categories"] == ["tone"]
    assert viewer.patch(url, {"quality_threshold": 0.1}, content_type="application/json").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quality_threshold": "NaN"}, "quality_threshold"),
        ({"calibration_pass_mark": "sNaN"}, "calibration_pass_mark"),
        ({"low_quality_audit_rate": "1e-999999999"}, "low_quality_audit_rate"),
        ({"disagreement_threshold": 0.12345}, "disagreement_threshold"),
        ({"disagreement_by_kind": {"rating": "NaN"}}, "disagreement_by_kind"),
        ({"disagreement_by_kind": {"rating": 0.12345}}, "disagreement_by_kind"),
        ({"error_categories": ["tone", "x" * 61]}, "error_categories"),
    ],
)
def test_a_policy_value_that_cannot_be_kept_as_sent_is_a_400(acme, project, changes, field):
    """Fractions have at most 3 decimal places (more is refused, not rounded), not-a-number is not a
    fraction, and a category name of more than 60 characters is refused, not cut short."""
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    url = f"/api/v1/projects/{project.pk}/review-policy/"
    response = manager.patch(url, changes, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_policy"
    assert set(response.json()["fields"]) == {field}
    connection.set_tenant(acme.workspace)
    policy = manager.get(url).json()  # as it was
    assert policy["error_categories"] == default_error_categories()
    assert (policy["quality_threshold"], policy["calibration_pass_mark"]) == (0.7, 0.8)
    assert (policy["low_quality_audit_rate"], policy["disagreement_threshold"]) == (0.5, 0.6)
    assert policy["disagreement_by_kind"] == {}


def test_a_policy_fraction_with_three_decimal_places_is_kept_exactly(acme, project):
    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    url = f"/api/v1/projects/{project.pk}/review-policy/"
    changed = manager.patch(
        url,
        {"calibration_pass_mark": 0.125, "disagreement_by_kind": {"rating": "0.875"}},
        content_type="application/json",
    )
    assert changed.status_code == 200
    stored = manager.get(url).json()
    assert changed.json() == stored
    assert stored["calibration_pass_mark"] == 0.125 and stored["disagreement_by_kind"] == {"rating": 0.875}


def test_the_dashboard_names_paused_annotators_and_the_latest_agreement(acme, project, annotators, measured):
    AnnotatorQuality.objects.filter(project=project, annotator=annotators[1]).update(
        status="paused", paused_at=timezone.now(), pause_reason="Quality 40% is under 70%."
    )
    html = _get(acme, acme.users[Role.CLIENT_MANAGER], f"/projects/{project.pk}/").content.decode()
    notice = re.search(r'<div class="card error" id="paused-annotators">.*?</div>', html, re.S).group(0)
    assert "1 annotator paused" in notice
    assert pseudonym(workspace_id=acme.workspace.pk, user_id=annotators[1].pk) in notice
    assert pseudonym(workspace_id=acme.workspace.pk, user_id=annotators[0].pk) not in notice
    summary = re.search(r'<div class="card" id="agreement-summary">.*?</div>', html, re.S).group(0)
    assert f"{measured[-1].alpha:.2f}" in summary
    assert f'href="/projects/{project.pk}/quality/"' in summary
    for leak in _people_leaks(acme, annotators):
        assert leak not in html
    viewer = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/")
    assert 'id="paused-annotators"' in viewer.content.decode()


def test_a_dashboard_with_nothing_measured(acme, project):
    html = _get(acme, acme.users[Role.CLIENT_MANAGER], f"/projects/{project.pk}/").content.decode()
    assert 'id="paused-annotators"' not in html
    assert "not measured yet" in html


# In Chromium -------------------------------------------------------------------------------------


@pytest.fixture
def committed_quality(django_db_setup, django_db_blocker, monkeypatch):
    """An active pairwise project in acme with six agreement snapshots and an open calibration
    round on two gold items, committed so the server process sees it; removed afterwards."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = User.objects.get(email="manager@acme.test")
        annotator = User.objects.get(email="annotator@acme.test")
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager, workspace=workspace, name="Quality browser check", task_type="pairwise_preference"
        )
        gold = [
            {
                "external_id": f"gold-{n}",
                "prompt": f"Gold question {n}?",
                "responses": ["Right", "Wrong"],
                "is_gold": True,
                "gold_answer": pairwise_result("A"),
            }
            for n in range(2)
        ]
        items_import(project=project, records=pairwise_items(3) + gold)
        project_staff(
            actor=manager, workspace=workspace, project=project, user_id=annotator.pk, role="annotator"
        )
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
        now = timezone.now()
        for n, alpha in enumerate([0.41, 0.48, None, 0.63, 0.7, 0.74]):
            AgreementSnapshot.objects.create(
                project=project,
                question_key="preference",
                level="nominal",
                items=20 + 10 * n,
                annotators=3,
                alpha=alpha,
                alpha_low=None if alpha is None else alpha - 0.15,
                alpha_high=None if alpha is None else min(1.0, alpha + 0.12),
                fleiss_kappa=alpha,
                cohen_kappa_mean=alpha,
                percent_agreement=0.8,
                percent_low=0.7,
                percent_high=0.9,
                per_annotator={str(annotator.pk): 0.85},
                position_bias={
                    "project": {"share": 0.64, "p_value": 0.004, "decided": 90},
                    "annotators": {str(annotator.pk): {"share": 0.55, "p_value": 0.6, "decided": 30}},
                },
                computed_at=now - timedelta(hours=6 - n),
            )
        calibration_start(actor=manager, workspace=workspace, project=project, reason="Browser check")
        connection.set_schema_to_public()
    try:
        yield {"workspace": workspace, "project_id": project.pk}
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            Annotation.objects.filter(project_id=project.pk).delete()
            Project.objects.filter(pk=project.pk).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(pk__gt=first_audit).delete()
            connection.close()


@pytest.mark.slow
def test_in_chromium_the_pages_render_under_the_csp(committed_quality, portal_url, browser_page):
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: message.type in ("error", "warning") and console.append(message.text))
    project_id = committed_quality["project_id"]

    browser_sign_in(page, portal_url, "manager@acme.test")
    page.goto(portal_url("acme.localhost", f"/projects/{project_id}/quality/"))
    assert page.locator("svg.quality-chart circle.chart-point").count() == 5  # one snapshot has no alpha
    # The static stylesheet styles the chart (the CSP would refuse inline styles).
    assert page.eval_on_selector("polyline.chart-line", "e => getComputedStyle(e).fill") == "none"
    assert (
        page.eval_on_selector("polyline.chart-line", "e => getComputedStyle(e).stroke") == "rgb(47, 91, 211)"
    )
    assert page.locator("polygon.chart-band").count() == 2  # the gap splits the interval band
    assert page.is_visible("text=the first-shown response wins more often than chance (p = 0.004)")
    page.screenshot(path="/tmp/quality-page.png", full_page=True)
    page.goto(portal_url("acme.localhost", f"/projects/{project_id}/calibration/"))
    assert page.is_visible("text=Browser check")
    page.screenshot(path="/tmp/calibration-round.png", full_page=True)

    # The annotator works the round in the workbench, by keyboard.
    browser_sign_in(page, portal_url, "annotator@acme.test")
    page.goto(portal_url("acme.localhost", f"/projects/{project_id}/calibration/"))
    for number in range(2):
        page.wait_for_function(
            "n => { const root = document.getElementById('workbench');"
            " return root.dataset.state === 'task' && root.dataset.assignment"
            " && document.getElementById('wb-item-label').textContent.includes(`Calibration ${n} of 2`); }",
            arg=number + 1,
        )
        first = page.inner_text(".wb-response[data-position='0'] .wb-text")
        right = "1" if first == "Right" else "2"
        for key in (right, "2", right, "3", "3"):
            page.keyboard.press(key)
        if number == 0:
            page.wait_for_timeout(4500)  # the draft autosave runs against the calibration endpoint
            assert "Draft saved" in page.inner_text("#wb-draft-status")
            page.screenshot(path="/tmp/calibration-workbench.png", full_page=True)
        page.keyboard.press("Enter")
    page.wait_for_selector("#workbench[data-state=finished]")
    assert page.is_visible("text=You passed this calibration round (score 100%, pass mark 80%)")
    page.screenshot(path="/tmp/calibration-passed.png", full_page=True)

    assert not page.js_errors, page.js_errors
    assert not page.failed_responses, page.failed_responses
    # No CSP violation, script error or failed load on the console.
    assert console == [], console


def test_when_everyone_agrees_alpha_is_undefined_and_percent_agreement_has_its_interval(
    acme, project, annotators
):
    for _ in range(5):
        work(project, annotators[0], "A")
        work(project, annotators[1], "A")
    agreement_snapshot_take(project)
    body = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/api/v1/projects/{project.pk}/quality/").json()
    latest = body["questions"][0]["latest"]
    assert (latest["alpha"], latest["alpha_low"], latest["alpha_high"]) == (None, None, None)
    assert (latest["percent_agreement"], latest["percent_low"], latest["percent_high"]) == (1.0, 1.0, 1.0)
    html = _get(acme, acme.users[Role.CLIENT_VIEWER], f"/projects/{project.pk}/quality/").content.decode()
    assert "Alpha is undefined so far" in html and "<polyline" not in html
    assert "[100%, 100%]" in html
