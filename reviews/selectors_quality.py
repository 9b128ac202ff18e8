"""Reads behind the quality and calibration pages and their API: agreement trends, audit
figures, error categories, position bias, the annotator table and calibration rounds.

Everything a client or an auditor sees of a person goes through `pseudonym` here: the dicts
these selectors return carry no user id, name or email.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from itertools import combinations

from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from projects.models import GuidelineVersion, Item, Project, Staffing
from reviews.models import (
    AgreementSnapshot,
    AnnotatorQuality,
    Audit,
    CalibrationParticipant,
    CalibrationRound,
)
from reviews.services.intake import pair_agreement
from reviews.services.policy import review_policy
from reviews.services.quality import VERDICT_VALUE
from tenants.models import User, Workspace
from tenants.selectors import pseudonym

# The trend shows (and the API returns) the latest snapshots of each question, oldest first.
SERIES_MAX = 120
# Under this p-value the share of first-shown wins is read as position bias.
SIGNIFICANCE = 0.05
FIGURES = (
    "alpha",
    "alpha_low",
    "alpha_high",
    "fleiss_kappa",
    "fleiss_low",
    "fleiss_high",
    "cohen_kappa_mean",
    "cohen_low",
    "cohen_high",
    "percent_agreement",
    "percent_low",
    "percent_high",
)


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def agreement_series(*, project: Project, limit: int = SERIES_MAX) -> dict[str, list[AgreementSnapshot]]:
    """The latest `limit` snapshots of every question, oldest first (one query)."""
    ranked = AgreementSnapshot.objects.filter(project=project).annotate(
        recency=Window(
            RowNumber(), partition_by=[F("question_key")], order_by=[F("computed_at").desc(), F("id").desc()]
        )
    )
    series: dict[str, list[AgreementSnapshot]] = {}
    for snapshot in ranked.filter(recency__lte=limit).order_by("question_key", "computed_at", "id"):
        series.setdefault(snapshot.question_key, []).append(snapshot)
    return series


def agreement_latest(*, project: Project) -> list[AgreementSnapshot]:
    """The newest snapshot of each question, in the project's question order (one query)."""
    latest = {key: snapshots[-1] for key, snapshots in agreement_series(project=project, limit=1).items()}
    return [latest[q["key"]] for q in project.questions if q["key"] in latest]


def position_bias_reading(share: float, p_value: float) -> str:
    """What a share of first-shown wins and its binomial p-value say, in plain words."""
    if p_value >= SIGNIFICANCE:
        return "no evidence of position bias"
    side = "first" if share > 0.5 else "second"
    return f"the {side}-shown response wins more often than chance (p = {p_value:.3g})"


def _bias(entry: dict) -> dict:
    return {
        "share": entry["share"],
        "p_value": entry["p_value"],
        "decided": entry["decided"],
        "reading": position_bias_reading(entry["share"], entry["p_value"]),
    }


def _snapshot_figures(snapshot: AgreementSnapshot) -> dict:
    return {
        "computed_at": snapshot.computed_at,
        "level": snapshot.level,
        "items": snapshot.items,
        "annotators": snapshot.annotators,
        **{name: getattr(snapshot, name) for name in FIGURES},
    }


def audit_summary(*, project: Project) -> dict:
    """Finished and pending audits, finished ones by verdict, and their pass rate (minor issues
    count half a pass, as in each annotator's quality)."""
    counts = Audit.objects.filter(project=project).aggregate(
        pending=Count("id", filter=Q(status=Audit.Status.PENDING)),
        **{
            verdict: Count("id", filter=Q(status=Audit.Status.DONE, verdict=verdict))
            for verdict in Audit.Verdict.values
        },
    )
    by_verdict = {verdict: counts[verdict] for verdict in Audit.Verdict.values}
    finished = sum(by_verdict.values())
    passed = sum(VERDICT_VALUE[verdict] * count for verdict, count in by_verdict.items())
    return {
        "finished": finished,
        "pending": counts["pending"],
        "by_verdict": by_verdict,
        "verdicts": [
            {"verdict": verdict, "label": label, "count": by_verdict[verdict]}
            for verdict, label in Audit.Verdict.choices
        ],
        "pass_rate": float(passed / finished) if finished else None,
    }


