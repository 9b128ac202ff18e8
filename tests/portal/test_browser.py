"""In headless Chromium: an acme manager signs in on acme.localhost and cannot see globex."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import PASSWORD
from tests.processes import free_port, process_env, web_server

pytestmark = pytest.mark.slow
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
        page = browser.new_page()
        yield page
        browser.close()


@pytest.fixture
def portal_url(django_db_setup, django_db_blocker, tmp_path):
    port = free_port()
    with (
        django_db_blocker.unblock(),
        web_server(process_env(PORTAL_PORT=str(port)), tmp_path / "web.log", port),
    ):
        yield lambda host, path="/": f"http://{host}:{port}{path}"


def test_acme_user_signs_in_and_cannot_see_globex(browser_page, portal_url, tmp_path):
    page = browser_page
    page.goto(portal_url("acme.localhost", "/members/"))
    assert "/login/" in page.url
    page.fill("#id_username", "manager@acme.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/members/")
    assert "Members of Acme Labs" in page.content()
    assert "viewer@acme.test" in page.content()
    page.screenshot(path=str(tmp_path / "acme-members.png"))

    # The same person, signed in on globex's host, finds nothing there.
    page.goto(portal_url("globex.localhost", "/login/"))
    page.fill("#id_username", "manager@acme.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    for path in ("/", "/members/", "/api/v1/members/"):
        response = page.goto(portal_url("globex.localhost", path))
        assert response.status == 404, path
        assert "@globex.test" not in page.content()
    page.screenshot(path="/tmp/globex-404.png")
