from django.urls import path

from projects import api

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="api_projects"),
    path("projects/<int:project_id>/", api.ProjectDetailApi.as_view(), name="api_project"),
    path("projects/<int:project_id>/status/", api.ProjectStatusApi.as_view(), name="api_project_status"),
    path("projects/<int:project_id>/roster/", api.RosterApi.as_view(), name="api_roster"),
    path("projects/<int:project_id>/items/", api.ItemListApi.as_view(), name="api_items"),
    path("projects/<int:project_id>/imports/", api.ImportListApi.as_view(), name="api_imports"),
    path("projects/<int:project_id>/imports/<int:job_id>/", api.ImportDetailApi.as_view(), name="api_import"),
    path("projects/<int:project_id>/guidelines/", api.GuidelineListApi.as_view(), name="api_guidelines"),
    path(
        "projects/<int:project_id>/guidelines/diff/",
        api.GuidelineDiffApi.as_view(),
        name="api_guideline_diff",
    ),
    path(
        "projects/<int:project_id>/guidelines/<int:number>/publish/",
        api.GuidelinePublishApi.as_view(),
        name="api_guideline_publish",
    ),
    path(
        "projects/<int:project_id>/guidelines/<int:number>/acknowledge/",
        api.GuidelineAcknowledgeApi.as_view(),
        name="api_guideline_acknowledge",
    ),
    path("projects/<int:project_id>/annotations/", api.AnnotationListApi.as_view(), name="api_annotations"),
    path(
        "projects/<int:project_id>/annotations/mine/",
        api.AnnotationsOfAnnotatorApi.as_view(),
        name="api_annotations_mine",
    ),
    path("projects/<int:project_id>/tasks/next/", api.TaskNextApi.as_view(), name="api_task_next"),
    path("assignments/<int:assignment_id>/submit/", api.AssignmentSubmitApi.as_view(), name="api_submit"),
    path("assignments/<int:assignment_id>/skip/", api.AssignmentSkipApi.as_view(), name="api_skip"),
    path("assignments/<int:assignment_id>/draft/", api.AssignmentDraftApi.as_view(), name="api_draft"),
    path("annotations/<int:annotation_id>/", api.AnnotationReviseApi.as_view(), name="api_annotation_revise"),
]