_CATEGORY_COUNTS = """
    SELECT category, count(*) FROM reviews_audit, jsonb_array_elements_text(error_categories) AS category
    WHERE project_id = %s AND status = %s GROUP BY category
"""


def error_category_counts(*, project: Project) -> list[dict]:
    """How often each error category was named by finished audits: the policy's categories in
    its order (zero included), then any others that audits used before the policy changed."""
    with connection.cursor() as cursor:
        cursor.execute(_CATEGORY_COUNTS, [project.pk, Audit.Status.DONE])
        counts = dict(cursor.fetchall())
    categories = list(review_policy(project).error_categories)
    others = sorted((c for c in counts if c not in categories), key=lambda c: (-counts[c], c))
    return [{"category": c, "count": counts.get(c, 0)} for c in [*categories, *others]]


def _annotator_rows(project: Project) -> tuple[list[int], dict[int, AnnotatorQuality]]:
    """Everyone who annotates or annotated the project: live staffing, then anyone with a
    quality row (two queries)."""
    qualities = {row.annotator_id: row for row in AnnotatorQuality.objects.filter(project=project)}
    staffed = Staffing.objects.filter(
        project=project, role=Staffing.Role.ANNOTATOR, removed_at__isnull=True
    ).values_list("user_id", flat=True)
    people = list(dict.fromkeys([*staffed, *sorted(qualities)]))
    return people, qualities


def quality_overview(*, project: Project, workspace: Workspace) -> dict:
    """Everything the quality page and `GET .../quality/` show, with people as pseudonyms."""

    def name(user_id) -> str:
        return pseudonym(workspace_id=workspace.pk, user_id=int(user_id))

    series = agreement_series(project=project)
    questions = []
    for question in project.questions:
        snapshots = series.get(question["key"])
        if not snapshots:
            continue
        newest = snapshots[-1]
        bias = None
        if newest.position_bias:
            bias = {
                "project": _bias(newest.position_bias["project"]),
                "annotators": sorted(
                    (
                        {"annotator": name(user_id), **_bias(entry)}
                        for user_id, entry in newest.position_bias.get("annotators", {}).items()
                    ),
                    key=lambda row: row["annotator"],
                ),
            }
        questions.append(
            {
                "key": question["key"],
                "prompt": question.get("prompt", question["key"]),
                "kind": question["kind"],
                "latest": _snapshot_figures(newest),
                "series": [_snapshot_figures(snapshot) for snapshot in snapshots],
                "position_bias": bias,
            }
        )
    latest = {q["key"]: series[q["key"]][-1] for q in questions}
    people, qualities = _annotator_rows(project)
    annotators = []
    for user_id in people:
        row = qualities.get(user_id)
        annotators.append(
            {
                "annotator": name(user_id),
                "annotations": row.annotations if row else 0,
                "audits": row.audits if row else 0,
                "audit_pass_rate": _float(row.audit_pass_rate) if row else None,
                "gold_scored": row.gold_scored if row else 0,
                "gold_accuracy": _float(row.gold_accuracy) if row else None,
                "score": _float(row.score) if row else None,
                "agreement": {
                    key: snapshot.per_annotator.get(str(user_id)) for key, snapshot in latest.items()
                },
                "status": row.status if row else AnnotatorQuality.Status.ACTIVE,
                "paused_at": row.paused_at if row and row.status == AnnotatorQuality.Status.PAUSED else None,
                "pause_reason": row.pause_reason if row else "",
            }
        )
    annotators.sort(key=lambda entry: (entry["status"] != AnnotatorQuality.Status.PAUSED, entry["annotator"]))
    return {
        "questions": questions,
        "audits": audit_summary(project=project),
        "error_categories": error_category_counts(project=project),
        "annotators": annotators,
    }


def review_policy_figures(*, project: Project) -> dict:
    policy = review_policy(project)
    return {
        "error_categories": list(policy.error_categories),
        "new_annotator_audits": policy.new_annotator_audits,
        "low_quality_audit_rate": float(policy.low_quality_audit_rate),
        "quality_threshold": float(policy.quality_threshold),
        "quality_window": policy.quality_window,
        "quality_minimum": policy.quality_minimum,
        "disagreement_threshold": float(policy.disagreement_threshold),
        "disagreement_by_kind": dict(policy.disagreement_by_kind or {}),
        "calibration_pass_mark": float(policy.calibration_pass_mark),
    }


