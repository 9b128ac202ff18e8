"""The applicant's and annotator's side of the pool: applying, the home page, and qualification
tests worked through the workbench's JSON endpoints."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from portal.middleware import workspace_routes_forget
from projects.services.imports import items_import
from projects.services.projects import project_create
from tenants.models import Role, User
from tests.projects.conftest import pairwise_items
from tests.workforce.conftest import make_expert, make_test
from workforce.models import (
    AnnotatorProfile,
    Level,
    Proficiency,
    ProfileExpertise,
    ProfileLanguage,
    QualificationAttempt,
)
from workforce.services.profiles import profile_transition
from workforce.services.qualifications import attempt_answer, attempt_start
from workforce.services.staffing import staffing_confirm

Status = AnnotatorProfile.Status


def application(**changes) -> dict:
    """A complete application as the form posts it."""
    data = {
        "full_name": "Ada Lovelace",
        "email": "ada@example.test",
        "password": "an-Engine-of-2026",
        "country": "gb",
        "timezone": "Europe/London",
        "weekly_capacity_hours": "15",
        "language_0_code": "en",
        "language_0_proficiency": str(Proficiency.NATIVE),
        "language_1_code": "fr",
        "language_1_proficiency": str(Proficiency.B2),
        "expertise_0_area": "science/mathematics",
        "expertise_0_level": str(Level.CREDENTIALED_EXPERT),
        "expertise_0_credential": "PhD in mathematics",
        "expertise_1_area": "software/python",
        "expertise_1_level": str(Level.PRACTITIONER),
        "summary": "Notes on the analytical engine.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# Applying ---------------------------------------------------------------------------------------


def test_the_application_form_offers_the_taxonomy_and_time_zones(public_client):
    response = public_client().get("/apply/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="language_2_code"' in html and 'name="expertise_2_credential"' in html
    assert 'name="language_3_code"' not in html  # three rows each
    assert '<option value="medicine/cardiology">Cardiology</option>' in html
    assert '<optgroup label="Medicine">' in html
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in html


def test_someone_who_applied_is_sent_home(public_client, applicant):
    client = public_client(applicant.user)
    response = client.get("/apply/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "You have applied already" in response.content.decode()
    assert client.post("/apply/", application())["Location"] == "/"
    assert not User.objects.filter(email="ada@example.test").exists()


def test_a_signed_in_member_applies_with_their_account(public_client, acme):
    viewer = acme.users["client_viewer"]
    client = public_client(viewer)
    form = client.get("/apply/").content.decode()
    assert 'name="password"' not in form and viewer.email in form
    data = {key: value for key, value in application().items() if key not in ("email", "password")}
    assert client.post("/apply/", data)["Location"] == "/"
    profile = AnnotatorProfile.objects.get(user=viewer)
    assert profile.status == "applicant"
    assert User.objects.filter(email__in=[viewer.email, "ada@example.test"]).count() == 1


def test_applying_creates_the_account_signs_in_and_shows_home(public_client):
    client = public_client()
    response = client.post("/apply/", application())
    assert (response.status_code, response["Location"]) == (302, "/")
    profile = AnnotatorProfile.objects.select_related("user").get(user__email="ada@example.test")
    assert (profile.status, profile.country, profile.timezone, profile.weekly_capacity_hours) == (
        Status.APPLICANT,
        "GB",
        "Europe/London",
        15,
    )
    assert profile.user.full_name == "Ada Lovelace"
    assert profile.user.check_password("an-Engine-of-2026")
    assert {(lang.code, lang.proficiency) for lang in ProfileLanguage.objects.filter(profile=profile)} == {
        ("en", Proficiency.NATIVE),
        ("fr", Proficiency.B2),
    }
    claims = ProfileExpertise.objects.filter(profile=profile).select_related("area")
    assert {(c.area.code, c.claimed_level, c.credential, c.level) for c in claims} == {
        ("science/mathematics", Level.CREDENTIALED_EXPERT, "PhD in mathematics", None),
        ("software/python", Level.PRACTITIONER, "", None),
    }
    home = client.get("/")  # signed in by applying
    assert home.status_code == 200
    html = home.content.decode()
    assert "Thank you for applying" in html
    assert "We are reviewing your application" in html


def test_bad_rows_are_named_on_their_fields_and_nothing_is_written(public_client, applicant):
    users_before, profiles_before = User.objects.count(), AnnotatorProfile.objects.count()
    response = public_client().post(
        "/apply/",
        application(
            email="Dr.Heart@example.test",  # the applicant fixture has it
            password="short",
            country="Germany",
            # the second language row is left empty; the third has a bad tag and no level
            language_1_code="",
            language_1_proficiency="",
            language_2_code="english!",
            expertise_0_credential="",  # a credentialed expert without a credential
            expertise_1_area="software/python",
            expertise_1_level="",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {
        "email",
        "password",
        "country",
        "language_2_code",
        "expertise_0_credential",
        "expertise_1_level",
    }
    assert errors["language_2_code"] == ["must be a language tag such as en, de or pt-BR"]
    assert errors["expertise_0_credential"] == ["a credentialed expert names the credential"]
    html = response.content.decode()
    assert "must be a language tag such as en, de or pt-BR" in html
    assert 'value="Ada Lovelace"' in html  # what was typed stays
    assert "an-Engine" not in html  # the password is never sent back
    assert (User.objects.count(), AnnotatorProfile.objects.count()) == (users_before, profiles_before)


def test_an_application_without_rows_or_with_unparsable_values_is_refused(public_client):
    empty_rows = {
        f"{group}_{row}_{name}": ""
        for group, names in (("language", ("code", "proficiency")), ("expertise", ("area", "level")))
        for row in range(3)
        for name in names
    }
    response = public_client().post("/apply/", application(**empty_rows, expertise_0_credential=""))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.group_errors == {
        "languages": ["name at least one language you work in"],
        "expertise": ["claim at least one area (generalist is one)"],
    }
    assert "claim at least one area" in response.content.decode()

    response = public_client().post(
        "/apply/",
        application(weekly_capacity_hours="lots", timezone="Mars/Olympus", expertise_0_area="astrology"),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"weekly_capacity_hours", "timezone", "expertise_0_area"}

    response = public_client().post("/apply/", application(weekly_capacity_hours="120"))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "weekly_capacity_hours": ["a whole number of hours from 1 to 80"]
    }
    assert not User.objects.filter(email="ada@example.test").exists()


def test_the_public_sign_in_page_links_to_the_application(public_client, acme):
    assert 'href="/apply/"' in public_client().get("/login/").content.decode()
    # Workspace sign-in pages are the client's: the vendor's pool is not advertised there.
    assert "/apply/" not in acme.client().get("/login/").content.decode()


# The home page ----------------------------------------------------------------------------------

NEXT_STEP = {
    Status.APPLICANT: "We are reviewing your application",
    Status.SCREENING: "take the qualification test of each area you claimed",
    Status.VETTED: "We activate your profile next",
    Status.ACTIVE: "You are active in the pool",
    Status.SUSPENDED: "Your profile is suspended",
    Status.OFFBOARDED: "You have left the expert pool",
}


@pytest.mark.parametrize("status", list(NEXT_STEP))
def test_home_says_where_the_person_stands_and_what_comes_next(public_client, cardiology_test, status):
    expert = make_expert(status=status, expertise={"medicine/cardiology": (0, None)})
    html = public_client(expert.user).get("/").content.decode()
    assert f'data-status="{status}"' in html
    assert NEXT_STEP[status] in html
    for other, text in NEXT_STEP.items():
        if other != status:
            assert text not in html
    start = f'action="/qualifications/{cardiology_test.pk}/start/"'
    assert (start in html) == (status in (Status.SCREENING, Status.VETTED, Status.ACTIVE))
    assert "Apply to join the expert pool" not in html


def test_home_without_a_profile_keeps_the_workspaces_and_offers_the_pool(public_client, acme):
    html = public_client(acme.users[Role.CLIENT_MANAGER]).get("/").content.decode()
    assert "Acme Labs" in html
    assert "Your place in the expert pool" not in html
    assert '<a href="/apply/">Apply to join the expert pool</a> with this account' in html


def test_home_shows_each_test_with_attempts_cooldown_and_best_score(public_client, applicant, staff):
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="ok")
    test = make_test(max_attempts=3, cooldown_hours=24)
    attempt = attempt_start(user=applicant.user, test_id=test.pk)
    client = public_client(applicant.user)
    html = client.get("/").content.decode()
    assert f'href="/qualifications/attempts/{attempt.pk}/">Resume</a>' in html
    assert "1 of 3 used · 2 left" in html

    # Two right answers of three: 67%, below the 80% pass mark; then the cooldown.
    for index in range(3):
        order = attempt.response_orders[index]
        choice = "AB"[order.index(0)] if index < 2 else "AB"[order.index(1)]
        verdict = "sound" if index < 2 else "unsound"
        attempt_answer(
            user=applicant.user,
            attempt_id=attempt.pk,
            index=index,
            result={"verdict": verdict, "better": {"choice": choice}},
        )
    html = client.get("/").content.decode()
    assert "67%" in html and "(pass mark 80%)" in html
    assert "Next attempt from" in html
    assert f'action="/qualifications/{test.pk}/start/"' not in html
    assert "Resume" not in html


def test_home_lists_staffed_projects_in_every_workspace_and_nobody_else_s(
    public_client, acme, globex, staff, cardiology_test
):
    expert = make_expert(email="me@pool.test")
    other = make_expert(email="someone-else@pool.test")
    acme_project = _cardiology_project(acme, "Acme hearts", items=3)
    globex_project = _cardiology_project(globex, "Globex hearts")
    secret_project = _cardiology_project(acme, "Somebody else's project")
    staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=acme_project.pk,
        profile_id=expert.pk,
        role="annotator",
    )
    staffing_confirm(
        actor=staff,
        workspace=globex.workspace,
        project_id=globex_project.pk,
        profile_id=expert.pk,
        role="auditor",
        hours_per_week=4,
    )
    staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=secret_project.pk,
        profile_id=other.pk,
        role="annotator",
    )
    other_attempt = attempt_start(user=other.user, test_id=cardiology_test.pk)

    html = public_client(expert.user).get("/").content.decode()
    assert "Acme hearts" in html and "Globex hearts" in html
    assert (
        f'href="http://acme.localhost:8000/projects/{acme_project.pk}/work/">Open the workbench</a>' in html
    )
    assert 'href="http://globex.localhost:8000/projects/">Open</a>' in html  # auditors have no workbench
    rows = html.split('<table id="pool-projects">')[1].split("</table>")[0]
    assert "<td>Annotator</td>" in rows and "<td>Auditor</td>" in rows
    assert "<td>10</td>" in rows and "<td>4</td>" in rows  # hours a week
    assert "<td>3</td>" in rows  # the three acme items wait for them
    assert "You have 26 of your 40 hours a week free." in html
    assert "Somebody else's project" not in html
    assert "someone-else@pool.test" not in html
    assert f"/qualifications/attempts/{other_attempt.pk}/" not in html


def _cardiology_project(tenant, name: str, *, items: int = 0):
    connection.set_tenant(tenant.workspace)
    project = project_create(
        actor=tenant.users[Role.CLIENT_MANAGER],
        workspace=tenant.workspace,
        name=name,
        task_type="pairwise_preference",
        requirements={"expertise": ["medicine/cardiology"]},
    )
    if items:
        items_import(project=project, records=pairwise_items(items))
    connection.set_schema_to_public()
    return project


# The host's lookup, session, user, memberships, profile, attempts, tests, commitments, and one
# UNION ALL over the workspaces' schemas; django-tenants sets the search_path before each.
QUERIES = 2 * 9


def test_home_takes_the_same_queries_for_one_workspace_as_for_two(
    public_client, acme, globex, staff, cardiology_test, django_assert_num_queries
):
    expert = make_expert()
    for tenant in (acme, globex):
        project = _cardiology_project(tenant, f"{tenant.workspace.name} cardiology", items=2)
        staffing_confirm(
            actor=staff,
            workspace=tenant.workspace,
            project_id=project.pk,
            profile_id=expert.pk,
            role="annotator",
        )
        if tenant is acme:
            client = public_client(expert.user)
            workspace_routes_forget()  # each measured request looks its host up
            with django_assert_num_queries(QUERIES):
                html = client.get("/").content.decode()
            assert "Acme Labs cardiology" in html and "Globex" not in html
    workspace_routes_forget()
    with django_assert_num_queries(QUERIES):
        html = client.get("/").content.decode()
    assert "Acme Labs cardiology" in html and "Globex Labs cardiology" in html


# Qualification tests in the workbench -----------------------------------------------------------


@pytest.fixture
def screening(applicant, staff):
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="CV checks out")
    return applicant


def _post(client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _right(attempt: QualificationAttempt, index: int) -> dict:
    """The gold answer as the workbench shows it: the sound response sits where the order put it."""
    return {
        "verdict": "sound",
        "better": {"choice": "AB"[attempt.response_orders[index].index(0)], "dimensions": {}},
    }


def _wrong(attempt: QualificationAttempt, index: int) -> dict:
    return {"verdict": "unsound", "better": {"choice": "AB"[attempt.response_orders[index].index(1)]}}


def _start(client, test) -> QualificationAttempt:
    response = client.post(f"/qualifications/{test.pk}/start/")
    attempt = QualificationAttempt.objects.filter(test=test).order_by("-number").first()
    assert (response.status_code, response["Location"]) == (302, f"/qualifications/attempts/{attempt.pk}/")
    return attempt


def test_a_test_is_worked_question_by_question_and_passing_vets_the_person(
    public_client, screening, cardiology_test
):
    client = public_client(screening.user)
    attempt = _start(client, cardiology_test)
    base = f"/api/v1/qualifications/attempts/{attempt.pk}/"

    page = client.get(f"/qualifications/attempts/{attempt.pk}/")
    assert page.status_code == 200
    config = page.context["config"]
    assert config["allow_skip"] is False
    assert config["urls"]["next"] == f"{base}next/"
    assert config["urls"]["submit"] == f"{base}answers/{{id}}/"
    assert config["urls"]["draft"] == f"{base}draft/{{id}}/"
    assert config["project"]["item_fields"] == {"prompt": "text", "responses": "responses"}
    html = page.content.decode()
    assert "<h1>Cardiology screening</h1>" in html
    assert 'id="wb-skip" hidden' in html
    assert "Skip: type the reason" not in html

    task = _post(client, f"{base}next/").json()
    assert task["item"]["external_id"] == "Question 1 of 3"
    assert task["assignment"] == {"id": 0, "expires_at": None, "draft": None}
    assert [q["key"] for q in task["project"]["questions"]] == ["verdict", "better"]
    assert "gold" not in json.dumps(task)  # the answers are not given away

    # An invalid answer: 400 naming each question, nothing recorded.
    response = _post(client, f"{base}answers/0/", {"result": {"verdict": "maybe"}})
    assert response.status_code == 400
    assert response.json()["code"] and set(response.json()["fields"]) == {"verdict", "better"}
    response = _post(client, f"{base}answers/0/", {"result": "sound"})
    assert (response.status_code, response.json()["fields"]) == (
        400,
        {"result": ["An object, not a string."]},
    )

    # A draft comes back with the question.
    draft = {"answers": {"verdict": "sound"}, "time_spent_ms": 1200}
    response = client.put(f"{base}draft/0/", json.dumps({"draft": draft}), content_type="application/json")
    assert response.status_code == 204
    assert _post(client, f"{base}next/").json()["assignment"]["draft"] == draft

    response = _post(client, f"{base}answers/0/", {"result": _right(attempt, 0)})
    assert response.status_code == 201
    assert response.json() == {"index": 0, "answered": 1, "finished": False}
    assert _post(client, f"{base}answers/0/", {"result": _right(attempt, 0)}).status_code == 409
    assert _post(client, f"{base}next/").json()["item"]["external_id"] == "Question 2 of 3"
    assert _post(client, f"{base}answers/1/", {"result": _right(attempt, 1)}).status_code == 201
    last = _post(client, f"{base}answers/2/", {"result": _right(attempt, 2)})
    assert last.status_code == 201
    assert (last.json()["finished"], last.json()["score"], last.json()["passed"]) == (True, 1.0, True)

    finished = _post(client, f"{base}next/").json()
    assert finished["assignment"] is None and finished["finished"] is True
    assert finished["message"] == (
        "You passed Cardiology screening with 100% (pass mark 80%): you are vetted for Cardiology."
    )
    screening.refresh_from_db()
    assert screening.status == Status.VETTED
    claim = ProfileExpertise.objects.get(profile=screening)
    assert (claim.level, claim.qualification_score) == (Level.PRACTITIONER, Decimal("1.0000"))
    html = client.get("/").content.decode()
    assert '<span class="badge active">Passed</span>' in html and "100%" in html
    assert "We activate your profile next" in html


def test_failing_shows_the_score_then_the_cooldown_and_the_attempt_limit_hold(public_client, screening):
    test = make_test(max_attempts=2, cooldown_hours=24)
    client = public_client(screening.user)
    attempt = _start(client, test)
    base = f"/api/v1/qualifications/attempts/{attempt.pk}/"
    for index in range(3):
        assert _post(client, f"{base}answers/{index}/", {"result": _wrong(attempt, index)}).status_code == 201
    finished = _post(client, f"{base}next/").json()
    assert (finished["finished"], finished["score"], finished["passed"]) == (True, 0.0, False)
    assert finished["message"].startswith("You scored 0% on Cardiology screening (pass mark 80%): not passed")
    assert ProfileExpertise.objects.get(profile=screening).level is None
    assert AnnotatorProfile.objects.get(pk=screening.pk).status == Status.SCREENING

    # Within the cooldown: back home with the reason, no new attempt.
    response = client.post(f"/qualifications/{test.pk}/start/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    html = response.content.decode()
    assert f"You can try {test.name} again from" in html
    assert "1 of 2 used · 1 left" in html and "Next attempt from" in html
    assert QualificationAttempt.objects.filter(test=test).count() == 1

    # After it, a second attempt; once it fails too, no attempt is left.
    QualificationAttempt.objects.filter(pk=attempt.pk).update(
        submitted_at=timezone.now() - timedelta(hours=25)
    )
    second = _start(client, test)
    assert second.number == 2
    for index in range(3):
        _post(
            client,
            f"/api/v1/qualifications/attempts/{second.pk}/answers/{index}/",
            {"result": _wrong(second, index)},
        )
    QualificationAttempt.objects.filter(pk=second.pk).update(
        submitted_at=timezone.now() - timedelta(hours=25)
    )
    response = client.post(f"/qualifications/{test.pk}/start/", follow=True)
    assert f"You have used all 2 attempts at {test.name}." in response.content.decode()
    assert "No attempts left" in response.content.decode()
    assert QualificationAttempt.objects.filter(test=test).count() == 2


def test_someone_else_s_attempt_is_a_404_everywhere_and_stays_untouched(
    public_client, screening, cardiology_test
):
    attempt = attempt_start(user=screening.user, test_id=cardiology_test.pk)
    intruder = public_client(make_expert(status=Status.SCREENING).user)
    base = f"/api/v1/qualifications/attempts/{attempt.pk}/"
    assert intruder.get(f"/qualifications/attempts/{attempt.pk}/").status_code == 404
    response = _post(intruder, f"{base}next/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert _post(intruder, f"{base}answers/0/", {"result": _right(attempt, 0)}).status_code == 404
    draft = json.dumps({"draft": {"answers": {}}})
    assert intruder.put(f"{base}draft/0/", draft, content_type="application/json").status_code == 404
    attempt.refresh_from_db()
    assert (attempt.answers, attempt.drafts, attempt.status) == ({}, {}, "in_progress")
    # Nor can anyone start a test of an area they do not claim.
    outsider = make_expert(status=Status.SCREENING, expertise={"law/contracts": (0, None)})
    assert (
        public_client(outsider.user).post(f"/qualifications/{cardiology_test.pk}/start/").status_code == 404
    )


def test_anonymous_visitors_sign_in_first(public_client, screening, cardiology_test):
    attempt = attempt_start(user=screening.user, test_id=cardiology_test.pk)
    client = public_client()
    assert client.get(f"/qualifications/attempts/{attempt.pk}/")["Location"].startswith("/login/")
    assert client.post(f"/qualifications/{cardiology_test.pk}/start/")["Location"].startswith("/login/")
    assert _post(client, f"/api/v1/qualifications/attempts/{attempt.pk}/next/").status_code in (401, 403)
    assert _post(
        client, f"/api/v1/qualifications/attempts/{attempt.pk}/answers/0/", {"result": _right(attempt, 0)}
    ).status_code in (401, 403)
    assert QualificationAttempt.objects.get(pk=attempt.pk).answers == {}


def test_an_applicant_cannot_start_before_screening(public_client, applicant, cardiology_test):
    response = public_client(applicant.user).post(f"/qualifications/{cardiology_test.pk}/start/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Tests open once your application is in screening" in response.content.decode()
    assert not QualificationAttempt.objects.exists()


def test_a_draft_has_a_size_limit(public_client, screening, cardiology_test):
    attempt = attempt_start(user=screening.user, test_id=cardiology_test.pk)
    body = json.dumps({"draft": {"answers": {"verdict": "x" * 200_001}}})
    response = public_client(screening.user).put(
        f"/api/v1/qualifications/attempts/{attempt.pk}/draft/0/", body, content_type="application/json"
    )
    assert (response.status_code, list(response.json()["fields"])) == (400, ["draft"])
    assert QualificationAttempt.objects.get(pk=attempt.pk).drafts == {}
