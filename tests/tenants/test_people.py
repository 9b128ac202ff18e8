"""Sign-in, throttling, password hashing and reset, personal access tokens, the console."""

import re

import pytest
from django.core import mail
from django.db import connection

from tenants.models import PersonalAccessToken, Role, User, Workspace
from tests.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2(acme):
    assert acme.users[Role.ANNOTATOR].password.startswith("argon2")


def test_sign_in_on_a_workspace_host(acme):
    client = acme.client()
    response = client.post("/login/", {"username": "annotator@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    connection.set_schema_to_public()
    home = client.get("/")
    assert home.status_code == 200
    assert "annotator in this workspace" in home.content.decode()


def test_wrong_password_is_refused(acme):
    response = acme.client().post("/login/", {"username": "annotator@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "correct email" in response.content.decode() or "Please enter" in response.content.decode()


def test_failed_sign_ins_are_throttled(acme):
    client = acme.client(REMOTE_ADDR="10.9.8.7")
    for _ in range(5):
        client.post("/login/", {"username": "viewer@acme.test", "password": "wrong"})
        connection.set_schema_to_public()
    locked = client.post("/login/", {"username": "viewer@acme.test", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_password_reset_email_is_sent_by_a_task(
    public_client, acme, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = public_client().post("/password-reset/", {"email": "viewer@acme.test"})
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/password-reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = link.split("localhost", 1)[1].split("/", 1)[1]
    client = public_client()
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-pass-9911", "new_password2": "a-new-pass-9911"}
    )
    assert done.status_code == 302
    assert User.objects.get(email="viewer@acme.test").check_password("a-new-pass-9911")


def test_token_is_shown_once_stored_hashed_and_revocable(acme, public_client):
    user = acme.users[Role.CLIENT_MANAGER]
    created = public_client(user).post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201
    secret = created.json()["token"]
    token = PersonalAccessToken.objects.get(pk=created.json()["id"])
    assert secret not in (token.digest, token.prefix) and token.digest != secret
    listed = public_client(user).get("/api/v1/tokens/").json()["results"]
    assert "token" not in listed[0]

    api = acme.client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["role"] == Role.CLIENT_MANAGER
    connection.set_schema_to_public()

    assert public_client(user).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"


def test_a_deactivated_persons_token_stops_working_and_use_is_stamped(acme):
    from tenants.services.tokens import token_authenticate, token_create

    user = acme.users[Role.CLIENT_VIEWER]
    token, secret = token_create(user=user, name="script")
    assert token_authenticate(secret) == user
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token_authenticate(secret.replace(secret[-4:], "xxxx")) is None
    user.is_active = False
    user.save()
    assert token_authenticate(secret) is None


def test_token_of_a_non_member_gets_404_in_the_workspace(acme, globex, public_client):
    outsider = globex.users[Role.CLIENT_MANAGER]
    secret = (
        public_client(outsider)
        .post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
        .json()["token"]
    )
    response = acme.client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/members/")
    assert response.status_code == 404
    assert "acme.test" not in response.content.decode()


def test_tokens_page_shows_the_secret_once(acme, public_client):
    client = public_client(acme.users[Role.AUDITOR])
    page = client.post("/account/tokens/", {"name": "laptop"})
    secret = re.search(r"pat_[\w-]+", page.content.decode()).group(0)
    assert secret
    assert secret not in client.get("/account/tokens/").content.decode()


def test_me_lists_workspaces_and_roles(acme, public_client):
    body = public_client(acme.users[Role.AUDITOR]).get("/api/v1/me/").json()
    assert body["workspaces"] == [
        {"slug": "acme", "name": "Acme Labs", "role": "auditor", "url": "http://acme.localhost:8000/"}
    ]


def test_your_workspaces_page(acme, public_client):
    page = public_client(acme.users[Role.CLIENT_VIEWER]).get("/").content.decode()
    assert "Acme Labs" in page and "http://acme.localhost:8000/" in page
    assert "Globex" not in page


def test_console_creates_a_workspace_and_refuses_a_bad_slug(staff, public_client):
    client = public_client(staff)
    bad = client.post("/console/", {"name": "Bad", "slug": "admin", "currency": "USD"})
    assert bad.status_code == 400
    assert "reserved" in bad.content.decode()
    good = client.post("/console/", {"name": "Hooli", "slug": "hooli", "currency": "EUR"})
    assert good.status_code == 302
    assert Workspace.objects.get(slug="hooli").currency == "EUR"


def test_workspace_api_is_staff_only(acme, staff, public_client):
    assert public_client(acme.users[Role.CLIENT_MANAGER]).get("/api/v1/workspaces/").status_code == 403
    response = public_client(staff).post(
        "/api/v1/workspaces/", {"slug": "www", "name": "W"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "reserved_slug"
    assert response.json()["fields"] == {"slug": ["'www' is reserved."]}


def test_token_sign_in_brings_the_membership_of_the_requests_workspace_only(acme, globex):
    from tenants.models import Membership
    from tenants.services.tokens import token_authenticate, token_create

    user = acme.users[Role.CLIENT_MANAGER]
    Membership.objects.create(user=user, workspace=globex.workspace, role=Role.CLIENT_VIEWER)
    _, secret = token_create(user=user, name="script")
    for tenant, role in ((acme, Role.CLIENT_MANAGER), (globex, Role.CLIENT_VIEWER)):
        workspace_id, membership = token_authenticate(
            secret, workspace_id=tenant.workspace.pk
        ).token_membership
        assert (workspace_id, membership.workspace_id, membership.user_id, membership.role) == (
            tenant.workspace.pk,
            tenant.workspace.pk,
            user.pk,
            role,
        )
    outsider = globex.users[Role.CLIENT_MANAGER]
    _, other = token_create(user=outsider, name="script")
    assert token_authenticate(other, workspace_id=acme.workspace.pk).token_membership == (
        acme.workspace.pk,
        None,
    )
    assert not hasattr(token_authenticate(other), "token_membership")


def test_a_first_manager_email_too_long_to_store_is_a_400_and_no_workspace(staff, public_client):
    response = public_client(staff).post(
        "/api/v1/workspaces/",
        {"slug": "longmail", "name": "Long mail", "manager_email": "a" * 300 + "@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_email"
    assert set(response.json()["fields"]) == {"manager_email"}
    assert not Workspace.objects.filter(slug="longmail").exists()


@pytest.mark.parametrize("currency", ["usd", " EUR "])
def test_the_workspace_api_stores_a_currency_code_in_capitals(staff, public_client, currency):
    response = public_client(staff).post(
        "/api/v1/workspaces/",
        {"slug": "hooli", "name": "Hooli", "currency": currency},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["currency"] == currency.strip().upper()
    assert Workspace.objects.get(slug="hooli").currency == currency.strip().upper()


@pytest.mark.parametrize("currency", ["1", "U$D", "", "EU", 840])
def test_a_currency_that_is_not_a_three_letter_code_is_a_400(staff, public_client, currency):
    response = public_client(staff).post(
        "/api/v1/workspaces/",
        {"slug": "hooli", "name": "Hooli", "currency": currency},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"currency"}
    assert not Workspace.objects.filter(slug="hooli").exists()
