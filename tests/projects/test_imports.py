import gc
import json
import threading

import pytest
from django.db import connection

from portal.errors import DomainError
from projects.models import ImportJob, Item
from projects.services.imports import import_job_create, items_import
from projects.tasks import import_job_run
from tenants.models import Role, User
from tests.projects.conftest import pairwise_items, pairwise_result


def jsonl(records) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def test_jsonl_import_then_the_same_file_again_adds_nothing(acme, project):
    manager = acme.users[Role.CLIENT_MANAGER]
    content = jsonl(pairwise_items(20, start=100))
    job = import_job_create(actor=manager, project=project, filename="batch.jsonl", content=content)
    assert (job.status, job.created_count, job.duplicate_count) == ("succeeded", 20, 0)
    again = import_job_create(actor=manager, project=project, filename="batch.jsonl", content=content)
    assert (again.created_count, again.duplicate_count) == (0, 20)
    assert Item.objects.filter(project=project).count() == 25
    project.refresh_from_db()
    assert project.items_count == 25


def test_csv_import_with_json_cells(acme, project):
    content = (
        b"external_id,prompt,responses\n"
        b'c1,Hello?,"[""Hi there"", ""Go away""]"\n'
        b'c2,Bye?,"[""Goodbye"", ""See you""]"\n'
    )
    job = import_job_create(
        actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="x.csv", content=content
    )
    assert job.created_count == 2
    assert Item.objects.get(project=project, external_id="c1").payload["responses"] == ["Hi there", "Go away"]


def test_a_csv_cell_that_should_hold_json_is_named_by_its_column(acme, project):
    content = b"external_id,prompt,responses\nc1,Hello?,Hi there; Go away\n"
    with pytest.raises(DomainError) as error:
        import_job_create(
            actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="x.csv", content=content
        )
    assert error.value.fields == {"line 2.payload.responses": ["Not valid JSON: this column holds JSON."]}


def test_a_bad_row_rejects_the_whole_file_with_line_numbers(acme, project):
    records = pairwise_items(3, start=200)
    records[1]["responses"] = ["only one"]
    lines = [json.dumps(r) for r in records] + [
        "{not json",
        json.dumps({"prompt": "no id", "responses": ["a", "b"]}),
    ]
    with pytest.raises(DomainError) as error:
        import_job_create(
            actor=acme.users[Role.CLIENT_MANAGER],
            project=project,
            filename="bad.jsonl",
            content="\n".join(lines).encode(),
        )
    fields = error.value.fields
    assert error.value.code == "invalid_import"
    assert any(key.startswith("line 2.") and "responses" in key for key in fields), fields
    assert "line 4" in fields
    assert "line 5.external_id" in fields
    assert not Item.objects.filter(external_id__startswith="item-20").exists()
    job = ImportJob.objects.get(filename="bad.jsonl")
    assert (job.status, job.progress_percent) == ("failed", 0)
    assert gc.isenabled()  # paused while the file was parsed, back on after the failure
    connection.set_schema_to_public()
    page = (
        acme.client(acme.users[Role.CLIENT_MANAGER]).get(f"/projects/{project.pk}/import/").content.decode()
    )
    assert "Stopped: nothing was imported" in page
    assert "<progress" not in page  # no bar that reads as if most of the file went in


def test_duplicate_ids_inside_one_file_are_an_error(acme, project):
    records = pairwise_items(2, start=300)
    records[1]["external_id"] = records[0]["external_id"]
    with pytest.raises(DomainError) as error:
        items_import(project=project, records=records)
    assert error.value.fields == {"items[1].external_id": ["Duplicate of items[0] in this request."]}


