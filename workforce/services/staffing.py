"""Staffing people from the pool onto client projects, and ending it.

Confirming writes, in one transaction: the workspace membership (if the person has none), the
project's `Staffing` row in the workspace schema, the public `Commitment` and the capacity it
takes. The profile row is locked first, so two staffers confirming the same person at the same
moment queue up; the second sees the hours the first took. A database constraint
(`profile_committed_within_capacity`) holds the promise even if that lock were ever skipped.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import Project, Staffing
from projects.services.projects import project_staff
from tenants.models import Membership, User, Workspace
from tenants.services.audit import audit_record
from workforce.models import AnnotatorProfile, Commitment
from workforce.ranking import candidates_ranked
from workforce.requirements import requirements_of

STAFFABLE = {Project.Status.DRAFT, Project.Status.ACTIVE, Project.Status.PAUSED}


def _role_clean(role: str) -> str:
    if role not in Commitment.Role.values:
        raise DomainError(
            f"'{role}' is not a staffing role.",
            code="invalid_role",
            fields={"role": ["annotator or auditor"]},
        )
    return role


def _unmet(profile: AnnotatorProfile, requirements: dict, hours: int) -> str:
    """Why a profile is not a candidate, for the error message."""
    if profile.status != AnnotatorProfile.Status.ACTIVE:
        return f"the profile is {profile.get_status_display().lower()}, not active"
    if profile.free_hours < hours:
        return f"{profile.free_hours} h/week free, the project needs {hours}"
    return "a requirement of the project is not met (expertise, language, score)"


@transaction.atomic
def staffing_confirm(
    *,
    actor: User,
    workspace: Workspace,
    project_id: int,
    profile_id: int,
    role: str,
    hours_per_week: int | None = None,
) -> Commitment:
    """Staff a pool member onto a workspace project, if they meet every hard requirement."""
    role = _role_clean(role)
    with schema_context(workspace.schema_name):
        # Locking the project queues confirmations for it, so the headcount holds too. The project
        # is locked before the person, as when a finishing project ends its commitments.
        project = Project.objects.select_for_update().filter(pk=project_id).first()
        if project is None:
            raise NotFoundError("No such project.")
        profile = (
            AnnotatorProfile.objects.select_for_update().select_related("user").filter(pk=profile_id).first()
        )
        if profile is None:
            raise NotFoundError("No such profile.")
        if project.status not in STAFFABLE:
            raise ConflictError(
                f"The project is {project.status}: it takes no new staff.", code="project_closed"
            )
        requirements = requirements_of(project)
        hours = requirements["hours_per_week"] if hours_per_week is None else hours_per_week
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 80:
            raise DomainError(
                "Hours are 1 to 80 a week.", code="invalid_hours", fields={"hours_per_week": ["1 to 80"]}
            )
        live = Commitment.objects.filter(
            profile=profile, workspace=workspace, project_id=project.pk, ended_at__isnull=True
        ).first()
        if live is not None:  # as project_staff says when two staffers confirm them at once
            raise ConflictError(
                f"{profile.user.email} is already staffed on this project as {live.role}.",
                code="already_staffed",
            )
        matches = candidates_ranked(
            requirements=requirements,
            workspace_id=workspace.pk,
            project_id=project.pk,
            hours=hours,
            profile_id=profile.pk,
        )
        if not matches:
            raise ConflictError(
                f"Not a candidate: {_unmet(profile, requirements, hours)}.", code="not_a_candidate"
            )
        staffed = Staffing.objects.filter(project=project, role=role, removed_at__isnull=True).count()
        if staffed >= requirements["headcount"][role]:
            raise ConflictError(
                f"The project already has the {role}s it needs ({requirements['headcount'][role]});"
                " raise its headcount first.",
                code="headcount_full",
            )
        membership = Membership.objects.filter(user=profile.user, workspace=workspace).first()
        if membership is None:
            Membership.objects.create(user=profile.user, workspace=workspace, role=role)
        elif membership.role != role:
            raise ConflictError(
                f"This person is already in {workspace.name} as {membership.get_role_display().lower()};"
                f" they cannot also be staffed there as {role}.",
                code="role_mismatch",
            )
        project_staff(actor=actor, workspace=workspace, project=project, user_id=profile.user_id, role=role)
        project_name = project.name
    try:
        with transaction.atomic():
            AnnotatorProfile.objects.filter(pk=profile.pk).update(
                committed_hours=F("committed_hours") + hours
            )
    except IntegrityError:
        raise ConflictError("That would exceed the person's weekly capacity.", code="over_capacity") from None
    candidate = matches[0]
    commitment = Commitment.objects.create(
        profile=profile,
        workspace=workspace,
        project_id=project_id,
        project_name=project_name,
        role=role,
        hours_per_week=hours,
        fit={"fit": candidate.fit, "parts": candidate.parts, "reasons": candidate.reasons()},
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="staffing.confirmed",
        workspace=workspace,
        target=profile.user.email,
        data={"project_id": project_id, "role": role, "hours_per_week": hours, "fit": candidate.fit},
    )
    return commitment


def _commitment_end(commitment: Commitment, *, actor: User, reason: str) -> None:
    now = timezone.now()
    with schema_context(commitment.workspace.schema_name):
        if commitment.role == Staffing.Role.ANNOTATOR:
            # What they hold goes back to the queue. Items before the staffing row, the order the
            # queue locks them in. (The queue reaches this app through quality control: imported
            # here, not at the top.)
            from projects.services.queue import leases_release

            leases_release(project_id=commitment.project_id, annotator_id=commitment.profile.user_id)
        Staffing.objects.filter(
            project_id=commitment.project_id,
            user_id=commitment.profile.user_id,
            role=commitment.role,
            removed_at__isnull=True,
        ).update(removed_at=now)
    commitment.ended_at = now
    commitment.ended_by = actor
    commitment.end_reason = reason[:300]
    commitment.save(update_fields=["ended_at", "ended_by", "end_reason"])
    AnnotatorProfile.objects.filter(pk=commitment.profile_id).update(
        committed_hours=F("committed_hours") - commitment.hours_per_week
    )
    audit_record(
        actor=actor,
        action="staffing.ended",
        workspace=commitment.workspace,
        target=commitment.profile.user.email,
        data={"project_id": commitment.project_id, "role": commitment.role, "reason": reason[:300]},
    )


def _people_lock(profile_ids) -> None:
    """Lock people before their commitments. Every staffing write takes its locks in one order
    (the project, then the people by id, then the commitments), so a person suspended while their
    project finishes or while they are unstaffed never deadlocks with it."""
    list(
        AnnotatorProfile.objects.select_for_update()
        .filter(pk__in=profile_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _live_commitments_end(*, actor: User, reason: str, **where) -> list[Commitment]:
    live = Commitment.objects.filter(ended_at__isnull=True, **where)
    _people_lock(set(live.values_list("profile_id", flat=True)))
    # Locked now, and read again: one that ended while this waited for its person is left out.
    ended = list(
        live.select_for_update(of=("self",)).select_related("workspace", "profile__user").order_by("pk")
    )
    for commitment in ended:
        _commitment_end(commitment, actor=actor, reason=reason)
    return ended


@transaction.atomic
def staffing_end(*, actor: User, commitment_id: int, reason: str) -> Commitment:
    """Unstaff: the person leaves the project; their hours come back; the history stays."""
    ended = _live_commitments_end(actor=actor, reason=reason.strip() or "unstaffed", pk=commitment_id)
    if not ended:
        raise NotFoundError("No such live staffing.")
    return ended[0]


def commitments_end_all(*, actor: User, profile: AnnotatorProfile, reason: str) -> int:
    """End every live commitment of a profile (the caller holds the profile's lock)."""
    return len(_live_commitments_end(actor=actor, reason=reason, profile=profile))


def project_commitments_end(*, actor: User, workspace: Workspace, project_id: int, reason: str) -> int:
    """A finished project takes no staff: its live commitments end and the people's hours come
    back. The caller holds the project's lock, so no confirmation adds one meanwhile."""
    return len(_live_commitments_end(actor=actor, reason=reason, workspace=workspace, project_id=project_id))


def person_workspace_commitments_end(*, actor: User, workspace: Workspace, user_id: int, reason: str) -> int:
    """A person who leaves a workspace leaves its projects: their live commitments there end and
    their hours come back."""
    return len(
        _live_commitments_end(actor=actor, reason=reason, workspace=workspace, profile__user_id=user_id)
    )


def commitment_quality_record(*, workspace_id: int, project_id: int, user_id: int, score) -> None:
    """Keep a person's latest quality on a project next to their commitment: it feeds their fit."""
    Commitment.objects.filter(
        workspace_id=workspace_id, project_id=project_id, profile__user_id=user_id
    ).update(quality_score=score)
