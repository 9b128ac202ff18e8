"""Adjudication: items whose annotations disagree beyond the project's threshold wait for an
auditor of the project (one who did not annotate the item), who picks one of the answers or
writes the final one; the item's consensus is stored."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import Annotation
from projects.questions import result_validate
from reviews.models import COMMENT_MAX_LENGTH, Adjudication, Consensus
from reviews.selectors import auditor_staffed
from tenants.models import User, Workspace
from tenants.services.audit import audit_record

LIVE = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)


@transaction.atomic
def adjudication_resolve(
    *,
    auditor: User,
    workspace: Workspace,
    adjudication_id: int,
    annotation_id: int | None = None,
    result: dict | None = None,
    comment: str = "",
) -> Adjudication:
    adjudication = (
        Adjudication.objects.select_for_update(of=("self",))
        .select_related("project", "item")
        .filter(pk=adjudication_id)
        .first()
    )
    if adjudication is None or not auditor_staffed(user=auditor, project=adjudication.project):
        raise NotFoundError("No such adjudication.")
    if adjudication.status != Adjudication.Status.OPEN:
        raise ConflictError("This item is adjudicated already.", code="adjudication_done")
    project, item = adjudication.project, adjudication.item
    if Annotation.objects.filter(item=item, annotator=auditor).exists():
        raise ConflictError("You annotated this item; another auditor adjudicates it.", code="own_item")
    if (annotation_id is None) == (result is None):
        raise DomainError(
            "Pick one annotation or write the answer.",
            code="invalid_adjudication",
            fields={
                "annotation_id": [
                    "Give annotation_id or result, not both."
                    if annotation_id is not None
                    else "Give annotation_id or result."
                ]
            },
        )
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise DomainError(
            "The comment is too long.",
            code="invalid_adjudication",
            fields={"comment": [f"At most {COMMENT_MAX_LENGTH:,} characters."]},
        )
    chosen = None
    if annotation_id is not None:
        chosen = Annotation.objects.filter(pk=annotation_id, item=item, status__in=LIVE).first()
        if chosen is None:
            raise DomainError(
                "That is not an answer to this item.",
                code="invalid_adjudication",
                fields={"annotation_id": ["not a live annotation of this item"]},
            )
        final = chosen.result
    else:
        final = result_validate(questions=project.questions, result=result, item=item.payload)
    adjudication.status = Adjudication.Status.RESOLVED
    adjudication.auditor = auditor
    adjudication.chosen_annotation = chosen
    adjudication.consensus_result = final
    adjudication.comment = comment
    adjudication.resolved_at = timezone.now()
    adjudication.save()
    Consensus.objects.update_or_create(
        item=item, defaults={"project": project, "result": final, "source": Consensus.Source.ADJUDICATION}
    )
    audit_record(
        actor=auditor,
        action="adjudication.resolved",
        workspace=workspace,
        target=f"item {item.pk}",
        data={"project_id": project.pk, "picked": annotation_id is not None},
    )
    return adjudication
