"""What happens to a new annotation, in the transaction that submits it.

- A gold item's annotation is scored against the known answer (free text goes to an auditor).
- Otherwise an audit may be due: every annotator's first N annotations on the project, then a
  seeded draw at the project's audit rate (a higher rate while the annotator is under the
  quality threshold). The draw hashes the policy's seed with the annotation id, so the sample
  is reproducible.
- When an item has all its annotations, their agreement decides: the most central answer
  becomes the consensus, or the item goes to adjudication and its outlier to an audit.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from itertools import combinations

from django.db import connection

from projects.models import Annotation, Item, Project
from projects.scoring import result_score
from reviews.models import Adjudication, AnnotatorQuality, Audit, Consensus, GoldScore
from reviews.services.policy import review_policy
from reviews.services.quality import quality_refresh

FOUR_PLACES = Decimal("0.0001")
LIVE = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)


def sample_draw(seed: int, annotation_id: int) -> Decimal:
    """A reproducible uniform draw in [0, 1) for one annotation."""
    digest = hashlib.sha256(f"{seed}:{annotation_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)


_COUNT = """
    INSERT INTO reviews_annotatorquality
        (project_id, annotator_id, annotations, audits, gold_scored, status, pause_reason, updated_at)
    VALUES (%s, %s, 1, 0, 0, 'active', '', now())
    ON CONFLICT (project_id, annotator_id) DO UPDATE SET annotations = reviews_annotatorquality.annotations + 1
    RETURNING annotations, score
"""


def _quality_counted(project: Project, annotator_id: int) -> AnnotatorQuality:
    """Count one more annotation for the annotator on the project, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT, [project.pk, annotator_id])
        annotations, score = cursor.fetchone()
    return AnnotatorQuality(project=project, annotator_id=annotator_id, annotations=annotations, score=score)


def _audit_reason(project: Project, quality: AnnotatorQuality, annotation: Annotation) -> str | None:
    policy = review_policy(project)
    if quality.annotations <= policy.new_annotator_audits:
        return Audit.Reason.NEW_ANNOTATOR
    low = quality.score is not None and quality.score < policy.quality_threshold
    rate = max(policy.low_quality_audit_rate, project.audit_rate) if low else project.audit_rate
    if rate and sample_draw(policy.seed, annotation.pk) < rate:
        return Audit.Reason.LOW_QUALITY if low else Audit.Reason.SAMPLED
    return None


def _gold_score(project: Project, item: Item, annotation: Annotation) -> None:
    gold = item.gold_answer or {}
    score, per_question = result_score(project.questions, annotation.result, gold)
    # Free text the gold answer fills in cannot be scored by rule; free text it leaves empty is ignored.
    unscored = [key for key, value in per_question.items() if value is None and gold.get(key) is not None]
    GoldScore.objects.create(
        annotation=annotation,
        project=project,
        annotator_id=annotation.annotator_id,
        score=Decimal(score).quantize(FOUR_PLACES) if score is not None and not unscored else None,
        per_question=per_question,
    )
    if unscored:  # free text on a gold item: a person compares it with the known answer
        Audit.objects.create(project=project, annotation=annotation, reason=Audit.Reason.GOLD_TEXT)
    else:
        quality_refresh(project=project, annotator_id=annotation.annotator_id)


def pair_agreement(project: Project, first: dict, second: dict) -> float | None:
    """How far two results agree (the mean of the scorable questions' scores), or None."""
    score, _ = result_score(project.questions, first, second)
    return score


def _item_settle(project: Project, item: Item) -> None:
    annotations = list(Annotation.objects.filter(item=item, status__in=LIVE).order_by("id"))
    if len(annotations) < 2 or hasattr(item, "consensus") or Adjudication.objects.filter(item=item).exists():
        return
    closeness: dict[int, list[float]] = {a.pk: [] for a in annotations}
    pairs = []
    for first, second in combinations(annotations, 2):
        value = pair_agreement(project, first.result, second.result)
        if value is None:
            return  # only free text: nothing to compare by rule
        pairs.append(value)
        closeness[first.pk].append(value)
        closeness[second.pk].append(value)
    agreement = Decimal(sum(pairs) / len(pairs)).quantize(FOUR_PLACES)
    central = max(annotations, key=lambda a: (sum(closeness[a.pk]), -a.pk))
    if agreement >= review_policy(project).disagreement_threshold:
        Consensus.objects.create(
            item=item, project=project, result=central.result, source=Consensus.Source.AGREEMENT
        )
        return
    Adjudication.objects.create(project=project, item=item, agreement=agreement)
    outlier = min(annotations, key=lambda a: (sum(closeness[a.pk]), a.pk))
    Audit.objects.get_or_create(
        annotation=outlier, defaults={"project": project, "reason": Audit.Reason.LOW_AGREEMENT}
    )


def annotation_intake(*, project: Project, item: Item, annotation: Annotation, completed: int) -> None:
    """Score, sample and settle a freshly submitted annotation (inside the submit transaction,
    which holds the item's row lock; `completed` is the item's count after this submission)."""
    quality = _quality_counted(project, annotation.annotator_id)
    if item.is_gold:
        _gold_score(project, item, annotation)
        return
    reason = _audit_reason(project, quality, annotation)
    if reason is not None:
        Audit.objects.create(project=project, annotation=annotation, reason=reason)
    if completed >= project.overlap:
        _item_settle(project, item)
