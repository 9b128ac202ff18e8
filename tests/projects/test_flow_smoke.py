from django.db import connection

from tenants.models import Role
from tests.projects.conftest import pairwise_result


def test_annotator_works_a_task_through_the_api(acme, project, published_guideline):
    annotator = acme.users[Role.ANNOTATOR]
    client = acme.client(annotator)
    refused = client.post(f"/api/v1/projects/{project.pk}/tasks/next/")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "guideline_ack_required"
    connection.set_schema_to_public()
    ack = client.post(f"/api/v1/projects/{project.pk}/guidelines/{published_guideline.number}/acknowledge/")
    assert ack.status_code == 200, ack.content
    connection.set_schema_to_public()
    task = client.post(f"/api/v1/projects/{project.pk}/tasks/next/").json()
    assert task["item"]["payload"]["prompt"].startswith("Question number")
    connection.set_schema_to_public()
    done = client.post(
        f"/api/v1/assignments/{task['assignment']['id']}/submit/",
        {"result": pairwise_result("A"), "time_spent_ms": 4200},
        content_type="application/json",
    )
    assert done.status_code == 201, done.content
