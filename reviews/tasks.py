"""Quality's background jobs. Each runs in the schema of the workspace that sent it."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from projects.models import Project
from reviews.services.metrics import agreement_snapshot_take


@shared_task(acks_late=True)
def agreement_refresh(project_id: int) -> int:
    """Take an agreement snapshot of one project (a new point of its trend; safe to repeat)."""
    project = Project.objects.filter(pk=project_id).first()
    return len(agreement_snapshot_take(project)) if project is not None else 0


@shared_task(acks_late=True)
def agreement_refresh_all() -> int:
    """Periodic: a snapshot of every active project in every workspace."""
    taken = 0
    for workspace in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(workspace):
            for project in Project.objects.filter(status=Project.Status.ACTIVE):
                taken += len(agreement_snapshot_take(project))
    return taken
