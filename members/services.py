"""Invitations: invite by email, accept with a token, expire."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from members.models import Invitation
from portal.errors import ConflictError, DomainError, NotFoundError
from portal.tasks import task_enqueue_on_commit
from tenants.models import VENDOR_ROLES, Membership, Role, User, Workspace
from tenants.services.audit import audit_record
from tenants.services.memberships import membership_add, vendor_roles_check


def invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _current_workspace() -> Workspace:
    workspace = getattr(connection, "tenant", None)
    if not isinstance(workspace, Workspace) or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("Invitations live in a workspace schema; select one first.")
    return workspace


def invitation_email_validate(email: str, *, field: str = "email") -> str:
    """The address to invite, lowercased: an email address that fits the invitation's column."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            f"'{email}' is not an email address.",
            code="invalid_email",
            fields={field: ["Enter a valid email address."]},
        ) from None
    limit = Invitation._meta.get_field("email").max_length
    if len(email) > limit:
        raise DomainError(
            "The email address is too long.",
            code="invalid_email",
            fields={field: [f"At most {limit} characters."]},
        )
    return email


@transaction.atomic
def invitation_create(
    *, actor: User | None, workspace: Workspace, email: str, role: str
) -> tuple[Invitation, str]:
    """Invite `email` to the current workspace; the email is sent by a worker after commit."""
    from members.tasks import invitation_send

    assert _current_workspace().pk == workspace.pk
    email = invitation_email_validate(email)
    if role not in Role.values:
        raise DomainError(
            f"'{role}' is not a role.",
            code="invalid_role",
            fields={"role": [f"Choose one of: {', '.join(Role.values)}."]},
        )
    vendor_roles_check(actor=actor, roles={role})
    # Invitations of the workspace one at a time: a second invitation of an address sent at once
    # waits for the first, then replaces it. FOR NO KEY UPDATE of the workspace row, so that
    # accepting an invitation (a membership row referencing the workspace) is not held up.
    Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).first()
    if Membership.objects.filter(workspace=workspace, user__email=email).exists():
        raise ConflictError(
            f"{email} is already a member.",
            code="already_member",
            fields={"email": ["Already a member of this workspace."]},
        )
    now = timezone.now()
    # A new invitation replaces any open one for the same address.
    Invitation.objects.filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        digest=invitation_digest(token),
        invited_by=actor,
        expires_at=now + settings.INVITATION_TTL,
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        workspace=workspace,
        target=email,
        data={"role": role, "invitation_id": invitation.pk},
    )
    task_enqueue_on_commit(invitation_send, invitation.pk, token)
    return invitation, token


def invitation_by_token(token: str) -> Invitation | None:
    """An invitation of the current workspace that can still be accepted."""
    invitation = Invitation.objects.filter(digest=invitation_digest(token or "")).first()
    if invitation is None or not invitation.is_open:
        return None
    return invitation


def invitation_needs_password(invitation: Invitation) -> bool:
    return not User.objects.filter(email=invitation.email).exists()


@transaction.atomic
def invitation_accept(
    *, token: str, password: str | None = None, full_name: str = "", user: User | None = None
) -> User:
    """Accept an invitation: create the user if new (with a password), then the membership.

    An existing user must be signed in as the invited address to accept.
    """
    workspace = _current_workspace()
    invitation = Invitation.objects.select_for_update().filter(digest=invitation_digest(token or "")).first()
    if invitation is None or not invitation.is_open:
        raise NotFoundError("This invitation is invalid, used or expired.", code="invitation_invalid")
    existing = User.objects.filter(email=invitation.email).first()
    if existing is None:
        if not password:
            raise DomainError("Choose a password.", fields={"password": ["This field is required."]})
        candidate = User(email=invitation.email, full_name=full_name.strip())
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            raise DomainError(
                "The password is too weak.",
                code="weak_password",
                fields={"password": list(error.messages)},
            ) from None
        existing = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name.strip()
        )
    elif user is None or user.pk != existing.pk:
        raise DomainError(
            f"Sign in as {invitation.email} to accept this invitation.", code="sign_in_required"
        )
    membership_add(actor=existing, workspace=workspace, user=existing, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = existing
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=existing, action="invitation.accepted", workspace=workspace, target=invitation.email)
    return existing


@transaction.atomic
def invitation_revoke(*, actor: User, workspace: Workspace, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or not _may_see(actor, invitation):
        raise NotFoundError("No such open invitation.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="invitation.revoked", workspace=workspace, target=invitation.email)
    return invitation


def _may_see(viewer: User, invitation: Invitation) -> bool:
    """An invitation to a vendor role (annotator, auditor) is the vendor's, as the people it brings
    in are: clients neither see its address nor revoke it."""
    return viewer.is_staff or invitation.role not in VENDOR_ROLES


def invitations_open(*, viewer: User) -> list[Invitation]:
    """The open invitations `viewer` may see."""
    invitations = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")
    if not viewer.is_staff:
        invitations = invitations.exclude(role__in=VENDOR_ROLES)
    return list(invitations)


@transaction.atomic
def invitations_expire() -> int:
    """Mark invitations past their expiry as revoked; returns how many."""
    now = timezone.now()
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
    ).update(revoked_at=now)
