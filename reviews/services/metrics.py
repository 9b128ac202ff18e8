"""Agreement snapshots: per project and question, Krippendorff's alpha (with a bootstrap 95%
interval), Fleiss' kappa, mean pairwise Cohen's kappa, percent agreement (with its interval),
each annotator's agreement with the others' majority, and, for pairwise questions, position bias.
Taken by a Celery job; the series of snapshots is the trend."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from projects.models import Annotation, Assignment, Project
from reviews import agreement
from reviews.models import AgreementSnapshot
from reviews.services.policy import review_policy

RESAMPLES = 500
LIVE = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)


def _value(question: dict, answer) -> float | None:
    """The answer as one number for the reliability matrix, or None when it has no single value."""
    if answer is None:
        return None
    kind = question["kind"]
    if kind == "single_choice":
        return float([option["value"] for option in question["options"]].index(answer))
    if kind == "rating":
        return float(answer)
    if kind == "pairwise":
        return 2.0 if answer["winner"] is None else float(answer["winner"])  # A, B or a tie
    return None


LEVELS = {"single_choice": "nominal", "pairwise": "nominal", "rating": "ordinal"}


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _safe(function, *args, **kwargs) -> float | None:
    try:
        return _finite(function(*args, **kwargs))
    except ValueError:
        return None


def _bootstrap(statistic, matrix, seed: int) -> tuple[float | None, float | None]:
    try:
        return agreement.bootstrap_interval(statistic, matrix, resamples=RESAMPLES, seed=seed)
    except ValueError:
        return None, None


def _position_bias(project: Project, question: dict, rows: list) -> dict | None:
    """How often the response shown first wins the question, per project and per annotator."""
    orders = dict(
        Assignment.objects.filter(pk__in=[row[3] for row in rows]).values_list("pk", "response_order")
    )
    wins: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for annotator_id, _, result, assignment_id in rows:
        answer = result.get(question["key"])
        if not answer or answer.get("winner") is None:
            continue
        order = orders.get(assignment_id) or [0, 1]
        wins[annotator_id][0] += int(answer["winner"] == order[0])
        wins[annotator_id][1] += 1
    total_wins = sum(w for w, _ in wins.values())
    decided = sum(d for _, d in wins.values())
    if not decided:
        return None
    return {
        "project": agreement.position_bias(total_wins, decided),
        "annotators": {str(a): agreement.position_bias(w, d) for a, (w, d) in wins.items() if d},
    }


def agreement_snapshot_take(project: Project) -> list[AgreementSnapshot]:
    """Compute and store a snapshot for every question whose answers have one value each."""
    rows = list(
        Annotation.objects.filter(project=project, status__in=LIVE, item__is_gold=False)
        .order_by("item_id", "annotator_id")
        .values_list("annotator_id", "item_id", "result", "assignment_id")
    )
    annotators = sorted({row[0] for row in rows})
    items = sorted({row[1] for row in rows})
    column = {a: i for i, a in enumerate(annotators)}
    line = {item: i for i, item in enumerate(items)}
    seed = review_policy(project).seed % (2**32)
    snapshots = []
    for question in project.questions:
        if question["kind"] not in LEVELS:
            continue
        matrix = np.full((len(items), len(annotators)), np.nan)
        for annotator_id, item_id, result, _ in rows:
            value = _value(question, result.get(question["key"]))
            if value is not None:
                matrix[line[item_id], column[annotator_id]] = value
        level = LEVELS[question["kind"]]
        alpha = _safe(agreement.krippendorff_alpha, matrix, level=level)
        if alpha is None and not np.isfinite(matrix).any():
            continue

        def alpha_of(sample, level=level):
            return agreement.krippendorff_alpha(sample, level=level)

        low_high = _bootstrap(alpha_of, matrix, seed) if alpha is not None else (None, None)
        # Percent agreement is defined where alpha is not (every value the same): its own interval.
        percent_interval = _bootstrap(agreement.percent_agreement, matrix, seed)
        fleiss = _safe(agreement.fleiss_kappa, matrix) if question["kind"] != "rating" else None
        fleiss_interval = (
            _bootstrap(agreement.fleiss_kappa, matrix, seed) if fleiss is not None else (None, None)
        )
        cohen = _safe(agreement.mean_pairwise_cohen_kappa, matrix)
        cohen_interval = (
            _bootstrap(agreement.mean_pairwise_cohen_kappa, matrix, seed)
            if cohen is not None
            else (None, None)
        )
        consensus = agreement.annotator_agreement_with_consensus(matrix) if annotators else []
        snapshots.append(
            AgreementSnapshot.objects.create(
                project=project,
                question_key=question["key"],
                level=level,
                items=int((np.isfinite(matrix).sum(axis=1) >= 2).sum()),
                annotators=len(annotators),
                alpha=alpha,
                alpha_low=_finite(low_high[0]),
                alpha_high=_finite(low_high[1]),
                fleiss_kappa=fleiss,
                fleiss_low=_finite(fleiss_interval[0]),
                fleiss_high=_finite(fleiss_interval[1]),
                cohen_kappa_mean=cohen,
                cohen_low=_finite(cohen_interval[0]),
                cohen_high=_finite(cohen_interval[1]),
                percent_agreement=_safe(agreement.percent_agreement, matrix),
                percent_low=_finite(percent_interval[0]),
                percent_high=_finite(percent_interval[1]),
                per_annotator={
                    str(a): _finite(share) for a, share in zip(annotators, consensus, strict=True)
                },
                position_bias=_position_bias(project, question, rows)
                if question["kind"] == "pairwise"
                else None,
            )
        )
    return snapshots
