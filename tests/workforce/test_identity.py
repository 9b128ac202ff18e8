"""Clients never see who the vendor's people are: no page or API response a client manager or
viewer can open names an annotator or auditor, or gives their email."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.boundary import DANGEROUSLY_ANONYMOUS
from tenants.models import Role
from tests.portal.test_matrix import _url, _view_class, matrix, workspace_routes  # noqa: F401 (fixture)

CLIENT_ROLES = (Role.CLIENT_MANAGER, Role.CLIENT_VIEWER)


def _client_get_routes():
    for route, pattern in workspace_routes():
        view_class = _view_class(pattern)
        if not hasattr(view_class, "get"):
            continue
        roles = view_class.roles_for("GET")
        if roles == DANGEROUSLY_ANONYMOUS:
            continue
        for role in CLIENT_ROLES:
            if role in roles:
                yield pytest.param(route, pattern, role, id=f"/{route} {role}")


@pytest.mark.parametrize(("route", "pattern", "role"), list(_client_get_routes()))
def test_no_client_page_or_api_names_a_vendor_person(route, pattern, role, acme, matrix):  # noqa: F811
    secrets = [
        value
        for person in (acme.users[Role.ANNOTATOR], acme.users[Role.AUDITOR])
        for value in (person.email, person.full_name)
    ]
    response = acme.client(acme.users[role]).get(_url(pattern, route, matrix["kwargs"]))
    connection.set_schema_to_public()
    body = response.content.decode(errors="replace")
    assert response.status_code in (200, 302), body[:300]
    for secret in secrets:
        assert secret not in body, f"{secret!r} is shown to a {role} on /{route}"


def test_the_roster_shows_pseudonyms_and_verified_qualifications(acme, matrix):  # noqa: F811
    from tenants.selectors import pseudonym
    from tests.workforce.conftest import make_expert

    make_expert(email="ignored@pool.test")  # someone in the pool but not on the project
    client = acme.client(acme.users[Role.CLIENT_VIEWER])
    project_id = matrix["kwargs"]["project_id"]
    body = client.get(f"/api/v1/projects/{project_id}/roster/").json()["results"]
    alias = pseudonym(workspace_id=acme.workspace.pk, user_id=acme.users[Role.ANNOTATOR].pk)
    auditor = pseudonym(workspace_id=acme.workspace.pk, user_id=acme.users[Role.AUDITOR].pk)
    assert sorted((entry["pseudonym"], entry["role"]) for entry in body) == sorted(
        [(alias, "annotator"), (auditor, "auditor")]
    )
    assert set(body[0]) == {"pseudonym", "role", "since", "until", "expertise", "languages"}
    connection.set_schema_to_public()
    page = client.get(f"/projects/{project_id}/team/").content.decode()
    assert alias in page and "ignored@pool.test" not in page
