"""Reads of projects, items, annotations and staffing. Each owns its query shape."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.errors import NotFoundError
from projects.models import (
    Annotation,
    AnnotationRevision,
    GuidelineAcknowledgement,
    GuidelineVersion,
    ImportJob,
    Item,
    Project,
    Staffing,
)
from tenants.models import Membership, Role, User, Workspace
from tenants.selectors import pseudonym

SEES_ALL_PROJECTS = {Role.CLIENT_MANAGER, Role.CLIENT_VIEWER}


def projects_visible(*, user: User, membership: Membership | None) -> QuerySet[Project]:
    """Managers, viewers and vendor staff see every project; annotators and auditors theirs."""
    projects = Project.objects.all()
    if user.is_staff or (membership is not None and membership.role in SEES_ALL_PROJECTS):
        return projects
    return projects.filter(staffing__user=user, staffing__removed_at__isnull=True).distinct()


def project_visible(*, user: User, membership: Membership | None, project_id: int) -> Project:
    project = projects_visible(user=user, membership=membership).filter(pk=project_id).first()
    if project is None:
        raise NotFoundError("No such project.")
    return project


def project_get(*, project_id: int) -> Project:
    """A project by id, with no visibility rule: for callers that check access themselves."""
    # Every next-task request runs this: a hand-written query, no ORM compilation.
    project = next(
        iter(Project.objects.raw("SELECT * FROM projects_project WHERE id = %s", [project_id])), None
    )
    if project is None:
        raise NotFoundError("No such project.")
    return project


def project_progress(project: Project) -> dict:
    # Gold items are checks mixed into the queue, not work to finish: counted apart.
    production = Q(is_gold=False)
    counts = Item.objects.filter(project=project).aggregate(
        total=Count("id", filter=production),
        done=Count("id", filter=production & Q(completed_count__gte=project.overlap)),
        in_progress=Count(
            "id", filter=production & Q(assigned_count__gt=0, completed_count__lt=project.overlap)
        ),
        gold=Count("id", filter=Q(is_gold=True)),
        # The work towards annotations_needed: the project's counter also counts gold answers.
        annotations=Coalesce(Sum("completed_count", filter=production), 0),
    )
    counts["pending"] = counts["total"] - counts["done"] - counts["in_progress"]
    counts["percent"] = round(100 * counts["done"] / counts["total"], 1) if counts["total"] else 0.0
    counts["annotations_needed"] = counts["total"] * project.overlap
    return counts


def project_throughput(project: Project, *, workspace: Workspace) -> list[dict]:
    """Per annotator: annotations in all and in the last 24 hours, mean active seconds."""
    since = timezone.now() - timedelta(hours=24)
    rows = (
        Annotation.objects.filter(project=project)
        .values("annotator_id")
        .annotate(
            total=Count("id"),
            last_day=Count("id", filter=Q(created_at__gte=since)),
            mean_ms=Avg("time_spent_ms"),
            last_at=Max("created_at"),
        )
        .order_by("-total")
    )
    return [
        {
            **row,
            "annotator": pseudonym(workspace_id=workspace.pk, user_id=row["annotator_id"]),
            "mean_seconds": round((row["mean_ms"] or 0) / 1000, 1),
        }
        for row in rows
    ]


ITEM_STATUSES = ("pending", "in_progress", "done")


def items_matching(
    *, project: Project, status: str = "", needs_rereview: bool = False, guideline_version: int | None = None
) -> QuerySet[Item]:
    """The project's items that pass the item browser's filters, in no particular order."""
    items = Item.objects.filter(project=project)
    if status == "done":
        items = items.filter(completed_count__gte=project.overlap)
    elif status == "in_progress":
        items = items.filter(assigned_count__gt=0, completed_count__lt=project.overlap)
    elif status == "pending":
        items = items.filter(assigned_count=0, completed_count__lt=project.overlap)
    if needs_rereview:
        items = items.filter(Exists(Annotation.objects.filter(item=OuterRef("pk"), needs_rereview=True)))
    if guideline_version:
        items = items.filter(
            Exists(
                Annotation.objects.filter(item=OuterRef("pk"), guideline_version__number=guideline_version)
            )
        )
    return items


def items_browse(
    *,
    project: Project,
    after_id: int = 0,
    before_id: int | None = None,
    limit: int = 50,
    **filters,
) -> list[Item]:
    """A page of matching items in import order: the first `limit` after `after_id`, or, given
    `before_id`, the last `limit` before it (the page before)."""
    items = items_matching(project=project, **filters)
    if before_id is not None:
        return list(reversed(items.filter(pk__lt=before_id).order_by("-id")[:limit]))
    return list(items.filter(pk__gt=after_id).order_by("id")[:limit])


def annotations_page(*, project: Project, after_id: int = 0, limit: int = 100) -> list[Annotation]:
    return list(
        Annotation.objects.filter(project=project, pk__gt=after_id)
        .select_related("item", "guideline_version")
        .order_by("id")[:limit]
    )


def annotation_detail(*, project: Project, annotation_id: int) -> Annotation:
    annotation = (
        Annotation.objects.filter(project=project, pk=annotation_id)
        .select_related("item", "guideline_version", "assignment")
        .prefetch_related("revisions__guideline_version")
        .first()
    )
    if annotation is None:
        raise NotFoundError("No such annotation.")
    return annotation


def _revision_count():
    """How many earlier states an annotation keeps (a subquery: no GROUP BY over the row)."""
    revisions = (
        AnnotationRevision.objects.filter(annotation=OuterRef("pk"))
        .values("annotation")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(revisions), 0)


def annotations_of_annotator(
    *, project: Project, annotator: User, before_id: int = 0, limit: int = 20
) -> list[Annotation]:
    """One annotator's own annotations on a project, newest first, without the items' payloads."""
    annotations = Annotation.objects.filter(project=project, annotator=annotator)
    if before_id:
        annotations = annotations.filter(pk__lt=before_id)
    return list(
        annotations.select_related("guideline_version")
        .annotate(item_external_id=F("item__external_id"), revision_count=_revision_count())
        .order_by("-id")[:limit]
    )


def annotation_of_annotator(*, annotator: User, annotation_id: int) -> Annotation:
    annotation = (
        Annotation.objects.filter(pk=annotation_id, annotator=annotator)
        .select_related("project", "item", "assignment", "guideline_version")
        .annotate(item_external_id=F("item__external_id"), revision_count=_revision_count())
        .first()
    )
    if annotation is None:
        raise NotFoundError("No such annotation.")
    return annotation


def item_annotations(*, item: Item) -> list[Annotation]:
    return list(item.annotations.select_related("guideline_version").order_by("id"))


def guideline_versions(*, project: Project) -> list[GuidelineVersion]:
    return list(GuidelineVersion.objects.filter(project=project).order_by("-number"))


def guideline_versions_readable(*, user: User, membership: Membership | None, project: Project) -> list:
    """The versions `user` may read, newest first: the draft only to those who write it (client
    managers and vendor staff); viewers, annotators and auditors see what is published."""
    versions = guideline_versions(project=project)
    if user.is_staff or (membership is not None and membership.role == Role.CLIENT_MANAGER):
        return versions
    return [v for v in versions if v.status == GuidelineVersion.Status.PUBLISHED]


def guideline_acknowledged(*, user: User, version: GuidelineVersion | None) -> bool:
    """Whether `user` acknowledged `version` (no version: nothing to acknowledge)."""
    if version is None:
        return True
    return GuidelineAcknowledgement.objects.filter(version=version, user=user).exists()


def guideline_version_get(*, project: Project, number: int) -> GuidelineVersion:
    version = GuidelineVersion.objects.filter(project=project, number=number).first()
    if version is None:
        raise NotFoundError(f"No guideline version {number}.")
    return version


def staffing_rows(*, project: Project) -> list[Staffing]:
    """The project's staffing, live rows first, then the history."""
    return list(Staffing.objects.filter(project=project).order_by("removed_at", "role", "created_at"))


