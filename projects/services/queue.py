"""The fair queue: leases, submissions, skips, expiry.

Concurrency: an item is handed out by one `UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED)`
that bumps `assigned_count` and recomputes `is_open` on the locked row, so concurrent requests
never hand out more slots than the overlap; `(item, annotator)` is unique, so nobody gets an
item twice; and a partial unique index allows one live lease per annotator and project.

Speed: the scan walks the partial index of open items from the annotator's cursor (the last item
they were handed), so it does not re-read the items they already did however large the project
grows; only when nothing is left ahead does it reclaim expired leases and go back to the start
for slots that were freed. That last look waits for rows other requests hold instead of skipping
them, so nobody is told "nothing is left" because the last free slot was locked for a moment.

The scan's condition is the row comparison `(project_id, id) > (project, cursor)`, which only
that index can serve in order: written as `project_id = project AND id > cursor`, the planner may
walk the primary key instead, through every older project's items, for an annotator's first item
of a new project (27 ms behind 200,000 older items, growing with them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import orjson
from django.db import connection, transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    GuidelineVersion,
    Item,
    Project,
    Staffing,
)
from projects.questions import (
    draft_check,
    payload_displayed,
    questions_shuffle_responses,
    response_order_random,
    result_validate,
)
from projects.selectors import guideline_acknowledged
from projects.services.guidelines import guideline_current
from reviews.selectors import STAFFING_GATES_SQL
from reviews.services.intake import annotation_intake
from tenants.models import User

MAX_TIME_SPENT_MS = 24 * 3600 * 1000
MAX_TOTAL_TIME_MS = 2**31 - 1  # an annotation's time over all its edits: the integer column's range

_PICK = """
    WITH picked AS (
        SELECT i.id FROM projects_item i
        WHERE (i.project_id, i.id) > (%(project)s, %(cursor)s) AND i.project_id <= %(project)s
          AND i.is_open AND i.assigned_count < %(overlap)s
          AND NOT EXISTS (
              SELECT 1 FROM projects_assignment a
              WHERE a.item_id = i.id AND a.annotator_id = %(user)s AND a.item_id > %(cursor)s
          )
        ORDER BY i.project_id, i.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ), bumped AS (
        UPDATE projects_item i
        SET assigned_count = i.assigned_count + 1, is_open = i.assigned_count + 1 < %(overlap)s
        FROM picked WHERE i.id = picked.id
        RETURNING i.id, i.external_id, i.payload, i.is_gold
    ), moved AS (
        UPDATE projects_staffing s SET queue_cursor = bumped.id FROM bumped WHERE s.id = %(staffing)s
    )
    SELECT id, external_id, payload, is_gold FROM bumped
"""

# The last look, from the start: it waits for rows other requests hold (a hand-out or a submission
# in flight, a few milliseconds) instead of skipping them, so "nothing is left" is never said of
# an item that has a free slot but happened to be locked.
_PICK_WAITING = _PICK.replace("FOR UPDATE SKIP LOCKED", "FOR UPDATE")

_LEASE = """
    INSERT INTO projects_assignment
        (project_id, item_id, annotator_id, status, response_order, guideline_version_id, leased_at,
         expires_at, skip_reason)
    VALUES (%s, %s, %s, 'leased', %s::jsonb, %s, %s, %s, '')
    ON CONFLICT DO NOTHING
    RETURNING id
"""

# Whether a semantic guideline version newer than the one the lease was taken under (or any, for
# a lease taken under none) has been published since: work submitted under it needs re-review, as
# publishing flagged the annotations that existed then.
_NEWER_SEMANTIC = """
    SELECT 1 FROM projects_guidelineversion g
    WHERE g.project_id = %(project)s AND g.status = 'published' AND g.kind = 'semantic'
      AND g.number > COALESCE((SELECT v.number FROM projects_guidelineversion v WHERE v.id = %(version)s), 0)
