"""Staffing by fit: the hard requirements are never violated, the fit is ordered and explained,
and capacity holds when staffers confirm the same person at the same moment."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from portal.errors import ConflictError
from tests.workforce.conftest import make_expert
from workforce.models import AnnotatorProfile, Level, Proficiency
from workforce.ranking import candidates_ranked, overlap_hours
from workforce.requirements import requirements_clean

AREAS = ["medicine/cardiology", "medicine/oncology", "law/contracts", "software/python"]
LANGUAGES = ["en", "en-GB", "de", "fr"]
STATUSES = list(AnnotatorProfile.Status.values)


def _random_pool(rng: random.Random, count: int) -> list[AnnotatorProfile]:
    pool = []
    for _ in range(count):
        expertise = {}
        for area in rng.sample(AREAS, rng.randint(1, 3)):
            level = rng.choice([0, Level.GENERALIST, Level.PRACTITIONER, Level.CREDENTIALED_EXPERT])
            expertise[area] = (level, round(rng.uniform(0.4, 1.0), 2) if level else None)
        languages = {
            code: rng.choice(list(Proficiency.values)) for code in rng.sample(LANGUAGES, rng.randint(1, 2))
        }
        capacity = rng.choice([5, 10, 20, 40])
        pool.append(
            make_expert(
                status=rng.choice(STATUSES + [AnnotatorProfile.Status.ACTIVE] * 4),
                expertise=expertise,
                languages=languages,
                capacity=capacity,
                committed=rng.randint(0, capacity),
                zone=rng.choice(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]),
            )
        )
    return pool


def _meets(profile: AnnotatorProfile, requirements: dict) -> bool:
    """The hard requirements, written out plainly: the oracle the SQL must agree with."""
    if profile.status != AnnotatorProfile.Status.ACTIVE or not profile.user.is_active:
        return False
    if profile.free_hours < requirements["hours_per_week"]:
        return False
    vetted = {e.area.code: e for e in profile.expertise.all() if e.level is not None}
    minimum = requirements["min_qualification_score"]
    for wanted in requirements["expertise"]:
        found = vetted.get(wanted["area"])
        if found is None or found.level < wanted["min_level"]:
            return False
        if minimum is not None and (found.qualification_score is None or found.qualification_score < minimum):
            return False
    if minimum is not None and not requirements["expertise"]:
        scores = [e.qualification_score for e in vetted.values() if e.qualification_score is not None]
        if not scores or max(scores) < minimum:
            return False
    for wanted in requirements["languages"]:
        levels = [
            language.proficiency
            for language in profile.languages.all()
            if language.code == wanted["code"] or language.code.startswith(wanted["code"] + "-")
        ]
        if not levels or max(levels) < wanted["min_proficiency"]:
            return False
    return True


def _random_requirements(rng: random.Random) -> dict:
    return requirements_clean(
        {
            "expertise": [
                {"area": area, "min_level": rng.choice(list(Level.values))}
                for area in rng.sample(AREAS, rng.randint(0, 2))
            ],
            "languages": [
                {"code": code, "min_proficiency": rng.choice(list(Proficiency.values))}
                for code in rng.sample(["en", "de", "fr"], rng.randint(0, 2))
            ],
            "min_qualification_score": rng.choice([None, 0.5, 0.8]),
            "hours_per_week": rng.choice([2, 5, 10]),
            "timezone": rng.choice(["Europe/Berlin", "America/Los_Angeles"]),
        }
    )


def test_suggestions_are_exactly_the_people_who_meet_every_hard_requirement(db):
    rng = random.Random(20261123)
    pool = _random_pool(rng, 120)
    pool = list(
        AnnotatorProfile.objects.filter(pk__in=[p.pk for p in pool])
        .prefetch_related("expertise__area", "languages")
        .select_related("user")
    )
    sizes = []
    for _ in range(40):
        requirements = _random_requirements(rng)
        ranked = candidates_ranked(requirements=requirements, workspace_id=0, project_id=0)
        expected = {p.pk for p in pool if _meets(p, requirements)}
        assert {c.profile_id for c in ranked} == expected, requirements
        sizes.append(len(expected))
        fits = [c.fit for c in ranked]
        assert fits == sorted(fits, reverse=True)
        assert all(0 <= c.fit <= 100 and c.reasons() for c in ranked)
    assert max(sizes) >= 10 and min(sizes) == 0  # the draws cover wide and empty results


def test_the_fit_prefers_higher_levels_scores_and_free_hours(db):
    requirements = requirements_clean(
        {"expertise": ["medicine/cardiology"], "languages": ["en"], "timezone": "Europe/Berlin"}
    )
    strong = make_expert(expertise={"medicine/cardiology": (Level.CREDENTIALED_EXPERT, 0.98)}, capacity=40)
    middling = make_expert(expertise={"medicine/cardiology": (Level.PRACTITIONER, 0.85)}, capacity=40)
    far_and_busy = make_expert(
        expertise={"medicine/cardiology": (Level.PRACTITIONER, 0.85)},
        capacity=40,
        committed=28,
        zone="Asia/Tokyo",
    )
    ranked = candidates_ranked(requirements=requirements, workspace_id=0, project_id=0)
    assert [c.profile_id for c in ranked] == [strong.pk, middling.pk, far_and_busy.pk]
    top = ranked[0]
    assert top.parts["expertise"] == 1.0
    assert "medicine/cardiology: credentialed expert, test 98%" in top.reasons()
    assert "8 h overlap with the client's working day" in top.reasons()


def test_working_day_overlap_follows_the_offsets():
    winter = datetime(2026, 11, 23, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert overlap_hours("Europe/Berlin", "Europe/Paris", at=winter) == 8
    assert overlap_hours("Europe/Berlin", "America/New_York", at=winter) == 2  # UTC+1 vs UTC-5
    assert overlap_hours("Asia/Kolkata", "UTC", at=winter) == 2.5  # UTC+5:30
    assert overlap_hours("Asia/Tokyo", "America/Los_Angeles", at=summer) == 0
    assert overlap_hours("Pacific/Auckland", "Pacific/Honolulu", at=winter) == 7  # across the date line


@pytest.fixture
def contested_expert(django_db_blocker):
    """A committed expert with 20 h/week and eight workspace projects wanting 5 h each."""
    from projects.models import Project
    from projects.services.projects import project_create
    from tenants.models import AuditLog, Membership, Role, User, Workspace
    from workforce.models import Commitment

    with django_db_blocker.unblock():
        staff = User.objects.get(email="staff@vendor.test")
        expert = make_expert(capacity=20, email="contested@pool.test")
        targets = []
        for slug in ("acme", "globex"):
            workspace = Workspace.objects.get(slug=slug)
            manager = Membership.objects.get(workspace=workspace, role=Role.CLIENT_MANAGER).user
            connection.set_tenant(workspace)
            for n in range(4):
                project = project_create(
                    actor=manager,
                    workspace=workspace,
                    name=f"Contested {n}",
                    task_type="pairwise_preference",
                    requirements={"expertise": ["medicine/cardiology"], "hours_per_week": 5},
                )
                targets.append((workspace, project.pk))
            connection.set_schema_to_public()
        yield staff, expert, targets
        for workspace, project_id in targets:
            connection.set_tenant(workspace)
            Project.objects.filter(pk=project_id).delete()
            connection.set_schema_to_public()
        Commitment.objects.filter(profile=expert).delete()
        Membership.objects.filter(user=expert.user).delete()
        AuditLog.objects.filter(target="contested@pool.test").delete()
        AuditLog.objects.filter(
            action__startswith="project.", data__project_id__in=[p for _, p in targets]
        ).delete()
        expert.user.delete()


def test_capacity_holds_when_eight_staffers_confirm_at_once(contested_expert, django_db_blocker):
    from workforce.models import Commitment
    from workforce.services.staffing import staffing_confirm

    staff, expert, targets = contested_expert
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def confirm(workspace, project_id):
        try:
            with django_db_blocker.unblock():
                barrier.wait()
                staffing_confirm(
                    actor=staff,
                    workspace=workspace,
                    project_id=project_id,
                    profile_id=expert.pk,
                    role="annotator",
                )
            outcomes.append("staffed")
        except ConflictError as error:
            outcomes.append(error.code)
        except Exception as error:  # noqa: BLE001
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["not_a_candidate"] * 4 + ["staffed"] * 4
    with django_db_blocker.unblock():
        expert.refresh_from_db()
        assert expert.committed_hours == 20
        assert Commitment.objects.filter(profile=expert, ended_at=None).count() == 4


def test_quality_on_earlier_projects_feeds_the_fit(db, acme):
    from workforce.models import Commitment

    requirements = requirements_clean({"expertise": ["medicine/cardiology"]})
    careful, sloppy, unknown = (make_expert() for _ in range(3))
    for profile, score in ((careful, "0.95"), (sloppy, "0.40")):
        Commitment.objects.create(
            profile=profile,
            workspace=acme.workspace,
            project_id=999,
            project_name="Earlier work",
            role="annotator",
            hours_per_week=1,
            quality_score=score,
            ended_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    ranked = candidates_ranked(requirements=requirements, workspace_id=acme.workspace.pk, project_id=1)
    assert [c.profile_id for c in ranked] == [careful.pk, unknown.pk, sloppy.pk]
    assert "quality 95% on projects so far" in ranked[0].reasons()
    assert "quality" not in ranked[1].parts  # no record: neither helps nor hurts