def import_jobs(*, project: Project, limit: int = 10) -> list[ImportJob]:
    return list(ImportJob.objects.filter(project=project).order_by("-created_at")[:limit])


def import_job_get(*, project: Project, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(project=project, pk=job_id).first()
    if job is None:
        raise NotFoundError("No such import.")
    return job


def annotator_projects(*, user: User) -> list[dict]:
    """The active projects an annotator is staffed on, with what is left for them."""
    # Counted per project by subqueries on the open-queue index and the annotator's own index: a
    # join to every item of every project would read them all.
    open_items = (
        Item.objects.filter(project=OuterRef("pk"), is_open=True)
        .values("project")
        .annotate(count=Count("*"))
        .values("count")
    )
    done_by_me = (
        Annotation.objects.filter(project=OuterRef("pk"), annotator=user)
        .values("project")
        .annotate(count=Count("*"))
        .values("count")
    )
    projects = Project.objects.filter(
        status=Project.Status.ACTIVE,
        staffing__user=user,
        staffing__role=Staffing.Role.ANNOTATOR,
        staffing__removed_at__isnull=True,
    ).annotate(open_items=Coalesce(Subquery(open_items), 0), done_by_me=Coalesce(Subquery(done_by_me), 0))
    return [{"project": p, "open_items": p.open_items, "done_by_me": p.done_by_me} for p in projects]
