import re

import pytest
from django.db import connection

from portal.errors import ConflictError, DomainError
from projects.models import Project
from projects.services.projects import project_create, project_staff, project_transition, project_update
from tenants.models import Role


def test_create_from_preset_with_settings(in_acme):
    acme = in_acme
    project = project_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        name="Ranks",
        task_type="ranking",
        overlap=3,
        requirements={"languages": ["de"]},
    )
    assert project.status == "draft" and project.overlap == 3
    assert project.item_fields == {"prompt": "text", "responses": "responses"}
    assert project.questions[0]["kind"] == "ranking"


def test_invalid_settings_name_every_field(in_acme):
    acme = in_acme
    with pytest.raises(DomainError) as error:
        project_create(
            actor=acme.users[Role.CLIENT_MANAGER],
            workspace=acme.workspace,
            name="",
            task_type="ranking",
            overlap=11,
            gold_rate=2,
            lease_seconds=5,
        )
    assert set(error.value.fields) == {"name", "overlap", "gold_rate", "lease_seconds"}
    with pytest.raises(DomainError) as error:
        project_create(
            actor=acme.users[Role.CLIENT_MANAGER], workspace=acme.workspace, name="x", task_type="nope"
        )
    assert error.value.code == "unknown_task_type"


def test_questions_must_fit_the_item_fields(in_acme):
    acme = in_acme
    questions = [
        {
            "key": "spans",
            "kind": "spans",
            "prompt": "Mark",
            "field": "article",
            "labels": [{"value": "x", "label": "X"}],
        }
    ]
    with pytest.raises(DomainError) as error:
        project_create(
            actor=acme.users[Role.CLIENT_MANAGER],
            workspace=acme.workspace,
            name="x",
            task_type="classification",
            questions=questions,
        )
    assert error.value.fields == {"questions[0].field": ["the items have no text field 'article'"]}


def test_lifecycle_allows_only_sensible_transitions(in_acme):
    acme = in_acme
    manager = acme.users[Role.CLIENT_MANAGER]
    project = project_create(actor=manager, workspace=acme.workspace, name="Life", task_type="classification")
    with pytest.raises(ConflictError):
        project_transition(actor=manager, workspace=acme.workspace, project=project, status="completed")
    for status in ("active", "paused", "active", "completed", "archived"):
        project = project_transition(actor=manager, workspace=acme.workspace, project=project, status=status)
    with pytest.raises(ConflictError):
        project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    with pytest.raises(ConflictError):
        project_update(actor=manager, workspace=acme.workspace, project=project, name="New")


def test_an_invalid_transition_reads_as_english(in_acme):
    acme = in_acme
    manager = acme.users[Role.CLIENT_MANAGER]
    project = project_create(actor=manager, workspace=acme.workspace, name="Life", task_type="classification")
    with pytest.raises(ConflictError) as error:
        project_transition(actor=manager, workspace=acme.workspace, project=project, status="completed")
    assert error.value.message.startswith("A draft project cannot become completed")
    project = project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    with pytest.raises(ConflictError) as error:
        project_transition(actor=manager, workspace=acme.workspace, project=project, status="draft")
    assert error.value.message == "An active project cannot become draft (allowed: completed, paused)."


