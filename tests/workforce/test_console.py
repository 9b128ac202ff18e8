"""The vendor console for the expert pool: search, the review queue, profiles and their lifecycle,
credentials, and staffing projects from the suggestions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Project, Staffing
from projects.services.projects import project_create, project_transition
from tenants.models import AuditLog, Membership, Role
from tests.workforce.conftest import make_expert
from workforce.models import (
    AnnotatorProfile,
    Commitment,
    Level,
    ProfileExpertise,
    QualificationAttempt,
)
from workforce.services.staffing import staffing_confirm

Status = AnnotatorProfile.Status
CARDIOLOGY = {
    "expertise": [{"area": "medicine/cardiology", "min_level": "practitioner"}],
    "languages": [{"code": "en", "min_proficiency": "C1"}],
    "headcount": {"annotator": 2, "auditor": 1},
    "hours_per_week": 10,
}


def project_in(tenant, *, name: str = "Cardiology answers", status: str | None = None, **requirements):
    """A project of `tenant`'s workspace with these requirements (CARDIOLOGY by default)."""
    connection.set_tenant(tenant.workspace)
    manager = tenant.users[Role.CLIENT_MANAGER]
    project = project_create(
        actor=manager,
        workspace=tenant.workspace,
        name=name,
        task_type="pairwise_preference",
        requirements=requirements or CARDIOLOGY,
    )
    if status:
        project = project_transition(
            actor=manager, workspace=tenant.workspace, project=project, status=status
        )
    connection.set_schema_to_public()
    return project


def emails(response) -> set[str]:
    return set(re.findall(r"[\w.+-]+@pool\.test", response.content.decode()))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def project(acme):
    return project_in(acme)


@pytest.fixture
def staffed(acme, staff, project):
    """An expert confirmed onto the project."""
    expert = make_expert(capacity=30, email="staffed@pool.test")
    commitment = staffing_confirm(
        actor=staff, workspace=acme.workspace, project_id=project.pk, profile_id=expert.pk, role="annotator"
    )
    return expert, commitment


# Who may see the console ------------------------------------------------------------------------


def _pages(acme, project, staffed, applicant):
    expert, commitment = staffed
    expertise = applicant.expertise.get()
    gets = [
        "/console/pool/",
        "/console/applications/",
        f"/console/pool/{expert.pk}/",
        "/console/staffing/",
        f"/console/staffing/acme/{project.pk}/",
    ]
    posts = [
        (f"/console/pool/{applicant.pk}/status/", {"status": "screening", "reason": "looks good"}),
        (f"/console/pool/{applicant.pk}/expertise/{expertise.pk}/verify/", {}),
        (f"/console/staffing/commitments/{commitment.pk}/end/", {"reason": "done"}),
        (
            f"/console/staffing/acme/{project.pk}/",
            {"profile_id": make_expert().pk, "role": "annotator", "hours_per_week": "5"},
        ),
    ]
    return gets, posts


def _state():
    return (
        list(AnnotatorProfile.objects.order_by("pk").values_list("status", "committed_hours")),
        list(Commitment.objects.order_by("pk").values_list("ended_at", flat=True)),
        Membership.objects.count(),
        AuditLog.objects.count(),
        list(ProfileExpertise.objects.order_by("pk").values_list("credential_verified_at", flat=True)),
    )


@pytest.mark.parametrize("who", ["anonymous", Role.CLIENT_MANAGER, Role.ANNOTATOR])
def test_console_pages_are_for_vendor_staff_only(who, acme, public_client, project, staffed, applicant):
    gets, posts = _pages(acme, project, staffed, applicant)
    client = public_client(None if who == "anonymous" else acme.users[who])
    before = _state()
    for path in gets:
        response = client.get(path)
        if who == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/"), path
        else:
            assert response.status_code == 404, path
            assert "staffed@pool.test" not in response.content.decode()
    for path, data in posts:
        response = client.post(path, data)
        assert response.status_code == (302 if who == "anonymous" else 404), path
        if who == "anonymous":
            assert response["Location"].startswith("/login/")
    assert _state() == before