"""

# The annotation, the assignment's end and the item's counter, in one statement.
_SUBMIT = f"""
    WITH finished AS (
        UPDATE projects_assignment SET status = 'submitted', finished_at = %(now)s, draft = NULL
        WHERE id = %(assignment)s
    ), item_count AS (
        UPDATE projects_item SET completed_count = completed_count + 1 WHERE id = %(item)s
        RETURNING completed_count
    )
    INSERT INTO projects_annotation
        (project_id, item_id, assignment_id, annotator_id, result, guideline_version_id, time_spent_ms,
         status, needs_rereview, created_at, updated_at)
    VALUES (%(project)s, %(item)s, %(assignment)s, %(annotator)s, %(result)s::jsonb, %(version)s,
            %(spent)s, 'submitted', EXISTS ({_NEWER_SEMANTIC}), %(now)s, %(now)s)
    RETURNING id, (SELECT completed_count FROM item_count), needs_rereview
"""

# Every submission of a project writes this one row: run last, so that its lock is held through
# the commit only and not through the quality intake (held longer, it queued every submission of
# the project behind the one in progress).
_PROJECT_COUNT = "UPDATE projects_project SET annotations_count = annotations_count + 1 WHERE id = %s"

_EXPIRE = """
    WITH expired AS (
        UPDATE projects_assignment SET status = 'expired', finished_at = %(now)s
        WHERE status = 'leased' AND {condition}
        RETURNING item_id, project_id
    ), freed AS (
        SELECT item_id, project_id, count(*) AS n FROM expired GROUP BY item_id, project_id
    )
    UPDATE projects_item i SET assigned_count = i.assigned_count - freed.n,
        is_open = NOT i.is_gold AND i.assigned_count - freed.n < p.overlap
    FROM freed JOIN projects_project p ON p.id = freed.project_id WHERE i.id = freed.item_id
"""

# A gold item the annotator has not had, at random. Gold items are never open (they are not work
# to finish), have no overlap, and are served to anyone; the count keeps skips and expiry exact.
_GOLD_PICK = """
    WITH picked AS (
        SELECT i.id FROM projects_item i
        WHERE i.project_id = %(project)s AND i.is_gold
          AND NOT EXISTS (
              SELECT 1 FROM projects_assignment a WHERE a.item_id = i.id AND a.annotator_id = %(user)s
          )
        ORDER BY random()
        LIMIT 1
    )
    UPDATE projects_item i SET assigned_count = i.assigned_count + 1
    FROM picked WHERE i.id = picked.id
    RETURNING i.id, i.external_id, i.payload, i.is_gold
"""


class GuidelineAcknowledgementRequired(ConflictError):
    code = "guideline_ack_required"


@dataclass
class Task:
    assignment: Assignment
    item: Item


class AnnotatorPaused(ConflictError):
    code = "annotator_paused"


class CalibrationRequired(ConflictError):
    code = "calibration_required"


# Everything task_next checks before handing out work, in one query: the annotator's live
# staffing (and its queue cursor), whether quality control holds them back, and the current
# published guideline with whether they have acknowledged it, and their live lease if they hold one.
_GATES = f"""
    SELECT s.id, s.queue_cursor, {STAFFING_GATES_SQL["paused"]}, {STAFFING_GATES_SQL["calibrating"]},
           g.id, g.number,
           EXISTS (SELECT 1 FROM projects_guidelineacknowledgement k WHERE k.version_id = g.id AND k.user_id = s.user_id),
           l.id, l.expires_at
    FROM projects_staffing s
    LEFT JOIN LATERAL (
        SELECT id, number FROM projects_guidelineversion
        WHERE project_id = s.project_id AND status = 'published' ORDER BY number DESC LIMIT 1
    ) g ON true
    LEFT JOIN LATERAL (
        SELECT a.id, a.expires_at FROM projects_assignment a
        WHERE a.project_id = s.project_id AND a.annotator_id = s.user_id AND a.status = 'leased'
    ) l ON true
    WHERE s.project_id = %s AND s.user_id = %s AND s.role = 'annotator' AND s.removed_at IS NULL
    LIMIT 1
