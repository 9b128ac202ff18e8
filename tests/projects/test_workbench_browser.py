"""In headless Chromium: an annotator works three pairwise tasks on the workbench by keyboard only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Max

from projects.models import Annotation, Assignment, Project
from projects.services.guidelines import guideline_draft_save, guideline_publish
from projects.services.imports import items_import
from projects.services.projects import project_create, project_staff, project_transition
from tenants.models import AuditLog, User, Workspace
from tests.conftest import browser_sign_in
from tests.projects.conftest import pairwise_items

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_project(django_db_setup, django_db_blocker, monkeypatch):
    """An active pairwise project in acme with 3 items and a published guideline, committed so the
    server process sees it; removed again afterwards."""
    # Playwright's sync API keeps an event loop in this thread; our queries here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = User.objects.get(email="manager@acme.test")
        annotator = User.objects.get(email="annotator@acme.test")
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager,
            workspace=workspace,
            name="Workbench browser check",
            task_type="pairwise_preference",
            overlap=1,
        )
        items_import(project=project, records=pairwise_items(3))
        project_staff(
            actor=manager, workspace=workspace, project=project, user_id=annotator.pk, role="annotator"
        )
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
        draft = guideline_draft_save(
            actor=manager,
            project=project,
            body="# How to compare\n\nPrefer the response that **answers the question**.",
            changelog="First version",
        )
        guideline_publish(actor=manager, workspace=workspace, project=project, version_id=draft.pk)
        connection.set_schema_to_public()
    try:
        yield {"workspace": workspace, "project_id": project.pk, "annotator": annotator}
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            # Annotations and assignments PROTECT the guideline version: remove them first.
            Annotation.objects.filter(project_id=project.pk).delete()
            Assignment.objects.filter(project_id=project.pk).delete()
            Project.objects.filter(pk=project.pk).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(pk__gt=first_audit).delete()


def wait_for_task(page, previous: str) -> str:
    page.wait_for_function(
        "previous => { const root = document.getElementById('workbench');"
        " return root.dataset.state === 'task' && root.dataset.assignment"
        " && root.dataset.assignment !== previous; }",
        arg=previous,
    )
    return page.get_attribute("#workbench", "data-assignment")


def test_annotator_works_pairwise_tasks_by_keyboard(
    committed_project, portal_url, browser_page, django_db_blocker
):
    page = browser_page
    project_id = committed_project["project_id"]
    browser_sign_in(page, portal_url, "annotator@acme.test")

    page.goto(portal_url("acme.localhost", f"/projects/{project_id}/work/"))
    # The guideline gate: the panel is open and its button has the focus.
    page.wait_for_selector("#workbench[data-state=gate]")
    assert page.is_visible("#wb-guideline")
    assert page.is_visible("text=Prefer the response that")
    assert page.evaluate("document.activeElement.id") == "wb-ack"
    page.screenshot(path="/tmp/workbench-gate.png")
    page.keyboard.press("Enter")

    assignment = ""
    for number in range(3):
        assignment = wait_for_task(page, assignment)
        assert page.evaluate("document.activeElement.dataset.key") == "preference"
        if number == 0:
            # Submitting nothing: the server's errors appear next to the question they name.
            page.keyboard.press("Enter")
            page.wait_for_selector("#wb-q-preference.has-error .wb-qerrors li")
            assert "an answer is required" in page.inner_text("#wb-q-preference .wb-qerrors").lower()
            page.keyboard.press("1")  # A, but no strength yet
            page.keyboard.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('#wb-q-preference .wb-qerrors').textContent.includes('Strength')"
            )
            page.keyboard.press("Backspace")  # back to the overall row
        # Overall A, strength 2 (clearly better), then helpfulness A, honesty tie, harmlessness tie.
        page.wait_for_timeout(150)  # some active time to record
        for key in ("1", "2", "1", "3", "3"):
            page.keyboard.press(key)
        assert page.is_checked("#wb-q-preference [data-row=choice] input[value=A]")
        assert page.is_checked("#wb-q-preference [data-row=strength] input[value='2']")
        assert page.is_checked("#wb-q-preference [data-row=honesty] input[value=tie]")
        if number == 0:
            page.screenshot(path="/tmp/workbench.png", full_page=True)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#wb-done[data-count='{number + 1}']")

    page.wait_for_selector("#workbench[data-state=empty]")
    assert page.is_visible("text=No task is left for you here.")
    page.screenshot(path="/tmp/workbench-done.png", full_page=True)

    # The manager completes the project: checking again says so, with no retry to press.
    workspace = committed_project["workspace"]
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        project_transition(
            actor=User.objects.get(email="manager@acme.test"),
            workspace=workspace,
            project=Project.objects.get(pk=project_id),
            status="completed",
        )
        connection.set_schema_to_public()
    page.click("text=Check again")
    page.wait_for_selector("#workbench[data-state=finished]")
    assert page.is_visible("text=This project is completed; there are no more tasks.")
    assert page.locator("#workbench button").filter(has_text="Try again").count() == 0
    assert not page.js_errors, page.js_errors
    # The only errors: the guideline gate, the two incomplete submissions, the completed project.
    statuses = [f.split()[0] for f in page.failed_responses]
    assert statuses == ["409", "400", "400", "409"], page.failed_responses

    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        annotations = list(
            Annotation.objects.filter(project_id=project_id, annotator=committed_project["annotator"])
            .select_related("assignment")
            .order_by("id")
        )
        connection.set_schema_to_public()
        # Queries made while Playwright runs use a connection of their own: close it, or the test
        # database cannot be dropped at the end of the session.
        connection.close()
    assert len(annotations) == 3
    for annotation in annotations:
        shown_as_a = annotation.assignment.response_order[0]  # display position 0 -> stored index
        assert annotation.result == {
            "preference": {
                "winner": shown_as_a,
                "strength": 2,
                "dimensions": {"helpfulness": shown_as_a, "honesty": None, "harmlessness": None},
            },
            "rationale": None,
        }
        assert annotation.time_spent_ms > 0
        assert annotation.guideline_version_id is not None


# Every other preset: one item each, answered by keyboard (spans: a selection made by script).
PRESET_ITEMS = {
    "ranking": {"prompt": "Name a prime.", "responses": ["Two.", "Nine.", "Seven."]},
    "rubric_rating": {"prompt": "What is 2 + 2?", "response": "It is 4."},
    "rewrite": {"prompt": "Greet me.", "response": "Hello there friend."},
    "classification": {"text": "Why is my parcel late again?"},
    "factuality": {"prompt": "Tell me about Paris.", "response": "Paris is the capital of Spain."},
    "red_teaming": {"scenario": "Ask for a dangerous recipe."},
    "chat_evaluation": {
        "conversation": [
            {"role": "user", "content": "Hi!"},
            {"role": "assistant", "content": "Hello, how can I help?"},
            {"role": "user", "content": "What is 2 + 2?"},
            {"role": "assistant", "content": "5."},
        ]
    },
    "agent_trajectory": {
        "task": "Find the weather in Oslo.",
        "trace": [
            {"thought": "Call the weather tool.", "action": "weather(city='Oslo')"},
            {"observation": {"temp_c": 3}, "answer": "3 °C in Oslo."},
        ],
    },
    "narrative_spans": {"text": "Once upon a time a fox lived in a wood. One day the wood burned."},
    "multimodal": {"image_url": "https://example.com/cat.png", "prompt": "What colour is the cat?"},
}

# (action, argument): press a key, type text, or select characters [start, end) of a spans field.
PRESET_KEYS = {
    "ranking": [("press", "3"), ("press", "ArrowUp"), ("press", "t"), ("press", "Enter")],
    "rubric_rating": [("press", k) for k in "45345"] + [("press", "Enter")],
    "rewrite": [
        ("press", "End"),
        ("type", " How are you?"),
        ("press", "Escape"),
        ("press", "j"),
        ("press", "5"),
        ("press", "Enter"),
    ],
    "classification": [("press", "3"), ("press", "3"), ("press", "1"), ("press", "3"), ("press", "Enter")],
    "factuality": [
        ("select", ("claims", 0, 5)),
        ("unselect", None),  # a click elsewhere clears the selection: the label key marks nothing
        ("press", "1"),
        ("select", ("claims", 24, 29)),
        ("press", "2"),
        ("press", "j"),
        ("press", "3"),
        ("press", "Enter"),
    ],
    "red_teaming": [
        ("type", "Tell me how to make it."),
        ("press", "Tab"),
        ("type", "I cannot help with that."),
        ("press", "Tab"),
        ("press", "5"),
        ("press", "1"),
        ("press", "2"),
        ("press", "Enter"),
    ],
    "chat_evaluation": [
        ("press", "1"),
        ("press", "3"),
        ("type", "2 + 2 is 4"),
        ("press", "Enter"),
        ("press", "3"),
        ("press", "Enter"),
    ],
    "agent_trajectory": [
        ("press", "1"),
        ("press", "2"),
        ("type", "No tool call"),
        ("press", "Enter"),
        ("press", "2"),
        ("press", "Enter"),
    ],
    "narrative_spans": [
        ("select_past_end", ("structure", 40)),  # dragged on past the text: it counts to its end
        ("press", "3"),
        ("select", ("structure", 0, 16)),
        ("press", "1"),
        ("press", "Enter"),
    ],
    # Skip the first item (the reason is typed inline), then answer the second.
    "multimodal": [
        ("press", "s"),
        ("type", "Cannot see images"),
        ("press", "Enter"),
        ("next_task", None),
        ("press", "4"),
        ("press", "Enter"),
    ],
}
ITEM_COUNT = {"multimodal": 2}

EXPECTED = {
    # Display positions [[0, 2], [1]]; the stored result is in canonical indices (checked below).
    "ranking": {"ranking": [[0, 2], [1]], "rationale": None},
    "rubric_rating": {
        "helpfulness": 4,
        "correctness": 5,
        "harmlessness": 3,
        "tone": 4,
        "policy_compliance": 5,
        "comments": None,
    },
    "rewrite": {"rewrite": "Hello there friend. How are you?", "main_change": "style"},
    "classification": {"tone": "negative", "intent": "complaint", "flags": ["personal_data", "sarcasm"]},
    "factuality": {
        "claims": [{"start": 24, "end": 29, "label": "incorrect"}],
        "verdict": "major_errors",
        "correction": None,
        "source": None,
    },
    "red_teaming": {
        "attack_prompt": "Tell me how to make it.",
        "model_reply": "I cannot help with that.",
        "harm_category": "illegal",
        "severity": 1,
        "attack_succeeded": "no",
    },
    "chat_evaluation": {
        "turns": [
            {"turn": 1, "value": "good", "reason": None},
            {"turn": 3, "value": "bad", "reason": "2 + 2 is 4"},
        ],
        "overall": 3,
    },
    "agent_trajectory": {
        "steps": [
            {"step": 0, "value": "correct", "reason": None},
            {"step": 1, "value": "incorrect", "reason": "No tool call"},
        ],
        "task_success": "partial",
    },
    "narrative_spans": {
        "structure": [
            {"start": 0, "end": 16, "label": "exposition"},
            {"start": 40, "end": 64, "label": "climax"},
        ]
    },
    "multimodal": {"answerable": "broken", "answer": None, "description": None},
}


@pytest.fixture
def committed_presets(django_db_setup, django_db_blocker, monkeypatch):
    """One active project per preset (except pairwise) with one item, no guideline, committed."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = User.objects.get(email="manager@acme.test")
        annotator = User.objects.get(email="annotator@acme.test")
        first_audit = AuditLog.objects.aggregate(n=Max("pk"))["n"] or 0
        connection.set_tenant(workspace)
        projects = {}
        for preset, payload in PRESET_ITEMS.items():
            project = project_create(
                actor=manager, workspace=workspace, name=f"Workbench {preset}", task_type=preset, overlap=1
            )
            count = ITEM_COUNT.get(preset, 1)
            records = [{"external_id": f"{preset}-{n}", **payload} for n in range(1, count + 1)]
            items_import(project=project, records=records)
            project_staff(
                actor=manager, workspace=workspace, project=project, user_id=annotator.pk, role="annotator"
            )
            project_transition(actor=manager, workspace=workspace, project=project, status="active")
            projects[preset] = project.pk
        connection.set_schema_to_public()
    try:
        yield {"workspace": workspace, "projects": projects, "annotator": annotator}
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            ids = list(projects.values())
            Annotation.objects.filter(project_id__in=ids).delete()
            Assignment.objects.filter(project_id__in=ids).delete()
            Project.objects.filter(pk__in=ids).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(pk__gt=first_audit).delete()


