from django.db import connection

from portal.demo import demo_seed
from projects.models import GuidelineVersion, Item, Project
from tenants.models import Membership, User


def test_demo_seed_is_idempotent_and_complete(acme, globex):
    first = demo_seed()
    counts = (User.objects.count(), Membership.objects.count())
    second = demo_seed()
    assert first == second
    assert (User.objects.count(), Membership.objects.count()) == counts
    assert User.objects.get(email="admin@vendor.test").is_staff
    expert = User.objects.get(email="expert@vendor.test")
    assert {m.workspace.slug: m.role for m in expert.memberships.select_related("workspace")} == {
        "acme": "annotator",
        "globex": "auditor",
    }
    for tenant in (acme, globex):
        connection.set_tenant(tenant.workspace)
        project = Project.objects.get()
        assert project.status == "active"
        assert Item.objects.filter(project=project).count() == 40
        assert GuidelineVersion.objects.filter(project=project, status="published").count() == 1