"""


@dataclass
class Gates:
    staffing_id: int
    queue_cursor: int
    version: GuidelineVersion | None
    live_lease_id: int | None
    live_lease_expires_at: datetime | None


def _gates_pass(cursor, project: Project, annotator: User) -> Gates:
    """Check that the annotator may get work on the project now; raise the reason if not."""
    cursor.execute(_GATES, [project.pk, annotator.pk])
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError("You are not staffed on this project.")
    (
        staffing_id,
        queue_cursor,
        paused,
        calibrating,
        version_id,
        number,
        acknowledged,
        lease_id,
        lease_ends,
    ) = row
    if paused:
        raise AnnotatorPaused(
            "Your work on this project is paused: your quality fell under the project's threshold. "
            "An auditor will review it; your audited work and its feedback are on your feedback page."
        )
    if calibrating:
        raise CalibrationRequired(
            "Complete this project's calibration round before your next production task.",
            fields={"calibration": [f"/projects/{project.pk}/calibration/"]},
        )
    if version_id is not None and not acknowledged:
        raise GuidelineAcknowledgementRequired(
            f"Read and acknowledge guideline version {number} before your next task.",
            fields={"guideline_version": [str(number)]},
        )
    version = GuidelineVersion(pk=version_id, project=project, number=number) if version_id else None
    return Gates(
        staffing_id=staffing_id,
        queue_cursor=queue_cursor,
        version=version,
        live_lease_id=lease_id,
        live_lease_expires_at=lease_ends,
    )


def leases_expire(*, project_id: int | None = None) -> int:
    """Return the slots of expired leases to the pool (in the current workspace)."""
    # The application's clock, as submissions judge a lease by it: the database's now() is the
    # start of the transaction, and a lease that has ended for one must have ended for the other.
    condition = "expires_at < %(now)s" + (" AND project_id = %(project)s" if project_id is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE.format(condition=condition), {"now": timezone.now(), "project": project_id})
        return cursor.rowcount


def leases_release(*, project_id: int, annotator_id: int) -> int:
    """End a person's live leases on a project they no longer work on: the slots go back to the
    queue, and what they held can no longer be submitted, skipped or saved as a draft."""
    condition = "project_id = %(project)s AND annotator_id = %(annotator)s"
    with connection.cursor() as cursor:
        cursor.execute(
            _EXPIRE.format(condition=condition),
            {"now": timezone.now(), "project": project_id, "annotator": annotator_id},
        )
        return cursor.rowcount


_RANDOM = random.SystemRandom()  # when gold comes must not be predictable


def _gold_draw() -> Decimal:
    """A uniform draw in [0, 1) to compare with the project's gold rate."""
    return Decimal(_RANDOM.random())


NOT_ACTIVE_MESSAGES = {
    Project.Status.DRAFT: "This project has not started yet; tasks are handed out once it is active.",
    Project.Status.PAUSED: "This project is paused; tasks are handed out again when it resumes.",
    Project.Status.COMPLETED: "This project is completed; there are no more tasks.",
    Project.Status.ARCHIVED: "This project is archived; there are no more tasks.",
}


