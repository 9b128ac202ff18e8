"""Blind audits: an auditor of the project takes the oldest pending audit, may answer the item
first (blind re-annotation), then judges the annotation. A failed annotation is rejected and its
item goes back to the queue for a replacement; a pass or minor issues accept it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from portal.parsers import json_type
from projects.models import Annotation, Item, Project
from projects.questions import result_validate
from reviews.models import COMMENT_MAX_LENGTH, Audit, Consensus
from reviews.selectors import auditor_staffed
from reviews.services.policy import review_policy
from reviews.services.quality import quality_refresh
from tenants.models import User, Workspace
from tenants.services.audit import audit_record

# Claims older than this may be taken by another auditor.
CLAIM_MINUTES = 30


def _check_auditor(user: User, project: Project) -> None:
    if not auditor_staffed(user=user, project=project):
        raise NotFoundError("You do not audit this project.")


@transaction.atomic
def audit_next(*, auditor: User, project: Project) -> Audit | None:
    """The auditor's claimed audit, or the oldest unclaimed one (never their own work)."""
    _check_auditor(auditor, project)
    mine = Audit.objects.filter(project=project, status=Audit.Status.PENDING, auditor=auditor).first()
    # Coming back to one's claim renews it, so a stale claim is not taken while it is being worked.
    if mine is not None and Audit.objects.filter(
        pk=mine.pk, auditor=auditor, status=Audit.Status.PENDING
    ).update(claimed_at=timezone.now()):
        return mine
    stale = timezone.now() - timezone.timedelta(minutes=CLAIM_MINUTES)
    audit = (
        Audit.objects.select_for_update(skip_locked=True)
        .filter(project=project, status=Audit.Status.PENDING)
        .filter(Q(auditor__isnull=True) | Q(claimed_at__lt=stale))
        .exclude(annotation__annotator=auditor)
        .order_by("created_at", "id")
        .first()
    )
    if audit is None:
        return None
    audit.auditor, audit.claimed_at = auditor, timezone.now()
    audit.save(update_fields=["auditor", "claimed_at"])
    return audit


def _claimed(auditor: User, audit_id: int) -> Audit:
    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("project", "annotation__item")
        .filter(pk=audit_id)
        .first()
    )
    if audit is None or audit.auditor_id != auditor.pk:
        raise NotFoundError("No such audit.")
    if audit.status != Audit.Status.PENDING:
        raise ConflictError("This audit is done.", code="audit_done")
    return audit


@transaction.atomic
def audit_blind_answer(*, auditor: User, audit_id: int, result: dict) -> Audit:
    """The auditor's own answer, given before seeing the annotation's."""
    audit = _claimed(auditor, audit_id)
    if audit.blind_result is not None:
        raise ConflictError("You have answered this item already.", code="already_answered")
    audit.blind_result = result_validate(
        questions=audit.project.questions, result=result, item=audit.annotation.item.payload
    )
    audit.save(update_fields=["blind_result"])
    return audit


def annotation_revision(annotation: Annotation) -> int:
    """How many times the annotation has been edited: 0 as submitted. An auditor's verdict names
    the revision it judged, since the annotator may edit while the audit is pending."""
    return annotation.revisions.count()


@transaction.atomic
def audit_submit(
    *,
    auditor: User,
    workspace: Workspace,
    audit_id: int,
    verdict: str,
    error_categories: list | None = None,
    corrected_result: dict | None = None,
    comment: str = "",
    revision: int | None = None,
) -> Audit:
    """Judge the claimed audit's annotation. Given `revision` (the one the auditor looked at), an
    annotation edited since is a 409 `annotation_changed`, and nothing is written."""
    audit = _claimed(auditor, audit_id)
    project, annotation = audit.project, audit.annotation
    if revision is not None:
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
            raise DomainError(
                "revision is the annotation's revision you judged.",
                code="invalid_audit",
                fields={"revision": ["A whole number from 0, as the audit gave it."]},
            )
        # Edits lock the annotation row: none can land between this count and the verdict.
        Annotation.objects.select_for_update().filter(pk=annotation.pk).exists()
        current = annotation_revision(annotation)
        if current != revision:
            raise ConflictError(
                "The annotator changed this annotation after you opened it: look at it again.",
                code="annotation_changed",
                fields={"revision": [str(current)]},
            )
    policy = review_policy(project)
    problems: dict[str, list[str]] = {}
    if verdict not in Audit.Verdict.values:
        problems["verdict"] = ["choose pass, minor or fail"]
    categories = error_categories or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        problems["error_categories"] = ["a list of category names"]
        categories = []
    unknown = [c for c in categories if c not in policy.error_categories]
    if unknown:
        problems["error_categories"] = [f"not in this project's taxonomy: {', '.join(unknown)}"]
    if verdict in (Audit.Verdict.MINOR, Audit.Verdict.FAIL) and not categories:
        problems.setdefault("error_categories", []).append(
            "name at least one category for minor issues or a fail"
        )
    corrected = None
    if corrected_result is not None and not isinstance(corrected_result, dict):
        problems["corrected_result"] = [f"An object keyed by question, not {json_type(corrected_result)}."]
    elif corrected_result is not None:
        try:
            corrected = result_validate(
                questions=project.questions, result=corrected_result, item=annotation.item.payload
            )
        except DomainError as error:
            for field, messages in error.fields.items():
                problems[f"corrected_result.{field}"] = messages
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        problems["comment"] = [f"At most {COMMENT_MAX_LENGTH:,} characters."]
    if problems:
        raise DomainError("The verdict is not complete.", code="invalid_audit", fields=problems)
    audit.verdict, audit.error_categories, audit.corrected_result = (
        verdict,
        sorted(set(categories)),
        corrected,
    )
    audit.comment = comment
    audit.status, audit.finished_at = Audit.Status.DONE, timezone.now()
    audit.save()
    if verdict == Audit.Verdict.FAIL:
        annotation_reject(annotation=annotation)
    else:
        Annotation.objects.filter(pk=annotation.pk).update(status=Annotation.Status.ACCEPTED)
    quality_refresh(project=project, annotator_id=annotation.annotator_id)
    audit_record(
        actor=auditor,
        action="audit.finished",
        workspace=workspace,
        target=f"annotation {annotation.pk}",
        data={"project_id": project.pk, "verdict": verdict, "categories": audit.error_categories},
    )
    return audit


def annotation_reject(*, annotation: Annotation) -> None:
    """A failed annotation stops counting and its item is open again for someone else. An answer
    the annotators agreed on counted it, so it goes too: the item settles again (consensus or
    adjudication) once the replacement is in. An adjudicated answer is an auditor's and stays."""
    updated = (
        Annotation.objects.filter(pk=annotation.pk)
        .exclude(status=Annotation.Status.REJECTED)
        .update(status=Annotation.Status.REJECTED)
    )
    if not updated:
        return
    Item.objects.filter(pk=annotation.item_id).free_slot(
        annotation.project.overlap, completed_count=F("completed_count") - 1
    )
    Project.objects.filter(pk=annotation.project_id).update(annotations_count=F("annotations_count") - 1)
    Consensus.objects.filter(item_id=annotation.item_id, source=Consensus.Source.AGREEMENT).delete()