def test_api_bulk_create_limits_and_reports(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    response = client.post(
        f"/api/v1/projects/{project.pk}/items/",
        {"items": pairwise_items(3, start=400)},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {"received": 3, "created": 3, "duplicates": 0}
    connection.set_schema_to_public()
    too_many = client.post(
        f"/api/v1/projects/{project.pk}/items/", {"items": [{}] * 10_001}, content_type="application/json"
    )
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "too_many_items"
    connection.set_tenant(acme.workspace)
    assert Item.objects.filter(project=project).count() == 8


def test_large_files_run_as_a_job_with_progress(
    acme, project, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    content = jsonl(pairwise_items(6000, start=1000))
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_create(
            actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="big.jsonl", content=content
        )
    assert job.status == "pending" and len(callbacks) == 1
    assert job.file.startswith("imports/ws_acme/")
    import_job_run(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_count, job.progress_percent) == (
        "succeeded",
        6000,
        6000,
        100,
    )
    assert gc.isenabled()
    import_job_run(job.pk)  # a second delivery changes nothing
    assert Item.objects.filter(project=project).count() == 6005
    # Nor does one already past the check above when the first finished (they ran at once).
    from projects.services.imports import import_job_run_now

    import_job_run_now(job=job, content=content)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.duplicate_count) == ("succeeded", 6000, 0)


def test_a_large_file_with_bare_carriage_returns_runs_as_a_job(acme, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = jsonl(pairwise_items(6000, start=1000)).replace(b"\n", b"\r")
    job = import_job_create(
        actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="big.jsonl", content=content
    )
    assert job.status == "pending"


def test_gold_items_need_a_valid_answer(acme, project):
    record = pairwise_items(1, start=500)[0] | {
        "is_gold": True,
        "gold_answer": {"preference": {"choice": "X"}},
    }
    with pytest.raises(DomainError) as error:
        items_import(project=project, records=[record])
    assert any(key.startswith("items[0].gold_answer") for key in error.value.fields)
    record["gold_answer"] = {
        "preference": {
            "choice": "A",
            "strength": 3,
            "dimensions": {"helpfulness": "A", "honesty": "A", "harmlessness": "A"},
        }
    }
    items_import(project=project, records=[record])
    item = Item.objects.get(external_id="item-500")
    assert item.is_gold and item.gold_answer["preference"]["winner"] == 0


def test_control_fields_of_the_wrong_type_are_named_not_coerced(acme, project):
    records = pairwise_items(5, start=600)
    records[0]["external_id"] = {"id": 1}
    records[1]["external_id"] = ["item-601"]
    records[2]["external_id"] = True
    records[3]["is_gold"] = "yes"
    records[4]["is_gold"] = [True]
    with pytest.raises(DomainError) as error:
        items_import(project=project, records=records)
    assert error.value.fields == {
        "items[0].external_id": ["A string or a whole number."],
        "items[1].external_id": ["A string or a whole number."],
        "items[2].external_id": ["A string or a whole number."],
        "items[3].is_gold": ["true or false."],
        "items[4].is_gold": ["true or false."],
    }
    assert not Item.objects.filter(project=project, external_id__startswith="item-6").exists()
    numbered = pairwise_items(2, start=700)
    numbered[0]["external_id"], numbered[1]["external_id"] = 0, 701
    numbered[1]["is_gold"] = False
    assert items_import(project=project, records=numbered).created == 2
    assert set(Item.objects.filter(external_id__in=["0", "701"]).values_list("is_gold", flat=True)) == {False}


def test_malformed_upload_is_a_clear_400(acme, project):
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"file": SimpleUploadedFile("x.jsonl", b"\xff\xfe garbage")},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_file"
    connection.set_schema_to_public()
    page = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert page.status_code == 400
    assert "neither JSONL nor CSV" in page.content.decode()


def test_text_with_escapes_and_separators_round_trips(acme, project):
    """Backslashes, tabs, line breaks, U+2028 and a literal "\\u0000" are stored as sent, and a
    JSONL line is split at line breaks only (U+2028 inside a string is not one)."""
    tricky = 'back\\slash\ttab\nnewline\r\u2028 sep, literal \\u0000 and "quotes"'
    record = {
        "external_id": "tricky\\id",
        "prompt": tricky,
        "responses": [tricky, "plain"],
    }
    job = import_job_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        project=project,
        filename="tricky.jsonl",
        content=json.dumps(record, ensure_ascii=False).encode(),
    )
    assert job.created_count == 1
    item = Item.objects.get(project=project, external_id="tricky\\id")
    assert item.payload == {"prompt": tricky, "responses": [tricky, "plain"]}


def test_a_nul_character_is_a_clear_error_not_a_failed_write(acme, project):
    records = pairwise_items(3, start=600)
    records[1]["prompt"] = "before\u0000after"
    records[2]["external_id"] = "id\u0000"
    with pytest.raises(DomainError) as error:
        import_job_create(
            actor=acme.users[Role.CLIENT_MANAGER],
            project=project,
            filename="nul.jsonl",
            content=jsonl(records),
        )
    assert error.value.fields == {
        "line 2.payload": ["Contains a NUL character (\\u0000), which cannot be stored."],
        "line 3.external_id": ["Contains a NUL character (\\u0000), which cannot be stored."],
    }
    assert not Item.objects.filter(external_id__startswith="item-60").exists()


def test_csv_with_long_cells_and_old_mac_line_endings_imports(acme, project):
    """A response longer than the csv module's default 128 KiB field limit, and a file whose lines
    end in a bare carriage return, are ordinary CSV: imported, not a server error."""
    long = "x" * 200_000
    content = (
        "external_id,prompt,responses\r"
        f'm1,Hello?,"[""{long}"", ""short""]"\r'
        'm2,"Two\rlines?","[""a"", ""b""]"\r'
    ).encode()
    job = import_job_create(
        actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="mac.csv", content=content
    )
    assert (job.status, job.created_count) == ("succeeded", 2)
    assert Item.objects.get(project=project, external_id="m1").payload["responses"] == [long, "short"]
    assert Item.objects.get(project=project, external_id="m2").payload["prompt"] == "Two\rlines?"


def test_a_csv_row_with_fewer_cells_than_the_header_is_named_not_a_server_error(acme, project):
    content = b'external_id,prompt,responses\nshort,Hello?\nfull,Hi,"[""a"", ""b""]"\n'
    client = acme.client(acme.users[Role.CLIENT_MANAGER])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/v1/projects/{project.pk}/imports/", {"file": SimpleUploadedFile("short.csv", content)}
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_import"
    assert body["fields"] == {"line 2.payload.responses": ["Empty: this column holds JSON."]}


def test_csv_gold_flags_as_spreadsheets_write_them(acme, project):
    """Spreadsheets export booleans as TRUE and FALSE: read like true and false."""
    answer = json.dumps(pairwise_result("A")).replace('"', '""')
    content = (
        "external_id,prompt,responses,is_gold,gold_answer\n"
        f'g1,Hello?,"[""a"", ""b""]",TRUE,"{answer}"\n'
        'p1,Hi?,"[""a"", ""b""]",FALSE,\n'
    ).encode()
    job = import_job_create(
        actor=acme.users[Role.CLIENT_MANAGER], project=project, filename="sheet.csv", content=content
    )
    assert (job.status, job.created_count) == ("succeeded", 2), job.errors
    flags = dict(Item.objects.filter(external_id__in=["g1", "p1"]).values_list("external_id", "is_gold"))
    assert flags == {"g1": True, "p1": False}


def test_an_import_into_a_project_deleted_meanwhile_writes_nothing(django_db_setup, django_db_blocker):
    """The import checks its project once for all rows instead of once per row: a project deleted
    while the import waits for it is found gone, and no item is left pointing at it."""
    from django.db import connections, transaction

    from portal.errors import NotFoundError
    from projects.services.projects import project_create
    from tenants.models import AuditLog, Workspace

    deleted, release = threading.Event(), threading.Event()

    def other_manager(workspace, project_id) -> None:
        with django_db_blocker.unblock():
            connection.set_tenant(workspace)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM projects_project WHERE id = %s", [project_id])
                deleted.set()
                release.wait(timeout=30)
            connections.close_all()

    with django_db_blocker.unblock():
        workspace = Workspace.objects.get(slug="acme")
        connection.set_tenant(workspace)
        project = project_create(
            actor=User.objects.get(email="manager@acme.test"),
            workspace=workspace,
            name="Deleted meanwhile",
            task_type="pairwise_preference",
        )
        holder = threading.Thread(target=other_manager, args=(workspace, project.pk))
        holder.start()
        assert deleted.wait(timeout=30)
        threading.Timer(0.5, release.set).start()
        try:
            with pytest.raises(NotFoundError):
                items_import(project=project, records=pairwise_items(3, start=800))
        finally:
            holder.join(timeout=30)
            orphans, _ = Item.objects.filter(project_id=project.pk).delete()
            connection.set_schema_to_public()
            AuditLog.objects.filter(workspace=workspace, data__project_id=project.pk).delete()
        assert orphans == 0


def _show_replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


def test_row_checks_are_back_on_after_an_import(acme, project):
    from django.db import IntegrityError, transaction

    items_import(project=project, records=pairwise_items(2, start=600))
    assert _show_replication_role() == "origin"
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "INSERT INTO projects_item (project_id, external_id, payload, is_gold, assigned_count, "
            "completed_count, is_open, created_at) VALUES (%s, 'orphan', '{}', false, 0, 0, true, now())",
            [project.pk + 10_000],
        )


def test_a_database_role_that_may_not_skip_row_checks_still_imports(acme, project):
    """A production role is often no superuser: the import keeps the per-row checks and works."""
    schema = connection.schema_name
    with connection.cursor() as cursor:  # all inside the test's transaction, rolled back after
        cursor.execute("CREATE ROLE portal_import_check NOLOGIN")
        cursor.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO portal_import_check')
        cursor.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO portal_import_check')
        cursor.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO portal_import_check')
        cursor.execute("SET LOCAL ROLE portal_import_check")
    result = items_import(project=project, records=pairwise_items(4, start=700))
    assert (result.created, _show_replication_role()) == (4, "origin")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert Item.objects.filter(project=project, external_id__startswith="item-70").count() == 4
