"""Routes served on every workspace host (<slug>.<PORTAL_DOMAIN>)."""

from django.urls import include, path

from members import api, views
from portal.urls_auth import auth_patterns
from reviews import urls_audits, urls_quality

urlpatterns = [
    path("", views.WorkspaceHomeView.as_view(), name="home"),
    path("members/", views.MemberListView.as_view(), name="members"),
    path("members/<int:membership_id>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("members/<int:membership_id>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("api/v1/me/", api.WorkspaceMeApi.as_view(), name="api_me"),
    path("api/v1/members/", api.MemberListApi.as_view(), name="api_members"),
    path("api/v1/members/<int:membership_id>/", api.MemberDetailApi.as_view(), name="api_member"),
    path("api/v1/invitations/", api.InvitationListApi.as_view(), name="api_invitations"),
    path(
        "api/v1/invitations/<int:invitation_id>/",
        api.InvitationDetailApi.as_view(),
        name="api_invitation",
    ),
    path("", include("projects.urls")),
    path("api/v1/", include("projects.urls_api")),
    *urls_audits.patterns,
    *urls_quality.patterns,
    path("api/v1/", include(urls_audits.api_patterns)),
    path("api/v1/", include(urls_quality.api_patterns)),
    *auth_patterns(workspace=True),
]
