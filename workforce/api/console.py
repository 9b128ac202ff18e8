"""Vendor-staff API for the expert pool: pool search and profiles, suggestions by fit, staffing."""

from __future__ import annotations

from django.core.paginator import Paginator
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NotFoundError
from tenants.api import IsVendorStaff
from tenants.selectors import workspace_by_slug
from workforce.models import AnnotatorProfile, Commitment, Level, Proficiency
from workforce.requirements import LANGUAGE_PATTERN
from workforce.selectors import expertise_areas, pool_search, profile_detail
from workforce.selectors_console import project_staffing, project_suggestions
from workforce.services.staffing import staffing_confirm, staffing_end

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PoolQuerySerializer(serializers.Serializer):
    area = serializers.CharField(required=False, allow_blank=True, max_length=80)
    min_level = serializers.ChoiceField(choices=Level.values, required=False)
    language = serializers.RegexField(LANGUAGE_PATTERN, required=False, allow_blank=True, max_length=12)
    min_proficiency = serializers.ChoiceField(choices=Proficiency.values, required=False)
    status = serializers.ChoiceField(choices=AnnotatorProfile.Status.values, required=False, allow_blank=True)
    min_free_hours = serializers.IntegerField(required=False, min_value=0, max_value=80)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )

    def validate_area(self, value: str) -> str:
        if value and not expertise_areas().filter(code=value).exists():
            raise serializers.ValidationError(f"'{value}' is not in the expertise taxonomy.")
        return value


def _level(value: int | None) -> dict | None:
    return None if value is None else {"value": value, "label": Level(value).label}


def _proficiency(value: int) -> dict:
    return {"value": value, "label": Proficiency(value).label, "name": Proficiency(value).name}


def _score(value) -> float | None:
    return None if value is None else float(value)


def _profile(profile: AnnotatorProfile) -> dict:
    """A pool profile (the expertise and languages prefetched)."""
    return {
        "id": profile.pk,
        "email": profile.user.email,
        "full_name": profile.user.full_name,
        "status": profile.status,
        "country": profile.country,
        "timezone": profile.timezone,
        "rate_tier": profile.rate_tier,
        "capacity": {
            "weekly_hours": profile.weekly_capacity_hours,
            "committed_hours": profile.committed_hours,
            "free_hours": profile.free_hours,
        },
        "expertise": [
            {
                "id": e.pk,
                "area": e.area.code,
                "area_name": e.area.name,
                "claimed_level": _level(e.claimed_level),
                "level": _level(e.level),
                "qualification_score": _score(e.qualification_score),
                "credential": e.credential,
                "credential_verified_at": e.credential_verified_at,
                "vetted_at": e.vetted_at,
            }
            for e in profile.expertise.all()
        ],
        "languages": [
            {"code": language.code, "proficiency": _proficiency(language.proficiency)}
            for language in profile.languages.all()
        ],
        "applied_at": profile.applied_at,
        "status_changed_at": profile.status_changed_at,
    }


def _commitment(commitment: Commitment) -> dict:
    return {
        "id": commitment.pk,
        "profile_id": commitment.profile_id,
        "workspace": commitment.workspace.slug,
        "project_id": commitment.project_id,
        "project_name": commitment.project_name,
        "role": commitment.role,
        "hours_per_week": commitment.hours_per_week,
        "fit": commitment.fit,
        "created_by": commitment.created_by.email if commitment.created_by else None,
        "created_at": commitment.created_at,
        "ended_by": commitment.ended_by.email if commitment.ended_by else None,
        "ended_at": commitment.ended_at,
        "end_reason": commitment.end_reason,
    }


class PoolListApi(APIView):
    permission_classes = [IsVendorStaff]

    def get(self, request):
        query = PoolQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        profiles = pool_search(
            area=data.get("area", ""),
            min_level=data.get("min_level"),
            language=data.get("language", ""),
            min_proficiency=data.get("min_proficiency"),
            status=data.get("status", ""),
            min_free_hours=data.get("min_free_hours"),
            text=data.get("q", "").strip(),
        )
        paginator = Paginator(profiles, data["page_size"])
        number = data["page"]
        rows = paginator.page(number).object_list if number <= paginator.num_pages else []
        return Response(
            {
                "count": paginator.count,
                "page": number,
                "pages": paginator.num_pages if paginator.count else 0,
                "next_page": number + 1 if number < paginator.num_pages and paginator.count else None,
                "results": [_profile(profile) for profile in rows],
            }
        )


class PoolDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    def get(self, request, profile_id: int):
        profile = profile_detail(profile_id=profile_id)
        commitments = list(profile.commitments.all())
        return Response(
            {
                **_profile(profile),
                "summary": profile.summary,
                "attempts": [
                    {
                        "id": attempt.pk,
                        "test": attempt.test.name,
                        "area": attempt.test.area.code,
                        "number": attempt.number,
                        "status": attempt.status,
                        "score": _score(attempt.score),
                        "passed": attempt.passed,
                        "started_at": attempt.started_at,
                        "submitted_at": attempt.submitted_at,
                    }
                    for attempt in profile.attempts.all()
                ],
                "commitments": [_commitment(c) for c in commitments],
            }
        )


def _project(slug: str, project_id: int):
    workspace = workspace_by_slug(slug)
    if workspace is None:
        raise NotFoundError("No such workspace.")
    return project_staffing(workspace=workspace, project_id=project_id)


class CandidatesQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Commitment.Role.values, default=Commitment.Role.ANNOTATOR)
    hours_per_week = serializers.IntegerField(required=False, min_value=1, max_value=80)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class ProjectCandidatesApi(APIView):
    permission_classes = [IsVendorStaff]

    def get(self, request, slug: str, project_id: int):
        query = CandidatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        role = query.validated_data["role"]
        staffing = _project(slug, project_id)
        hours = query.validated_data.get("hours_per_week") or staffing.requirements["hours_per_week"]
        suggestions = project_suggestions(staffing=staffing, hours=hours, limit=query.validated_data["limit"])
        return Response(
            {
                "project": {
                    "workspace": staffing.workspace.slug,
                    "id": staffing.project_id,
                    "name": staffing.name,
                    "status": staffing.status,
                    "staffable": staffing.staffable,
                },
                "requirements": staffing.requirements,
                "role": role,
                "hours_per_week": hours,
                "headcount": staffing.headcount[role],
                "staffed": staffing.staffed[role],
                "results": [
                    {
                        "profile_id": s.candidate.profile_id,
                        "email": s.candidate.email,
                        "full_name": s.candidate.full_name,
                        "timezone": s.candidate.timezone,
                        "free_hours": s.candidate.free_hours,
                        "capacity_hours": s.candidate.capacity_hours,
                        "fit": s.candidate.fit,
                        "parts": s.candidate.parts,
                        "reasons": s.candidate.reasons(),
                        "workspace_role": s.member_role,
                        "role_conflict": s.conflict(role),
                    }
                    for s in suggestions
                ],
            }
        )


class StaffingConfirmSerializer(serializers.Serializer):
    profile_id = serializers.IntegerField(min_value=1)
    role = serializers.ChoiceField(choices=Commitment.Role.values)
    hours_per_week = serializers.IntegerField(min_value=1, max_value=80, required=False, allow_null=True)


class ProjectStaffingApi(APIView):
    permission_classes = [IsVendorStaff]

    def post(self, request, slug: str, project_id: int):
        payload = StaffingConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        workspace = workspace_by_slug(slug)
        if workspace is None:
            raise NotFoundError("No such workspace.")
        commitment = staffing_confirm(
            actor=request.user,
            workspace=workspace,
            project_id=project_id,
            profile_id=payload.validated_data["profile_id"],
            role=payload.validated_data["role"],
            hours_per_week=payload.validated_data.get("hours_per_week"),
        )
        return Response(_commitment(commitment), status=status.HTTP_201_CREATED)


class StaffingEndSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class StaffingDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    def delete(self, request, commitment_id: int):
        source = request.data if hasattr(request.data, "get") and request.data else request.query_params
        payload = StaffingEndSerializer(data={"reason": source.get("reason", "")})
        payload.is_valid(raise_exception=True)
        commitment = staffing_end(
            actor=request.user, commitment_id=commitment_id, reason=payload.validated_data["reason"]
        )
        return Response(_commitment(commitment))