def annotators_paused(*, project: Project, workspace: Workspace) -> list[dict]:
    """Who is paused on the project, as pseudonyms, longest paused first."""
    rows = AnnotatorQuality.objects.filter(project=project, status=AnnotatorQuality.Status.PAUSED).order_by(
        "paused_at", "id"
    )
    return [
        {
            "annotator": pseudonym(workspace_id=workspace.pk, user_id=row.annotator_id),
            "paused_at": row.paused_at,
            "reason": row.pause_reason,
        }
        for row in rows
    ]


# Calibration ----------------------------------------------------------------------------------


def calibration_participant(*, project: Project, annotator: User) -> CalibrationParticipant | None:
    """The annotator's place in the project's open calibration round, if they have one."""
    return (
        CalibrationParticipant.objects.select_related("round")
        .filter(round__project=project, round__status=CalibrationRound.Status.OPEN, annotator=annotator)
        .first()
    )


def _agreement_on_item(project: Project, answers: list[dict]) -> float | None:
    """The share of pairs of participants whose answers agree on every question scorable by
    rule; None with fewer than two answers or nothing comparable."""
    pairs = [pair_agreement(project, first, second) for first, second in combinations(answers, 2)]
    compared = [value for value in pairs if value is not None]
    if not compared:
        return None
    return sum(1 for value in compared if value == 1.0) / len(compared)


def calibration_overview(*, project: Project, workspace: Workspace) -> dict | None:
    """The open round (or else the latest one): its participants as pseudonyms with status and
    score, and per item how far the participants' answers agree."""
    round_ = (
        CalibrationRound.objects.filter(project=project, status=CalibrationRound.Status.OPEN).first()
        or CalibrationRound.objects.filter(project=project).order_by("-created_at", "-id").first()
    )
    if round_ is None:
        return None
    participants = list(round_.participants.order_by("id"))
    items = {item.pk: item for item in Item.objects.filter(pk__in=round_.item_ids)}
    version = (
        GuidelineVersion.objects.filter(pk=round_.guideline_version_id)
        .values_list("number", flat=True)
        .first()
        if round_.guideline_version_id
        else None
    )
    agreement = []
    for item_id in round_.item_ids:
        answers = [p.answers[str(item_id)] for p in participants if str(item_id) in p.answers]
        item = items.get(item_id)
        agreement.append(
            {
                "item_id": item_id,
                "external_id": item.external_id if item else None,
                "is_gold": item.is_gold if item else False,
                "answers": len(answers),
                "percent_agreement": _agreement_on_item(project, answers),
            }
        )
    statuses = Counter(p.status for p in participants)
    return {
        "id": round_.pk,
        "status": round_.status,
        "reason": round_.reason,
        "guideline_version": version,
        "pass_mark": float(round_.pass_mark),
        "items": len(round_.item_ids),
        "created_at": round_.created_at,
        "closed_at": round_.closed_at,
        "counts": {status: statuses.get(status, 0) for status in CalibrationParticipant.Status.values},
        "participants": sorted(
            (
                {
                    "id": p.pk,
                    "annotator": pseudonym(workspace_id=workspace.pk, user_id=p.annotator_id),
                    "status": p.status,
                    "answered": len(p.answers),
                    "score": _float(p.score),
                    "finished_at": p.finished_at,
                }
                for p in participants
            ),
            key=lambda row: row["annotator"],
        ),
        "agreement": agreement,
    }


def calibration_outcome(participant: CalibrationParticipant) -> str:
    """What a participant's round says to them."""
    mark = f"pass mark {participant.round.pass_mark:.0%}"
    if participant.status == CalibrationParticipant.Status.PENDING:
        left = len(participant.round.item_ids) - len(participant.answers)
        return f"Your calibration round has {left} item(s) left."
    if participant.status == CalibrationParticipant.Status.PASSED:
        score = (
            f"score {participant.score:.0%}, {mark}"
            if participant.score is not None
            else "no answer could be scored automatically"
        )
        return f"You passed this calibration round ({score}). Your production tasks are open again."
    return (
        f"You failed this calibration round (score {participant.score:.0%}, {mark}). "
        "An auditor will go through it with you and can let you take it again."
    )
