"""Workspace-schema models of quality control: each project's review policy, gold scores, blind
audits, adjudications, calibration rounds, agreement snapshots and per-annotator quality."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from projects.models import Annotation, GuidelineVersion, Item, Project
from tenants.models import PERSON

USER = settings.AUTH_USER_MODEL
FRACTION = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]
COMMENT_MAX_LENGTH = 5000  # an audit's or adjudication's comment
DEFAULT_ERROR_CATEGORIES = [
    "factual_error",
    "guideline_violation",
    "tone",
    "incomplete",
    "wrong_preference",
    "safety",
]


def default_error_categories() -> list[str]:
    return list(DEFAULT_ERROR_CATEGORIES)


class ReviewPolicy(models.Model):
    """How a project is checked, beyond its gold and audit rates (which live on the project)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="review_policy")
    error_categories = models.JSONField(default=default_error_categories)
    # Every annotator's first N annotations on the project are audited.
    new_annotator_audits = models.PositiveSmallIntegerField(default=5)
    # The audit rate for annotators whose quality is under the threshold.
    low_quality_audit_rate = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.5"), validators=FRACTION
    )
    quality_threshold = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.7"), validators=FRACTION
    )
    # Quality is judged on the latest N audits and gold scores, once there are at least `quality_minimum`.
    quality_window = models.PositiveSmallIntegerField(default=50)
    quality_minimum = models.PositiveSmallIntegerField(default=5)
    # Items whose annotations agree less than this (mean pairwise score) go to adjudication.
    disagreement_threshold = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.6"), validators=FRACTION
    )
    # Per question kind, a threshold in place of the one above (e.g. {"rating": 0.8}).
    disagreement_by_kind = models.JSONField(default=dict, blank=True)
    calibration_pass_mark = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.8"), validators=FRACTION
    )
    seed = models.BigIntegerField(default=0, help_text="Makes audit sampling reproducible.")


class GoldScore(models.Model):
    """How an annotation of a gold item matched the known answer (None: a person must judge)."""

    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="gold_score")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(USER, **PERSON)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    per_question = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["project", "annotator", "created_at"], name="gold_score_annotator")]


class Audit(models.Model):
    class Reason(models.TextChoices):
        SAMPLED = "sampled", "Sampled at the audit rate"
        NEW_ANNOTATOR = "new_annotator", "New to the project"
        LOW_QUALITY = "low_quality", "Under the quality threshold"
        LOW_AGREEMENT = "low_agreement", "Low agreement on the item"
        GOLD_TEXT = "gold_text", "Free text on a gold item"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    class Verdict(models.TextChoices):
        PASS = "pass", "Pass"
        MINOR = "minor", "Minor issues"
        FAIL = "fail", "Fail"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audits")
    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="audit")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    auditor = models.ForeignKey(USER, null=True, blank=True, **PERSON)
    claimed_at = models.DateTimeField(null=True, blank=True)
    blind_result = models.JSONField(null=True, blank=True)  # the auditor's own answer, given first
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    error_categories = models.JSONField(default=list, blank=True)
    corrected_result = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["project", "created_at"], condition=Q(status="pending"), name="audit_pending"
            ),
        ]


class Adjudication(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="adjudications")
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="adjudication")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    agreement = models.DecimalField(max_digits=5, decimal_places=4)
    auditor = models.ForeignKey(USER, null=True, blank=True, **PERSON)
    chosen_annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consensus_result = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class Consensus(models.Model):
    """The item's final answer: the agreed one, or the one a senior auditor chose or wrote."""

    class Source(models.TextChoices):
        AGREEMENT = "agreement", "Annotators agreed"
        ADJUDICATION = "adjudication", "Adjudicated"

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="consensus")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    result = models.JSONField()
    source = models.CharField(max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(default=now)


class CalibrationRound(models.Model):
    """Items every staffed annotator must complete before production work resumes."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="calibration_rounds")
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300)
    item_ids = models.JSONField()
    pass_mark = models.DecimalField(max_digits=4, decimal_places=3, validators=FRACTION)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(USER, null=True, **PERSON)
    created_at = models.DateTimeField(default=now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="open"), name="calibration_one_open"
            )
        ]


class CalibrationParticipant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    round = models.ForeignKey(CalibrationRound, on_delete=models.CASCADE, related_name="participants")
    annotator = models.ForeignKey(USER, **PERSON)
    answers = models.JSONField(default=dict)  # item id -> canonical result
    drafts = models.JSONField(default=dict)  # item id -> the workbench's autosaved, unsent answer
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "annotator"], name="calibration_participant_once")
        ]


class AgreementSnapshot(models.Model):
    """Agreement on one question of a project at one moment: the trend is the series of these."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreement_snapshots")
    question_key = models.CharField(max_length=40)
    level = models.CharField(max_length=8)  # nominal, ordinal, interval
    items = models.PositiveIntegerField()
    annotators = models.PositiveIntegerField()
    alpha = models.FloatField(null=True)
    alpha_low = models.FloatField(null=True)
    alpha_high = models.FloatField(null=True)
    fleiss_kappa = models.FloatField(null=True)
    fleiss_low = models.FloatField(null=True)
    fleiss_high = models.FloatField(null=True)
    cohen_kappa_mean = models.FloatField(null=True)
    cohen_low = models.FloatField(null=True)
    cohen_high = models.FloatField(null=True)
    percent_agreement = models.FloatField(null=True)
    percent_low = models.FloatField(null=True)
    percent_high = models.FloatField(null=True)
    per_annotator = models.JSONField(default=dict)  # annotator id -> agreement with consensus
    position_bias = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["project", "question_key", "computed_at"]
        indexes = [models.Index(fields=["project", "computed_at"], name="agreement_snapshot_time")]


class AnnotatorQuality(models.Model):
    """Rolling quality of one annotator on one project, and whether they are paused there."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(USER, **PERSON)
    annotations = models.PositiveIntegerField(
        default=0
    )  # submitted on the project, for the new-annotator rule
    audits = models.PositiveIntegerField(default=0)
    audit_pass_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    gold_scored = models.PositiveIntegerField(default=0)
    gold_accuracy = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    reinstated_by = models.ForeignKey(USER, null=True, blank=True, **PERSON)
    reinstated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "annotator"], name="quality_once")]
