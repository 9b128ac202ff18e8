"""The fair queue: overlap, no repeats, leases, skips, idempotent submit, canonical order."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import Annotation, Assignment, Item, Project
from projects.services.guidelines import guideline_acknowledge
from projects.services.imports import items_import
from projects.services.projects import project_create, project_staff, project_transition
from projects.services.queue import (
    annotation_revise,
    assignment_skip,
    assignment_submit,
    leases_expire,
    task_next,
)
from tenants.models import Role
from tests.projects.conftest import pairwise_result


def test_overlap_is_never_exceeded_and_nobody_repeats(project, annotators):
    handed = []
    for _ in range(10):  # more asks than slots: 5 items x overlap 2 = 10 for 3 people
        for person in annotators:
            task = task_next(project=project, annotator=person)
            if task is None:
                continue
            handed.append((task.item.pk, person.pk))
            assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    assert len(handed) == 10
    assert len(set(handed)) == 10  # no (item, person) twice
    per_item = {}
    for item_id, _ in handed:
        per_item[item_id] = per_item.get(item_id, 0) + 1
    assert set(per_item.values()) == {2}
    assert task_next(project=project, annotator=annotators[0]) is None


def test_asking_again_returns_the_same_lease(project, annotators):
    first = task_next(project=project, annotator=annotators[0])
    again = task_next(project=project, annotator=annotators[0])
    assert again.assignment.pk == first.assignment.pk
    assert Assignment.objects.filter(annotator=annotators[0]).count() == 1


def test_oldest_items_first(project, annotators):
    task = task_next(project=project, annotator=annotators[0])
    assert task.item.external_id == "item-0"


def test_higher_cursor_does_not_hide_freed_slots(project, annotators):
    """Someone who passed an item still gets it when its slot comes back and nothing is ahead."""
    Project.objects.filter(pk=project.pk).update(overlap=1)
    project.refresh_from_db()
    me, other = annotators[0], annotators[1]
    other_task = task_next(project=project, annotator=other)  # other holds item-0
    for _ in range(4):  # I take item-1 .. item-4
        task = task_next(project=project, annotator=me)
        assignment_submit(annotator=me, assignment_id=task.assignment.pk, result=pairwise_result())
    assignment_skip(annotator=other, assignment_id=other_task.assignment.pk, reason="unsure")
    task = task_next(project=project, annotator=me)
    assert task.item.external_id == "item-0"


def test_expired_leases_return_their_slot(project, annotators):
    Project.objects.filter(pk=project.pk).update(overlap=1)
    project.refresh_from_db()
    task = task_next(project=project, annotator=annotators[0])
    item = Item.objects.get(pk=task.item.pk)
    assert (item.assigned_count, item.is_open) == (1, False)
    Assignment.objects.filter(pk=task.assignment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert leases_expire(project_id=project.pk) == 1
    item.refresh_from_db()
    assert (item.assigned_count, item.is_open) == (0, True)
    assert Assignment.objects.get(pk=task.assignment.pk).status == "expired"
    with pytest.raises(ConflictError) as error:
        assignment_submit(annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result())
    assert error.value.code == "lease_ended"
    # The slot goes to someone else; the first person never sees the item again.
    other = task_next(project=project, annotator=annotators[1])
    assert other.item.pk == item.pk


def test_a_lease_that_ran_out_is_not_handed_back(project, annotators):
    """Asking for work after a lease ran out (before beat reclaimed it) gives the next task, not
    the dead lease, whose submission would be refused with lease_ended again and again."""
    Project.objects.filter(pk=project.pk).update(overlap=1)
    project.refresh_from_db()
    person = annotators[0]
    first = task_next(project=project, annotator=person)
    Assignment.objects.filter(pk=first.assignment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    task = task_next(project=project, annotator=person)
    assert task.assignment.pk != first.assignment.pk
    assert task.item.external_id == "item-1"
    assert Assignment.objects.get(pk=first.assignment.pk).status == "expired"
    item = Item.objects.get(pk=first.item.pk)
    assert (item.assigned_count, item.is_open) == (0, True)
    assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    # The slot it freed goes to someone else.
    assert task_next(project=project, annotator=annotators[1]).item.pk == item.pk


def test_skip_needs_a_reason_and_frees_the_slot(project, annotators):
    task = task_next(project=project, annotator=annotators[0])
    with pytest.raises(DomainError) as error:
        assignment_skip(annotator=annotators[0], assignment_id=task.assignment.pk, reason=" ")
    assert error.value.fields == {"reason": ["This field is required."]}
    assignment_skip(annotator=annotators[0], assignment_id=task.assignment.pk, reason="Not my language")
    item = Item.objects.get(pk=task.item.pk)
    assert item.assigned_count == 0
    assert task_next(project=project, annotator=annotators[0]).item.pk != item.pk


def test_submitting_twice_yields_one_annotation(project, annotators):
    task = task_next(project=project, annotator=annotators[0])
    first = assignment_submit(
        annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result()
    )
    second = assignment_submit(
        annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result()
    )
    assert first.pk == second.pk
    assert Annotation.objects.filter(assignment=task.assignment).count() == 1
    assert Item.objects.get(pk=task.item.pk).completed_count == 1
    project.refresh_from_db()
    assert project.annotations_count == 1


def test_submitting_again_with_a_different_answer_is_refused(project, annotators):
    """A retry repeats the answer; a different one is a conflict, not silently dropped."""
    task = task_next(project=project, annotator=annotators[0])
    first = assignment_submit(
        annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result()
    )
    with pytest.raises(ConflictError) as error:
        assignment_submit(
            annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result("B")
        )
    assert error.value.code == "already_submitted"
    assert error.value.fields["annotation_id"] == [first.pk]
    assert Annotation.objects.get(pk=first.pk).result == first.result
    # After an edit, a late retry of the first submission still gets the annotation back.
    annotation_revise(annotator=annotators[0], annotation_id=first.pk, result=pairwise_result("B"))
    retried = assignment_submit(
        annotator=annotators[0], assignment_id=task.assignment.pk, result=pairwise_result()
    )
    assert retried.pk == first.pk
    assert retried.result == Annotation.objects.get(pk=first.pk).result != first.result
    # An answer that is not valid at all is still a 400, not a conflict.
    with pytest.raises(DomainError) as error:
        assignment_submit(
            annotator=annotators[0], assignment_id=task.assignment.pk, result={"preference": {"choice": "C"}}
        )
    assert not isinstance(error.value, ConflictError)


def test_invalid_result_writes_nothing(project, annotators):
    task = task_next(project=project, annotator=annotators[0])
    with pytest.raises(DomainError) as error:
        assignment_submit(
            annotator=annotators[0], assignment_id=task.assignment.pk, result={"preference": {"choice": "C"}}
        )
    assert error.value.code == "invalid_result"
    assert any(key.startswith("preference") for key in error.value.fields)
    assert not Annotation.objects.exists()
    assert Assignment.objects.get(pk=task.assignment.pk).status == "leased"


def test_responses_are_shown_in_a_recorded_order_and_stored_canonically(project, annotators):
    orders = set()
    for person in annotators:
        task = task_next(project=project, annotator=person)
        order = task.assignment.response_order
        assert sorted(order) == [0, 1]
        orders.add(tuple(order))
        annotation = assignment_submit(
            annotator=person, assignment_id=task.assignment.pk, result=pairwise_result("A")
        )
        # "A" is the response shown first, i.e. canonical index order[0].
        assert annotation.result["preference"]["winner"] == order[0]


def test_only_staffed_annotators_of_active_projects(acme, project, annotators):

    with pytest.raises(NotFoundError):
        task_next(project=project, annotator=acme.users[Role.AUDITOR])
    project_transition(
        actor=acme.users[Role.CLIENT_MANAGER], workspace=acme.workspace, project=project, status="paused"
    )
    project.refresh_from_db()
    with pytest.raises(ConflictError) as error:
        task_next(project=project, annotator=annotators[0])
    assert error.value.code == "project_not_active"
    assert error.value.fields == {"status": ["paused"]}
    assert "paused" in error.value.message
    # Someone not on the project learns nothing of its state: the same 404 as when it was active.
    from tenants.models import Membership, User

    outsider = User.objects.create_user(email="not-on-it@acme.test", password="x-Pass-1234")
    Membership.objects.create(user=outsider, workspace=acme.workspace, role=Role.ANNOTATOR)
    with pytest.raises(NotFoundError):
        task_next(project=project, annotator=outsider)
    connection.set_schema_to_public()
    response = acme.client(outsider).post(f"/api/v1/projects/{project.pk}/tasks/next/")
    assert response.status_code == 404


def test_guideline_gate_and_stamping(project, annotators, published_guideline):
    person = annotators[0]
    with pytest.raises(ConflictError) as error:
        task_next(project=project, annotator=person)
    assert error.value.code == "guideline_ack_required"
    guideline_acknowledge(user=person, project=project, version_id=published_guideline.pk)
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result()
    )
    assert annotation.guideline_version_id == published_guideline.pk


def test_editing_keeps_revisions(project, annotators):
    person = annotators[0]
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result("A")
    )
    before = annotation.result
    revised = annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result("B"))
    assert revised.result != before
    assert [r.result for r in revised.revisions.all()] == [before]
    Project.objects.filter(pk=project.pk).update(allow_edits=False)
    with pytest.raises(ConflictError):
        annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result("A"))


def test_the_managers_annotation_page_shows_the_result_and_its_revisions_in_words_and_json(
    acme, project, annotators
):
    person = annotators[0]
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result("A")
    )
    annotation_revise(annotator=person, annotation_id=annotation.pk, result=pairwise_result("B"))
    connection.set_schema_to_public()
    page = acme.client(acme.users[Role.CLIENT_MANAGER]).get(
        f"/projects/{project.pk}/annotations/{annotation.pk}/"
    )
    text = page.content.decode()
    assert page.status_code == 200
    item_link = (
        f'<a href="/projects/{project.pk}/items/{annotation.item_id}/">{annotation.item.external_id}</a>'
    )
    assert item_link in text and " · Submitted" in text  # the status in words, not its code
    # A tie is null, as in the API and the exports; Python's None and quotes never show.
    assert text.count("&quot;honesty&quot;: null") == 2  # the result and its one earlier revision
    assert "None" not in text and "&#x27;preference&#x27;" not in text
    # And in words, lettered as imported: the annotator's B (then their A) under the letter of
    # that response in the item.
    shown = task.assignment.response_order
    now, before = (
        text.index(f"<div>{'AB'[shown[1]]} is better (clearly better)</div>"),
        text.index(f"<div>{'AB'[shown[0]]} is better (clearly better)</div>"),
    )
    assert now < text.index("Earlier revisions") < before
    # The order the annotator saw, in the same letters.
    assert f"responses shown in the order {', '.join('AB'[index] for index in shown)}" in text


def test_the_annotation_page_speaks_of_response_order_only_where_responses_are_shuffled(acme, annotators):
    """A rubric rating has one response, shown as imported: its annotation page says nothing of
    the order responses were shown in, nor how they are lettered."""
    manager, person = acme.users[Role.CLIENT_MANAGER], annotators[0]
    connection.set_tenant(acme.workspace)
    project = project_create(
        actor=manager, workspace=acme.workspace, name="Rubric", task_type="rubric_rating"
    )
    items_import(
        project=project, records=[{"external_id": "r1", "prompt": "Explain TCP", "response": "A stream."}]
    )
    project_staff(
        actor=manager, workspace=acme.workspace, project=project, user_id=person.pk, role="annotator"
    )
    project = project_transition(actor=manager, workspace=acme.workspace, project=project, status="active")
    task = task_next(project=project, annotator=person)
    result = {question["key"]: 4 for question in project.questions if question["kind"] == "rating"}
    annotation = assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=result)
    connection.set_schema_to_public()
    page = acme.client(manager).get(f"/projects/{project.pk}/annotations/{annotation.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "4 — " in text  # the answer, in words
    assert "responses shown" not in text and "lettered" not in text


def test_next_task_and_submit_query_counts_stay_flat(
    acme, project, annotators, django_assert_max_num_queries
):
    """The same number of queries with 5 items and with 2,005."""
    from projects.services.imports import items_import
    from tests.projects.conftest import pairwise_items

    client = acme.client(annotators[0])

    def one_round():
        connection.set_schema_to_public()
        task = client.post(f"/api/v1/projects/{project.pk}/tasks/next/").json()
        connection.set_schema_to_public()
        response = client.post(
            f"/api/v1/assignments/{task['assignment']['id']}/submit/",
            {"result": pairwise_result()},
            content_type="application/json",
        )
        assert response.status_code == 201

    def count(fn):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            fn()
        # django-tenants re-issues SET search_path before each query; count the real ones.
        return sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET search_path"))

    one_round()  # warm the host-routing cache
    small = count(one_round)
    connection.set_tenant(acme.workspace)
    for start in range(5, 2005, 1000):
        items_import(project=project, records=pairwise_items(1000, start=start))
    large = count(one_round)
    assert small == large
    assert large <= 21  # next-task, submit, and the quality intake (count, policy, audit sample)


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.parametrize("pick", ["production", "gold"])
def test_a_new_projects_first_pick_reads_none_of_the_older_projects_items(acme, in_acme, project, pick):
    """An annotator's first item of a new project (queue cursor 0), and a gold pick, read that
    project's items only, however many older projects' items come before them."""
    from projects.services.imports import items_import
    from projects.services.queue import _GOLD_PICK, _PICK
    from tests.projects.conftest import pairwise_items

    manager = acme.users[Role.CLIENT_MANAGER]
    older = project_create(
        actor=manager, workspace=acme.workspace, name="Older", task_type="pairwise_preference"
    )
    items_import(project=older, records=pairwise_items(5_000))
    newer = project_create(
        actor=manager, workspace=acme.workspace, name="Newer", task_type="pairwise_preference"
    )
    items_import(project=newer, records=pairwise_items(20))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_item")
        params = {"project": newer.pk, "overlap": 3, "cursor": 0, "user": 0, "staffing": 0}
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + (_PICK if pick == "production" else _GOLD_PICK), params
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    item_scans = [
        node
        for node in _plan_nodes(plan)
        if node.get("Relation Name") == "projects_item" and "Scan" in node["Node Type"]
    ]
    read = sum(node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0) for node in item_scans)
    assert read <= 2, [
        (node["Node Type"], node.get("Index Name"), node.get("Rows Removed by Filter")) for node in item_scans
    ]


@pytest.fixture
def committed_project(django_db_setup, django_db_blocker):
    """An active pairwise project, overlap 3, 30 items and 12 annotators, committed for threads."""
    from projects.services.imports import items_import
    from projects.services.projects import project_create, project_staff
    from tenants.models import AuditLog, Membership, Role, User, Workspace
    from tests.projects.conftest import pairwise_items

    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
        people = []
        for n in range(12):
            user = User.objects.create_user(email=f"crowd{n}@concurrency.test", password="x-Pass-1234")
            Membership.objects.create(user=user, workspace=workspace, role=Role.ANNOTATOR)
            people.append(user)
        connection.set_tenant(workspace)
        project = project_create(
            actor=manager, workspace=workspace, name="Concurrency", overlap=3, task_type="pairwise_preference"
        )
        items_import(project=project, records=pairwise_items(30))
        for user in people:
            project_staff(
                actor=manager, workspace=workspace, project=project, user_id=user.pk, role="annotator"
            )
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
        project.refresh_from_db()
        connection.set_schema_to_public()
        yield workspace, project, people
        connection.set_tenant(workspace)
        Project.objects.filter(pk=project.pk).delete()
        connection.set_schema_to_public()
        AuditLog.objects.filter(workspace=workspace, data__project_id=project.pk).delete()
        Membership.objects.filter(user__email__endswith="@concurrency.test").delete()
        # Users are referenced from workspace schemas too, so the ORM cannot cascade from public.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tenants_user WHERE email LIKE %s", ["%@concurrency.test"])


def test_concurrent_pulls_never_over_assign(committed_project, django_db_blocker):
    workspace, project, people = committed_project
    barrier = threading.Barrier(len(people))
    failures = []

    def work(person):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(workspace)
                barrier.wait()
                while True:
                    task = task_next(project=project, annotator=person)
                    if task is None:
                        break
                    assignment_submit(
                        annotator=person, assignment_id=task.assignment.pk, result=pairwise_result()
                    )
        except Exception as error:  # noqa: BLE001
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM projects_annotation WHERE project_id = %s", [project.pk])
            assert cursor.fetchone()[0] == 90  # 30 items x overlap 3
            cursor.execute(
                "SELECT count(*) FROM (SELECT item_id FROM projects_annotation WHERE project_id = %s "
                "GROUP BY item_id HAVING count(*) > 3) over",
                [project.pk],
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "SELECT count(*) FROM (SELECT item_id, annotator_id FROM projects_assignment "
                "WHERE project_id = %s GROUP BY 1, 2 HAVING count(*) > 1) twice",
                [project.pk],
            )
            assert cursor.fetchone()[0] == 0
        connection.set_schema_to_public()


def test_lowering_the_overlap_closes_items_already_full(acme, project, annotators):
    from projects.services.projects import project_update

    for person in annotators[:2]:
        task = task_next(project=project, annotator=person)
        assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    project = project_update(
        actor=acme.users["client_manager"], workspace=acme.workspace, project=project, overlap=1
    )
    task = task_next(project=project, annotator=annotators[2])
    assert task.item.external_id == "item-1"  # both took item-0, which is full at overlap 1
    assert not Item.objects.get(external_id="item-0").is_open


def test_a_freed_slot_reopens_an_item_only_when_short_of_a_lowered_overlap(acme, project, annotators):
    """Two hold item-0 at overlap 2; lowered to 1, the first skip leaves it full, not open."""
    from projects.services.projects import project_update

    held = [task_next(project=project, annotator=person) for person in annotators[:2]]
    assert {task.item.external_id for task in held} == {"item-0"}
    project = project_update(
        actor=acme.users["client_manager"], workspace=acme.workspace, project=project, overlap=1
    )
    assignment_skip(annotator=annotators[0], assignment_id=held[0].assignment.pk, reason="Not my field")
    item = Item.objects.get(external_id="item-0")
    assert (item.assigned_count, item.is_open) == (1, False)
    Assignment.objects.filter(pk=held[1].assignment.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    leases_expire(project_id=project.pk)
    item.refresh_from_db()
    assert (item.assigned_count, item.is_open) == (0, True)


def test_the_last_free_slot_is_waited_for_not_skipped(committed_project, django_db_blocker):
    """When the only item with a free slot is locked for a moment (another annotator's submission
    in flight), the next-task request waits for it instead of answering that nothing is left."""
    workspace, project, people = committed_project
    locked, release = threading.Event(), threading.Event()

    def submission_in_flight(item_id: int) -> None:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT id FROM projects_item WHERE id = %s FOR UPDATE", [item_id])
                locked.set()
                release.wait(timeout=30)
            connections.close_all()

    with django_db_blocker.unblock():
        connection.set_tenant(workspace)
        last = Item.objects.filter(project=project).order_by("-id").first()
        Item.objects.filter(project=project).exclude(pk=last.pk).update(assigned_count=3, is_open=False)
        holder = threading.Thread(target=submission_in_flight, args=(last.pk,))
        holder.start()
        assert locked.wait(timeout=30)
        threading.Timer(0.5, release.set).start()
        task = task_next(project=project, annotator=people[0])
        holder.join(timeout=30)
        assert task is not None and task.item.pk == last.pk


def test_changing_the_overlap_leaves_gold_items_out_of_the_open_queue(acme, project, annotators):
    from projects.services.imports import items_import
    from projects.services.projects import project_update
    from tests.projects.conftest import pairwise_items

    gold = {**pairwise_items(1, start=100)[0], "is_gold": True, "gold_answer": pairwise_result()}
    items_import(project=project, records=[gold])
    project = project_update(
        actor=acme.users["client_manager"], workspace=acme.workspace, project=project, overlap=3
    )
    assert not Item.objects.get(external_id="item-100").is_open
    assert project.gold_rate == 0
    handed = set()
    for person in annotators:
        while (task := task_next(project=project, annotator=person)) is not None:
            handed.add(task.item.external_id)
            assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    assert "item-100" not in handed  # the gold rate is 0: no gold item is served
    assert len(handed) == 5


def test_text_the_database_cannot_store_is_a_400_not_a_server_error(acme, project, annotators):
    """A NUL character in a result, a draft, a skip reason or a guideline is refused naming the
    field; PostgreSQL stores none in text or jsonb."""
    client = acme.client(annotators[0])
    connection.set_schema_to_public()
    task = client.post(f"/api/v1/projects/{project.pk}/tasks/next/").json()
    assignment_id = task["assignment"]["id"]
    connection.set_schema_to_public()
    submitted = client.post(
        f"/api/v1/assignments/{assignment_id}/submit/",
        {"result": {**pairwise_result(), "rationale": "see \x00 here"}},
        content_type="application/json",
    )
    assert submitted.status_code == 400
    assert submitted.json()["code"] == "invalid_result"
    assert set(submitted.json()["fields"]) == {"rationale"}
    connection.set_schema_to_public()
    drafted = client.put(
        f"/api/v1/assignments/{assignment_id}/draft/",
        {"draft": {"rationale": "see \x00 here"}},
        content_type="application/json",
    )
    assert drafted.status_code == 400
    assert set(drafted.json()["fields"]) == {"draft"}
    connection.set_schema_to_public()
    skipped = client.post(
        f"/api/v1/assignments/{assignment_id}/skip/", {"reason": "odd \x00"}, content_type="application/json"
    )
    assert skipped.status_code == 400
    assert set(skipped.json()["fields"]) == {"reason"}
    connection.set_schema_to_public()
    saved = acme.client(acme.users[Role.CLIENT_MANAGER]).post(
        f"/api/v1/projects/{project.pk}/guidelines/",
        {"body": "Rules \x00", "changelog": "first"},
        content_type="application/json",
    )
    assert saved.status_code == 400
    assert set(saved.json()["fields"]) == {"body"}
    connection.set_tenant(acme.workspace)
    assert Assignment.objects.get(pk=assignment_id).status == "leased"
    # The six characters \\u0000 are ordinary text.
    connection.set_schema_to_public()
    drafted = client.put(
        f"/api/v1/assignments/{assignment_id}/draft/",
        {"draft": {"rationale": "see \\u0000 here"}},
        content_type="application/json",
    )
    assert drafted.status_code == 204


def test_a_null_skip_reason_is_refused_naming_it(acme, project, annotators):
    task = task_next(project=project, annotator=annotators[0])
    connection.set_schema_to_public()
    response = acme.client(annotators[0]).post(
        f"/api/v1/assignments/{task.assignment.pk}/skip/", {"reason": None}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"reason": ["A string, not null."]}
    connection.set_tenant(acme.workspace)
    assert Assignment.objects.get(pk=task.assignment.pk).status == "leased"


def test_time_spent_over_many_edits_stays_within_range(project, annotators):
    from projects.services.queue import MAX_TIME_SPENT_MS, MAX_TOTAL_TIME_MS

    person = annotators[0]
    task = task_next(project=project, annotator=person)
    annotation = assignment_submit(
        annotator=person,
        assignment_id=task.assignment.pk,
        result=pairwise_result(),
        time_spent_ms=MAX_TIME_SPENT_MS,
    )
    for choice in "BA" * 13:  # 27 days reported in all
        annotation_revise(
            annotator=person,
            annotation_id=annotation.pk,
            result=pairwise_result(choice),
            time_spent_ms=MAX_TIME_SPENT_MS,
        )
    assert Annotation.objects.get(pk=annotation.pk).time_spent_ms == MAX_TOTAL_TIME_MS


def test_staffing_one_person_twice_at_once_is_a_conflict_not_a_server_error(
    committed_project, django_db_blocker
):
    """Another manager's insert of the same staffing is in flight when the check runs: the check
    does not see it, and the unique constraint turns the second insert into already_staffed."""
    from projects.models import Staffing
    from projects.services.projects import project_staff
    from tenants.models import Membership

    workspace, project, people = committed_project
    person = people[0]
    inserted, release = threading.Event(), threading.Event()

    def other_manager() -> None:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            with transaction.atomic():
                Staffing.objects.create(project_id=project.pk, user_id=person.pk, role="annotator")
                inserted.set()
                release.wait(timeout=30)
            connections.close_all()

    with django_db_blocker.unblock():
        manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
        connection.set_tenant(workspace)
        Staffing.objects.filter(project=project, user=person).update(removed_at=timezone.now())
        holder = threading.Thread(target=other_manager)
        holder.start()
        assert inserted.wait(timeout=30)
        threading.Timer(0.5, release.set).start()
        with pytest.raises(ConflictError) as error:
            project_staff(
                actor=manager, workspace=workspace, project=project, user_id=person.pk, role="annotator"
            )
        holder.join(timeout=30)
        assert error.value.code == "already_staffed"
        assert Staffing.objects.filter(project=project, user=person, removed_at__isnull=True).count() == 1
        connection.set_schema_to_public()


@pytest.mark.parametrize("status", ["completed", "archived"])
def test_work_leased_before_the_project_closed_cannot_be_submitted_after(acme, project, annotators, status):
    """A completed or archived project takes no more annotations, as it takes no more edits: a
    lease held from before is refused, and nothing is counted."""
    manager, person = acme.users[Role.CLIENT_MANAGER], annotators[0]
    done = task_next(project=project, annotator=annotators[1])
    assignment_submit(annotator=annotators[1], assignment_id=done.assignment.pk, result=pairwise_result())
    task = task_next(project=project, annotator=person)
    project_transition(actor=manager, workspace=acme.workspace, project=project, status="completed")
    if status == "archived":
        project_transition(actor=manager, workspace=acme.workspace, project=project, status="archived")
    with pytest.raises(ConflictError) as error:
        assignment_submit(annotator=person, assignment_id=task.assignment.pk, result=pairwise_result())
    assert error.value.code == "project_closed"
    assert not Annotation.objects.filter(assignment_id=task.assignment.pk).exists()
    project.refresh_from_db()
    assert project.annotations_count == 1
    assert Item.objects.get(pk=task.item.pk).completed_count == (1 if task.item.pk == done.item.pk else 0)
    # A retry of work submitted before the project closed still returns its annotation.
    again = assignment_submit(
        annotator=annotators[1], assignment_id=done.assignment.pk, result=pairwise_result()
    )
    assert again.assignment_id == done.assignment.pk


def test_a_lease_lost_to_work_already_finished_picks_again(project, annotators):
    """The lease insert meets the annotator's own row for the item, made and finished by another
    request of theirs between the pick and the insert: the hand-out picks again instead of failing.
    A trigger plays the other request, once, inside the insert."""
    person = annotators[0]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION finished_first() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status = 'leased' AND NOT EXISTS (
                    SELECT 1 FROM projects_assignment WHERE annotator_id = NEW.annotator_id
                ) THEN
                    INSERT INTO projects_assignment (project_id, item_id, annotator_id, status,
                        response_order, leased_at, expires_at, finished_at, skip_reason)
                    VALUES (NEW.project_id, NEW.item_id, NEW.annotator_id, 'skipped', NULL,
                        NEW.leased_at, NEW.expires_at, NEW.leased_at, 'elsewhere');
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER finished_first BEFORE INSERT ON projects_assignment
                FOR EACH ROW EXECUTE FUNCTION finished_first();
            """
        )
    task = task_next(project=project, annotator=person)
    first = Assignment.objects.get(annotator=person, status=Assignment.Status.SKIPPED)
    assert task is not None and task.item.pk != first.item_id
    assert Assignment.objects.get(pk=task.assignment.pk).status == Assignment.Status.LEASED