def test_staff_see_every_console_page(acme, staff, public_client, project, staffed, applicant):
    gets, _ = _pages(acme, project, staffed, applicant)
    client = public_client(staff)
    for path in gets:
        assert client.get(path).status_code == 200, path
    nav = client.get("/console/").content.decode()
    assert 'href="/console/pool/"' in nav and 'href="/console/staffing/"' in nav
    assert client.get("/console/pool/999999/").status_code == 404
    assert client.get(f"/console/staffing/nope/{project.pk}/").status_code == 404
    assert client.get("/console/staffing/acme/999999/").status_code == 404


# Pool search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"cardio", "onco", "lawyer", "claimed"}),
        ({"area": "medicine"}, {"cardio", "onco", "claimed"}),  # an area finds its sub-areas
        ({"area": "medicine/cardiology", "min_level": "2"}, {"cardio"}),  # vetted levels only
        ({"min_level": "3"}, {"cardio"}),
        ({"language": "en"}, {"cardio", "onco"}),  # en finds en-GB
        ({"language": "de", "min_proficiency": "7"}, {"cardio"}),
        ({"language": "en", "min_proficiency": "6"}, {"cardio"}),
        ({"status": "vetted"}, {"lawyer"}),
        ({"min_free_hours": "25"}, {"cardio", "lawyer"}),
        ({"q": "ONCO"}, {"onco"}),
        ({"area": "medicine", "min_free_hours": "5", "language": "en"}, {"cardio", "onco"}),
        ({"area": "medicine", "min_free_hours": "6", "language": "en"}, {"cardio"}),
    ],
)
def test_pool_filters_really_filter(query, expected, staff, public_client, pool):
    response = public_client(staff).get("/console/pool/", query)
    assert response.status_code == 200
    assert emails(response) == {f"{key}@pool.test" for key in expected}


def test_pool_rows_show_vetted_expertise_languages_and_hours(staff, public_client, pool):
    page = public_client(staff).get("/console/pool/", {"q": "cardio"}).content.decode()
    assert "medicine/cardiology: credentialed expert" in page
    assert "de (Native)" in page and "en (C2 (proficient))" in page
    assert "30 / 40" in page
    claimed = public_client(staff).get("/console/pool/", {"q": "claimed"}).content.decode()
    assert "medicine/cardiology:" not in claimed  # claimed is not vetted


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "retired"}, "status"),
        ({"min_free_hours": "lots"}, "min_free_hours"),
        ({"area": "astrology"}, "area"),
        ({"min_level": "9"}, "min_level"),
        ({"language": "English!"}, "language"),
    ],
)
def test_a_bad_filter_is_refused_on_its_field(query, field, staff, public_client, pool):
    response = public_client(staff).get("/console/pool/", query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not emails(response)


def test_the_pool_pages_by_fifty_in_constant_queries(staff, public_client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = public_client(staff)
    make_expert()
    client.get("/console/pool/")  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        assert len(emails(client.get("/console/pool/"))) == 1
    for _ in range(50):
        make_expert(expertise={"medicine/cardiology": (2, 0.9), "law/contracts": (1, 0.8)})
    with CaptureQueriesContext(connection) as many:
        first = client.get("/console/pool/")
    assert len(emails(first)) == 50
    assert len(many.captured_queries) == len(one.captured_queries)
    second = client.get("/console/pool/", {"page": "2"})
    assert len(emails(second)) == 1
    assert emails(first).isdisjoint(emails(second))
    assert "page=2" in first.content.decode()


# The review queue and the profile ---------------------------------------------------------------


def test_applications_are_listed_oldest_first_and_link_to_the_profile(staff, public_client, applicant, pool):
    from datetime import timedelta

    older = make_expert(status=Status.APPLICANT, email="older@pool.test")
    AnnotatorProfile.objects.filter(pk=older.pk).update(applied_at=applicant.applied_at - timedelta(days=2))
    page = public_client(staff).get("/console/applications/").content.decode()
    assert page.index("older@pool.test") < page.index("dr.heart@example.test")
    assert f'href="/console/pool/{applicant.pk}/"' in page
    assert "Board-certified cardiologist" in page
    assert "cardio@pool.test" not in page  # active people are not applications


def test_the_profile_page_shows_claims_attempts_commitments_and_the_audit_log(
    acme, staff, public_client, staffed, cardiology_test
):
    expert, commitment = staffed
    QualificationAttempt.objects.create(
        test=cardiology_test, profile=expert, number=1, status="submitted", score="0.6667", passed=False
    )
    page = public_client(staff).get(f"/console/pool/{expert.pk}/").content.decode()
    assert "staffed@pool.test" in page
    assert "medicine/cardiology" in page and "Practitioner" in page
    assert "en: C2 (proficient)" in page
    assert cardiology_test.name in page and "67%" in page
    assert "Acme Labs" in page and "Cardiology answers" in page
    assert f"/console/staffing/commitments/{commitment.pk}/end/" in page
    assert "staffing.confirmed" in page  # the audit entry targeting the person's email
    # an active profile may be suspended or offboarded, nothing else
    assert re.findall(r'name="status" value="(\w+)"', page) == ["suspended", "offboarded"]


def test_a_persons_audit_trail_reads_their_entries_only(applicant):
    """The console's trail of one person among 20,000 entries about others: the two indexes (their
    email as target, their profile id in the data) find their entries without reading the rest."""
    from workforce.selectors_console import profile_audit_entries

    AuditLog.objects.bulk_create(
        AuditLog(action="profile.note", target=f"other{n}@pool.test", data={"profile_id": 10**6 + n})
        for n in range(20_000)
    )
    mine = [
        AuditLog.objects.create(action="profile.screened", target="", data={"profile_id": applicant.pk}),
        AuditLog.objects.create(action="staffing.confirmed", target=applicant.user.email, data={}),
    ]
    entries = profile_audit_entries(profile=applicant)
    assert {entry.pk for entry in entries} >= {entry.pk for entry in mine}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tenants_auditlog")
        sql, params = entries.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    scans = [n for n in nodes if n.get("Relation Name") == "tenants_auditlog" and "Scan" in n["Node Type"]]
    read = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) for n in scans)
    assert read <= 10, [(n["Node Type"], n.get("Index Name"), n.get("Rows Removed by Filter")) for n in scans]


