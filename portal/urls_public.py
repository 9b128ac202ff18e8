"""Routes of the public site (PORTAL_DOMAIN): sign-in, your workspaces, the vendor console."""

from django.contrib import admin
from django.urls import path

from portal.urls_auth import auth_patterns
from tenants import api, views
from workforce.urls import console_patterns, people_patterns

urlpatterns = [
    path("", views.PublicHomeView.as_view(), name="home"),
    path("account/tokens/", views.TokenListView.as_view(), name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("console/", views.ConsoleWorkspacesView.as_view(), name="console"),
    path(
        "console/workspaces/<slug:slug>/<str:action>/",
        views.ConsoleWorkspaceStatusView.as_view(),
        name="console_workspace_status",
    ),
    path("console/users/", views.ConsoleUsersView.as_view(), name="console_users"),
    path("console/audit/", views.ConsoleAuditView.as_view(), name="console_audit"),
    path("admin/", admin.site.urls),
    path("api/v1/me/", api.MeApi.as_view(), name="api_me"),
    path("api/v1/tokens/", api.TokenListApi.as_view(), name="api_tokens"),
    path("api/v1/tokens/<int:token_id>/", api.TokenDetailApi.as_view(), name="api_token"),
    path("api/v1/workspaces/", api.WorkspaceListApi.as_view(), name="api_workspaces"),
    *people_patterns,
    *console_patterns,
    *auth_patterns(workspace=False),
]
