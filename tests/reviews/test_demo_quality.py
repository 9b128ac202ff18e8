"""Quality control on the demo data, the way people use it: an auditor works the blind audit
queue and fails an annotation, whose item goes back for rework; a semantic guideline change
calls the annotators to calibration; the quality page shows agreement with intervals and its
trend."""

from __future__ import annotations

import re

from django.db import connection

from portal.demo import demo_seed
from projects.models import Annotation, Item, Project
from reviews.models import Audit
from tenants.models import Role, User


def test_the_demo_project_through_audit_rework_calibration_and_quality(acme, globex):
    demo_seed()
    connection.set_tenant(acme.workspace)
    project = Project.objects.get()
    connection.set_schema_to_public()
    auditor = acme.client(acme.users[Role.AUDITOR])

    home = auditor.get("/reviews/").content.decode()
    assert project.name in home
    connection.set_schema_to_public()
    claimed = auditor.post(f"/projects/{project.pk}/audits/next/")
    audit_id = int(re.search(r"/audits/(\d+)/", claimed["Location"]).group(1))
    connection.set_schema_to_public()
    page = auditor.get(f"/audits/{audit_id}/").content.decode()
    connection.set_tenant(acme.workspace)
    audit = Audit.objects.select_related("annotation").get(pk=audit_id)
    maker = User.objects.get(pk=audit.annotation.annotator_id)
    assert maker.email not in page and maker.full_name not in page  # blind
    connection.set_schema_to_public()
    verdict = auditor.post(
        f"/audits/{audit_id}/",
        {"verdict": "fail", "error_categories": ["wrong_preference"], "comment": "The other one is right."},
    )
    assert verdict.status_code == 302
    connection.set_tenant(acme.workspace)
    rejected = Annotation.objects.get(pk=audit.annotation_id)
    assert rejected.status == "rejected"
    assert Item.objects.get(pk=rejected.item_id).is_open  # back in the queue for a replacement
    connection.set_schema_to_public()

    manager = acme.client(acme.users[Role.CLIENT_MANAGER])
    published = manager.post(
        f"/projects/{project.pk}/guidelines/",
        {
            "body": "# How to judge\nCorrectness first, always.",
            "changelog": "Correctness first",
            "kind": "semantic",
            "action": "publish",
        },
    )
    assert published.status_code == 302
    connection.set_schema_to_public()
    annotator = acme.client(acme.users[Role.ANNOTATOR])  # staffed on the demo project, no history
    acknowledged = annotator.post(f"/api/v1/projects/{project.pk}/guidelines/2/acknowledge/")
    assert acknowledged.status_code in (200, 201, 204)
    connection.set_schema_to_public()
    refused = annotator.post(f"/api/v1/projects/{project.pk}/tasks/next/")
    assert (refused.status_code, refused.json()["code"]) == (409, "calibration_required")
    connection.set_schema_to_public()

    quality = manager.get(f"/projects/{project.pk}/quality/").content.decode()
    assert "Krippendorff" in quality
    row = re.search(
        r"Krippendorff&#x27;s alpha</th><td class=\"numeric\">(-?[\d.]+)</td>"
        r"<td class=\"interval\">\[(-?[\d.]+), (-?[\d.]+)\]</td>",
        quality,
    )
    assert row is not None, "the latest alpha with its interval"
    low, high = float(row.group(2)), float(row.group(3))
    assert low <= high
    assert quality.count('class="chart-point"') == 3  # three measurements, a day apart: the trend
