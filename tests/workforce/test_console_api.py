"""The vendor-staff API of the expert pool: search, profiles, suggestions, staffing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Staffing
from tenants.models import AuditLog, Membership, Role
from tests.workforce.conftest import make_expert
from tests.workforce.test_console import project_in
from workforce.models import AnnotatorProfile, Commitment, Level, Proficiency
from workforce.services.staffing import staffing_confirm

Status = AnnotatorProfile.Status


@pytest.fixture
def project(acme):
    return project_in(acme)


def _endpoints(project, expert, commitment):
    return [
        ("get", "/api/v1/pool/", None),
        ("get", f"/api/v1/pool/{expert.pk}/", None),
        ("get", f"/api/v1/workspaces/acme/projects/{project.pk}/candidates/?role=annotator", None),
        (
            "post",
            f"/api/v1/workspaces/acme/projects/{project.pk}/staffing/",
            {"profile_id": make_expert().pk, "role": "annotator"},
        ),
        ("delete", f"/api/v1/staffing/{commitment.pk}/", {"reason": "no"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", Role.CLIENT_MANAGER, Role.ANNOTATOR])
def test_the_pool_api_is_for_vendor_staff_only(who, acme, staff, public_client, project):
    expert = make_expert(email="staffed@pool.test")
    commitment = staffing_confirm(
        actor=staff, workspace=acme.workspace, project_id=project.pk, profile_id=expert.pk, role="annotator"
    )
    client = public_client(None if who == "anonymous" else acme.users[who])
    audit_rows, memberships = AuditLog.objects.count(), Membership.objects.count()
    for method, path, body in _endpoints(project, expert, commitment):
        response = getattr(client, method)(path, body, content_type="application/json")
        expected = 401 if who == "anonymous" else 403
        assert response.status_code == expected, (method, path)
        assert response.json()["code"] == ("not_authenticated" if who == "anonymous" else "permission_denied")
        assert "staffed@pool.test" not in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.ended_at is None
    assert Commitment.objects.count() == 1
    assert (AuditLog.objects.count(), Membership.objects.count()) == (audit_rows, memberships)


def _emails(body) -> set[str]:
    return {row["email"] for row in body["results"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"cardio", "onco", "lawyer", "claimed"}),
        ({"area": "medicine"}, {"cardio", "onco", "claimed"}),
        ({"area": "medicine/cardiology", "min_level": 3}, {"cardio"}),
        ({"language": "en", "min_proficiency": 5}, {"cardio", "onco"}),
        ({"language": "de", "min_proficiency": 5}, {"cardio"}),
        ({"status": "vetted"}, {"lawyer"}),
        ({"min_free_hours": 10}, {"cardio", "lawyer", "claimed"}),
        ({"q": "lawyer@"}, {"lawyer"}),
    ],
)
def test_pool_search_filters(query, expected, staff, public_client, pool):
    response = public_client(staff).get("/api/v1/pool/", query)
    assert response.status_code == 200
    assert _emails(response.json()) == {f"{key}@pool.test" for key in expected}


def test_pool_search_rows_carry_expertise_languages_capacity_and_status(staff, public_client, pool):
    body = public_client(staff).get("/api/v1/pool/", {"q": "cardio@"}).json()
    assert (body["count"], body["page"], body["pages"], body["next_page"]) == (1, 1, 1, None)
    row = body["results"][0]
    assert row["status"] == "active"
    assert row["capacity"] == {"weekly_hours": 40, "committed_hours": 10, "free_hours": 30}
    assert row["expertise"][0]["area"] == "medicine/cardiology"
    assert row["expertise"][0]["level"] == {"value": 3, "label": "Credentialed expert"}
    assert row["expertise"][0]["qualification_score"] == 0.95
    assert {language["code"]: language["proficiency"]["name"] for language in row["languages"]} == {
        "de": "NATIVE",
        "en": "C2",
    }


def test_pool_search_pages_in_constant_queries(staff, public_client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = public_client(staff)
    make_expert()
    client.get("/api/v1/pool/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/pool/").json()["count"] == 1
    for _ in range(6):
        make_expert()
    with CaptureQueriesContext(connection) as many:
        first = client.get("/api/v1/pool/", {"page_size": 5}).json()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert (first["count"], first["pages"], first["next_page"], len(first["results"])) == (7, 2, 2, 5)
    second = client.get("/api/v1/pool/", {"page_size": 5, "page": 2}).json()
    assert len(second["results"]) == 2 and second["next_page"] is None
    assert _emails(first).isdisjoint(_emails(second))
    assert client.get("/api/v1/pool/", {"page": 9}).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "retired"}, "status"),
        ({"min_free_hours": "lots"}, "min_free_hours"),
        ({"min_free_hours": "-1"}, "min_free_hours"),
        ({"area": "astrology"}, "area"),
        ({"min_level": "expert"}, "min_level"),
        ({"min_proficiency": "9"}, "min_proficiency"),
        ({"language": "English!"}, "language"),
        ({"page": "0"}, "page"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(query, field, staff, public_client, pool):
    response = public_client(staff).get("/api/v1/pool/", query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_a_profile_in_full(acme, staff, public_client, applicant, project):
    client = public_client(staff)
    body = client.get(f"/api/v1/pool/{applicant.pk}/").json()
    assert (body["email"], body["status"], body["summary"]) == (
        "dr.heart@example.test",
        "applicant",
        "Ten years in a cardiology ward.",
    )
    claim = body["expertise"][0]
    assert claim["credential"] == "Board-certified cardiologist" and claim["level"] is None
    assert claim["claimed_level"]["value"] == Level.CREDENTIALED_EXPERT
    assert body["attempts"] == [] and body["commitments"] == []
    expert = make_expert()
    staffing_confirm(
        actor=staff, workspace=acme.workspace, project_id=project.pk, profile_id=expert.pk, role="annotator"
    )
    commitments = client.get(f"/api/v1/pool/{expert.pk}/").json()["commitments"]
    assert [(c["workspace"], c["project_id"], c["role"], c["ended_at"]) for c in commitments] == [
        ("acme", project.pk, "annotator", None)
    ]
    missing = client.get("/api/v1/pool/999999/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_candidates_are_ranked_and_explained(acme, staff, public_client, project):
    strong = make_expert(expertise={"medicine/cardiology": (Level.CREDENTIALED_EXPERT, 0.97)})
    weaker = make_expert(capacity=25)
    make_expert(languages={"en": Proficiency.B2})  # misses the language
    client = public_client(staff)
    url = f"/api/v1/workspaces/acme/projects/{project.pk}/candidates/"
    body = client.get(url, {"role": "auditor"}).json()
    assert (body["role"], body["headcount"], body["staffed"], body["hours_per_week"]) == ("auditor", 1, 0, 10)
    assert body["requirements"]["expertise"] == [{"area": "medicine/cardiology", "min_level": 2}]
    assert [row["profile_id"] for row in body["results"]] == [strong.pk, weaker.pk]
    top = body["results"][0]
    assert top["fit"] > body["results"][1]["fit"]
    assert top["parts"]["expertise"] == 1.0
    assert "medicine/cardiology: credentialed expert, test 97%" in top["reasons"]
    assert (top["workspace_role"], top["role_conflict"]) == (None, False)
    # more hours than the weaker person has free leaves them out
    more = client.get(url, {"hours_per_week": 30}).json()
    assert (more["hours_per_week"], [r["profile_id"] for r in more["results"]]) == (30, [strong.pk])
    Membership.objects.create(user=weaker.user, workspace=acme.workspace, role=Role.ANNOTATOR)
    flagged = client.get(url, {"role": "auditor"}).json()["results"][1]
    assert (flagged["workspace_role"], flagged["role_conflict"]) == ("annotator", True)
    bad = client.get(url, {"role": "chef"})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["role"])
    assert client.get(f"/api/v1/workspaces/nope/projects/{project.pk}/candidates/").status_code == 404
    assert client.get("/api/v1/workspaces/acme/projects/999999/candidates/").status_code == 404


def test_confirming_and_ending_staffing_through_the_api(acme, staff, public_client, project):
    expert = make_expert(capacity=25)
    client = public_client(staff)
    url = f"/api/v1/workspaces/acme/projects/{project.pk}/staffing/"
    response = client.post(
        url,
        {"profile_id": expert.pk, "role": "annotator", "hours_per_week": 6},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["workspace"], body["project_id"], body["role"], body["hours_per_week"]) == (
        "acme",
        project.pk,
        "annotator",
        6,
    )
    assert body["created_by"] == "staff@vendor.test" and body["fit"]["reasons"]
    assert Membership.objects.get(user=expert.user, workspace=acme.workspace).role == Role.ANNOTATOR
    connection.set_tenant(acme.workspace)
    assert Staffing.objects.filter(project_id=project.pk, user_id=expert.user_id, removed_at=None).exists()
    connection.set_schema_to_public()
    expert.refresh_from_db()
    assert expert.free_hours == 19

    again = client.post(url, {"profile_id": expert.pk, "role": "annotator"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_staffed")
    assert again.json()["message"] == f"{expert.user.email} is already staffed on this project as annotator."
    expert.refresh_from_db()
    assert expert.free_hours == 19

    ended = client.delete(
        f"/api/v1/staffing/{body['id']}/", {"reason": "client paused"}, content_type="application/json"
    )
    assert ended.status_code == 200
    assert ended.json()["end_reason"] == "client paused" and ended.json()["ended_at"]
    expert.refresh_from_db()
    assert expert.free_hours == 25
    assert Commitment.objects.filter(profile=expert).count() == 1  # history stays
    twice = client.delete(f"/api/v1/staffing/{body['id']}/")
    assert (twice.status_code, twice.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "status", "code", "fields"),
    [
        ({"role": "annotator"}, 400, "invalid", ["profile_id"]),
        ({"profile_id": "x", "role": "annotator"}, 400, "invalid", ["profile_id"]),
        ({"profile_id": "ME", "role": "chef"}, 400, "invalid", ["role"]),
        ({"profile_id": "ME", "role": "annotator", "hours_per_week": 0}, 400, "invalid", ["hours_per_week"]),
        ({"profile_id": "ME", "role": "annotator", "hours_per_week": 30}, 409, "not_a_candidate", []),
        ({"profile_id": 999999, "role": "annotator"}, 404, "not_found", []),
    ],
)
def test_a_refused_confirmation_is_a_4xx_and_writes_nothing(
    body, status, code, fields, acme, staff, public_client, project
):
    expert = make_expert(capacity=25)
    body = {key: expert.pk if value == "ME" else value for key, value in body.items()}
    response = public_client(staff).post(
        f"/api/v1/workspaces/acme/projects/{project.pk}/staffing/", body, content_type="application/json"
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert sorted(response.json()["fields"]) == fields
    assert not Commitment.objects.exists()
    assert not Membership.objects.filter(user=expert.user).exists()


def test_confirming_onto_a_missing_project_or_workspace_is_404(staff, public_client):
    expert = make_expert()
    client = public_client(staff)
    for path in (
        "/api/v1/workspaces/acme/projects/999999/staffing/",
        "/api/v1/workspaces/nope/projects/1/staffing/",
    ):
        response = client.post(
            path, {"profile_id": expert.pk, "role": "annotator"}, content_type="application/json"
        )
        assert response.status_code == 404, path