def select_text(page, question: str, start: int, end: int) -> None:
    page.evaluate(
        """([question, start, end]) => {
            const box = document.querySelector(`#wb-q-${question} .wb-spantext`);
            const range = document.createRange();
            range.setStart(box.firstChild, start);
            range.setEnd(box.firstChild, end);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            box.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));  // as a drag ends
        }""",
        [question, start, end],
    )


def select_past_end(page, question: str, start: int) -> None:
    """From a character of a spans field's text to the hint below it, as a drag that overshoots."""
    page.evaluate(
        """([question, start]) => {
            const section = document.getElementById(`wb-q-${question}`);
            const range = document.createRange();
            range.setStart(section.querySelector(".wb-spantext").firstChild, start);
            range.setEnd(section.querySelector(".wb-hint"), 0);
            window.getSelection().removeAllRanges();
            window.getSelection().addRange(range);
            section.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
        }""",
        [question, start],
    )


def test_every_task_type_renders_and_submits_by_keyboard(
    committed_presets, portal_url, browser_page, django_db_blocker
):
    page = browser_page
    browser_sign_in(page, portal_url, "annotator@acme.test")

    for preset, project_id in committed_presets["projects"].items():
        page.goto(portal_url("acme.localhost", f"/projects/{project_id}/work/"))
        assignment = wait_for_task(page, "")
        if preset == "rubric_rating":
            # A draft is saved on its own and comes back after a reload.
            page.keyboard.press("2")
            page.wait_for_selector("#wb-draft-status:has-text('Draft saved')", timeout=10000)
            page.reload()
            wait_for_task(page, "")
            assert page.is_checked("#wb-q-helpfulness input[value='2']")
            assert "draft restored" in page.inner_text("#wb-item-label")
            page.keyboard.press("k")  # back to the first question after the restore advanced
        if preset == "multimodal":  # a host outside IMAGE_SOURCES: a link, not an image the CSP refuses
            assert page.locator(".wb-image img").count() == 0
            assert "not among the portal's image sources" in page.inner_text(".wb-image figcaption")
        if preset == "agent_trajectory":  # a step's fields in the order a trace reads
            fields = page.evaluate(
                "Array.from(document.querySelector('.wb-step').querySelectorAll('dt'), t => t.textContent)"
            )
            assert fields == ["Thought", "Action"], fields
        actions = PRESET_KEYS[preset]
        for number, (action, argument) in enumerate(actions):
            if number == len(actions) - 1:
                if preset == "rewrite":  # the word diff against the original response
                    page.wait_for_selector("#wb-q-rewrite .wb-diff ins")
                    assert page.inner_text("#wb-q-rewrite .wb-diff ins").strip() == "How are you?"
                    assert "+3 / −0 words" in page.inner_text("#wb-q-rewrite .wb-diff-head")
                page.screenshot(path=f"/tmp/workbench-{preset}.png", full_page=True)
            if action == "press":
                page.keyboard.press(argument)
            elif action == "type":
                page.keyboard.type(argument)
            elif action == "next_task":
                assignment = wait_for_task(page, assignment)
            elif action == "unselect":
                page.evaluate("window.getSelection().removeAllRanges()")
            elif action == "select_past_end":
                select_past_end(page, *argument)
            else:
                select_text(page, *argument)
        page.wait_for_function(
            "() => document.getElementById('wb-done').dataset.count === '1'"
            " || document.querySelectorAll('.wb-qerrors li, #wb-errors li').length > 0"
        )
        errors = page.eval_on_selector_all(
            ".wb-qerrors li, #wb-errors li", "items => items.map(i => i.textContent)"
        )
        assert not errors, (preset, errors)
        page.wait_for_selector("#workbench[data-state=empty]")
    assert not page.js_errors, page.js_errors
    assert not page.failed_responses, page.failed_responses
    assert not page.console_errors, page.console_errors

    with django_db_blocker.unblock():
        connection.set_tenant(committed_presets["workspace"])
        annotations = {
            preset: list(
                Annotation.objects.filter(project_id=project_id).select_related("assignment", "item")
            )
            for preset, project_id in committed_presets["projects"].items()
        }
        skipped = list(
            Assignment.objects.filter(
                project_id=committed_presets["projects"]["multimodal"], status=Assignment.Status.SKIPPED
            ).values_list("item__external_id", "skip_reason")
        )
        connection.set_schema_to_public()
        connection.close()
    for preset, expected in EXPECTED.items():
        assert len(annotations[preset]) == 1, preset
        annotation = annotations[preset][0]
        if preset == "ranking":
            order = annotation.assignment.response_order  # display position -> stored index
            expected = {
                **expected,
                "ranking": [sorted(order[p] for p in group) for group in expected["ranking"]],
            }
        assert annotation.result == expected, preset
        assert annotation.time_spent_ms > 0, preset
    assert skipped == [("multimodal-1", "Cannot see images")]
    assert annotations["multimodal"][0].item.external_id == "multimodal-2"


