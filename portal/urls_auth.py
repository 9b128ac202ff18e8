"""Auth routes, one set for the public site and one for workspace hosts."""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal import auth_views as views


def auth_patterns(workspace: bool) -> list:
    if workspace:
        login, logout = views.WorkspaceLoginView, views.WorkspaceLogoutView
        reset, reset_done = views.WorkspacePasswordResetView, views.WorkspacePasswordResetDoneView
        confirm = views.WorkspacePasswordResetConfirmView
        complete = views.WorkspacePasswordResetCompleteView
    else:
        login, logout = views.LoginView, auth_views.LogoutView
        reset, reset_done = views.PasswordResetView, auth_views.PasswordResetDoneView
        confirm = auth_views.PasswordResetConfirmView
        complete = auth_views.PasswordResetCompleteView
    return [
        path("login/", login.as_view(), name="login"),
        path("logout/", logout.as_view(), name="logout"),
        path("password-reset/", reset.as_view(), name="password_reset"),
        path("password-reset/sent/", reset_done.as_view(), name="password_reset_done"),
        path("password-reset/<uidb64>/<token>/", confirm.as_view(), name="password_reset_confirm"),
        path("password-reset/done/", complete.as_view(), name="password_reset_complete"),
    ]
