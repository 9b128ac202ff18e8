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
        assert Item.objects.filter(project=project, is_gold=False).count() == 40
        assert GuidelineVersion.objects.filter(project=project, status="published").count() == 1


def test_the_demo_has_work_to_review_and_a_trend(acme, globex):
    from reviews.models import AgreementSnapshot, Audit, GoldScore

    demo_seed()
    connection.set_tenant(acme.workspace)
    project = Project.objects.get()
    assert Item.objects.filter(project=project, is_gold=True).count() == 5
    assert project.annotations_count >= 40  # the careless annotator may be paused by gold early
    assert Audit.objects.filter(project=project, status="pending").count() >= 15  # new annotators
    assert GoldScore.objects.filter(project=project).exists() or project.gold_rate > 0
    trend = AgreementSnapshot.objects.filter(project=project, question_key="preference")
    assert trend.count() == 3
    assert len({snapshot.computed_at.date() for snapshot in trend}) == 3
    assert all(snapshot.alpha_low is not None for snapshot in trend)
