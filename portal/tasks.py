"""Enqueueing helpers shared by every app."""

from __future__ import annotations

from celery import Task
from django.db import connection, transaction


def task_enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Send `task` once the current transaction commits, to run in the current schema.

    The schema is captured now: by the time the transaction commits the connection may have
    been switched back to the public schema.
    """
    schema_name = connection.schema_name
    transaction.on_commit(
        lambda: task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema_name})
    )
