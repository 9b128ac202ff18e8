import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from members.models import Invitation
from members.services import invitation_create, invitations_expire
from members.tasks import invitation_send
from tenants.models import AuditLog, Membership, Role, User, Workspace
from tests.conftest import PASSWORD


@pytest.fixture
def invite(acme):
    def make(email="newbie@example.com", role=Role.CLIENT_VIEWER):
        connection.set_tenant(acme.workspace)
        invitation, token = invitation_create(
            actor=acme.users[Role.CLIENT_MANAGER], workspace=acme.workspace, email=email, role=role
        )
        return invitation, token

    return make


def test_invite_through_the_members_page_queues_the_email(acme, django_capture_on_commit_callbacks):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/members/", {"email": "New@Example.com", "role": "client_viewer"})
    assert response.status_code == 302
    assert len(callbacks) == 1
    connection.set_tenant(acme.workspace)
    assert Invitation.objects.get().email == "new@example.com"


def test_bad_invitation_input_is_a_400_with_fields(acme):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.post(
        "/api/v1/invitations/", {"email": "not-an-email", "role": "boss"}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"email", "role"}
    connection.set_tenant(acme.workspace)
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_a_conflict(acme):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.post(
        "/api/v1/invitations/",
        {"email": "viewer@acme.test", "role": "client_manager"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_member"


def test_only_vendor_staff_invite_annotators_and_auditors(acme, staff):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    for role in ("annotator", "auditor"):
        response = client.post(
            "/api/v1/invitations/",
            {"email": "expert@example.com", "role": role},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "vendor_managed"
        assert "role" in response.json()["fields"]
        connection.set_schema_to_public()
    page = client.get("/members/").content.decode()
    assert '<option value="annotator"' not in page
    connection.set_schema_to_public()
    response = acme.client(staff).post(
        "/api/v1/invitations/",
        {"email": "expert@example.com", "role": "annotator"},
        content_type="application/json",
    )
    assert response.status_code == 201
    connection.set_tenant(acme.workspace)
    assert Invitation.objects.get().role == Role.ANNOTATOR


def test_email_carries_a_working_link(acme, invite):
    invitation, token = invite()
    invitation_send(invitation.pk, token)
    invitation_send(invitation.pk, token)  # a retry does not send twice
    assert len(mail.outbox) == 1
    assert f"http://acme.localhost:8000/invitations/{token}/" in mail.outbox[0].body
    assert "Acme Labs" in mail.outbox[0].subject


def test_accept_creates_the_user_and_membership_and_signs_in(acme, invite):
    invitation, token = invite()
    client = acme.client()
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200 and "Join Acme Labs" in page.content.decode()
    response = client.post(f"/invitations/{token}/", {"full_name": "New Bie", "password": "Quiet-Meadow-42"})
    assert response.status_code == 302
    user = User.objects.get(email="newbie@example.com")
    assert user.check_password("Quiet-Meadow-42")
    assert Membership.objects.get(user=user, workspace=acme.workspace).role == Role.CLIENT_VIEWER
    connection.set_schema_to_public()
    assert client.get("/").status_code == 200  # signed in
    connection.set_schema_to_public()
    assert client.get(f"/invitations/{token}/").status_code == 404  # used


def test_weak_password_is_refused_and_nothing_is_written(acme, invite):
    _, token = invite()
    response = acme.client().post(f"/invitations/{token}/", {"password": "123"})
    assert response.status_code == 400
    assert not User.objects.filter(email="newbie@example.com").exists()
    connection.set_tenant(acme.workspace)
    assert Invitation.objects.get().accepted_at is None


def test_existing_user_must_sign_in_as_the_invited_address(acme, globex, invite):
    person = globex.users[Role.ANNOTATOR]
    _, token = invite(email=person.email, role=Role.CLIENT_MANAGER)
    anonymous = acme.client().post(f"/invitations/{token}/", {})
    assert anonymous.status_code == 400
    assert not Membership.objects.filter(user=person, workspace=acme.workspace).exists()
    connection.set_schema_to_public()
    accepted = acme.client(person).post(f"/invitations/{token}/", {})
    assert accepted.status_code == 302
    assert Membership.objects.get(user=person, workspace=acme.workspace).role == Role.CLIENT_MANAGER
    assert person.check_password(PASSWORD)


def test_expired_invitations_are_refused_and_swept(acme, invite):
    invitation, token = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert acme.client().get(f"/invitations/{token}/").status_code == 404
    connection.set_tenant(acme.workspace)
    assert invitations_expire() == 1


def test_a_token_from_one_workspace_is_unknown_in_another(globex, invite):
    _, token = invite()
    assert globex.client().get(f"/invitations/{token}/").status_code == 404


def test_reinviting_revokes_the_previous_invitation(acme, invite):
    first, first_token = invite()
    invite()
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert acme.client().get(f"/invitations/{first_token}/").status_code == 404


def test_clients_neither_see_nor_revoke_the_vendors_invitations(acme, staff):
    connection.set_tenant(acme.workspace)
    invitation, _ = invitation_create(
        actor=staff, workspace=acme.workspace, email="expert@example.com", role=Role.ANNOTATOR
    )
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    page = client.get("/members/").content.decode()
    connection.set_schema_to_public()
    listed = client.get("/api/v1/invitations/").json()["results"]
    connection.set_schema_to_public()
    assert "expert@example.com" not in page
    assert listed == []
    assert client.delete(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    connection.set_schema_to_public()
    assert client.post(f"/invitations/{invitation.pk}/revoke/").status_code == 404
    connection.set_tenant(acme.workspace)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    connection.set_schema_to_public()
    assert "expert@example.com" in acme.client(staff).get("/members/").content.decode()


def test_an_email_address_too_long_to_store_is_a_400_naming_email(acme):
    """An address over 254 characters passes the email syntax check but not the column."""
    long_address = "a" * 300 + "@example.com"
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.post(
        "/api/v1/invitations/",
        {"email": long_address, "role": "client_viewer"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_email"
    assert set(response.json()["fields"]) == {"email"}
    connection.set_tenant(acme.workspace)
    assert not Invitation.objects.exists()


def test_two_invitations_of_one_address_at_once_leave_one_open(django_db_setup, django_db_blocker):
    """The second waits for the first and replaces it, as a later invitation does."""
    email = "twice@race.example"
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = User.objects.get(email="manager@acme.test")
    made, hold, outcome = threading.Event(), threading.Event(), []

    def invite(held: bool) -> None:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            try:
                with transaction.atomic():
                    invitation_create(
                        actor=manager, workspace=workspace, email=email, role=Role.CLIENT_VIEWER
                    )
                    if held:
                        made.set()
                        hold.wait(10)
                outcome.append("invited")
            finally:
                connection.close()

    first = threading.Thread(target=invite, args=(True,))
    first.start()
    try:
        assert made.wait(10)
        second = threading.Thread(target=invite, args=(False,))
        second.start()
        second.join(1)
        hold.set()
        first.join(10)
        second.join(10)
        assert outcome == ["invited", "invited"]
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            assert Invitation.objects.filter(email=email).count() == 2
            assert Invitation.objects.filter(email=email, revoked_at__isnull=True).count() == 1
    finally:
        hold.set()
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            Invitation.objects.filter(email=email).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(target=email).delete()