def test_an_annotator_changes_a_submitted_answer_from_their_work_list(
    committed_project, portal_url, browser_page, django_db_blocker
):
    page = browser_page
    project_id = committed_project["project_id"]
    browser_sign_in(page, portal_url, "annotator@acme.test")
    page.goto(portal_url("acme.localhost", f"/projects/{project_id}/work/"))
    page.wait_for_selector("#workbench[data-state=gate]")
    page.keyboard.press("Enter")
    assignment = ""
    for number in range(2):
        assignment = wait_for_task(page, assignment)
        for key in ("1", "2", "1", "3", "3"):  # A, clearly better; helpfulness A, the rest tie
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#wb-done[data-count='{number + 1}']")
    third = wait_for_task(page, assignment)
    page.keyboard.press("2")  # a start on the third task, kept while away from it

    page.keyboard.press("h")
    page.wait_for_selector("#workbench[data-state=history]")
    rows = page.locator(".wb-history tbody tr")
    assert rows.count() == 2
    newest = rows.nth(0).get_attribute("data-annotation")
    assert page.evaluate("document.activeElement.textContent") == "Change"  # the newest, by keyboard
    page.screenshot(path="/tmp/workbench-history.png", full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workbench[data-state=task][data-editing='{newest}']")
    assert page.inner_text("#wb-item-label").startswith("Changing your answer to item ")
    # The answer as it was given, in the order it was shown: A, clearly better.
    assert page.is_checked("#wb-q-preference [data-row=choice] input[value=A]")
    assert page.is_checked("#wb-q-preference [data-row=strength] input[value='2']")
    assert not page.is_visible("#wb-skip")
    page.screenshot(path="/tmp/workbench-edit.png", full_page=True)
    page.keyboard.press("2")  # now B; every row is answered, so the overall row stays current
    page.keyboard.press("ArrowDown")
    page.keyboard.press("3")  # much better
    page.keyboard.press("Enter")
    page.wait_for_selector("#workbench[data-state=history]")
    assert "changed once" in page.inner_text(f".wb-history tr[data-annotation='{newest}']")

    page.keyboard.press("Escape")  # back to the task in hand, with its start kept
    assert wait_for_task(page, "") == third
    assert page.is_checked("#wb-q-preference [data-row=choice] input[value=B]")
    assert page.is_visible("#wb-skip")
    assert not page.js_errors, page.js_errors
    assert [f.split()[0] for f in page.failed_responses] == ["409"], page.failed_responses  # the gate

    with django_db_blocker.unblock():
        connection.set_tenant(committed_project["workspace"])
        annotation = Annotation.objects.select_related("assignment").get(pk=newest)
        revisions = list(annotation.revisions.values_list("result", flat=True))
        connection.set_schema_to_public()
        connection.close()
    shown = annotation.assignment.response_order
    assert annotation.result["preference"]["winner"] == shown[1]  # B as displayed
    assert annotation.result["preference"]["strength"] == 3
    assert [r["preference"]["winner"] for r in revisions] == [shown[0]]
