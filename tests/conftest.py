"""Shared fixtures: two provisioned workspaces (acme, globex) with one member of every role.

The workspaces and people are created once per session, committed, before any test runs; each
test then runs inside a transaction that is rolled back, so tests cannot leak into each other.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client

from portal.middleware import workspace_routes_forget
from tenants.models import Membership, Role, User, Workspace
from tests.processes import free_port, process_env, web_server

PASSWORD = "correct-horse-battery-staple"
SLUGS = ("acme", "globex")


@dataclass
class Tenant:
    workspace: Workspace
    host: str
    users: dict[str, User] = field(default_factory=dict)  # role -> user

    def client(self, user: User | None = None, **extra) -> Client:
        client = Client(HTTP_HOST=self.host, **extra)
        if user is not None:
            client.force_login(user)
        return client


def another_waits_for_a_lock(*, seconds: float = 3.0) -> bool:
    """Whether another session of the test database waits for a lock, within `seconds`: for tests
    that hold a transaction open until the one they race with has run into it."""
    for _ in range(int(seconds / 0.05)):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """TEST_DB_SUFFIX=x gives this run a test database of its own (test_portal_x)."""
    suffix = os.environ.get("TEST_DB_SUFFIX")
    if suffix:
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix)


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    from django.test.utils import setup_databases, teardown_databases

    from tenants.services.workspaces import workspace_provision

    if not connection.settings_dict["NAME"].startswith("test_"):
        # pytest-django creates the test database only when a collected test asks for `db`;
        # tests that commit for a real worker or server do not, so make sure it exists.
        with django_db_blocker.unblock():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})

        def teardown():
            with django_db_blocker.unblock():
                teardown_databases(created, verbosity=0)

        request.addfinalizer(teardown)
    assert connection.settings_dict["NAME"].startswith("test_")
    with django_db_blocker.unblock():
        staff = User.objects.create_user(email="staff@vendor.test", password=PASSWORD, is_staff=True)
        for slug in SLUGS:
            workspace = workspace_provision(actor=staff, slug=slug, name=f"{slug.title()} Labs")
            for role in Role.values:
                user = User.objects.create_user(
                    email=f"{role.split('_')[-1]}@{slug}.test",
                    password=PASSWORD,
                    full_name=f"{slug.title()} {role}",
                )
                Membership.objects.create(user=user, workspace=workspace, role=role)
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    yield
    connection.set_schema_to_public()
    workspace_routes_forget()  # a rolled-back workspace must not stay routable


def _tenant(slug: str) -> Tenant:
    workspace = Workspace.objects.get(slug=slug)
    tenant = Tenant(workspace=workspace, host=f"{slug}.localhost")
    for membership in Membership.objects.filter(workspace=workspace).select_related("user"):
        tenant.users[membership.role] = membership.user
    return tenant


@pytest.fixture
def acme(db) -> Tenant:
    return _tenant("acme")


@pytest.fixture
def globex(db) -> Tenant:
    return _tenant("globex")


@pytest.fixture
def staff(db) -> User:
    return User.objects.get(email="staff@vendor.test")


@pytest.fixture
def public_client(db):
    def make(user: User | None = None) -> Client:
        client = Client(HTTP_HOST="localhost")
        if user is not None:
            client.force_login(user)
        return client

    return make


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_page():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        errors: list[str] = []
        failed: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda response: response.status >= 400 and failed.append(f"{response.status} {response.url}"),
        )
        console_errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.js_errors = errors
        page.failed_responses = failed
        page.console_errors = console_errors  # a refused load (CSP) shows here and nowhere else
        yield page
        browser.close()


def browser_sign_in(page, portal_url, email: str, host: str = "acme.localhost") -> None:
    """Sign in on a workspace host's own /login/ page, as whoever was signed in before leaves."""
    page.context.clear_cookies()
    page.goto(portal_url(host, "/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def portal_url(django_db_setup, django_db_blocker, tmp_path):
    port = free_port()
    with (
        django_db_blocker.unblock(),
        web_server(process_env(PORTAL_PORT=str(port)), tmp_path / "web.log", port),
    ):
        yield lambda host, path="/": f"http://{host}:{port}{path}"
