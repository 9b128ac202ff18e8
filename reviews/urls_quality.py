"""Workspace routes of quality control (quality): `patterns` (pages) and `api_patterns` (under api/v1/)."""

from django.urls import path

from reviews.api import quality as api
from reviews.views import calibration, quality

patterns: list = [
    path("projects/<int:project_id>/quality/", quality.QualityView.as_view(), name="project_quality"),
    path(
        "projects/<int:project_id>/quality/refresh/",
        quality.QualityRefreshView.as_view(),
        name="project_quality_refresh",
    ),
    path(
        "projects/<int:project_id>/calibration/",
        calibration.CalibrationView.as_view(),
        name="project_calibration",
    ),
    path(
        "projects/<int:project_id>/calibration/start/",
        calibration.CalibrationStartView.as_view(),
        name="project_calibration_start",
    ),
    path(
        "projects/<int:project_id>/calibration/close/",
        calibration.CalibrationCloseView.as_view(),
        name="project_calibration_close",
    ),
    path(
        "projects/<int:project_id>/calibration/retry/",
        calibration.CalibrationRetryView.as_view(),
        name="project_calibration_retry",
    ),
]

api_patterns: list = [
    path("projects/<int:project_id>/quality/", api.QualityApi.as_view(), name="api_quality"),
    path(
        "projects/<int:project_id>/quality/refresh/",
        api.QualityRefreshApi.as_view(),
        name="api_quality_refresh",
    ),
    path("projects/<int:project_id>/review-policy/", api.ReviewPolicyApi.as_view(), name="api_review_policy"),
    path("projects/<int:project_id>/calibration/", api.CalibrationApi.as_view(), name="api_calibration"),
    path(
        "projects/<int:project_id>/calibration/start/",
        api.CalibrationStartApi.as_view(),
        name="api_calibration_start",
    ),
    path(
        "projects/<int:project_id>/calibration/close/",
        api.CalibrationCloseApi.as_view(),
        name="api_calibration_close",
    ),
    path(
        "projects/<int:project_id>/calibration/retry/",
        api.CalibrationRetryApi.as_view(),
        name="api_calibration_retry",
    ),
    path(
        "projects/<int:project_id>/calibration/next/",
        api.CalibrationNextApi.as_view(),
        name="api_calibration_next",
    ),
    path(
        "projects/<int:project_id>/calibration/answers/<int:item_id>/",
        api.CalibrationAnswerApi.as_view(),
        name="api_calibration_answer",
    ),
    path(
        "projects/<int:project_id>/calibration/drafts/<int:item_id>/",
        api.CalibrationDraftApi.as_view(),
        name="api_calibration_draft",
    ),
]
