"""Projects' background jobs. Each runs in the schema of the workspace that sent it."""

from __future__ import annotations

import contextlib

from celery import shared_task
from django.core.files.storage import default_storage
from django_tenants.utils import get_tenant_model, tenant_context

from portal.errors import DomainError
from projects.models import ImportJob
from projects.services.imports import import_job_run_now
from projects.services.queue import leases_expire


@shared_task(acks_late=True)
def import_job_run(job_id: int) -> None:
    """Run a queued import. Safe to run twice: a finished job is left alone."""
    job = ImportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED):
        return
    with default_storage.open(job.file, "rb") as handle:
        content = handle.read()
    with contextlib.suppress(DomainError):  # the failure and its reasons are on the job row
        import_job_run_now(job=job, content=content)


@shared_task(acks_late=True)
def leases_expire_all() -> int:
    """Periodic: return expired leases to the pool in every workspace."""
    freed = 0
    for workspace in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(workspace):
            freed += leases_expire()
    return freed