@transaction.atomic
def task_next(*, project: Project, annotator: User) -> Task | None:
    """The annotator's current lease on the project, or a new one; None when nothing is left."""
    if project.status != Project.Status.ACTIVE:
        # Whether a project is paused or over is for its people to hear: anyone else gets the
        # same 404 as for an active project they are not on.
        staffed = Staffing.objects.filter(
            project=project, user=annotator, role=Staffing.Role.ANNOTATOR, removed_at__isnull=True
        )
        if not staffed.exists():
            raise NotFoundError("You are not staffed on this project.")
        raise ConflictError(
            NOT_ACTIVE_MESSAGES[project.status],
            code="project_not_active",
            fields={"status": [project.status]},
        )
    # One cursor for the whole hand-out: django-tenants sets the search path once per cursor.
    with connection.cursor() as cursor:
        gates = _gates_pass(cursor, project, annotator)
        if gates.live_lease_id is not None:
            if gates.live_lease_expires_at >= timezone.now():
                current = Assignment.objects.select_related("item").get(pk=gates.live_lease_id)
                if gates.version is not None and current.guideline_version_id != gates.version.pk:
                    # Leased before a new version was published: the gate has just seen it
                    # acknowledged, so the work from here on is done under it.
                    Assignment.objects.filter(pk=current.pk).update(guideline_version=gates.version.pk)
                    current.guideline_version = gates.version
                return Task(assignment=current, item=current.item)
            # The lease ran out before beat reclaimed it: it has ended (its submission would be
            # refused), so reclaim it now and hand out the next task instead of the dead one.
            leases_expire(project_id=project.pk)
        version = gates.version
        params = {
            "project": project.pk,
            "user": annotator.pk,
            "overlap": project.overlap,
            "staffing": gates.staffing_id,
        }
        row = None
        if project.gold_rate and _gold_draw() < project.gold_rate:
            cursor.execute(_GOLD_PICK, params)
            row = cursor.fetchone()
        if row is None:
            cursor.execute(_PICK, {**params, "cursor": gates.queue_cursor})
            row = cursor.fetchone()
        if row is None:
            # Nothing ahead: reclaim expired leases (beat also does, every minute), start over.
            leases_expire(project_id=project.pk)
            cursor.execute(_PICK_WAITING, {**params, "cursor": 0})
            row = cursor.fetchone()
        if row is None:
            return None
        item_id, external_id, payload, is_gold = row
        payload = orjson.loads(payload) if isinstance(payload, (str, bytes)) else payload
        item = Item(pk=item_id, project=project, external_id=external_id, payload=payload, is_gold=is_gold)
        now = timezone.now()
        response_order = None
        if questions_shuffle_responses(project.questions):
            response_order = response_order_random(len(payload.get("responses") or []))
        expires_at = now + timedelta(seconds=project.lease_seconds)
        cursor.execute(
            _LEASE,
            [
                project.pk,
                item_id,
                annotator.pk,
                orjson.dumps(response_order).decode(),
                version.pk if version else None,
                now,
                expires_at,
            ],
        )
        leased = cursor.fetchone()
    if leased is None:
        # A concurrent request of the same annotator leased first: give the slot back, use theirs.
        Item.objects.filter(pk=item_id).free_slot(project.overlap)
        current = (
            Assignment.objects.select_related("item")
            .filter(project=project, annotator=annotator, status=Assignment.Status.LEASED)
            .first()
        )
        if current is None:  # theirs is already submitted or skipped too: pick again
            return task_next(project=project, annotator=annotator)
        return Task(assignment=current, item=current.item)
    assignment = Assignment(
        pk=leased[0],
        project=project,
        item=item,
        annotator=annotator,
        status=Assignment.Status.LEASED,
        response_order=response_order,
        guideline_version=version,
        leased_at=now,
        expires_at=expires_at,
    )
    return Task(assignment=assignment, item=item)


def _time_spent(value) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME_SPENT_MS:
        raise DomainError(
            "time_spent_ms is a whole number of milliseconds.",
            code="invalid_result",
            fields={"time_spent_ms": [f"0 to {MAX_TIME_SPENT_MS}."]},
        )
    return value


# The assignment with what submitting and skipping need of its item and project, locked; one
# hand-written query, as this runs on every submission.
_LOCK = """
    SELECT a.id, a.status, a.response_order, a.guideline_version_id, a.expires_at,
           i.id, i.external_id, i.payload, i.is_gold, i.gold_answer,
           p.id, p.name, p.status, p.questions, p.overlap, p.audit_rate, p.gold_rate, p.allow_edits
    FROM projects_assignment a
    JOIN projects_item i ON i.id = a.item_id
    JOIN projects_project p ON p.id = a.project_id
    WHERE a.id = %s AND a.annotator_id = %s
    FOR UPDATE OF a
"""


def _json(value):
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _locked_assignment(cursor, annotator: User, assignment_id: int) -> Assignment:
    cursor.execute(_LOCK, [assignment_id, annotator.pk])
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError("No such assignment.")
    (pk, status, order, version_id, expires_at, item_id, external_id, payload, is_gold, gold) = row[:10]
    project = Project(
        pk=row[10],
        name=row[11],
        status=row[12],
        questions=_json(row[13]),
        overlap=row[14],
        audit_rate=row[15],
        gold_rate=row[16],
        allow_edits=row[17],
    )
    item = Item(
        pk=item_id,
        project=project,
        external_id=external_id,
        payload=_json(payload),
        is_gold=is_gold,
        gold_answer=_json(gold),
    )
    return Assignment(
        pk=pk,
        project=project,
        item=item,
        annotator=annotator,
        status=status,
        response_order=_json(order),
        guideline_version_id=version_id,
        expires_at=expires_at,
    )


