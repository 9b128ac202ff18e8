"""Reads of workspaces, people and memberships."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db.models import Count, QuerySet

from tenants.models import VENDOR_ROLES, AuditLog, Membership, PersonalAccessToken, User, Workspace


def pseudonym(*, workspace_id: int, user_id: int) -> str:
    """How a client sees a vendor person: stable within one workspace, unlinkable across them."""
    message = f"{workspace_id}:{user_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"Expert {digest[:6].upper()}"


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def workspace_members(*, workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__email")


def member_row(*, membership: Membership, workspace: Workspace, viewer: User) -> dict:
    """One member as `viewer` may see them: the client's own people by name, the vendor's people
    (annotators, auditors) under a pseudonym and, unless the viewer is vendor staff, nothing else."""
    is_vendor = membership.role in VENDOR_ROLES
    hidden = is_vendor and not viewer.is_staff
    return {
        "id": membership.pk,
        "email": None if hidden else membership.user.email,
        "full_name": None if hidden else membership.user.full_name,
        "pseudonym": pseudonym(workspace_id=workspace.pk, user_id=membership.user_id) if is_vendor else None,
        "role": membership.role,
        "role_label": membership.get_role_display(),
        "joined_at": membership.created_at,
    }


def workspace_people(*, workspace: Workspace, viewer: User) -> dict[str, list[dict]]:
    """A workspace's members as `viewer` may see them (`member_row`), the client's and the vendor's."""
    people: dict[str, list[dict]] = {"client": [], "vendor": []}
    for membership in workspace_members(workspace=workspace):
        row = member_row(membership=membership, workspace=workspace, viewer=viewer)
        people["vendor" if membership.role in VENDOR_ROLES else "client"].append(row)
    return people


def workspace_list() -> QuerySet[Workspace]:
    return (
        Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .prefetch_related("domains")
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )


def workspace_by_slug(slug: str) -> Workspace | None:
    return Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).filter(slug=slug).first()


def user_list() -> QuerySet[User]:
    return User.objects.annotate(workspace_count=Count("memberships")).order_by("email")


def tokens_of_user(*, user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at")


def audit_log_recent(*, limit: int = 50) -> QuerySet[AuditLog]:
    return AuditLog.objects.select_related("actor", "workspace").order_by("-created_at")[:limit]
