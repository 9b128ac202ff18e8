"""In headless Chromium at a phone's width (390 px): pages fit the screen, wide tables scroll."""

from __future__ import annotations

import pytest

from tests.conftest import browser_sign_in
from tests.projects.test_workbench_browser import committed_project  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_manager_pages_fit_a_phone_screen(committed_project, portal_url, browser_page):  # noqa: F811
    page = browser_page
    page.set_viewport_size(PHONE)
    project_id = committed_project["project_id"]
    browser_sign_in(page, portal_url, "manager@acme.test")
    for path in ("/projects/", f"/projects/{project_id}/", f"/projects/{project_id}/import/"):
        page.goto(portal_url("acme.localhost", path))
        assert page_width(page) <= PHONE["width"], path
        sign_out = page.locator("header.topbar button", has_text="Sign out")
        assert sign_out.bounding_box()["x"] + sign_out.bounding_box()["width"] <= PHONE["width"], path
    assert not page.js_errors, page.js_errors


def test_pairwise_choices_fit_a_phone_screen(committed_project, portal_url, browser_page):  # noqa: F811
    page = browser_page
    page.set_viewport_size(PHONE)
    browser_sign_in(page, portal_url, "annotator@acme.test")
    page.goto(portal_url("acme.localhost", f"/projects/{committed_project['project_id']}/work/"))
    page.wait_for_selector("#workbench[data-state=gate]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#workbench[data-state=task]")
    assert page_width(page) <= PHONE["width"]
    for pill in page.locator("#wb-q-preference .wb-pill").all():
        box = pill.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], pill.inner_text()
    assert not page.js_errors, page.js_errors
