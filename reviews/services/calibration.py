"""Calibration rounds: a set of items (usually gold) that every staffed annotator completes before
getting production tasks again, for instance after a semantic guideline change. Answers are
scored against gold where the item has one; passing the round's mark returns the annotator to
production. The round's results between annotators are on the quality page."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import GuidelineVersion, Item, Project, Staffing
from projects.questions import draft_check, payload_displayed, response_order_random, result_validate
from projects.scoring import result_score
from reviews.models import CalibrationParticipant, CalibrationRound
from reviews.selectors import auditor_staffed
from reviews.services.policy import review_policy
from tenants.models import User, Workspace
from tenants.services.audit import audit_record

MAX_ITEMS = 10
FOUR_PLACES = Decimal("0.0001")


@transaction.atomic
def calibration_start(
    *,
    actor: User | None,
    workspace: Workspace,
    project: Project,
    reason: str,
    item_ids: list[int] | None = None,
    guideline_version: GuidelineVersion | None = None,
) -> CalibrationRound:
    """Open a round for every annotator staffed on the project (the project's gold items by default)."""
    limit = CalibrationRound._meta.get_field("reason").max_length
    if len(reason) > limit:
        raise DomainError(
            "The reason is too long.",
            code="invalid_calibration",
            fields={"reason": [f"At most {limit} characters."]},
        )
    # One start at a time per project (the project's row first, as publishing a guideline locks
    # it): a second start waits for the first and then finds its round open.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    if CalibrationRound.objects.filter(project=project, status=CalibrationRound.Status.OPEN).exists():
        raise ConflictError("A calibration round is open already; close it first.", code="calibration_open")
    items = Item.objects.filter(project=project)
    if item_ids is None:
        chosen = list(items.filter(is_gold=True).order_by("id").values_list("id", flat=True)[:MAX_ITEMS])
    else:
        if (
            not isinstance(item_ids, list)
            or not item_ids
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in item_ids)
        ):
            raise DomainError(
                "item_ids is a list of item ids.",
                code="invalid_calibration",
                fields={
                    "item_ids": [
                        "A non-empty list of item ids (whole numbers); leave it out for the gold items."
                    ]
                },
            )
        chosen = list(items.filter(pk__in=item_ids).order_by("id").values_list("id", flat=True))
        missing = sorted(set(item_ids) - set(chosen))
        if missing:
            raise DomainError(
                "Some items are not in this project.",
                code="invalid_calibration",
                fields={"item_ids": [f"unknown: {', '.join(map(str, missing))}"]},
            )
    if not chosen:
        raise ConflictError(
            "Calibration needs items: add gold items to the project.", code="no_calibration_items"
        )
    round_ = CalibrationRound.objects.create(
        project=project,
        guideline_version=guideline_version,
        reason=reason,
        item_ids=chosen,
        pass_mark=review_policy(project).calibration_pass_mark,
        created_by=actor,
    )
    annotators = Staffing.objects.filter(
        project=project, role=Staffing.Role.ANNOTATOR, removed_at__isnull=True
    ).values_list("user_id", flat=True)
    CalibrationParticipant.objects.bulk_create(
        CalibrationParticipant(round=round_, annotator_id=user_id) for user_id in set(annotators)
    )
    audit_record(
        actor=actor,
        action="calibration.started",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "round_id": round_.pk, "items": len(chosen), "reason": reason},
    )
    return round_


def calibration_on_semantic_change(
    *, actor: User, workspace: Workspace, project: Project, version: GuidelineVersion
) -> None:
    """A semantic guideline change calls for calibration, when the project has gold items for it."""
    if (
        version.kind != GuidelineVersion.Kind.SEMANTIC
        or not Item.objects.filter(project=project, is_gold=True).exists()
    ):
        return
    if CalibrationRound.objects.filter(project=project, status=CalibrationRound.Status.OPEN).exists():
        return
    calibration_start(
        actor=actor,
        workspace=workspace,
        project=project,
        reason=f"Semantic guideline change: version {version.number}",
        guideline_version=version,
    )


def _participant(project: Project, annotator: User, *, lock: bool = False) -> CalibrationParticipant:
    rows = CalibrationParticipant.objects.select_related("round").filter(
        round__project=project, round__status=CalibrationRound.Status.OPEN, annotator=annotator
    )
    participant = (rows.select_for_update(of=("self",)) if lock else rows).first()
    if participant is None:
        raise NotFoundError("You have no calibration round on this project.")
    return participant


