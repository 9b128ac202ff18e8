"""Reads for the vendor console: staffable projects across workspaces, one project's staffing and
suggestions, and a profile's audit trail. Each owns its query shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django_tenants.utils import schema_context
from psycopg import sql

from portal.errors import NotFoundError
from projects.models import Project, Staffing
from tenants.models import AuditLog, Membership, Workspace
from workforce.models import AnnotatorProfile, Commitment, ExpertiseArea, Level, Proficiency, ProfileExpertise
from workforce.ranking import Candidate, candidates_ranked
from workforce.requirements import DEFAULT_HEADCOUNT, requirements_of
from workforce.services.staffing import STAFFABLE

ROLES = tuple(Commitment.Role.values)


@dataclass
class ProjectStaffing:
    """A workspace project as the staffer sees it: headcount wanted and staffed, per role."""

    workspace: Workspace
    project_id: int
    name: str
    status: str
    headcount: dict[str, int]
    staffed: dict[str, int]
    requirements: dict | None = None  # normalised; read for one project, not for the overview
    priority: int = 0

    @property
    def staffable(self) -> bool:
        return self.status in STAFFABLE

    def seats(self) -> list[dict]:
        """Per role: wanted, staffed, open (never negative)."""
        return [
            {
                "role": role,
                "wanted": self.headcount.get(role, 0),
                "staffed": self.staffed.get(role, 0),
                "open": max(0, self.headcount.get(role, 0) - self.staffed.get(role, 0)),
            }
            for role in ROLES
        ]

    def open_seats(self, role: str) -> int:
        return max(0, self.headcount.get(role, 0) - self.staffed.get(role, 0))


@dataclass
class WorkspaceStaffing:
    workspace: Workspace
    projects: list[ProjectStaffing] = field(default_factory=list)


def _headcount(stored: object) -> dict[str, int]:
    """The headcount of stored (already cleaned) requirements, defaults filled in."""
    headcount = dict(DEFAULT_HEADCOUNT)
    if isinstance(stored, dict) and isinstance(stored.get("headcount"), dict):
        for role, count in stored["headcount"].items():
            if role in headcount and isinstance(count, int):
                headcount[role] = count
    return headcount


_STAFFABLE_PROJECTS = sql.SQL(
    "SELECT {workspace}::bigint, p.id, p.name, p.status, p.priority, p.requirements::text,"
    " count(s.id) FILTER (WHERE s.role = {annotator}), count(s.id) FILTER (WHERE s.role = {auditor})"
    " FROM {schema}.projects_project p"
    " LEFT JOIN {schema}.projects_staffing s ON s.project_id = p.id AND s.removed_at IS NULL"
    " WHERE p.status = ANY(%(statuses)s) GROUP BY p.id"
)


def workspaces_staffing() -> list[WorkspaceStaffing]:
    """Every workspace with its staffable projects (draft, active, paused) and, per role, the
    headcount wanted and the live staffing. Two queries however many workspaces: the workspaces,
    then one UNION ALL over their schemas."""
    workspaces = list(
        Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).order_by("name", "pk")
    )
    if not workspaces:
        return []
    parts = [
        _STAFFABLE_PROJECTS.format(
            workspace=sql.Literal(workspace.pk),
            schema=sql.Identifier(workspace.schema_name),
            annotator=sql.Literal(Staffing.Role.ANNOTATOR.value),
            auditor=sql.Literal(Staffing.Role.AUDITOR.value),
        )
        for workspace in workspaces
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(" UNION ALL ").join(parts), {"statuses": sorted(STAFFABLE)})
        rows = cursor.fetchall()
    by_id = {workspace.pk: WorkspaceStaffing(workspace=workspace) for workspace in workspaces}
    for workspace_id, project_id, name, status, priority, stored, annotators, auditors in rows:
        entry = by_id[workspace_id]
        entry.projects.append(
            ProjectStaffing(
                workspace=entry.workspace,
                project_id=project_id,
                name=name,
                status=status,
                priority=priority,
                headcount=_headcount(json.loads(stored) if stored else {}),
                staffed={Staffing.Role.ANNOTATOR: annotators, Staffing.Role.AUDITOR: auditors},
            )
        )
    for entry in by_id.values():
        entry.projects.sort(key=lambda p: (-p.priority, p.name.lower(), p.project_id))
    return list(by_id.values())


def project_staffing(*, workspace: Workspace, project_id: int) -> ProjectStaffing:
    """One project of a workspace with its normalised requirements and live staffing per role."""
    with schema_context(workspace.schema_name):
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise NotFoundError("No such project.")
        staffed = dict(
            Staffing.objects.filter(project=project, removed_at__isnull=True)
            .values_list("role")
            .annotate(count=Count("id"))
            .order_by()
        )
        requirements = requirements_of(project)
    return ProjectStaffing(
        workspace=workspace,
        project_id=project.pk,
        name=project.name,
        status=project.status,
        priority=project.priority,
        headcount=dict(requirements["headcount"]),
        staffed={role: staffed.get(role, 0) for role in ROLES},
        requirements=requirements,
    )


def commitments_live(*, workspace: Workspace, project_id: int) -> QuerySet[Commitment]:
    """Who the vendor has staffed on a project now (the public commitments)."""
    return (
        Commitment.objects.filter(workspace=workspace, project_id=project_id, ended_at__isnull=True)
        .select_related("profile__user", "created_by")
        .order_by("role", "created_at", "pk")
    )


@dataclass
class Suggestion:
    candidate: Candidate
    member_role: str | None  # the person's role in the workspace already, if any

    def conflict(self, role: str) -> bool:
        """A member of the workspace in another role cannot be staffed in this one."""
        return self.member_role is not None and self.member_role != role


def project_suggestions(
    *, staffing: ProjectStaffing, hours: int | None = None, limit: int = 50
) -> list[Suggestion]:
    """The best-fitting candidates for a project (every hard requirement met), with the role each
    already holds in the workspace. Nothing for a project that takes no new staff."""
    if not staffing.staffable or staffing.requirements is None:
        return []
    ranked = candidates_ranked(
        requirements=staffing.requirements,
        workspace_id=staffing.workspace.pk,
        project_id=staffing.project_id,
        hours=hours,
    )[:limit]
    roles = dict(
        Membership.objects.filter(
            workspace=staffing.workspace, user_id__in=[c.user_id for c in ranked]
        ).values_list("user_id", "role")
    )
    return [Suggestion(candidate=c, member_role=roles.get(c.user_id)) for c in ranked]


def requirements_words(requirements: dict) -> list[str]:
    """A project's normalised requirements as sentences a staffer reads."""
    names = dict(
        ExpertiseArea.objects.filter(code__in=[w["area"] for w in requirements["expertise"]]).values_list(
            "code", "name"
        )
    )
    lines = [
        f"Expertise in {names.get(w['area'], w['area'])} ({w['area']}),"
        f" vetted {Level(w['min_level']).label.lower()} or above"
        for w in requirements["expertise"]
    ]
    if not requirements["expertise"]:
        lines.append("No particular expertise")
    lines += [
        f"Language {w['code']} at {Proficiency(w['min_proficiency']).name} or better"
        for w in requirements["languages"]
    ]
    if requirements["min_qualification_score"] is not None:
        lines.append(f"Qualification score at least {requirements['min_qualification_score']:.0%}")
    headcount = requirements["headcount"]
    lines.append(
        "Headcount: "
        + ", ".join(f"{headcount[role]} {role}{'' if headcount[role] == 1 else 's'}" for role in ROLES)
    )
    lines.append(f"{requirements['hours_per_week']} h/week each")
    lines.append(f"Client working day in {requirements['timezone']}")
    return lines


def profile_expertise(*, profile_id: int, expertise_id: int) -> ProfileExpertise:
    expertise = ProfileExpertise.objects.filter(pk=expertise_id, profile_id=profile_id).first()
    if expertise is None:
        raise NotFoundError("No such expertise.")
    return expertise


def profile_audit_entries(*, profile: AnnotatorProfile, limit: int = 200) -> QuerySet[AuditLog]:
    """What happened to a person: entries naming the profile or targeting their email."""
    return (
        AuditLog.objects.filter(Q(data__profile_id=profile.pk) | Q(target=profile.user.email))
        .select_related("actor", "workspace")
        .order_by("-created_at", "-pk")[:limit]
    )
