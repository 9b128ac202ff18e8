"""Reads of quality data. Each owns its query shape."""

from __future__ import annotations

from projects.models import Project, Staffing
from tenants.models import User


def auditor_staffed(*, user: User, project: Project) -> bool:
    """Whether the user audits the project: staffed on it as auditor, or vendor staff."""
    return (
        user.is_staff
        or Staffing.objects.filter(
            project=project, user=user, role=Staffing.Role.AUDITOR, removed_at__isnull=True
        ).exists()
    )


# Whether quality control holds an annotator back on a project: is the annotator paused there,
# and do they owe an open calibration round. SQL for the queue's one raw query over a staffing
# row aliased `s`.
STAFFING_GATES_SQL = {
    "paused": (
        "EXISTS (SELECT 1 FROM reviews_annotatorquality q WHERE q.project_id = s.project_id"
        " AND q.annotator_id = s.user_id AND q.status = 'paused')"
    ),
    "calibrating": (
        "EXISTS (SELECT 1 FROM reviews_calibrationparticipant c JOIN reviews_calibrationround r ON r.id = c.round_id"
        " WHERE r.project_id = s.project_id AND r.status = 'open' AND c.annotator_id = s.user_id"
        " AND c.status <> 'passed')"
    ),
}
