"""Members' background jobs. Each runs in the schema of the workspace that sent it."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import get_tenant_model, tenant_context

from members.models import Invitation
from members.services import invitations_expire
from tenants.services.workspaces import workspace_url


@shared_task(acks_late=True)
def invitation_send(invitation_id: int, token: str) -> None:
    """Email an invitation. Safe to run twice: a sent invitation is not sent again."""
    workspace = connection.tenant
    invitation = Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).first()
    if invitation is None or not invitation.is_open:
        return
    context = {
        "workspace": workspace,
        "invitation": invitation,
        "accept_url": workspace_url(workspace, f"/invitations/{token}/"),
    }
    send_mail(
        subject=f"You are invited to {workspace.name}",
        message=render_to_string("members/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    Invitation.objects.filter(pk=invitation_id).update(sent_at=timezone.now())


@shared_task(acks_late=True)
def invitations_expire_all() -> int:
    """Periodic: expire stale invitations in every workspace."""
    expired = 0
    for workspace in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(workspace):
            expired += invitations_expire()
    return expired
