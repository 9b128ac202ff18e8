"""The demo data `make run` seeds: idempotent, safe to run on every start."""

from __future__ import annotations

from django.db import connection, transaction

from tenants.models import Membership, Role, User
from tenants.selectors import workspace_by_slug
from tenants.services.workspaces import workspace_provision, workspace_url

DEMO_PASSWORD = "demo-pass-2026"
VENDOR_ADMIN = "admin@vendor.test"
DEMO_WORKSPACES = {"acme": "Acme AI", "globex": "Globex Labs"}
ROLE_LOCAL_PARTS = {
    Role.CLIENT_MANAGER: "manager",
    Role.CLIENT_VIEWER: "viewer",
    Role.ANNOTATOR: "annotator",
    Role.AUDITOR: "auditor",
}


def _user(email: str, full_name: str, *, staff: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=full_name,
            is_staff=staff,
            is_superuser=staff,
        )
    return user


def demo_seed() -> list[tuple[str, str, str]]:
    """Create the demo if missing; returns (where, email, role) rows for the login table."""
    admin = _user(VENDOR_ADMIN, "Vera Vendor", staff=True)
    logins = [("vendor console", VENDOR_ADMIN, "vendor staff")]
    for slug, name in DEMO_WORKSPACES.items():
        workspace = workspace_by_slug(slug) or workspace_provision(actor=admin, slug=slug, name=name)
        with transaction.atomic():
            for role, local in ROLE_LOCAL_PARTS.items():
                email = f"{local}@{slug}.test"
                user = _user(email, f"{slug.title()} {local.title()}")
                Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": role})
                logins.append((workspace_url(workspace), email, role))
    # One expert works for both clients, in different roles.
    expert = _user("expert@vendor.test", "Eli Expert")
    for slug, role in (("acme", Role.ANNOTATOR), ("globex", Role.AUDITOR)):
        Membership.objects.get_or_create(
            user=expert, workspace=workspace_by_slug(slug), defaults={"role": role}
        )
    logins.append(("acme + globex", "expert@vendor.test", "annotator in acme, auditor in globex"))
    demo_pool()
    logins.append(("expert pool", DEMO_APPLICANT, "applicant: vet them in the console"))
    for slug, spec in DEMO_PROJECTS.items():
        _demo_project(workspace_by_slug(slug), **spec)
        _demo_staff(admin, workspace_by_slug(slug), spec)
        if spec.get("history"):
            _demo_history(workspace_by_slug(slug), spec)
    return logins


DEMO_TOPICS = [
    (
        "How do I reverse a list in Python?",
        "Use `items[::-1]` or `items.reverse()` for in place.",
        "Lists cannot be reversed in Python.",
    ),
    (
        "What causes the seasons on Earth?",
        "The tilt of Earth's axis relative to its orbit.",
        "The distance between Earth and the Sun.",
    ),
    (
        "Summarise the water cycle in one sentence.",
        "Water evaporates, condenses into clouds, falls as precipitation and flows back to the sea.",
        "Water is wet and it rains sometimes.",
    ),
    (
        "Is it safe to mix bleach and ammonia?",
        "No: it releases toxic chloramine gas. Never mix them.",
        "Yes, it makes a stronger cleaner.",
    ),
    ("Translate 'good morning' into German.", "Guten Morgen.", "Gute Nacht."),
]
DEMO_PROJECTS = {
    "acme": {
        "name": "Chatbot answers, side by side",
        "task_type": "pairwise_preference",
        "overlap": 3,
        "requirements": {
            "expertise": ["generalist"],
            "languages": [{"code": "en", "min_proficiency": "C1"}],
            "headcount": {"annotator": 6, "auditor": 2},
            "hours_per_week": 8,
            "timezone": "America/New_York",
        },
        "staff": {
            "annotator@acme.test": "annotator",
            "expert@vendor.test": "annotator",
            "auditor@acme.test": "auditor",
            "pool02@vendor.test": "annotator",
            "pool03@vendor.test": "annotator",
            "pool04@vendor.test": "annotator",
        },
        # Work already done by three pool annotators, so audits, agreement and its trend exist.
        "history": {"pool02@vendor.test": 0.9, "pool03@vendor.test": 0.85, "pool04@vendor.test": 0.6},
    },
    "globex": {
        "name": "Support replies: rubric rating",
        "task_type": "rubric_rating",
        "overlap": 2,
        "requirements": {
            "expertise": ["generalist"],
            "languages": ["en"],
            "headcount": {"annotator": 4, "auditor": 2},
            "hours_per_week": 5,
            "timezone": "Europe/London",
        },
        "staff": {
            "annotator@globex.test": "annotator",
            "expert@vendor.test": "auditor",
            "auditor@globex.test": "auditor",
        },
    },
}
DEMO_GUIDELINE = """# How to judge

1. Read the prompt, then both responses in full.
2. Prefer the response that is **correct**, then the one that is **helpful**, then **harmless**.
3. Choose a tie only when neither is meaningfully better.

Keys: `1`–`3` choose, `Enter` submits, `s` skips, `g` opens these guidelines.
"""


