"""Rolling quality per annotator per project, and pausing people who fall under the threshold.

Quality is the mean of the latest audits (pass 1, minor issues 0.5, fail 0) and gold scores,
within the policy's window and since the person was last reinstated. Once there is enough
evidence (`quality_minimum`) a score under the threshold pauses them on the project: the queue
gives them nothing, they see why, the client dashboard lists it, and an auditor can reinstate.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils import timezone

from portal.errors import ConflictError, NotFoundError
from projects.models import Project
from reviews.models import AnnotatorQuality, Audit, GoldScore
from reviews.selectors import auditor_staffed
from reviews.services.policy import review_policy
from tenants.models import User, Workspace
from tenants.services.audit import audit_record
from workforce.services.staffing import commitment_quality_record

VERDICT_VALUE = {
    Audit.Verdict.PASS: Decimal(1),
    Audit.Verdict.MINOR: Decimal("0.5"),
    Audit.Verdict.FAIL: Decimal(0),
}
FOUR_PLACES = Decimal("0.0001")


def quality_row(project: Project, annotator_id: int, *, lock: bool = False) -> AnnotatorQuality:
    rows = AnnotatorQuality.objects.filter(project=project, annotator_id=annotator_id)
    row = (rows.select_for_update() if lock else rows).first()
    if row is None:
        row, _ = AnnotatorQuality.objects.get_or_create(project=project, annotator_id=annotator_id)
        if lock:
            row = AnnotatorQuality.objects.select_for_update().get(pk=row.pk)
    return row


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def quality_refresh(*, project: Project, annotator_id: int) -> AnnotatorQuality:
    """Recompute one annotator's quality on the project; pause them if it fell under the bar."""
    policy = review_policy(project)
    row = quality_row(project, annotator_id, lock=True)
    since = row.reinstated_at
    audits = Audit.objects.filter(
        project=project, annotation__annotator_id=annotator_id, status=Audit.Status.DONE
    )
    gold = GoldScore.objects.filter(project=project, annotator_id=annotator_id, score__isnull=False)
    if since is not None:
        audits, gold = audits.filter(finished_at__gt=since), gold.filter(created_at__gt=since)
    verdicts = [
        VERDICT_VALUE[v]
        for v in audits.order_by("-finished_at").values_list("verdict", flat=True)[: policy.quality_window]
    ]
    scores = list(gold.order_by("-created_at").values_list("score", flat=True)[: policy.quality_window])
    row.audits, row.audit_pass_rate = len(verdicts), _mean(verdicts)
    row.gold_scored, row.gold_accuracy = len(scores), _mean(scores)
    row.score = _mean(verdicts + scores)
    row.updated_at = timezone.now()
    enough = len(verdicts) + len(scores) >= policy.quality_minimum
    if enough and row.score < policy.quality_threshold and row.status == AnnotatorQuality.Status.ACTIVE:
        row.status = AnnotatorQuality.Status.PAUSED
        row.paused_at = row.updated_at
        row.pause_reason = (
            f"Quality {row.score:.0%} is under this project's threshold of {policy.quality_threshold:.0%}."
        )
    row.save()
    commitment_quality_record(
        workspace_id=connection.tenant.pk, project_id=project.pk, user_id=annotator_id, score=row.score
    )
    return row


@transaction.atomic
def quality_reinstate(
    *, actor: User, workspace: Workspace, project: Project, annotator_id: int, reason: str
) -> AnnotatorQuality:
    """An auditor of the project lets a paused annotator work again; their window starts afresh."""
    if not auditor_staffed(user=actor, project=project):
        raise NotFoundError("No such project.")
    row = (
        AnnotatorQuality.objects.select_for_update()
        .filter(project=project, annotator_id=annotator_id)
        .first()
    )
    if row is None or row.status != AnnotatorQuality.Status.PAUSED:
        raise ConflictError("This annotator is not paused here.", code="not_paused")
    row.status = AnnotatorQuality.Status.ACTIVE
    row.reinstated_by = actor
    row.reinstated_at = timezone.now()
    row.pause_reason = ""
    row.save()
    audit_record(
        actor=actor,
        action="quality.reinstated",
        workspace=workspace,
        target=str(annotator_id),
        data={"project_id": project.pk, "reason": reason.strip()[:300]},
    )
    return row