# Lifecycle and credentials ----------------------------------------------------------------------


def test_lifecycle_actions_move_the_profile_with_a_reason(staff, public_client, applicant):
    client = public_client(staff)
    url = f"/console/pool/{applicant.pk}/status/"
    page = client.get(f"/console/pool/{applicant.pk}/").content.decode()
    assert re.findall(r'name="status" value="(\w+)"', page) == ["screening", "offboarded"]

    response = client.post(url, {"status": "screening", "reason": "  "}, follow=True)
    assert "a reason is required" in " ".join(messages_of(response))
    applicant.refresh_from_db()
    assert applicant.status == Status.APPLICANT

    response = client.post(url, {"status": "active", "reason": "skip ahead"}, follow=True)
    assert "cannot become active" in " ".join(messages_of(response))
    applicant.refresh_from_db()
    assert applicant.status == Status.APPLICANT

    response = client.post(url, {"status": "screening", "reason": "credentials look real"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/console/pool/{applicant.pk}/"
    assert "screening now" in " ".join(messages_of(response))
    applicant.refresh_from_db()
    assert applicant.status == Status.SCREENING
    entry = AuditLog.objects.get(action="profile.status_changed", data__profile_id=applicant.pk)
    assert (entry.actor, entry.data["reason"]) == (staff, "credentials look real")
    assert "credentials look real" in response.content.decode()  # the profile's audit log

    response = client.post(url, {"status": "vetted", "reason": "no test yet"}, follow=True)
    assert "passing a qualification test" in " ".join(messages_of(response))


def test_suspending_from_the_console_ends_live_staffing(acme, staff, public_client, staffed):
    expert, commitment = staffed
    public_client(staff).post(
        f"/console/pool/{expert.pk}/status/", {"status": "suspended", "reason": "quality review"}
    )
    expert.refresh_from_db()
    commitment.refresh_from_db()
    assert (expert.status, expert.committed_hours) == (Status.SUSPENDED, 0)
    assert commitment.end_reason == "profile suspended: quality review"


def test_verifying_a_credential(staff, public_client, applicant, pool):
    client = public_client(staff)
    expertise = applicant.expertise.get()
    page = client.get(f"/console/pool/{applicant.pk}/").content.decode()
    verify = f"/console/pool/{applicant.pk}/expertise/{expertise.pk}/verify/"
    assert verify in page
    response = client.post(verify, follow=True)
    assert "verified" in " ".join(messages_of(response))
    expertise.refresh_from_db()
    assert expertise.credential_verified_by == staff and expertise.credential_verified_at
    assert verify not in response.content.decode()  # verified once
    # another person's expertise under this profile's address is not found
    other = pool["cardio"].expertise.get()
    assert client.post(f"/console/pool/{applicant.pk}/expertise/{other.pk}/verify/").status_code == 404
    # nothing to verify: the message says so
    response = client.post(f"/console/pool/{pool['cardio'].pk}/expertise/{other.pk}/verify/", follow=True)
    assert "no credential" in " ".join(messages_of(response))
    other.refresh_from_db()
    assert other.credential_verified_at is None


# Staffing -----------------------------------------------------------------------------------------


def test_the_staffing_overview_lists_staffable_projects_with_headcount(
    acme, globex, staff, public_client, staffed
):
    project_in(acme, name="Closed study", status="archived")
    project_in(globex, name="Globex contracts", expertise=["law/contracts"], headcount={"annotator": 3})
    client = public_client(staff)
    page = client.get("/console/staffing/").content.decode()
    assert "Cardiology answers" in page and "Globex contracts" in page
    assert "Closed study" not in page
    acme_part, globex_part = page.split("Globex Labs")
    assert "1 of 2" in acme_part and "0 of 1" in acme_part  # annotators, auditors
    assert "0 of 3" in globex_part
    with CaptureQueriesContext(connection) as few:
        client.get("/console/staffing/")
    for n in range(3):
        project_in(globex, name=f"More {n}")
    with CaptureQueriesContext(connection) as more:
        assert "More 2" in client.get("/console/staffing/").content.decode()
    assert len(more.captured_queries) == len(few.captured_queries)


def test_confirming_from_the_suggestions_staffs_the_person(acme, staff, public_client, project):
    strong = make_expert(
        email="strong@pool.test", expertise={"medicine/cardiology": (Level.CREDENTIALED_EXPERT, 0.97)}
    )
    weaker = make_expert(email="weaker@pool.test", capacity=25)
    make_expert(email="generalist@pool.test", expertise={"medicine/cardiology": (Level.GENERALIST, 0.9)})
    client = public_client(staff)
    url = f"/console/staffing/acme/{project.pk}/"

    page = client.get(url)
    content = page.content.decode()
    assert [s.candidate.profile_id for s in page.context["suggestions"]] == [strong.pk, weaker.pk]
    assert "generalist@pool.test" not in content  # misses a hard requirement
    assert "Expertise in Cardiology (medicine/cardiology), vetted practitioner or above" in content
    assert "Language en at C1 or better" in content
    assert "medicine/cardiology: credentialed expert, test 97%" in content  # the reasons
    assert re.search(r"expertise 100%", content)  # the parts
    assert 'name="hours_per_week" type="number" min="1" max="25" value="10"' in content

    response = client.post(
        url, {"profile_id": weaker.pk, "role": "annotator", "hours_per_week": "8"}, follow=True
    )
    assert "weaker@pool.test is staffed on Cardiology answers as annotator, 8 h/week" in " ".join(
        messages_of(response)
    )
    assert Membership.objects.get(user=weaker.user, workspace=acme.workspace).role == Role.ANNOTATOR
    commitment = Commitment.objects.get(profile=weaker, ended_at=None)
    assert (commitment.project_id, commitment.hours_per_week, commitment.created_by) == (project.pk, 8, staff)
    assert commitment.fit["reasons"]
    connection.set_tenant(acme.workspace)
    assert Staffing.objects.filter(project_id=project.pk, user_id=weaker.user_id, removed_at=None).exists()
    connection.set_schema_to_public()
    weaker.refresh_from_db()
    assert weaker.free_hours == 17
    page = client.get(url)
    assert [s.candidate.profile_id for s in page.context["suggestions"]] == [strong.pk]  # on it now
    assert f"/console/staffing/commitments/{commitment.pk}/end/" in page.content.decode()

    # ending it from the project page gives the hours back and keeps the history
    response = client.post(
        f"/console/staffing/commitments/{commitment.pk}/end/",
        {"reason": "moved to oncology", "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "8 h/week are free again" in " ".join(messages_of(response))
    weaker.refresh_from_db()
    commitment.refresh_from_db()
    assert weaker.free_hours == 25
    assert (commitment.ended_by, commitment.end_reason) == (staff, "moved to oncology")
    connection.set_tenant(acme.workspace)
    row = Staffing.objects.get(project_id=project.pk, user_id=weaker.user_id)
    assert row.removed_at is not None
    connection.set_schema_to_public()
    profile_page = client.get(f"/console/pool/{weaker.pk}/").content.decode()
    assert "moved to oncology" in profile_page and "Cardiology answers" in profile_page
    assert f"/console/staffing/commitments/{commitment.pk}/end/" not in profile_page
    # ending twice says so and changes nothing
    response = client.post(
        f"/console/staffing/commitments/{commitment.pk}/end/", {"reason": "again"}, follow=True
    )
    assert "No such live staffing" in " ".join(messages_of(response))
    weaker.refresh_from_db()
    assert weaker.free_hours == 25


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"role": "annotator", "hours_per_week": "30"}, "25 h/week free, the project needs 30"),
        ({"role": "annotator", "hours_per_week": "0"}, "Hours are 1 to 80"),
        ({"role": "annotator", "hours_per_week": "ten"}, "Hours are 1 to 80"),
        ({"role": "cook", "hours_per_week": "5"}, "not a staffing role"),
        (
            {"role": "auditor", "hours_per_week": "5", "member": Role.ANNOTATOR},
            "cannot also be staffed there as auditor",
        ),
    ],
)
def test_a_refused_confirmation_says_why_and_writes_nothing(
    form, message, acme, staff, public_client, project
):
    expert = make_expert(capacity=25)
    if "member" in form:
        Membership.objects.create(user=expert.user, workspace=acme.workspace, role=form.pop("member"))
    memberships = Membership.objects.count()
    url = f"/console/staffing/acme/{project.pk}/"
    response = public_client(staff).post(url, {"profile_id": expert.pk, **form}, follow=True)
    assert response.status_code == 200
    assert message in " ".join(messages_of(response))
    assert not Commitment.objects.exists()
    assert Membership.objects.count() == memberships
    expert.refresh_from_db()
    assert expert.committed_hours == 0


def test_suggestions_warn_of_a_role_held_in_the_workspace_and_switch_roles(
    acme, staff, public_client, project
):
    expert = make_expert(email="member@pool.test")
    Membership.objects.create(user=expert.user, workspace=acme.workspace, role=Role.ANNOTATOR)
    client = public_client(staff)
    url = f"/console/staffing/acme/{project.pk}/"
    as_annotator = client.get(url).content.decode()
    assert "Already in Acme Labs as annotator" not in as_annotator
    as_auditor = client.get(url, {"role": "auditor"})
    assert as_auditor.context["role"] == "auditor"
    assert "Already in Acme Labs as annotator" in as_auditor.content.decode()
    assert 'name="role" value="auditor"' in as_auditor.content.decode()


def test_a_closed_project_offers_no_suggestions(acme, staff, public_client):
    closed = project_in(acme, name="Old study", status="archived")
    make_expert()
    page = public_client(staff).get(f"/console/staffing/acme/{closed.pk}/")
    assert page.status_code == 200
    assert page.context["suggestions"] == []
    assert "takes no new staff" in page.content.decode()
    connection.set_tenant(acme.workspace)
    assert Project.objects.get(pk=closed.pk).status == "archived"
