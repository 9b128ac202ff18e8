"""In headless Chromium: an applicant in screening takes the cardiology test by keyboard only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Max

from tenants.models import AuditLog, User
from tests.conftest import browser_sign_in
from tests.workforce.conftest import APPLICANT_PASSWORD, make_test
from workforce.models import AnnotatorProfile, Level, Proficiency, ProfileExpertise, QualificationAttempt
from workforce.services.profiles import profile_apply, profile_transition

pytestmark = pytest.mark.slow

EMAIL = "browser.heart@example.test"


@pytest.fixture
def committed_screening(django_db_setup, django_db_blocker, monkeypatch):
    """A cardiology test and an applicant in screening, committed so the server process sees them;
    removed again afterwards."""
    # Playwright's sync API keeps an event loop in this thread; our queries here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        test = make_test()
        profile = profile_apply(
            email=EMAIL,
            password=APPLICANT_PASSWORD,
            full_name="Browser Heart",
            country="DE",
            timezone_name="Europe/Berlin",
            weekly_capacity_hours=20,
            languages=[{"code": "en", "proficiency": Proficiency.C2}],
            expertise=[{"area": "medicine/cardiology", "level": Level.PRACTITIONER, "credential": ""}],
        )
        staff = User.objects.get(email="staff@vendor.test")
        profile_transition(
            actor=staff, profile_id=profile.pk, status=AnnotatorProfile.Status.SCREENING, reason="ok"
        )
    try:
        yield {"test": test, "profile": profile}
    finally:
        with django_db_blocker.unblock():
            User.objects.filter(email=EMAIL).delete()  # the profile and its attempts go with it
            test.delete()
            AuditLog.objects.filter(pk__gt=first_audit).delete()


def test_an_applicant_passes_the_cardiology_test_by_keyboard(
    committed_screening, portal_url, browser_page, django_db_blocker
):
    page = browser_page
    test = committed_screening["test"]
    page.goto(portal_url("localhost", "/login/"))
    page.click("text=Apply to join the expert pool")
    page.wait_for_selector("select[name=expertise_0_area]")
    page.screenshot(path="/tmp/apply.png", full_page=True)
    page.go_back()
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", APPLICANT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#pool-status[data-status=screening]")
    assert page.is_visible("text=Cardiology screening")
    page.screenshot(path="/tmp/pool-home.png", full_page=True)

    # Tab to the start button and press Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Start the test":
            break
    else:
        pytest.fail("the start button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#workbench[data-state=task]")
    assert page.inner_text("h1") == "Cardiology screening"
    assert not page.is_visible("#wb-skip")

    for number in range(3):
        page.wait_for_function(
            "n => { const root = document.getElementById('workbench');"
            " return root.dataset.state === 'task' && root.dataset.assignment === String(n); }",
            arg=number,
        )
        assert page.inner_text("#wb-item-label") == f"Question {number + 1} of 3"
        assert page.evaluate("document.activeElement.dataset.key") == "verdict"
        page.keyboard.press("s")  # no skipping a test
        assert page.is_hidden("#wb-skip-box")
        if number == 0:
            # Submitting nothing: the server's errors appear next to the questions they name.
            page.keyboard.press("Enter")
            page.wait_for_selector("#wb-q-verdict.has-error .wb-qerrors li")
            page.screenshot(path="/tmp/qualification.png", full_page=True)
        # The sound answer may be shown as A or B: the order is shuffled per attempt.
        sound_side = "1" if "stress test" in page.inner_text(".wb-response[data-position='0']") else "2"
        page.keyboard.press("1")  # verdict: sound; on to the comparison
        assert page.evaluate("document.activeElement.dataset.key") == "better"
        page.keyboard.press(sound_side)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#wb-done[data-count='{number + 1}']")

    page.wait_for_selector("#workbench[data-state=finished]")
    message = page.inner_text("#wb-message")
    assert "You passed Cardiology screening with 100% (pass mark 80%)" in message
    assert "New work appears here" not in message
    page.screenshot(path="/tmp/qualification-passed.png", full_page=True)
    page.click("text=Back to your home page")
    page.wait_for_selector("#pool-status[data-status=vetted]")
    assert page.is_visible("#pool-tests >> text=Passed")

    assert not page.js_errors, page.js_errors
    statuses = [f.split()[0] for f in page.failed_responses]
    assert statuses == ["400"], page.failed_responses  # the empty first submission
    with django_db_blocker.unblock():
        attempt = QualificationAttempt.objects.get(test=test)
        level = ProfileExpertise.objects.get(profile=committed_screening["profile"]).level
        # Queries made while Playwright runs use a connection of their own: close it, or the test
        # database cannot be dropped at the end of the session.
        connection.close()
    assert (attempt.status, attempt.passed, attempt.score) == ("submitted", True, 1)
    assert level == Level.PRACTITIONER


def test_console_forms_fit_a_phone_screen(committed_screening, portal_url, browser_page):
    """At 390 px the boxes of a form row (a status change's reason, the pool's filters) shrink to
    the card instead of running off the screen."""
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_sign_in(page, portal_url, "staff@vendor.test", host="localhost")
    profile_id = committed_screening["profile"].pk
    for path, form in (
        (f"/console/pool/{profile_id}/", "form.transition"),
        ("/console/pool/", "form.pool-filters"),
    ):
        page.goto(portal_url("localhost", path))
        assert page.locator(f"main {form}").count() > 0, path
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, path
        for box in page.locator("main form input:visible, main form select:visible").all():
            right = box.bounding_box()["x"] + box.bounding_box()["width"]
            assert right <= 390, (path, box.get_attribute("name"), right)
    assert not page.js_errors, page.js_errors
