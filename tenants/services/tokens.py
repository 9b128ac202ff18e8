"""Personal access tokens for the API: shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from portal.errors import DomainError, NotFoundError
from tenants.models import Membership, PersonalAccessToken, User
from tenants.services.audit import audit_record

TOKEN_PREFIX = "pat_"


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Create a token and return it with its secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Name the token.", fields={"name": ["This field is required."]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user, name=name[:100], prefix=secret[:12], digest=token_digest(secret)
    )
    audit_record(actor=user, action="token.created", target=token.prefix)
    return token, secret


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    token = PersonalAccessToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFoundError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="token.revoked", target=token.prefix)
    return token


# The user of a live token and, in the same round trip, their membership of the workspace the
# request is for: every API request needs both (the boundary checks the second).
_TOKEN_USER = """
    SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used_at,
           m.id AS membership_id, m.role AS membership_role, m.created_at AS membership_created_at
    FROM tenants_personalaccesstoken t JOIN tenants_user u ON u.id = t.user_id
    LEFT JOIN tenants_membership m ON m.user_id = u.id AND m.workspace_id = %s
    WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active
"""


def token_authenticate(secret: str, *, workspace_id: int | None = None) -> User | None:
    """The active user a live token belongs to, or None. With a workspace, the user also carries
    `token_membership`: (that workspace's id, their Membership there or None)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # Every API request runs this: one hand-written query, no ORM compilation.
    user = next(iter(User.objects.raw(_TOKEN_USER, [workspace_id, token_digest(secret)])), None)
    if user is None:
        return None
    if workspace_id is not None:
        membership = None
        if user.membership_id is not None:
            membership = Membership(
                id=user.membership_id,
                user=user,
                workspace_id=workspace_id,
                role=user.membership_role,
                created_at=user.membership_created_at,
            )
        user.token_membership = (workspace_id, membership)
    now = timezone.now()
    if user.token_last_used_at is None or (now - user.token_last_used_at).total_seconds() > 60:
        PersonalAccessToken.objects.filter(pk=user.token_id).update(last_used_at=now)
    return user
