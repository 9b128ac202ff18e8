import pytest
from django.db import connection

from portal.errors import ConflictError
from tenants.models import AuditLog, Role
from tenants.services.workspaces import workspace_reactivate, workspace_suspend


@pytest.fixture
def suspended_acme(acme, staff):
    workspace_suspend(actor=staff, workspace=acme.workspace, reason="unpaid invoice")
    acme.workspace.refresh_from_db()
    return acme


def test_members_get_a_clear_page_and_api_error(suspended_acme):
    manager = suspended_acme.users[Role.CLIENT_MANAGER]
    page = suspended_acme.client(manager).get("/members/")
    assert page.status_code == 403
    assert "suspended" in page.content.decode()
    connection.set_schema_to_public()
    api = suspended_acme.client(manager).get("/api/v1/members/")
    assert api.status_code == 403
    assert api.json()["code"] == "workspace_suspended"


def test_nothing_changes_while_suspended(suspended_acme):
    from members.models import Invitation

    manager = suspended_acme.users[Role.CLIENT_MANAGER]
    response = suspended_acme.client(manager).post(
        "/api/v1/invitations/",
        {"email": "new@acme.test", "role": "client_viewer"},
        content_type="application/json",
    )
    assert response.status_code == 403
    connection.set_tenant(suspended_acme.workspace)
    assert not Invitation.objects.filter(email="new@acme.test").exists()


def test_vendor_staff_still_get_in(suspended_acme, staff):
    assert suspended_acme.client(staff).get("/members/").status_code == 200


def test_sign_in_page_still_answers(suspended_acme):
    assert suspended_acme.client().get("/login/").status_code == 200


def test_reactivation_restores_access_and_is_audited(suspended_acme, staff):
    workspace_reactivate(actor=staff, workspace=suspended_acme.workspace)
    manager = suspended_acme.users[Role.CLIENT_MANAGER]
    assert suspended_acme.client(manager).get("/members/").status_code == 200
    actions = list(
        AuditLog.objects.filter(workspace=suspended_acme.workspace).values_list("action", flat=True)
    )
    assert "workspace.suspended" in actions and "workspace.reactivated" in actions


def test_suspending_twice_is_a_conflict(suspended_acme, staff):
    with pytest.raises(ConflictError):
        workspace_suspend(actor=staff, workspace=suspended_acme.workspace)


def test_console_suspends_and_reactivates(acme, staff, public_client):
    client = public_client(staff)
    assert client.post("/console/workspaces/acme/suspend/").status_code == 302
    acme.workspace.refresh_from_db()
    assert acme.workspace.is_suspended
    client.post("/console/workspaces/acme/reactivate/")
    acme.workspace.refresh_from_db()
    assert not acme.workspace.is_suspended


def test_console_is_staff_only(acme, public_client):
    manager = acme.users[Role.CLIENT_MANAGER]
    assert public_client(manager).get("/console/").status_code == 404
    assert public_client(manager).post("/console/workspaces/acme/suspend/").status_code == 404
    acme.workspace.refresh_from_db()
    assert not acme.workspace.is_suspended
    assert public_client().get("/console/").status_code == 302
