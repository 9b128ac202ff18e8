"""Reads for auditors and annotators: the auditor's projects, their claimed audit, open
adjudications, and an annotator's own audited work. Each owns its query shape.

What an auditor reads of an audit or an adjudication never names who made the annotation: the
selectors hand out annotations and items, and the views render only results and payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef

from portal.errors import NotFoundError
from projects.models import Annotation, Project, Staffing
from reviews.models import Adjudication, AnnotatorQuality, Audit, CalibrationRound
from reviews.selectors import auditor_staffed
from tenants.models import User, Workspace
from tenants.selectors import pseudonym

LIVE = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)
FEEDBACK_PAGE_MAX = 200


@dataclass
class PausedAnnotator:
    """A paused annotator as an auditor sees them: a pseudonym and their numbers, no user id."""

    quality_id: int
    pseudonym: str
    annotations: int
    audits: int
    audit_pass_rate: object
    gold_scored: int
    gold_accuracy: object
    score: object
    paused_at: object
    pause_reason: str

    @staticmethod
    def _percent(value) -> str:
        return "–" if value is None else f"{value:.0%}"

    @property
    def score_percent(self) -> str:
        return self._percent(self.score)

    @property
    def audit_pass_percent(self) -> str:
        return self._percent(self.audit_pass_rate)

    @property
    def gold_percent(self) -> str:
        return self._percent(self.gold_accuracy)


@dataclass
class AuditorProject:
    project: Project
    pending_audits: int = 0
    claimed_by_me: int = 0
    open_adjudications: int = 0
    calibration_open: bool = False
    paused: list[PausedAnnotator] = field(default_factory=list)


def auditor_project_list(*, user: User) -> list[Project]:
    """The projects the user audits (vendor staff: every project that is not archived)."""
    projects = Project.objects.exclude(status=Project.Status.ARCHIVED)
    if not user.is_staff:
        projects = projects.filter(
            staffing__user=user, staffing__role=Staffing.Role.AUDITOR, staffing__removed_at__isnull=True
        )
    return list(projects.order_by("-priority", "name", "id"))


def auditor_project_get(*, user: User, project_id: int) -> Project:
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not auditor_staffed(user=user, project=project):
        raise NotFoundError("No such project.")
    return project


def _counts(rows) -> dict[int, int]:
    return dict(rows.values("project_id").annotate(n=Count("id")).values_list("project_id", "n"))


def auditor_overview(*, user: User, workspace: Workspace) -> list[AuditorProject]:
    """Per project the user audits: what waits for them and who is paused (five queries)."""
    projects = auditor_project_list(user=user)
    ids = [p.pk for p in projects]
    pending = Audit.objects.filter(project_id__in=ids, status=Audit.Status.PENDING).exclude(
        annotation__annotator=user
    )
    waiting = _counts(pending)
    mine = _counts(pending.filter(auditor=user))
    adjudications = _counts(adjudications_open_query(user=user).filter(project_id__in=ids))
    calibrating = set(
        CalibrationRound.objects.filter(project_id__in=ids, status=CalibrationRound.Status.OPEN).values_list(
            "project_id", flat=True
        )
    )
    paused: dict[int, list[PausedAnnotator]] = {}
    rows = AnnotatorQuality.objects.filter(
        project_id__in=ids, status=AnnotatorQuality.Status.PAUSED
    ).order_by("paused_at", "id")
    for row in rows:
        paused.setdefault(row.project_id, []).append(
            PausedAnnotator(
                quality_id=row.pk,
                pseudonym=pseudonym(workspace_id=workspace.pk, user_id=row.annotator_id),
                annotations=row.annotations,
                audits=row.audits,
                audit_pass_rate=row.audit_pass_rate,
                gold_scored=row.gold_scored,
                gold_accuracy=row.gold_accuracy,
                score=row.score,
                paused_at=row.paused_at,
                pause_reason=row.pause_reason,
            )
        )
    return [
        AuditorProject(
            project=p,
            pending_audits=waiting.get(p.pk, 0),
            claimed_by_me=mine.get(p.pk, 0),
            open_adjudications=adjudications.get(p.pk, 0),
            calibration_open=p.pk in calibrating,
            paused=paused.get(p.pk, []),
        )
        for p in projects
    ]


def audit_claimed_get(*, auditor: User, audit_id: int) -> Audit:
    """A pending audit the auditor claimed, with what its page shows; 404 for anyone else's."""
    audit = (
        Audit.objects.select_related("project", "annotation__item", "annotation__guideline_version")
        .filter(pk=audit_id, auditor=auditor, status=Audit.Status.PENDING)
        .first()
    )
    if audit is None:
        raise NotFoundError("No such audit.")
    return audit


def adjudications_open_query(*, user: User):
    """Open adjudications, without items the user annotated (another auditor settles those)."""
    own = Annotation.objects.filter(item_id=OuterRef("item_id"), annotator=user)
    return Adjudication.objects.filter(status=Adjudication.Status.OPEN).exclude(Exists(own))


def adjudications_open(*, user: User, project: Project) -> list[Adjudication]:
    return list(
        adjudications_open_query(user=user)
        .filter(project=project)
        .select_related("item")
        .order_by("agreement", "created_at", "id")
    )


def adjudication_open_get(*, user: User, adjudication_id: int) -> Adjudication:
    """An open adjudication the user may settle; 404 otherwise."""
    adjudication = (
        adjudications_open_query(user=user)
        .select_related("project", "item")
        .filter(pk=adjudication_id)
        .first()
    )
    if adjudication is None or not auditor_staffed(user=user, project=adjudication.project):
        raise NotFoundError("No such adjudication.")
    return adjudication


def adjudication_answers(*, adjudication: Adjudication) -> list[Annotation]:
    """The item's live answers, oldest first; the caller numbers them and shows no identity."""
    return list(
        Annotation.objects.filter(item_id=adjudication.item_id, status__in=LIVE)
        .only("id", "result", "item_id")
        .order_by("id")
    )


def feedback_audits(*, annotator: User, before_id: int = 0, limit: int = 100) -> list[Audit]:
    """The annotator's own audited annotations in this workspace, newest first."""
    audits = Audit.objects.filter(status=Audit.Status.DONE, annotation__annotator=annotator)
    if before_id:
        audits = audits.filter(pk__lt=before_id)
    return list(
        audits.select_related("project", "annotation__item", "annotation__assignment").order_by("-id")[
            : min(limit, FEEDBACK_PAGE_MAX)
        ]
    )


def feedback_pauses(*, annotator: User) -> list[AnnotatorQuality]:
    """The projects where the annotator is paused, with the reason."""
    return list(
        AnnotatorQuality.objects.filter(annotator=annotator, status=AnnotatorQuality.Status.PAUSED)
        .select_related("project")
        .order_by("project__name", "id")
    )


def quality_paused_get(*, user: User, project: Project, quality_id: int) -> AnnotatorQuality:
    """A paused annotator's quality row on a project the user audits, by the row's id."""
    if not auditor_staffed(user=user, project=project):
        raise NotFoundError("No such project.")
    row = AnnotatorQuality.objects.filter(project=project, pk=quality_id).first()
    if row is None:
        raise NotFoundError("No such annotator on this project.")
    return row
