"""The demo data `make run` seeds: idempotent, safe to run on every start."""

from __future__ import annotations

from django.db import transaction

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
    return logins
