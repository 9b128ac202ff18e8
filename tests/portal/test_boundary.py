import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from portal.boundary import ALL_ROLES, MANAGERS, WorkspaceApi, WorkspaceView
from tenants.models import Role


def test_a_view_without_roles_cannot_be_routed():
    class Undeclared(WorkspaceView):
        def get(self, request):
            return HttpResponse("secret")

    with pytest.raises(ImproperlyConfigured, match="declares no roles"):
        Undeclared.as_view()


def test_an_api_without_roles_cannot_be_routed():
    class Undeclared(WorkspaceApi):
        roles = frozenset()

    with pytest.raises(ImproperlyConfigured, match="declares no roles"):
        Undeclared.as_view()


def test_unknown_roles_are_refused():
    class Typo(WorkspaceView):
        roles = frozenset({"client_manger"})

    with pytest.raises(ImproperlyConfigured, match="unknown roles"):
        Typo.as_view()


def test_subclasses_cannot_bypass_the_check():
    with pytest.raises(TypeError, match="may not override dispatch"):

        class Sneaky(WorkspaceView):
            roles = ALL_ROLES

            def dispatch(self, request, *args, **kwargs):
                return HttpResponse("no check")

    with pytest.raises(TypeError, match="may not override initial"):

        class SneakyApi(WorkspaceApi):
            roles = ALL_ROLES

            def initial(self, request, *args, **kwargs):
                pass


def test_roles_per_method():
    class Mixed(WorkspaceView):
        roles = {"GET": ALL_ROLES, "POST": MANAGERS}

    assert Mixed.roles_for("GET") == ALL_ROLES
    assert Mixed.roles_for("HEAD") == ALL_ROLES
    assert Mixed.roles_for("POST") == MANAGERS
    assert Mixed.roles_for("DELETE") == frozenset()


def test_workspace_routes_404_on_the_public_site(public_client, acme):
    # /members/ exists only on workspace hosts; the public site has no such route.
    response = public_client(acme.users[Role.CLIENT_MANAGER]).get("/members/")
    assert response.status_code == 404


def test_unknown_workspace_host_is_404(db):
    from django.test import Client

    response = Client(HTTP_HOST="initech.localhost").get("/login/")
    assert response.status_code == 404


def test_vendor_staff_enter_any_workspace(acme, globex, staff):
    for tenant in (acme, globex):
        response = tenant.client(staff).get("/members/")
        assert response.status_code == 200
        assert tenant.users[Role.CLIENT_VIEWER].email in response.content.decode()
        connection.set_schema_to_public()


def test_one_person_different_roles_in_different_workspaces(acme, globex):
    from tenants.models import Membership

    person = acme.users[Role.ANNOTATOR]
    Membership.objects.create(user=person, workspace=globex.workspace, role=Role.CLIENT_MANAGER)
    assert acme.client(person).get("/members/").status_code == 404
    connection.set_schema_to_public()
    assert globex.client(person).get("/members/").status_code == 200


def test_a_method_the_endpoint_does_not_have_is_a_405_to_members_only(acme, globex):
    for user in (acme.users[Role.CLIENT_MANAGER], acme.users[Role.CLIENT_VIEWER]):
        for method, path in (("put", "/api/v1/projects/"), ("delete", "/api/v1/projects/1/status/")):
            response = getattr(acme.client(user), method)(path, {}, content_type="application/json")
            connection.set_schema_to_public()
            assert response.status_code == 405, (user.email, method, path)
            assert response.json()["code"] == "method_not_allowed"
    outsider = acme.client(globex.users[Role.CLIENT_MANAGER]).put("/api/v1/projects/")
    assert outsider.status_code == 404
    connection.set_schema_to_public()
    # A method the endpoint has but the role lacks stays a 404.
    viewer = acme.client(acme.users[Role.CLIENT_VIEWER]).post(
        "/api/v1/projects/", {}, content_type="application/json"
    )
    assert viewer.status_code == 404


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_path_that_leads_nowhere_is_a_json_404(acme, public_client, settings, debug):
    """A path under /api/ that no endpoint serves, on a workspace host, the public host or a host
    that is no workspace, answers the API's own 404 body, with or without DEBUG's error pages."""
    settings.DEBUG = debug
    manager = acme.users[Role.CLIENT_MANAGER]
    responses = [
        acme.client(manager).get("/api/v1/projectz/"),
        public_client(manager).get("/api/v1/nope/"),
        Client(HTTP_HOST="nowhere.localhost").get("/api/v1/me/"),
    ]
    for response in responses:
        connection.set_schema_to_public()
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    page = acme.client(manager).get("/no-such-page/")
    assert page.status_code == 404 and "text/html" in page["Content-Type"]
