from django.db import connection

from tenants.models import AuditLog, Membership, Role
from tenants.selectors import pseudonym


def test_members_page_lists_this_workspace_only(acme):
    page = acme.client(acme.users[Role.CLIENT_MANAGER]).get("/members/").content.decode()
    assert "viewer@acme.test" in page
    assert "globex" not in page.lower()


def test_clients_see_the_vendor_team_under_pseudonyms(acme, staff):
    annotator = acme.users[Role.ANNOTATOR]
    alias = pseudonym(workspace_id=acme.workspace.pk, user_id=annotator.pk)
    for reader in (acme.users[Role.CLIENT_MANAGER],):
        client = acme.client(reader)
        page = client.get("/members/").content.decode()
        connection.set_schema_to_public()
        api = client.get("/api/v1/members/").json()["results"]
        connection.set_schema_to_public()
        for body in (page, str(api)):
            assert alias in body
            for secret in (annotator.email, annotator.full_name, acme.users[Role.AUDITOR].email):
                assert secret not in body
        row = next(r for r in api if r["pseudonym"] == alias)
        assert (row["email"], row["full_name"], row["role"]) == (None, None, "annotator")
    page = acme.client(staff).get("/members/").content.decode()
    assert annotator.email in page  # vendor staff know who their people are


def test_pseudonyms_differ_between_workspaces(acme, globex):
    person = acme.users[Role.ANNOTATOR].pk
    assert pseudonym(workspace_id=acme.workspace.pk, user_id=person) != pseudonym(
        workspace_id=globex.workspace.pk, user_id=person
    )


def test_change_role(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.patch(
        f"/api/v1/members/{viewer.pk}/", {"role": "client_manager"}, content_type="application/json"
    )
    assert response.status_code == 200
    viewer.refresh_from_db()
    assert viewer.role == Role.CLIENT_MANAGER
    log = AuditLog.objects.get(action="membership.role_changed")
    assert log.data == {"from": "client_viewer", "to": "client_manager"}


def test_clients_neither_grant_nor_take_vendor_roles(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    auditor = Membership.objects.get(workspace=acme.workspace, role=Role.AUDITOR)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    for membership, role in ((viewer, "annotator"), (auditor, "client_viewer")):
        response = client.patch(
            f"/api/v1/members/{membership.pk}/", {"role": role}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "vendor_managed"
        connection.set_schema_to_public()
    assert client.delete(f"/api/v1/members/{auditor.pk}/").status_code == 400
    assert Membership.objects.filter(pk=auditor.pk, role=Role.AUDITOR).exists()
    viewer.refresh_from_db()
    assert viewer.role == Role.CLIENT_VIEWER


def test_invalid_role_is_a_400(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    response = acme.client(acme.users[Role.CLIENT_MANAGER]).patch(
        f"/api/v1/members/{viewer.pk}/", {"role": "owner"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_remove_member_through_the_page(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    response = acme.client(acme.users[Role.CLIENT_MANAGER]).post(f"/members/{viewer.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=viewer.pk).exists()


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


def test_a_client_manager_cannot_read_a_vendor_persons_identity_through_a_role_change(acme, staff):
    """Setting an annotator's role to the one they have changes nothing, and the answer names them
    by pseudonym, as the members list does: never by email or name."""
    annotator = acme.users[Role.ANNOTATOR]
    membership = Membership.objects.get(workspace=acme.workspace, user=annotator)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.patch(
        f"/api/v1/members/{membership.pk}/", {"role": "annotator"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "vendor_managed"
    assert annotator.email not in response.content.decode()
    assert annotator.full_name not in response.content.decode()
    connection.set_schema_to_public()
    staff_view = acme.client(staff).patch(
        f"/api/v1/members/{membership.pk}/", {"role": "annotator"}, content_type="application/json"
    )
    assert staff_view.status_code == 200
    alias = pseudonym(workspace_id=acme.workspace.pk, user_id=annotator.pk)
    assert staff_view.json() == {
        "id": membership.pk,
        "email": annotator.email,
        "full_name": annotator.full_name,
        "pseudonym": alias,
        "role": "annotator",
        "joined_at": staff_view.json()["joined_at"],
    }


def test_a_role_change_answers_with_the_member_as_the_list_shows_them(acme):
    viewer = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    listed = next(row for row in client.get("/api/v1/members/").json()["results"] if row["id"] == viewer.pk)
    connection.set_schema_to_public()
    changed = client.patch(
        f"/api/v1/members/{viewer.pk}/", {"role": "client_manager"}, content_type="application/json"
    )
    assert changed.json() == {**listed, "role": "client_manager"}
