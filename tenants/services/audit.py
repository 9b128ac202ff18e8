from __future__ import annotations

from tenants.models import AuditLog, User, Workspace


def audit_record(
    *,
    actor: User | None,
    action: str,
    workspace: Workspace | None = None,
    target: str = "",
    data: dict | None = None,
) -> AuditLog:
    """Write one audit-log row. Call it inside the transaction of the action it records."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditLog.objects.create(
        actor=actor, workspace=workspace, action=action, target=target, data=data or {}
    )