def test_project_api_create_and_errors(acme):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    bad = client.post(
        "/api/v1/projects/",
        {"name": "x", "task_type": "pairwise_preference", "overlap": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {
        "overlap": ["Overlap is a whole number of annotations per item, 1 to 10."]
    }
    connection.set_schema_to_public()
    good = client.post(
        "/api/v1/projects/",
        {"name": "API project", "task_type": "pairwise_preference", "overlap": 3},
        content_type="application/json",
    )
    assert good.status_code == 201
    connection.set_tenant(acme.workspace)
    assert Project.objects.get(pk=good.json()["id"]).overlap == 3


@pytest.mark.parametrize("rate", ["NaN", "sNaN", "Infinity", "-inf"])
def test_a_rate_that_is_not_a_number_is_a_400_naming_it(acme, project, rate):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"gold_rate": rate, "audit_rate": rate},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_project"
    assert set(response.json()["fields"]) == {"gold_rate", "audit_rate"}


def test_a_rate_with_more_decimal_places_than_stored_is_a_400_not_rounded(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    created = client.post(
        "/api/v1/projects/",
        {"name": "Rates", "task_type": "pairwise_preference", "gold_rate": 0.12345, "audit_rate": "0.0001"},
        content_type="application/json",
    )
    assert created.status_code == 400, created.content[:300]
    assert created.json()["code"] == "invalid_project"
    assert created.json()["fields"] == {
        "gold_rate": ["A rate is a fraction from 0 to 1 with at most 3 decimal places."],
        "audit_rate": ["A rate is a fraction from 0 to 1 with at most 3 decimal places."],
    }
    connection.set_schema_to_public()
    edited = client.patch(
        f"/api/v1/projects/{project.pk}/", {"audit_rate": 0.1239}, content_type="application/json"
    )
    assert edited.status_code == 400, edited.content[:300]
    assert edited.json()["fields"] == {
        "audit_rate": ["A rate is a fraction from 0 to 1 with at most 3 decimal places."]
    }
    connection.set_schema_to_public()
    exact = client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"gold_rate": 0.125, "audit_rate": "0.2500"},
        content_type="application/json",
    )
    assert exact.status_code == 200, exact.content[:300]
    connection.set_tenant(acme.workspace)
    assert not Project.objects.filter(name="Rates").exists()
    project.refresh_from_db()
    assert (str(project.gold_rate), str(project.audit_rate)) == ("0.125", "0.250")


