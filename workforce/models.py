"""Public-schema models of the vendor's expert pool: profiles, vetting, qualification tests, and
the commitments that staff a person into client projects across every workspace."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

USER = settings.AUTH_USER_MODEL


class Level(models.IntegerChoices):
    GENERALIST = 1, "Generalist"
    PRACTITIONER = 2, "Practitioner"
    CREDENTIALED_EXPERT = 3, "Credentialed expert"


class Proficiency(models.IntegerChoices):
    """CEFR levels, with native above C2."""

    A1 = 1, "A1 (beginner)"
    A2 = 2, "A2 (elementary)"
    B1 = 3, "B1 (intermediate)"
    B2 = 4, "B2 (upper intermediate)"
    C1 = 5, "C1 (advanced)"
    C2 = 6, "C2 (proficient)"
    NATIVE = 7, "Native"


class ExpertiseArea(models.Model):
    """A node of the vendor's taxonomy: a domain (`medicine`) or a sub-domain (`medicine/cardiology`)."""

    code = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class AnnotatorProfile(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        SCREENING = "screening", "Screening"
        VETTED = "vetted", "Vetted"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        OFFBOARDED = "offboarded", "Offboarded"

    class RateTier(models.TextChoices):
        STANDARD = "standard", "Standard"
        SPECIALIST = "specialist", "Specialist"
        EXPERT = "expert", "Expert"

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="annotator_profile")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.APPLICANT)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2 code.")
    timezone = models.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    weekly_capacity_hours = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(80)]
    )
    # Hours promised to live commitments; changed with F() in the transaction that commits them.
    committed_hours = models.PositiveSmallIntegerField(default=0)
    rate_tier = models.CharField(max_length=12, choices=RateTier.choices, default=RateTier.STANDARD)
    summary = models.TextField(blank=True, help_text="What the applicant told us about their experience.")
    applied_at = models.DateTimeField(default=now)
    status_changed_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-applied_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_capacity_hours__gte=1, weekly_capacity_hours__lte=80),
                name="profile_capacity_1_80",
            ),
            # The capacity promise, held by the database even when two staffers confirm at once.
            models.CheckConstraint(
                condition=Q(committed_hours__lte=models.F("weekly_capacity_hours")),
                name="profile_committed_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="profile_status")]

    def __str__(self) -> str:
        return f"profile {self.pk} ({self.status})"

    @property
    def free_hours(self) -> int:
        return self.weekly_capacity_hours - self.committed_hours


class ProfileExpertise(models.Model):
    """An expertise a person claims, and what the vendor has verified of it.

    `level` stays empty until the person is vetted for the area (by passing its qualification
    test); it is the claimed level, capped at practitioner until vendor staff verify the credential.
    """

    profile = models.ForeignKey(AnnotatorProfile, on_delete=models.CASCADE, related_name="expertise")
    area = models.ForeignKey(ExpertiseArea, on_delete=models.PROTECT, related_name="+")
    claimed_level = models.PositiveSmallIntegerField(choices=Level.choices)
    credential = models.CharField(max_length=300, blank=True)
    credential_verified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credential_verified_at = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    qualification_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    vetted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["profile", "area__code"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "area"], name="expertise_once_per_area"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__lte=models.F("claimed_level")),
                name="expertise_level_within_claim",
            ),
        ]
        indexes = [
            models.Index(fields=["area", "level"], condition=Q(level__isnull=False), name="expertise_vetted")
        ]


class ProfileLanguage(models.Model):
    profile = models.ForeignKey(AnnotatorProfile, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=12, help_text="BCP 47 tag, e.g. en, de, pt-BR.")
    proficiency = models.PositiveSmallIntegerField(choices=Proficiency.choices)

    class Meta:
        ordering = ["profile", "-proficiency", "code"]
        constraints = [models.UniqueConstraint(fields=["profile", "code"], name="language_once_per_profile")]
        indexes = [models.Index(fields=["code", "proficiency"], name="language_lookup")]


class QualificationTest(models.Model):
    """Gold questions for one expertise area, answered in the workbench and scored automatically."""

    area = models.ForeignKey(ExpertiseArea, on_delete=models.PROTECT, related_name="tests")
    name = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    questions = models.JSONField()
    # [{"payload": {...item fields...}, "gold": {...a result in canonical form...}}, ...]
    items = models.JSONField()
    pass_mark = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.8"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    max_attempts = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    cooldown_hours = models.PositiveIntegerField(default=24)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["area__code", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__gte=0, pass_mark__lte=1), name="test_pass_mark"),
            models.UniqueConstraint(
                fields=["area"], condition=Q(is_active=True), name="test_one_active_per_area"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QualificationAttempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    test = models.ForeignKey(QualificationTest, on_delete=models.PROTECT, related_name="attempts")
    profile = models.ForeignKey(AnnotatorProfile, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    # Per item, the order its responses are shown in (order[display_position] = canonical index).
    response_orders = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)  # item index -> canonical result
    drafts = models.JSONField(default=dict, blank=True)
    item_scores = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    passed = models.BooleanField(null=True)
    started_at = models.DateTimeField(default=now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["test", "profile", "number"], name="attempt_number"),
            models.UniqueConstraint(
                fields=["test", "profile"], condition=Q(status="in_progress"), name="attempt_one_open"
            ),
        ]


class Commitment(models.Model):
    """A person staffed onto a project of a workspace for some hours a week.

    The workspace's own `projects.Staffing` row says who may work the project; this public row is
    what holds capacity across every workspace and what the annotator's home page reads.
    Ending a commitment sets `ended_at`; history stays.
    """

    class Role(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator"
        AUDITOR = "auditor", "Auditor"

    profile = models.ForeignKey(AnnotatorProfile, on_delete=models.CASCADE, related_name="commitments")
    workspace = models.ForeignKey("tenants.Workspace", on_delete=models.CASCADE, related_name="+")
    project_id = models.BigIntegerField()
    project_name = models.CharField(max_length=200)
    role = models.CharField(max_length=12, choices=Role.choices)
    hours_per_week = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    fit = models.JSONField(default=dict, blank=True)  # the ranking that justified it
    # The person's rolling quality on this project (reviews), which feeds their fit for future work.
    quality_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    ended_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "workspace", "project_id", "role"],
                condition=Q(ended_at__isnull=True),
                name="commitment_one_live",
            ),
            models.CheckConstraint(condition=Q(hours_per_week__gte=1), name="commitment_hours_positive"),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "project_id"], condition=Q(ended_at__isnull=True), name="commitment_live"
            )
        ]
