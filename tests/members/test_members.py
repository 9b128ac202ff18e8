from django.db import connection

from tenants.models import AuditLog, Membership, Role


def test_members_page_lists_this_workspace_only(acme):
    page = acme.client(acme.users[Role.CLIENT_MANAGER]).get("/members/").content.decode()
    assert "viewer@acme.test" in page and "auditor@acme.test" in page
    assert "globex" not in page.lower()


def test_change_role(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.patch(
        f"/api/v1/members/{viewer.pk}/", {"role": "annotator"}, content_type="application/json"
    )
    assert response.status_code == 200
    viewer.refresh_from_db()
    assert viewer.role == Role.ANNOTATOR
    log = AuditLog.objects.get(action="membership.role_changed")
    assert log.data == {"from": "client_viewer", "to": "annotator"}


def test_invalid_role_is_a_400(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    response = acme.client(acme.users[Role.CLIENT_MANAGER]).patch(
        f"/api/v1/members/{viewer.pk}/", {"role": "owner"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_remove_member_through_the_page(acme):
    auditor = Membership.objects.get(workspace=acme.workspace, role=Role.AUDITOR)
    response = acme.client(acme.users[Role.CLIENT_MANAGER]).post(f"/members/{auditor.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=auditor.pk).exists()


def test_the_last_manager_stays(acme):
    manager = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_MANAGER)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.delete(f"/api/v1/members/{manager.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "last_manager"
    connection.set_schema_to_public()
    assert Membership.objects.filter(pk=manager.pk).exists()


def test_a_membership_of_another_workspace_is_404(acme, globex):
    foreign = Membership.objects.get(workspace=globex.workspace, role=Role.CLIENT_VIEWER)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.delete(f"/api/v1/members/{foreign.pk}/")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
    connection.set_schema_to_public()
    assert client.post(f"/members/{foreign.pk}/role/", {"role": "annotator"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.CLIENT_VIEWER
