"""In headless Chromium: an acme manager signs in on acme.localhost and cannot see globex."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.slow


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