@transaction.atomic
def assignment_submit(
    *, annotator: User, assignment_id: int, result: dict, time_spent_ms: int | None = None
) -> Annotation:
    """Turn a lease into an annotation. Submitting the same assignment again returns the same one."""
    with connection.cursor() as cursor:  # one cursor: django-tenants sets the search path once
        assignment = _locked_assignment(cursor, annotator, assignment_id)
        if assignment.status not in (Assignment.Status.SUBMITTED, Assignment.Status.LEASED) or (
            assignment.status == Assignment.Status.LEASED and assignment.expires_at < timezone.now()
        ):
            raise ConflictError("This task's lease has ended; ask for the next task.", code="lease_ended")
        project, item = assignment.project, assignment.item
        if assignment.status == Assignment.Status.LEASED and project.status in Project.FINISHED:
            # Its data is final, as annotation_edit_refusal holds for edits.
            raise ConflictError(
                f"This project is {project.status}; it takes no more annotations.", code="project_closed"
            )
        canonical = result_validate(
            questions=project.questions,
            result=result,
            item=item.payload,
            response_order=assignment.response_order,
        )
        if assignment.status == Assignment.Status.SUBMITTED:
            return _resubmitted(assignment, canonical)
        now = timezone.now()
        spent = _time_spent(time_spent_ms)
        version_id = assignment.guideline_version_id
        cursor.execute(
            _SUBMIT,
            {
                "project": project.pk,
                "item": item.pk,
                "assignment": assignment.pk,
                "annotator": annotator.pk,
                "result": orjson.dumps(canonical).decode(),
                "version": version_id,
                "spent": spent,
                "now": now,
            },
        )
        annotation_id, completed, needs_rereview = cursor.fetchone()
        annotation = Annotation(
            pk=annotation_id,
            project=project,
            item=item,
            assignment=assignment,
            annotator=annotator,
            result=canonical,
            guideline_version_id=version_id,
            time_spent_ms=spent,
            needs_rereview=needs_rereview,
            created_at=now,
            updated_at=now,
        )
        annotation_intake(project=project, item=item, annotation=annotation, completed=completed)
        cursor.execute(_PROJECT_COUNT, [project.pk])
    return annotation


def _resubmitted(assignment: Assignment, canonical: dict) -> Annotation:
    """The annotation of a task submitted before, when this submission repeats it (a retry).

    A retry carries the answer as first submitted, which a later edit may have changed since;
    a different answer is refused rather than silently dropped.
    """
    annotation = Annotation.objects.get(assignment_id=assignment.pk)
    first = annotation.revisions.filter(number=1).values_list("result", flat=True).first()
    if canonical in (annotation.result, first):
        return annotation
    raise ConflictError(
        "This task was already submitted with a different answer; "
        f"change it with PATCH /api/v1/annotations/{annotation.pk}/.",
        code="already_submitted",
        fields={"result": ["Differs from the submitted answer."], "annotation_id": [annotation.pk]},
    )


@transaction.atomic
def assignment_skip(*, annotator: User, assignment_id: int, reason: str) -> Assignment:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why you skip this task.",
            code="reason_required",
            fields={"reason": ["This field is required."]},
        )
    if "\x00" in reason:
        raise DomainError(
            "The reason cannot be stored.",
            code="invalid_reason",
            fields={"reason": ["Must not contain a NUL character (\\u0000)."]},
        )
    longest = Assignment._meta.get_field("skip_reason").max_length
    if len(reason) > longest:
        raise DomainError(
            "The reason is too long.",
            code="invalid_reason",
            fields={"reason": [f"At most {longest} characters."]},
        )
    with connection.cursor() as cursor:
        assignment = _locked_assignment(cursor, annotator, assignment_id)
    if assignment.status != Assignment.Status.LEASED:
        raise ConflictError("Only a task you hold can be skipped.", code="lease_ended")
    assignment.status = Assignment.Status.SKIPPED
    assignment.skip_reason = reason
    assignment.finished_at = timezone.now()
    assignment.save(update_fields=["status", "skip_reason", "finished_at"])
    Item.objects.filter(pk=assignment.item_id).free_slot(assignment.project.overlap)
    return assignment