def _demo_items(task_type: str, count: int = 40) -> list[dict]:
    items = []
    for n in range(count):
        prompt, good, bad = DEMO_TOPICS[n % len(DEMO_TOPICS)]
        record = {"external_id": f"demo-{n:03d}", "prompt": prompt}
        if task_type == "pairwise_preference":
            record["responses"] = [good, bad] if n % 2 else [bad, good]
        else:
            record["response"] = good if n % 2 else bad
        items.append(record)
    return items


def _demo_project(
    workspace, *, name: str, task_type: str, overlap: int, requirements: dict, staff: dict, **_
) -> None:
    from projects.models import Project
    from projects.services.guidelines import guideline_draft_save, guideline_publish
    from projects.services.imports import items_import
    from projects.services.projects import project_create, project_transition

    connection.set_tenant(workspace)
    try:
        if Project.objects.filter(name=name).exists():
            return
        manager = Membership.objects.filter(workspace=workspace, role=Role.CLIENT_MANAGER).first().user
        project = project_create(
            actor=manager,
            workspace=workspace,
            name=name,
            task_type=task_type,
            overlap=overlap,
            requirements=requirements,
        )
        items_import(project=project, records=_demo_items(task_type))
        draft = guideline_draft_save(
            actor=manager, project=project, body=DEMO_GUIDELINE, changelog="First version"
        )
        guideline_publish(actor=manager, workspace=workspace, project=project, version_id=draft.pk)
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
    finally:
        connection.set_schema_to_public()


def _demo_staff(admin: User, workspace, spec: dict) -> None:
    """Staff the demo's people through the staffing engine, so capacity and history are real."""
    from projects.models import Project
    from workforce.models import Commitment
    from workforce.services.staffing import staffing_confirm

    connection.set_tenant(workspace)
    project_id = Project.objects.get(name=spec["name"]).pk
    connection.set_schema_to_public()
    for email, role in spec["staff"].items():
        user = User.objects.get(email=email)
        if not Commitment.objects.filter(
            profile__user=user, workspace=workspace, project_id=project_id
        ).exists():
            staffing_confirm(
                actor=admin,
                workspace=workspace,
                project_id=project_id,
                profile_id=user.annotator_profile.pk,
                role=role,
            )


