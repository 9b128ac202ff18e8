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
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from django.db import connection

from projects.models import Annotation, Item, Project
from projects.scoring import result_score
from reviews.models import Adjudication, Audit, Consensus, GoldScore
from reviews.services.policy import disagreement_threshold, review_policy
from reviews.services.quality import quality_refresh

FOUR_PLACES = Decimal("0.0001")
LIVE = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)


def sample_draw(seed: int, annotation_id: int) -> Decimal:
    """A reproducible uniform draw in [0, 1) for one annotation."""
    digest = hashlib.sha256(f"{seed}:{annotation_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)


# Counts one more annotation for the annotator on the project and reads the audit policy, in one
# round trip (the submit path is hot).
_COUNT = """
    WITH counted AS (
        INSERT INTO reviews_annotatorquality
            (project_id, annotator_id, annotations, audits, gold_scored, status, pause_reason, updated_at)
        VALUES (%(project)s, %(annotator)s, 1, 0, 0, 'active', '', now())
        ON CONFLICT (project_id, annotator_id)
        DO UPDATE SET annotations = reviews_annotatorquality.annotations + 1
        RETURNING annotations, score
    )
    SELECT counted.annotations, counted.score,
           p.new_annotator_audits, p.low_quality_audit_rate, p.quality_threshold, p.seed
    FROM counted LEFT JOIN reviews_reviewpolicy p ON p.project_id = %(project)s
"""


@dataclass
class Standing:
    """What the audit rules need: the annotator's count and score, and the project's policy."""

    annotations: int
    score: Decimal | None
    new_annotator_audits: int
    low_quality_audit_rate: Decimal
    quality_threshold: Decimal
    seed: int


def _standing(project: Project, annotator_id: int) -> Standing:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT, {"project": project.pk, "annotator": annotator_id})
        annotations, score, *policy = cursor.fetchone()
    if policy[0] is None:  # the project's first annotation: its policy is made now
        made = review_policy(project)
        policy = [made.new_annotator_audits, made.low_quality_audit_rate, made.quality_threshold, made.seed]
    return Standing(annotations, score, *policy)


def _audit_reason(project: Project, standing: Standing, annotation: Annotation) -> str | None:
    if standing.annotations <= standing.new_annotator_audits:
        return Audit.Reason.NEW_ANNOTATOR
    low = standing.score is not None and standing.score < standing.quality_threshold
    rate = max(standing.low_quality_audit_rate, project.audit_rate) if low else project.audit_rate
    if rate and sample_draw(standing.seed, annotation.pk) < rate:
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
    """Settle an item with all its annotations: consensus when they agree well enough on every
    question (each kind against its own threshold), adjudication and an audit of the outlier when not."""
    annotations = list(Annotation.objects.filter(item=item, status__in=LIVE).order_by("id"))
    if len(annotations) < 2 or hasattr(item, "consensus") or Adjudication.objects.filter(item=item).exists():
        return
    closeness: dict[int, list[float]] = {a.pk: [] for a in annotations}
    pairs: list[float] = []
    per_question: dict[str, list[float]] = {}
    for first, second in combinations(annotations, 2):
        value, parts = result_score(project.questions, first.result, second.result)
        if value is None:
            return  # only free text: nothing to compare by rule
        pairs.append(value)
        closeness[first.pk].append(value)
        closeness[second.pk].append(value)
        for key, part in parts.items():
            if part is not None:
                per_question.setdefault(key, []).append(part)
    policy = review_policy(project)
    kinds = {question["key"]: question["kind"] for question in project.questions}
    agreed = all(
        Decimal(sum(values) / len(values)) >= disagreement_threshold(policy, kinds[key])
        for key, values in per_question.items()
    )
    agreement = Decimal(sum(pairs) / len(pairs)).quantize(FOUR_PLACES)
    central = max(annotations, key=lambda a: (sum(closeness[a.pk]), -a.pk))
    if agreed:
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
    standing = _standing(project, annotation.annotator_id)
    if item.is_gold:
        _gold_score(project, item, annotation)
        return
    reason = _audit_reason(project, standing, annotation)
    if reason is not None:
        Audit.objects.create(project=project, annotation=annotation, reason=reason)
    if completed >= project.overlap:
        _item_settle(project, item)
