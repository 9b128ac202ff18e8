"""Workspace-schema models: projects, staffing, guidelines, items, assignments, annotations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from projects.presets import PRESETS
from tenants.models import PERSON

USER = settings.AUTH_USER_MODEL


class Project(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

    # A finished project's data is final: no new annotations, no edits, and no staff.
    FINISHED = frozenset({Status.COMPLETED, Status.ARCHIVED})

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    task_type = models.CharField(max_length=40)
    questions = models.JSONField(default=list)
    item_fields = models.JSONField(default=dict)
    overlap = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    lease_seconds = models.PositiveIntegerField(default=30 * 60)
    gold_rate = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0"))
    audit_rate = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0"))
    requirements = models.JSONField(default=dict, blank=True)
    priority = models.SmallIntegerField(default=0)
    allow_edits = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, null=True, **PERSON)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    items_count = models.PositiveIntegerField(default=0)
    annotations_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-priority", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=1, overlap__lte=10), name="project_overlap_1_10"),
            models.CheckConstraint(condition=Q(gold_rate__gte=0, gold_rate__lte=1), name="project_gold_rate"),
            models.CheckConstraint(
                condition=Q(audit_rate__gte=0, audit_rate__lte=1), name="project_audit_rate"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def task_type_label(self) -> str:
        """The task type as people read it: "Side-by-side preference", not its key."""
        preset = PRESETS.get(self.task_type)
        return preset.label if preset else self.task_type


class Staffing(models.Model):
    """Who may annotate or audit a project. Unstaffing sets `removed_at`; history stays."""

    class Role(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator"
        AUDITOR = "auditor", "Auditor"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="staffing")
    user = models.ForeignKey(USER, **PERSON)
    role = models.CharField(max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The queue scans forward from the last item handed to this person (see projects.services.queue).
    queue_cursor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "role"],
                condition=Q(removed_at__isnull=True),
                name="staffing_one_live_row",
            )
        ]


class GuidelineVersion(models.Model):
    class Kind(models.TextChoices):
        EDITORIAL = "editorial", "Editorial"
        SEMANTIC = "semantic", "Semantic"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="guidelines")
    number = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    changelog = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.EDITORIAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, null=True, **PERSON)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="guideline_number"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="draft"), name="guideline_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class GuidelineAcknowledgement(models.Model):
    version = models.ForeignKey(GuidelineVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(USER, **PERSON)
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="guideline_ack_once")]


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VALIDATING = "validating", "Validating"
        WRITING = "writing", "Writing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(USER, null=True, **PERSON)
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=8)
    file = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if self.status == self.Status.FAILED or not self.total_rows:
            return 0  # a failed import wrote nothing
        return min(99, int(100 * self.processed_rows / self.total_rows))


class ItemQuerySet(models.QuerySet):
    def free_slot(self, overlap: int, **also) -> int:
        """Give back one slot of these items: each is open again if it is a production item (a gold
        one never is) and now short of `overlap`, which may have been lowered since it filled."""
        return self.update(
            assigned_count=F("assigned_count") - 1,
            is_open=ExpressionWrapper(
                Q(is_gold=False, assigned_count__lte=overlap), output_field=BooleanField()
            ),
            **also,
        )


class Item(models.Model):
    # Indexed by the (project, external_id) constraint and the open-queue index.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    external_id = models.CharField(max_length=200)
    payload = models.JSONField()
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True)
    # Which import wrote the item: provenance, never joined on the hot path. Not checked by the
    # database: an import writes up to 100,000 items for one job row, made before them and never
    # deleted, and the deferred per-row checks cost a third of a second at commit. (Django still
    # sets it to NULL should a job be deleted through the ORM.)
    batch = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Live leases plus submitted annotations; the item is open while this is below the overlap.
    assigned_count = models.PositiveSmallIntegerField(default=0)
    completed_count = models.PositiveSmallIntegerField(default=0)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="item_external_id_per_project")
        ]
        indexes = [
            models.Index(fields=["project", "id"], condition=Q(is_open=True), name="item_open_queue"),
            # The queue's gold pick: a project's few gold items, without reading its other items.
            models.Index(fields=["project"], condition=Q(is_gold=True), name="item_gold"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Assignment(models.Model):
    """A lease of one item to one annotator, and what became of it."""

    class Status(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"
        EXPIRED = "expired", "Expired"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    # Indexed with the item below: the queue asks "has this annotator had this item?".
    annotator = models.ForeignKey(USER, **PERSON, db_index=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LEASED)
    response_order = models.JSONField(null=True, blank=True)
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    leased_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=500, blank=True)
    draft = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="assignment_once_per_item"),
            models.UniqueConstraint(
                fields=["project", "annotator"],
                condition=Q(status="leased"),
                name="assignment_one_live_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="leased"), name="assignment_live_leases"),
            models.Index(fields=["annotator", "item"], name="assignment_annotator_item"),
        ]


class Annotation(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotations")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="annotation")
    annotator = models.ForeignKey(USER, **PERSON)
    result = models.JSONField()
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="annotations"
    )
    time_spent_ms = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    needs_rereview = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["item", "annotator"], name="annotation_once_per_item")]
        indexes = [
            models.Index(fields=["project", "id"], name="annotation_project_cursor"),
            # An annotator's own work on a project, newest first (the workbench's history).
            models.Index(fields=["annotator", "project", "id"], name="annotation_annotator_recent"),
        ]


class AnnotationRevision(models.Model):
    """An earlier state of an annotation, kept when it is edited."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    result = models.JSONField()
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    time_spent_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["annotation", "number"]
        constraints = [models.UniqueConstraint(fields=["annotation", "number"], name="revision_number")]