DEMO_APPLICANT = "applicant@vendor.test"
# The vendor's pool: the demo's annotators and auditors, and more people to staff from.
DEMO_EXPERTS = {
    "expert@vendor.test": (
        "Eli Expert",
        "Europe/Berlin",
        {"generalist": 2, "medicine/cardiology": 3},
        {"en": 6, "de": 7},
    ),
    "annotator@acme.test": ("Acme Annotator", "America/New_York", {"generalist": 2}, {"en": 7}),
    "auditor@acme.test": (
        "Acme Auditor",
        "America/Chicago",
        {"generalist": 3, "software/python": 2},
        {"en": 7},
    ),
    "annotator@globex.test": ("Globex Annotator", "Europe/London", {"generalist": 2}, {"en": 7, "fr": 4}),
    "auditor@globex.test": ("Globex Auditor", "Europe/Dublin", {"generalist": 2}, {"en": 7}),
}
POOL_NAMES = [
    "Ada Okafor",
    "Bram de Vries",
    "Chiara Russo",
    "Dev Patel",
    "Elif Kaya",
    "Femi Adeyemi",
    "Greta Lund",
    "Hiro Tanaka",
    "Ines Duarte",
    "Jonas Weber",
    "Kavya Rao",
    "Luis Ortega",
    "Maya Cohen",
    "Nadia Haddad",
    "Oskar Nowak",
    "Priya Shah",
    "Quinn Murphy",
    "Rosa Lopez",
    "Sven Berg",
    "Tara Singh",
]
POOL_AREAS = [
    "medicine/cardiology",
    "law/contracts",
    "finance/compliance",
    "software/python",
    "science/chemistry",
]
POOL_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/Madrid",
    "America/Sao_Paulo",
    "Africa/Lagos",
]
# Qualification tests: (name, [(prompt, better response, worse response), ...]).
DEMO_TESTS = {
    "generalist": (
        "Generalist screening",
        [
            ("What causes the seasons on Earth?", "The tilt of Earth's axis.", "The distance to the Sun."),
            ("Is it safe to mix bleach and ammonia?", "No: it releases toxic gas.", "Yes, it cleans better."),
            ("Translate 'thank you' into Spanish.", "Gracias.", "Por favor."),
            ("What is 15% of 200?", "30.", "15."),
        ],
    ),
    "medicine/cardiology": (
        "Cardiology screening",
        [
            (
                "Chest pain on exertion, relieved by rest: first step?",
                "A stress test and an ECG.",
                "Antibiotics.",
            ),
            ("Which drug class lowers LDL cholesterol?", "Statins.", "Beta-lactams."),
            (
                "A resting heart rate of 45 in a trained athlete is...",
                "Often normal.",
                "Always an emergency.",
            ),
        ],
    ),
}
TEST_QUESTIONS = [
    {
        "key": "better",
        "kind": "pairwise",
        "prompt": "Which response is better?",
        "allow_tie": False,
        "strength": False,
    },
    {
        "key": "correct",
        "kind": "single_choice",
        "prompt": "Is the better response factually correct?",
        "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
    },
]


def demo_pool() -> None:
    """Profiles for the demo's vendor people and twenty more, an applicant, and screening tests."""
    from django.utils import timezone

    from workforce.models import (
        AnnotatorProfile,
        ExpertiseArea,
        ProfileExpertise,
        ProfileLanguage,
        QualificationTest,
    )
    from workforce.services.profiles import profile_apply
    from workforce.services.qualifications import test_definition_clean

    areas = {area.code: area for area in ExpertiseArea.objects.all()}
    for code, (name, cases) in DEMO_TESTS.items():
        if not QualificationTest.objects.filter(area=areas[code]).exists():
            gold = {"better": {"choice": "A"}, "correct": "yes"}
            questions, items = test_definition_clean(
                questions=TEST_QUESTIONS,
                items=[
                    {"payload": {"prompt": p, "responses": [good, bad]}, "gold": gold}
                    for p, good, bad in cases
                ],
            )
            QualificationTest.objects.create(
                area=areas[code],
                name=name,
                questions=questions,
                items=items,
                pass_mark="0.75",
                max_attempts=3,
                cooldown_hours=24,
                instructions="Pick the better response, then say whether it is correct.",
            )
    people = dict(DEMO_EXPERTS)
    for n, full_name in enumerate(POOL_NAMES):
        expertise = {"generalist": 1 + n % 3, POOL_AREAS[n % len(POOL_AREAS)]: 1 + (n * 7) % 3}
        languages = {"en": 4 + n % 4, ["de", "fr", "es", "hi"][n % 4]: 3 + n % 5}
        people[f"pool{n + 1:02d}@vendor.test"] = (
            full_name,
            POOL_ZONES[n % len(POOL_ZONES)],
            expertise,
            languages,
        )
    now = timezone.now()
    with transaction.atomic():
        for n, (email, (full_name, zone, expertise, languages)) in enumerate(people.items()):
            user = _user(email, full_name)
            if hasattr(user, "annotator_profile"):
                continue
            profile = AnnotatorProfile.objects.create(
                user=user,
                status=AnnotatorProfile.Status.ACTIVE,
                country="DE",
                timezone=zone,
                weekly_capacity_hours=20 + 5 * (n % 5),
            )
            for code, level in expertise.items():
                ProfileExpertise.objects.create(
                    profile=profile,
                    area=areas[code],
                    claimed_level=level,
                    level=level,
                    credential="Board-certified cardiologist" if level == 3 else "",
                    credential_verified_at=now if level == 3 else None,
                    qualification_score=f"{0.75 + (n % 6) * 0.04:.2f}",
                    vetted_at=now,
                )
            for code, proficiency in languages.items():
                ProfileLanguage.objects.create(profile=profile, code=code, proficiency=proficiency)
    if not User.objects.filter(email=DEMO_APPLICANT).exists():
        profile_apply(
            email=DEMO_APPLICANT,
            password=DEMO_PASSWORD,
            full_name="Avery Applicant",
            country="IE",
            timezone_name="Europe/Dublin",
            weekly_capacity_hours=15,
            languages=[{"code": "en", "proficiency": 7}],
            expertise=[{"area": "generalist", "level": 2}],
            summary="Five years of technical writing; I fact-check for a living.",
        )


