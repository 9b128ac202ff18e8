"""Sign-in, sign-out and password reset, on the public site and on every workspace host."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm

from portal.boundary import DANGEROUSLY_ANONYMOUS, WorkspaceView
from portal.tasks import task_enqueue_on_commit


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset email from a worker instead of the request."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django.template import loader

        from tenants.tasks import email_send

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        task_enqueue_on_commit(email_send, subject=subject, body=body, to=[to_email])


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm


class WorkspaceAuthMixin(WorkspaceView):
    roles = DANGEROUSLY_ANONYMOUS
    available_when_suspended = True


class WorkspaceLoginView(WorkspaceAuthMixin, LoginView):
    pass


class WorkspaceLogoutView(WorkspaceAuthMixin, auth_views.LogoutView):
    pass


class WorkspacePasswordResetView(WorkspaceAuthMixin, PasswordResetView):
    pass


class WorkspacePasswordResetDoneView(WorkspaceAuthMixin, auth_views.PasswordResetDoneView):
    pass


class WorkspacePasswordResetConfirmView(WorkspaceAuthMixin, auth_views.PasswordResetConfirmView):
    pass


class WorkspacePasswordResetCompleteView(WorkspaceAuthMixin, auth_views.PasswordResetCompleteView):
    pass