def assignment_draft_save(*, annotator: User, assignment_id: int, draft) -> None:
    draft_check(draft)
    updated = Assignment.objects.filter(
        pk=assignment_id, annotator=annotator, status=Assignment.Status.LEASED
    ).update(draft=draft)
    if not updated:
        if Assignment.objects.filter(pk=assignment_id, annotator=annotator).exists():
            # Submitted, skipped or ended: as submitting or skipping it would say.
            raise ConflictError(
                "This task's lease has ended; its draft is no longer kept.", code="lease_ended"
            )
        raise NotFoundError("No such task in progress.")


def annotation_edit_refusal(annotation: Annotation) -> ConflictError | None:
    """Why its annotator may not edit this annotation now; None when they may."""
    project = annotation.project
    if not project.allow_edits:
        return ConflictError("This project does not allow editing submitted work.", code="edits_not_allowed")
    if project.status in Project.FINISHED:
        return ConflictError(
            f"This project is {project.status}; its work can no longer be edited.", code="project_closed"
        )
    if annotation.status != Annotation.Status.SUBMITTED:
        return ConflictError(
            f"This annotation is {annotation.status} after review and can no longer be edited.",
            code="annotation_locked",
        )
    return None


@transaction.atomic
def annotation_revise(
    *, annotator: User, annotation_id: int, result: dict, time_spent_ms: int | None = None
) -> Annotation:
    """Edit a submitted annotation, keeping its earlier state as a revision. An edit that changes
    nothing (the same result, under the guideline version it is already stamped with) keeps no
    revision and leaves the annotation as it is but for the time spent, which is added."""
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("project", "item", "assignment")
        .filter(pk=annotation_id, annotator=annotator)
        .first()
    )
    if annotation is None:
        raise NotFoundError("No such annotation.")
    if (refusal := annotation_edit_refusal(annotation)) is not None:
        raise refusal
    canonical = result_validate(
        questions=annotation.project.questions,
        result=result,
        item=annotation.item.payload,
        response_order=annotation.assignment.response_order,
    )
    current = guideline_current(annotation.project)
    if current is not None and not guideline_acknowledged(user=annotator, version=current):
        # The edit is stamped with the current version and clears a re-review flag: only for
        # someone who has read it, as for new work.
        raise GuidelineAcknowledgementRequired(
            f"Read and acknowledge guideline version {current.number} before editing your work.",
            fields={"guideline_version": [str(current.number)]},
        )
    # Every edit adds its time; the total stays within what the column holds (about 24 days).
    spent = min(annotation.time_spent_ms + _time_spent(time_spent_ms), MAX_TOTAL_TIME_MS)
    restamped = current is not None and (
        current.pk != annotation.guideline_version_id or annotation.needs_rereview
    )
    if canonical == annotation.result and not restamped:
        # The same answer sent again (a retry, or saved unchanged): nothing to keep a revision of.
        if spent != annotation.time_spent_ms:
            annotation.time_spent_ms = spent
            annotation.save(update_fields=["time_spent_ms"])
        return annotation
    number = annotation.revisions.count() + 1
    AnnotationRevision.objects.create(
        annotation=annotation,
        number=number,
        result=annotation.result,
        guideline_version_id=annotation.guideline_version_id,
        time_spent_ms=annotation.time_spent_ms,
        created_at=annotation.updated_at,
    )
    annotation.result = canonical
    annotation.guideline_version = current or annotation.guideline_version
    annotation.time_spent_ms = spent
    annotation.needs_rereview = False if current else annotation.needs_rereview
    annotation.updated_at = timezone.now()
    annotation.save()
    return annotation


def display_payload(item: Item, response_order: list[int] | None) -> dict:
    """The item as the annotator sees it: responses in the order recorded on the assignment."""
    return payload_displayed(item.payload, response_order)
