"""Public-site routes of the expert pool: `people_patterns` for applicants and annotators,
`console_patterns` for vendor staff. Both are included by portal.urls_public."""

from django.urls import path

from workforce.api import console as console_api
from workforce.api import people as people_api
from workforce.views import console, people

_ATTEMPT_API = "api/v1/qualifications/attempts/<int:attempt_id>/"

people_patterns: list = [
    path("apply/", people.ApplyView.as_view(), name="apply"),
    path(
        "qualifications/<int:test_id>/start/", people.AttemptStartView.as_view(), name="qualification_start"
    ),
    path(
        "qualifications/attempts/<int:attempt_id>/",
        people.AttemptWorkbenchView.as_view(),
        name="qualification_attempt",
    ),
    path(f"{_ATTEMPT_API}next/", people_api.AttemptNextApi.as_view(), name="api_attempt_next"),
    path(
        f"{_ATTEMPT_API}answers/<int:index>/",
        people_api.AttemptAnswerApi.as_view(),
        name="api_attempt_answer",
    ),
    path(f"{_ATTEMPT_API}draft/<int:index>/", people_api.AttemptDraftApi.as_view(), name="api_attempt_draft"),
]
console_patterns: list = [
    path("console/pool/", console.ConsolePoolView.as_view(), name="console_pool"),
    path("console/pool/<int:profile_id>/", console.ConsoleProfileView.as_view(), name="console_profile"),
    path(
        "console/pool/<int:profile_id>/status/",
        console.ConsoleProfileStatusView.as_view(),
        name="console_profile_status",
    ),
    path(
        "console/pool/<int:profile_id>/expertise/<int:expertise_id>/verify/",
        console.ConsoleExpertiseVerifyView.as_view(),
        name="console_expertise_verify",
    ),
    path("console/applications/", console.ConsoleApplicationsView.as_view(), name="console_applications"),
    path("console/staffing/", console.ConsoleStaffingView.as_view(), name="console_staffing"),
    path(
        "console/staffing/commitments/<int:commitment_id>/end/",
        console.ConsoleCommitmentEndView.as_view(),
        name="console_commitment_end",
    ),
    path(
        "console/staffing/<slug:slug>/<int:project_id>/",
        console.ConsoleProjectStaffingView.as_view(),
        name="console_project_staffing",
    ),
    path("api/v1/pool/", console_api.PoolListApi.as_view(), name="api_pool"),
    path("api/v1/pool/<int:profile_id>/", console_api.PoolDetailApi.as_view(), name="api_pool_profile"),
    path(
        "api/v1/workspaces/<slug:slug>/projects/<int:project_id>/candidates/",
        console_api.ProjectCandidatesApi.as_view(),
        name="api_project_candidates",
    ),
    path(
        "api/v1/workspaces/<slug:slug>/projects/<int:project_id>/staffing/",
        console_api.ProjectStaffingApi.as_view(),
        name="api_project_staffing",
    ),
    path(
        "api/v1/staffing/<int:commitment_id>/",
        console_api.StaffingDetailApi.as_view(),
        name="api_staffing_commitment",
    ),
]