def test_requirements_that_are_not_an_object_are_a_400_not_the_defaults(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    for value in ([], False, "", 0, "abc", ["de"], None):
        connection.set_schema_to_public()
        created = client.post(
            "/api/v1/projects/",
            {"name": "Needs", "task_type": "pairwise_preference", "requirements": value},
            content_type="application/json",
        )
        assert created.status_code == 400, (value, created.content[:300])
        assert list(created.json()["fields"]) == ["requirements"], value
        connection.set_schema_to_public()
        edited = client.patch(
            f"/api/v1/projects/{project.pk}/", {"requirements": value}, content_type="application/json"
        )
        assert edited.status_code == 400, (value, edited.content[:300])
        assert list(edited.json()["fields"]) == ["requirements"], value
    connection.set_tenant(acme.workspace)
    assert not Project.objects.filter(name="Needs").exists()


def test_a_project_name_or_description_that_is_a_number_is_refused_not_stored_as_text(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    created = client.post(
        "/api/v1/projects/",
        {"name": 123, "task_type": "pairwise_preference", "description": 4.5},
        content_type="application/json",
    )
    assert created.status_code == 400, created.content[:300]
    assert created.json()["code"] == "invalid_project"  # as for a bad value, per docs/api.md
    assert created.json()["fields"] == {
        "name": ["A string, not a number."],
        "description": ["A string, not a number."],
    }
    connection.set_schema_to_public()
    edited = client.patch(f"/api/v1/projects/{project.pk}/", {"name": 123}, content_type="application/json")
    assert edited.status_code == 400, edited.content[:300]
    assert edited.json()["fields"] == {"name": ["A string, not a number."]}
    connection.set_tenant(acme.workspace)
    assert not Project.objects.filter(name="123").exists()
    project.refresh_from_db()
    assert project.name == "Chatbot preferences"


def test_questions_that_are_not_a_list_say_so(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    for value, message in (
        ({"key": "a"}, "must be a list of questions"),
        ("abc", "must be a list of questions"),
        ([], "needs at least 1 question"),
    ):
        connection.set_schema_to_public()
        created = client.post(
            "/api/v1/projects/",
            {"name": "Asks", "task_type": "pairwise_preference", "questions": value},
            content_type="application/json",
        )
        assert created.status_code == 400, created.content[:300]
        assert created.json()["fields"] == {"questions": [message]}, value
        connection.set_schema_to_public()
        edited = client.patch(
            f"/api/v1/projects/{project.pk}/", {"questions": value}, content_type="application/json"
        )
        assert edited.json()["fields"] == {"questions": [message]}, value


def test_annotators_see_only_their_projects(acme, project, annotators):
    from projects.models import Staffing

    Staffing.objects.filter(user=annotators[0]).delete()
    client = acme.client(annotators[0])
    assert client.get("/api/v1/projects/").json() == {"results": []}
    connection.set_schema_to_public()
    assert client.get(f"/api/v1/projects/{project.pk}/").status_code == 404
    connection.set_schema_to_public()
    staffed = acme.client(annotators[1]).get("/api/v1/projects/").json()["results"]
    assert [p["id"] for p in staffed] == [project.pk]


def test_dashboard_and_pages_render(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    for path in (
        "/projects/",
        "/projects/new/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/items/",
        f"/projects/{project.pk}/settings/",
        f"/projects/{project.pk}/import/",
        f"/projects/{project.pk}/team/",
        f"/projects/{project.pk}/guidelines/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        connection.set_schema_to_public()
    dashboard = client.get(f"/projects/{project.pk}/").content.decode()
    assert "0</strong> of 5 items done" in dashboard
    assert "gold item" not in dashboard
    assert "Task type Pairwise preference" in dashboard  # its name, not its key


def test_the_dashboard_accounts_for_the_gold_items_the_list_counts(acme, project):
    from projects.services.imports import items_import
    from tests.projects.conftest import pairwise_items, pairwise_result

    connection.set_tenant(acme.workspace)
    gold = [
        record | {"is_gold": True, "gold_answer": pairwise_result("A")}
        for record in pairwise_items(2, start=900)
    ]
    items_import(project=project, records=gold)
    connection.set_schema_to_public()
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    listing = client.get("/projects/").content.decode()
    assert "<td>Pairwise preference</td>" in listing and "<td>7</td>" in listing  # 5 + 2 gold
    connection.set_schema_to_public()
    dashboard = client.get(f"/projects/{project.pk}/").content.decode()
    assert "of 5 items done" in dashboard
    assert "Besides these, 2 gold items with known answers are mixed into the queue" in dashboard


def test_a_body_that_is_not_an_object_is_a_400(acme, project, annotators):
    from projects.services.queue import task_next

    connection.set_tenant(acme.workspace)
    assignment = task_next(project=project, annotator=annotators[0]).assignment
    calls = [
        (acme.users[Role.CLIENT_MANAGER], "post", f"/api/v1/projects/{project.pk}/calibration/start/"),
        (acme.users[Role.CLIENT_MANAGER], "post", f"/api/v1/projects/{project.pk}/items/"),
        (acme.users[Role.CLIENT_MANAGER], "post", f"/api/v1/projects/{project.pk}/guidelines/"),
        (acme.users[Role.CLIENT_MANAGER], "post", f"/api/v1/projects/{project.pk}/status/"),
        (annotators[0], "post", f"/api/v1/assignments/{assignment.pk}/skip/"),
        (annotators[0], "put", f"/api/v1/assignments/{assignment.pk}/draft/"),
        (annotators[0], "post", f"/api/v1/assignments/{assignment.pk}/submit/"),
    ]
    for user, method, url in calls:
        for body in ([{"external_id": "x"}], '"active"'):  # a string is sent as it is
            connection.set_schema_to_public()
            response = getattr(acme.client(user), method)(url, body, content_type="application/json")
            assert response.status_code == 400, (url, body, response.status_code)
            assert response.json()["code"] == "parse_error"
            sent = "an array" if isinstance(body, list) else "a string"
            assert response.json()["message"] == f"The request body must be a JSON object, not {sent}."
    connection.set_tenant(acme.workspace)
    project.refresh_from_db()
    assert project.status == "active" and not project.guidelines.exists()


def test_questions_box_is_empty_for_the_preset_and_indented_to_edit(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    new = client.get("/projects/new/")
    assert 'id="id_questions">\n</textarea>' in new.content.decode()  # not "null"
    connection.set_schema_to_public()
    settings = client.get(f"/projects/{project.pk}/settings/").content.decode()
    assert "[\n  {\n    &quot;key&quot;: &quot;preference&quot;," in settings
    connection.set_schema_to_public()
    # Saved as shown, the indented questions are the same questions.
    connection.set_tenant(acme.workspace)
    questions = Project.objects.get(pk=project.pk).questions
    connection.set_schema_to_public()
    form = client.get(f"/projects/{project.pk}/settings/").context["form"]
    connection.set_schema_to_public()
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(questions=form["questions"].field.prepare_value(questions), allow_edits="on", name="Renamed")
    assert client.post(f"/projects/{project.pk}/settings/", data).status_code == 302
    connection.set_tenant(acme.workspace)
    project.refresh_from_db()
    assert project.name == "Renamed" and project.questions == questions


def test_a_form_encoded_create_takes_the_same_defaults_as_json(acme):
    """A form body leaves out what it does not send, as JSON does: allow_edits stays on."""
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    made = client.post("/api/v1/projects/", {"name": "Form project", "task_type": "pairwise_preference"})
    assert made.status_code == 201, made.content
    assert made.json()["allow_edits"] is True
    connection.set_schema_to_public()
    turned_off = client.post(
        "/api/v1/projects/", {"name": "No edits", "task_type": "pairwise_preference", "allow_edits": "false"}
    )
    assert turned_off.json()["allow_edits"] is False


def test_the_dashboards_annotation_count_leaves_gold_answers_out(acme, project, annotators):
    """ "N of M annotations" counts the work towards M (production items times the overlap):
    answers to gold items, which are checks and not part of M, do not fill it up."""
    from projects.selectors import project_progress
    from projects.services.imports import items_import
    from projects.services.queue import assignment_submit, task_next
    from tests.projects.conftest import pairwise_items, pairwise_result

    connection.set_tenant(acme.workspace)
    gold = [
        record | {"is_gold": True, "gold_answer": pairwise_result("A")}
        for record in pairwise_items(2, start=900)
    ]
    items_import(project=project, records=gold)
    Project.objects.filter(pk=project.pk).update(gold_rate=1)
    project.refresh_from_db()
    for person in annotators[:2]:
        task = task_next(project=project, annotator=person)
        assert task.item.is_gold
        assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    Project.objects.filter(pk=project.pk).update(gold_rate=0)
    project.refresh_from_db()
    task = task_next(project=project, annotator=annotators[0])
    assignment_submit(annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result())
    project.refresh_from_db()
    progress = project_progress(project)
    assert (progress["annotations"], progress["annotations_needed"]) == (1, 10)
    connection.set_schema_to_public()
    dashboard = acme.client(acme.users[Role.CLIENT_MANAGER]).get(f"/projects/{project.pk}/").content.decode()
    assert "1 of 10 annotations" in dashboard


def test_the_project_menu_offers_what_each_role_may_open(acme, project, annotators):
    """Each link in the project menu opens for whoever is shown it; the team page is the readers'."""
    team = f"/projects/{project.pk}/team/"
    for role, offered in ((Role.CLIENT_MANAGER, True), (Role.CLIENT_VIEWER, True), (Role.ANNOTATOR, False)):
        connection.set_schema_to_public()
        client = acme.client(acme.users[role])  # the annotator is staffed on the project
        menu = (
            client.get(f"/projects/{project.pk}/guidelines/").content.decode().split('class="row subnav"')[1]
        )
        assert (team in menu.split("</p>")[0]) is offered, role
        connection.set_schema_to_public()
        assert client.get(team).status_code == (200 if offered else 404), role


def test_the_dashboard_names_each_lifecycle_step_as_a_verb(acme, project):
    """The project is active: it can be paused or completed; paused, resumed."""
    manager = acme.users[Role.CLIENT_MANAGER]
    client = acme.client(manager)

    def buttons() -> list[str]:
        connection.set_schema_to_public()
        page = client.get(f"/projects/{project.pk}/").content.decode()
        return [
            part.split("</button>")[0] for part in page.split('<button type="submit" class="secondary">')[1:]
        ]

    assert buttons() == ["Complete", "Pause"]
    connection.set_tenant(acme.workspace)
    project_transition(actor=manager, workspace=acme.workspace, project=project, status="paused")
    assert buttons() == ["Resume", "Complete"]


def test_questions_are_locked_once_annotations_exist_even_rejected_ones(acme, project, annotators):
    from projects.models import Annotation
    from projects.services.queue import assignment_submit, task_next
    from reviews.services.audits import annotation_reject
    from tests.projects.conftest import pairwise_result

    manager = acme.users[Role.CLIENT_MANAGER]
    changed = [
        {**project.questions[0], "prompt": "Which answer is better, all told?"},
        *project.questions[1:],
    ]
    task = task_next(project=project, annotator=annotators[0])
    annotation = assignment_submit(
        annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result()
    )
    for _ in range(2):  # with the annotation counting, then rejected by review
        with pytest.raises(ConflictError) as error:
            project_update(actor=manager, workspace=acme.workspace, project=project, questions=changed)
        assert error.value.code == "questions_locked"
        annotation_reject(annotation=Annotation.objects.get(pk=annotation.pk))
        project.refresh_from_db()
    assert project.annotations_count == 0


def test_the_project_form_shows_a_bad_requirement_on_the_field_that_holds_it(acme):
    """A typo in Expertise or Languages is reported under that box, naming the entry as typed,
    not at the top of the form as the API's path (requirements.expertise[0].min_level)."""
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    form = client.get("/projects/new/").context["form"]
    connection.set_schema_to_public()
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        name="Typos",
        task_type="ranking",
        expertise="generalist, nonsense/area:guru",
        languages="en:Z9, english",
        timezone="UTC",
    )
    response = client.post("/projects/new/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "__all__" not in errors
    assert errors["expertise"] == [
        "nonsense/area:guru: the level must be one of: generalist, practitioner, credentialed_expert",
        "nonsense/area:guru: 'nonsense/area' is not in the expertise taxonomy",
    ]
    assert errors["languages"] == [
        "en:Z9: the minimum must be one of: a1, a2, b1, b2, c1, c2, native",
        "english: not a language tag such as de or en-GB",
    ]
    assert "requirements." not in response.content.decode()
    assert 'value="generalist, nonsense/area:guru"' in response.content.decode()  # kept to correct


def test_every_link_in_the_project_menu_opens_for_whoever_is_shown_it(acme, project, annotators):
    """Annotators and auditors reach a project's guideline page too: its menu offers them only
    pages they may open, not the readers' dashboard and item browser (a 404 for them)."""
    manager = acme.users[Role.CLIENT_MANAGER]
    connection.set_tenant(acme.workspace)
    project_staff(
        actor=manager,
        workspace=acme.workspace,
        project=project,
        user_id=acme.users[Role.AUDITOR].pk,
        role="auditor",
    )
    for role in (Role.CLIENT_MANAGER, Role.CLIENT_VIEWER, Role.ANNOTATOR, Role.AUDITOR):
        connection.set_schema_to_public()
        client = acme.client(acme.users[role])
        page = client.get(f"/projects/{project.pk}/guidelines/")
        assert page.status_code == 200, role
        menu = page.content.decode().split('class="row subnav"')[1].split("</p>")[0]
        links = re.findall(r'href="([^"]+)"', menu)
        assert f"/projects/{project.pk}/guidelines/" in links, role
        for link in links:
            connection.set_schema_to_public()
            assert client.get(link).status_code == 200, (role, link)


def test_the_item_browser_counts_matches_and_pages_both_ways(acme, project, monkeypatch):
    from projects.services.imports import items_import
    from projects.views import ItemBrowserView
    from tests.projects.conftest import pairwise_items

    monkeypatch.setattr(ItemBrowserView, "PAGE", 2)
    items_import(project=project, records=pairwise_items(2, start=100))  # 7 pending items in all
    client = acme.client(acme.users[Role.CLIENT_MANAGER])

    def page(query: str) -> tuple[list[str], dict[str, str], str]:
        html = client.get(f"/projects/{project.pk}/items/?{query}").content.decode()
        connection.set_tenant(acme.workspace)
        links = {
            label: href.replace("&amp;", "&")
            for href, label in re.findall(r'<a href="\?([^"]+)">(Previous page|Next page)</a>', html)
        }
        return re.findall(r'/items/\d+/">([^<]+)</a>', html), links, html

    shown, links, html = page("status=pending")
    assert shown == ["item-0", "item-1"] and "7 items match; showing 2." in html
    assert set(links) == {"Next page"}
    assert links["Next page"].startswith("status=pending&guideline_version=&needs_rereview=&after=")
    second, links, _ = page(links["Next page"])
    assert second == ["item-2", "item-3"] and set(links) == {"Previous page", "Next page"}
    assert page(links["Previous page"])[0] == shown
    third, links, _ = page(links["Next page"])
    assert third == ["item-4", "item-100"]
    fourth, links, html = page(links["Next page"])
    assert fourth == ["item-101"] and set(links) == {"Previous page"} and "showing 1." in html
    assert page(links["Previous page"])[0] == third
    assert "0 items match." in page("status=done")[2]