DEMO_GOLD = 5
DEMO_HISTORY_ITEMS = 24


def _demo_history(workspace, spec: dict) -> None:
    """Past work on the project: gold items, three pool annotators of differing care answering the
    first items (their first annotations wait in the audit queue, disagreements in adjudication),
    and agreement measured after each third of it, a day apart, for the quality page's trend."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import Annotation, Project
    from projects.services.guidelines import guideline_acknowledge, guideline_current
    from projects.services.imports import items_import
    from projects.services.queue import AnnotatorPaused, assignment_submit, task_next
    from reviews.models import AgreementSnapshot
    from reviews.services.metrics import agreement_snapshot_take

    connection.set_tenant(workspace)
    try:
        project = Project.objects.get(name=spec["name"])
        if Annotation.objects.filter(project=project).exists():
            return
        items_import(
            project=project,
            records=[
                {
                    "external_id": f"gold-{n:02d}",
                    "prompt": DEMO_TOPICS[n][0],
                    "responses": [DEMO_TOPICS[n][1], DEMO_TOPICS[n][2]],
                    "is_gold": True,
                    "gold_answer": _demo_answer(0, tie_dimensions=True),
                }
                for n in range(DEMO_GOLD)
            ],
        )
        Project.objects.filter(pk=project.pk).update(gold_rate="0.1", audit_rate="0.2")
        project.refresh_from_db()
        version = guideline_current(project)
        rng = random.Random(2026)  # noqa: S311 (the demo is the same on every machine)
        people = [(User.objects.get(email=email), care) for email, care in spec["history"].items()]
        for person, _ in people:
            guideline_acknowledge(user=person, project=project, version_id=version.pk)
        start = timezone.now()
        for third in range(3):
            for _ in range(DEMO_HISTORY_ITEMS // 3):
                for person, care in people:
                    try:
                        task = task_next(project=project, annotator=person)
                    except AnnotatorPaused:  # gold caught the careless one out: they stop here
                        continue
                    if task is None:
                        continue
                    good = _demo_good_response(task.item)
                    chosen = good if rng.random() < care else 1 - good
                    order = task.assignment.response_order or [0, 1]
                    assignment_submit(
                        annotator=person,
                        assignment_id=task.assignment.pk,
                        result=_demo_answer(order.index(chosen), tie_dimensions=rng.random() < 0.5),
                        time_spent_ms=rng.randint(20_000, 90_000),
                    )
            taken = agreement_snapshot_take(project)
            AgreementSnapshot.objects.filter(pk__in=[s.pk for s in taken]).update(
                computed_at=start - timedelta(days=2 - third)
            )
    finally:
        connection.set_schema_to_public()


def _demo_good_response(item) -> int:
    """The canonical index of the better response of a demo item (see `_demo_items`)."""
    if item.is_gold:
        return 0
    return 1 if int(item.external_id.split("-")[1]) % 2 else 0


def _demo_answer(shown: int, *, tie_dimensions: bool) -> dict:
    """A pairwise answer preferring the response shown at `shown` (0: A, 1: B)."""
    side = "AB"[shown]
    other = "tie" if tie_dimensions else side
    return {
        "preference": {
            "choice": side,
            "strength": 2,
            "dimensions": {"helpfulness": side, "honesty": other, "harmlessness": "tie"},
        }
    }