def calibration_task(*, project: Project, annotator: User) -> dict | None:
    """The annotator's next calibration item, shaped like a queue task; None when done."""
    participant = _participant(project, annotator)
    if participant.status != CalibrationParticipant.Status.PENDING:
        return None
    items = {item.pk: item for item in Item.objects.filter(pk__in=participant.round.item_ids)}
    for position, item_id in enumerate(participant.round.item_ids):
        if str(item_id) in participant.answers or item_id not in items:
            continue
        item = items[item_id]
        order = _order(participant, item)
        return {
            "assignment": {"id": item_id, "expires_at": None, "draft": participant.drafts.get(str(item_id))},
            "item": {
                "id": item_id,
                "external_id": f"Calibration {position + 1} of {len(participant.round.item_ids)}",
                "payload": payload_displayed(item.payload, order),
            },
            "project": {
                "id": project.pk,
                "name": project.name,
                "task_type": project.task_type,
                "questions": project.questions,
            },
            "guideline_version": None,
        }
    return None


def _order(participant: CalibrationParticipant, item: Item) -> list[int] | None:
    """A stable shuffled order per participant and item, so position cannot give the answer away."""
    responses = item.payload.get("responses")
    if not isinstance(responses, list):
        return None
    return response_order_random(len(responses), random.Random(f"{participant.pk}:{item.pk}"))  # noqa: S311


def _item_left(participant: CalibrationParticipant, item_id: int) -> None:
    if item_id not in participant.round.item_ids or str(item_id) in participant.answers:
        raise NotFoundError("No such calibration item left for you.")


@transaction.atomic
def calibration_draft_save(*, project: Project, annotator: User, item_id: int, draft) -> None:
    """Autosave of an unsent calibration answer, kept until the answer is sent."""
    draft_check(draft)
    participant = _participant(project, annotator, lock=True)
    if participant.status != CalibrationParticipant.Status.PENDING:
        raise NotFoundError("No such calibration item left for you.")
    _item_left(participant, item_id)
    participant.drafts[str(item_id)] = draft
    participant.save(update_fields=["drafts"])


@transaction.atomic
def calibration_answer(
    *, project: Project, annotator: User, item_id: int, result: dict
) -> CalibrationParticipant:
    participant = _participant(project, annotator, lock=True)
    if participant.status != CalibrationParticipant.Status.PENDING:
        raise ConflictError("Your calibration is finished.", code="calibration_done")
    _item_left(participant, item_id)
    item = Item.objects.get(pk=item_id)
    participant.drafts.pop(str(item_id), None)
    participant.answers[str(item_id)] = result_validate(
        questions=project.questions,
        result=result,
        item=item.payload,
        response_order=_order(participant, item),
    )
    if len(participant.answers) == len(participant.round.item_ids):
        scores = []
        for gold in Item.objects.filter(pk__in=participant.round.item_ids, is_gold=True):
            score, _ = result_score(
                project.questions, participant.answers[str(gold.pk)], gold.gold_answer or {}
            )
            if score is not None:
                scores.append(Decimal(score))
        participant.score = (
            (sum(scores) / len(scores)).quantize(FOUR_PLACES, ROUND_HALF_UP) if scores else None
        )
        passed = participant.score is None or participant.score >= participant.round.pass_mark
        participant.status = (
            CalibrationParticipant.Status.PASSED if passed else CalibrationParticipant.Status.FAILED
        )
        participant.finished_at = timezone.now()
    participant.save()
    return participant


@transaction.atomic
def calibration_retry(
    *, actor: User, workspace: Workspace, project: Project, participant_id: int
) -> CalibrationParticipant:
    """An auditor lets an annotator who failed the round take it again."""
    if not auditor_staffed(user=actor, project=project):
        raise NotFoundError("No such project.")
    participant = (
        CalibrationParticipant.objects.select_for_update()
        .filter(pk=participant_id, round__project=project, round__status=CalibrationRound.Status.OPEN)
        .first()
    )
    if participant is None or participant.status != CalibrationParticipant.Status.FAILED:
        raise ConflictError("Only a failed participant of an open round can retry.", code="not_failed")
    participant.answers, participant.drafts, participant.score, participant.finished_at = {}, {}, None, None
    participant.status = CalibrationParticipant.Status.PENDING
    participant.save()
    audit_record(
        actor=actor,
        action="calibration.retry",
        workspace=workspace,
        target=str(participant.annotator_id),
        data={"project_id": project.pk, "round_id": participant.round_id},
    )
    return participant


@transaction.atomic
def calibration_close(*, actor: User, workspace: Workspace, project: Project) -> CalibrationRound:
    """End the open round: nobody is held back by it any more."""
    round_ = (
        CalibrationRound.objects.select_for_update()
        .filter(project=project, status=CalibrationRound.Status.OPEN)
        .first()
    )
    if round_ is None:
        raise ConflictError("No calibration round is open.", code="no_open_round")
    round_.status, round_.closed_at = CalibrationRound.Status.CLOSED, timezone.now()
    round_.save()
    audit_record(
        actor=actor,
        action="calibration.closed",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "round_id": round_.pk},
    )
    return round_
