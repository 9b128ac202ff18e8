"""Reads of workspaces, people and memberships."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, QuerySet

from tenants.models import AuditLog, Membership, PersonalAccessToken, User, Workspace


def membership_for(*, user: User, workspace: Workspace) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, workspace=workspace).first()


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def workspace_members(*, workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__email")


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
