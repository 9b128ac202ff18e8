"""Reads of the expert pool. Each owns its query shape."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from psycopg import sql

from portal.errors import NotFoundError
from tenants.models import User, Workspace
from tenants.selectors import pseudonym
from workforce.models import (
    AnnotatorProfile,
    Commitment,
    ExpertiseArea,
    ProfileExpertise,
    ProfileLanguage,
    QualificationAttempt,
    QualificationTest,
)
from workforce.services.qualifications import attempt_next_allowed_at


def expertise_areas() -> QuerySet[ExpertiseArea]:
    return ExpertiseArea.objects.order_by("code")


def pool_search(
    *,
    area: str = "",
    min_level: int | None = None,
    language: str = "",
    min_proficiency: int | None = None,
    status: str = "",
    min_free_hours: int | None = None,
    text: str = "",
) -> QuerySet[AnnotatorProfile]:
    """Profiles matching every filter given. An area matches its sub-areas too (`medicine` finds
    cardiologists); the level filter counts vetted levels only."""
    profiles = AnnotatorProfile.objects.select_related("user")
    if status:
        profiles = profiles.filter(status=status)
    if min_free_hours is not None:
        profiles = profiles.annotate(free=F("weekly_capacity_hours") - F("committed_hours")).filter(
            free__gte=min_free_hours
        )
    if area:
        expertise = ProfileExpertise.objects.filter(Q(area__code=area) | Q(area__code__startswith=f"{area}/"))
        if min_level is not None:
            expertise = expertise.filter(level__gte=min_level)
        profiles = profiles.filter(pk__in=expertise.values("profile_id"))
    elif min_level is not None:
        profiles = profiles.filter(
            pk__in=ProfileExpertise.objects.filter(level__gte=min_level).values("profile_id")
        )
    if language:
        languages = ProfileLanguage.objects.filter(Q(code=language) | Q(code__startswith=f"{language}-"))
        if min_proficiency is not None:
            languages = languages.filter(proficiency__gte=min_proficiency)
        profiles = profiles.filter(pk__in=languages.values("profile_id"))
    if text:
        profiles = profiles.filter(Q(user__email__icontains=text) | Q(user__full_name__icontains=text))
    return profiles.prefetch_related(
        Prefetch("expertise", queryset=ProfileExpertise.objects.select_related("area")), "languages"
    ).order_by("-applied_at", "-pk")


def applications_pending() -> QuerySet[AnnotatorProfile]:
    """The review queue: applicants, oldest first."""
    return pool_search(status=AnnotatorProfile.Status.APPLICANT).order_by("applied_at", "pk")


def profile_detail(*, profile_id: int) -> AnnotatorProfile:
    profile = (
        AnnotatorProfile.objects.select_related("user")
        .prefetch_related(
            Prefetch(
                "expertise",
                queryset=ProfileExpertise.objects.select_related("area", "credential_verified_by"),
            ),
            "languages",
            Prefetch("attempts", queryset=QualificationAttempt.objects.select_related("test__area")),
            Prefetch(
                "commitments",
                queryset=Commitment.objects.select_related("workspace", "created_by", "ended_by"),
            ),
        )
        .filter(pk=profile_id)
        .first()
    )
    if profile is None:
        raise NotFoundError("No such profile.")
    return profile


def profile_of(*, user: User) -> AnnotatorProfile | None:
    if not user.is_authenticated:
        return None
    return AnnotatorProfile.objects.filter(user=user).first()


@dataclass
class TestOffer:
    test: QualificationTest
    attempts: list[QualificationAttempt]
    next_allowed_at: object
    open_attempt: QualificationAttempt | None

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def attempts_left(self) -> int:
        return max(0, self.test.max_attempts - len(self.attempts))


def tests_for_profile(*, profile: AnnotatorProfile) -> list[TestOffer]:
    """The active tests of the areas the person claims, with their attempts so far."""
    areas = ProfileExpertise.objects.filter(profile=profile).values("area_id")
    tests = QualificationTest.objects.filter(is_active=True, area_id__in=areas).select_related("area")
    attempts: dict[int, list[QualificationAttempt]] = {}
    for attempt in QualificationAttempt.objects.filter(profile=profile).order_by("-number"):
        attempts.setdefault(attempt.test_id, []).append(attempt)
    offers = []
    for test in tests:
        mine = attempts.get(test.pk, [])
        open_attempt = next((a for a in mine if a.status == QualificationAttempt.Status.IN_PROGRESS), None)
        offers.append(TestOffer(test, mine, attempt_next_allowed_at(test, mine), open_attempt))
    return offers


@dataclass
class StaffedProject:
    workspace: Workspace
    project_id: int
    project_name: str
    status: str
    role: str
    hours_per_week: int
    pending: int | None


_PENDING = sql.SQL(
    "SELECT {workspace}::bigint, p.id, p.name, p.status,"
    " (SELECT count(*) FROM {schema}.projects_item i WHERE i.project_id = p.id AND i.is_open"
    "   AND NOT EXISTS (SELECT 1 FROM {schema}.projects_assignment a"
    "                   WHERE a.item_id = i.id AND a.annotator_id = %(user)s))"
    " FROM {schema}.projects_project p WHERE p.id = ANY(%(projects_{workspace_key})s)"
)


def annotator_home(*, user: User) -> list[StaffedProject]:
    """Every project the person is staffed on, in every workspace, with the tasks left for them.

    Two queries however many workspaces: the live commitments, then one UNION ALL over the
    workspace schemas for the projects' status and pending counts (items still open that the
    person has not had).
    """
    commitments = list(
        Commitment.objects.filter(profile__user=user, ended_at__isnull=True)
        .select_related("workspace")
        .order_by("workspace__name", "project_name")
    )
    if not commitments:
        return []
    by_workspace: dict[int, list[int]] = {}
    for commitment in commitments:
        by_workspace.setdefault(commitment.workspace_id, []).append(commitment.project_id)
    schemas = {c.workspace_id: c.workspace.schema_name for c in commitments}
    parts = [
        _PENDING.format(
            workspace=sql.Literal(workspace_id),
            schema=sql.Identifier(schemas[workspace_id]),
            workspace_key=sql.SQL(str(workspace_id)),
        )
        for workspace_id in by_workspace
    ]
    params = {"user": user.pk, **{f"projects_{key}": ids for key, ids in by_workspace.items()}}
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(" UNION ALL ").join(parts), params)
        found = {(row[0], row[1]): row for row in cursor.fetchall()}
    rows = []
    for commitment in commitments:
        row = found.get((commitment.workspace_id, commitment.project_id))
        if row is None:  # the project was deleted from its workspace
            continue
        rows.append(
            StaffedProject(
                workspace=commitment.workspace,
                project_id=commitment.project_id,
                project_name=row[2],
                status=row[3],
                role=commitment.role,
                hours_per_week=commitment.hours_per_week,
                pending=row[4] if commitment.role == Commitment.Role.ANNOTATOR else None,
            )
        )
    return rows


@dataclass
class RosterEntry:
    pseudonym: str
    role: str
    since: object
    until: object
    expertise: list[dict]
    languages: list[dict]


def roster(*, workspace: Workspace, staffing: list) -> list[RosterEntry]:
    """A project's staffing as clients see it: pseudonyms and verified qualifications, no identity.

    `staffing` is the project's `Staffing` rows (the caller reads them in the workspace schema).
    """
    profiles = {
        p.user_id: p
        for p in AnnotatorProfile.objects.filter(
            user_id__in={row.user_id for row in staffing}
        ).prefetch_related(
            Prefetch(
                "expertise",
                queryset=ProfileExpertise.objects.filter(level__isnull=False).select_related("area"),
            ),
            "languages",
        )
    }
    entries = []
    for row in staffing:
        profile = profiles.get(row.user_id)
        entries.append(
            RosterEntry(
                pseudonym=pseudonym(workspace_id=workspace.pk, user_id=row.user_id),
                role=row.role,
                since=row.created_at,
                until=row.removed_at,
                expertise=[
                    {
                        "area": e.area.code,
                        "area_name": e.area.name,
                        "level": e.get_level_display(),
                        "credential_verified": e.credential_verified_at is not None,
                        "qualification_score": float(e.qualification_score)
                        if e.qualification_score is not None
                        else None,
                    }
                    for e in (profile.expertise.all() if profile else [])
                ],
                languages=[
                    {"code": language.code, "proficiency": language.get_proficiency_display()}
                    for language in (profile.languages.all() if profile else [])
                ],
            )
        )
    return entries
