"""Workspace routes of quality control (audits): `patterns` (pages) and `api_patterns` (under api/v1/)."""

from django.urls import path

from reviews.api import audits as api
from reviews.views import audits as views

patterns: list = [
    path("reviews/", views.AuditorHomeView.as_view(), name="auditor_home"),
    path("projects/<int:project_id>/audits/next/", views.AuditNextView.as_view(), name="audit_next"),
    path("audits/<int:audit_id>/", views.AuditView.as_view(), name="audit_detail"),
    path("audits/<int:audit_id>/blind/", views.AuditBlindView.as_view(), name="audit_blind"),
    path(
        "projects/<int:project_id>/adjudications/",
        views.AdjudicationListView.as_view(),
        name="adjudication_list",
    ),
    path(
        "adjudications/<int:adjudication_id>/", views.AdjudicationView.as_view(), name="adjudication_detail"
    ),
    path(
        "projects/<int:project_id>/quality/<int:quality_id>/reinstate/",
        views.AnnotatorReinstateView.as_view(),
        name="annotator_reinstate",
    ),
    path("feedback/", views.FeedbackView.as_view(), name="feedback"),
]

api_patterns: list = [
    path("reviews/", api.AuditorOverviewApi.as_view(), name="api_auditor_overview"),
    path("projects/<int:project_id>/audits/next/", api.AuditNextApi.as_view(), name="api_audit_next"),
    path("audits/<int:audit_id>/", api.AuditDetailApi.as_view(), name="api_audit"),
    path("audits/<int:audit_id>/blind/", api.AuditBlindApi.as_view(), name="api_audit_blind"),
    path("audits/<int:audit_id>/verdict/", api.AuditVerdictApi.as_view(), name="api_audit_verdict"),
    path(
        "projects/<int:project_id>/adjudications/",
        api.AdjudicationListApi.as_view(),
        name="api_adjudications",
    ),
    path(
        "adjudications/<int:adjudication_id>/", api.AdjudicationDetailApi.as_view(), name="api_adjudication"
    ),
    path(
        "adjudications/<int:adjudication_id>/resolve/",
        api.AdjudicationResolveApi.as_view(),
        name="api_adjudication_resolve",
    ),
    path(
        "projects/<int:project_id>/quality/<int:quality_id>/reinstate/",
        api.AnnotatorReinstateApi.as_view(),
        name="api_annotator_reinstate",
    ),
    path("feedback/", api.FeedbackApi.as_view(), name="api_feedback"),
]
