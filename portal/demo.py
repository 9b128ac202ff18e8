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
    for slug, spec in DEMO_PROJECTS.items():
        _demo_project(workspace_by_slug(slug), **spec)
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
        "staff": ["annotator@acme.test", "expert@vendor.test"],
    },
    "globex": {
        "name": "Support replies: rubric rating",
        "task_type": "rubric_rating",
        "overlap": 2,
        "staff": ["annotator@globex.test"],
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


def _demo_project(workspace, *, name: str, task_type: str, overlap: int, staff: list[str]) -> None:
    from projects.models import Project, Staffing
    from projects.services.guidelines import guideline_draft_save, guideline_publish
    from projects.services.imports import items_import
    from projects.services.projects import project_create, project_staff, project_transition

    connection.set_tenant(workspace)
    try:
        if Project.objects.filter(name=name).exists():
            return
        manager = Membership.objects.filter(workspace=workspace, role=Role.CLIENT_MANAGER).first().user
        project = project_create(
            actor=manager, workspace=workspace, name=name, task_type=task_type, overlap=overlap
        )
        items_import(project=project, records=_demo_items(task_type))
        for email in staff:
            user = User.objects.get(email=email)
            if not Staffing.objects.filter(project=project, user=user).exists():
                project_staff(
                    actor=manager, workspace=workspace, project=project, user_id=user.pk, role="annotator"
                )
        draft = guideline_draft_save(
            actor=manager, project=project, body=DEMO_GUIDELINE, changelog="First version"
        )
        guideline_publish(actor=manager, workspace=workspace, project=project, version_id=draft.pk)
        project_transition(actor=manager, workspace=workspace, project=project, status="active")
    finally:
        connection.set_schema_to_public()
