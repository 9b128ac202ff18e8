"""A project's review policy: created with defaults the first time it is needed."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction

from portal.errors import DomainError
from portal.numbers import fraction_clean
from projects.models import Project
from projects.questions import KINDS
from reviews.models import ReviewPolicy
from tenants.models import User, Workspace
from tenants.services.audit import audit_record

FRACTIONS = ("low_quality_audit_rate", "quality_threshold", "disagreement_threshold", "calibration_pass_mark")
CATEGORY_LENGTH = 60
PLACES = 3  # the decimal places of every fraction the policy keeps
COUNTS = {"new_annotator_audits": (0, 1000), "quality_window": (1, 1000), "quality_minimum": (1, 1000)}


def review_policy(project: Project) -> ReviewPolicy:
    policy = getattr(project, "_review_policy", None)
    if policy is None:
        policy, _ = ReviewPolicy.objects.get_or_create(
            project=project, defaults={"seed": secrets.randbits(62)}
        )
        project._review_policy = policy
    return policy


def _thresholds_clean(value) -> tuple[dict, str | None]:
    """`{"rating": 0.8}`: a fraction per question kind."""
    if not isinstance(value, dict):
        return {}, 'an object of question kind to fraction, e.g. {"rating": 0.8}'
    clean = {}
    for kind, threshold in value.items():
        if kind not in KINDS:
            return {}, f"'{kind}' is not a question kind; use: {', '.join(KINDS)}"
        fraction, problem = fraction_clean(threshold, PLACES)
        if problem:
            return {}, f"the threshold for {kind} must be {problem}"
        clean[kind] = float(fraction)
    return clean, None


def disagreement_threshold(policy: ReviewPolicy, kind: str) -> Decimal:
    """Below this mean pairwise agreement on a question of `kind`, an item goes to adjudication."""
    by_kind = policy.disagreement_by_kind or {}
    return Decimal(str(by_kind[kind])) if kind in by_kind else policy.disagreement_threshold


@transaction.atomic
def review_policy_update(
    *, actor: User, workspace: Workspace, project: Project, changes: dict
) -> ReviewPolicy:
    """Change the policy; every bad field is named in one error and nothing changes then."""
    clean: dict = {}
    problems: dict[str, list[str]] = {}
    for name, value in changes.items():
        if name in FRACTIONS:
            value, problem = fraction_clean(value, PLACES)
            if problem:
                problems[name] = [problem]
        elif name in COUNTS:
            low, high = COUNTS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems[name] = [f"a whole number from {low} to {high}"]
        elif name == "disagreement_by_kind":
            value, problem = _thresholds_clean(value)
            if problem:
                problems[name] = [problem]
        elif name == "error_categories":
            names = [v.strip() for v in value if isinstance(v, str)] if isinstance(value, list) else []
            if not names or len(names) != len(value) or not all(names) or len(set(names)) != len(names):
                problems[name] = ["a non-empty list of distinct category names"]
            elif any(len(category) > CATEGORY_LENGTH for category in names):
                problems[name] = [f"a category name has at most {CATEGORY_LENGTH} characters"]
            value = names
        else:
            problems[name] = ["not a review setting"]
        clean[name] = value
    if problems:
        raise DomainError("Some review settings are invalid.", code="invalid_policy", fields=problems)
    policy = review_policy(project)
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.save()
    audit_record(
        actor=actor,
        action="review_policy.changed",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "fields": sorted(clean)},
    )
    return policy
