from django.urls import path

from projects import views
from projects.workbench import WorkbenchView

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="projects"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:project_id>/", views.ProjectDashboardView.as_view(), name="project_dashboard"),
    path("projects/<int:project_id>/settings/", views.ProjectSettingsView.as_view(), name="project_settings"),
    path("projects/<int:project_id>/status/", views.ProjectStatusView.as_view(), name="project_status"),
    path("projects/<int:project_id>/items/", views.ItemBrowserView.as_view(), name="project_items"),
    path(
        "projects/<int:project_id>/items/<int:item_id>/", views.ItemDetailView.as_view(), name="project_item"
    ),
    path(
        "projects/<int:project_id>/annotations/<int:annotation_id>/",
        views.AnnotationDetailView.as_view(),
        name="project_annotation",
    ),
    path("projects/<int:project_id>/import/", views.ImportView.as_view(), name="project_import"),
    path("projects/<int:project_id>/guidelines/", views.GuidelineView.as_view(), name="project_guidelines"),
    path("projects/<int:project_id>/team/", views.RosterView.as_view(), name="project_roster"),
    path("projects/<int:project_id>/work/", WorkbenchView.as_view(), name="workbench"),
]
