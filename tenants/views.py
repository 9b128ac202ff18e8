"""Public-site pages: your workspaces, your API tokens, and the vendor console."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from portal.errors import DomainError
from portal.forms import form_add_domain_error
from tenants.forms import TokenCreateForm, WorkspaceCreateForm
from tenants.selectors import (
    audit_log_recent,
    memberships_of_user,
    tokens_of_user,
    user_list,
    workspace_by_slug,
    workspace_list,
)
from tenants.services.tokens import token_create, token_revoke
from tenants.services.workspaces import (
    workspace_provision,
    workspace_reactivate,
    workspace_suspend,
    workspace_url,
)
from workforce.models import Commitment
from workforce.selectors import annotator_home, profile_of, tests_for_profile
from workforce.services.qualifications import MAY_TAKE_TESTS


def _pool_context(user) -> dict:
    """The expert-pool part of the home page: the person's profile, tests and staffed projects.

    A bounded number of queries however many workspaces the person works in.
    """
    profile = profile_of(user=user)
    if profile is None:
        return {"profile": None}
    may_take_tests = profile.status in MAY_TAKE_TESTS
    tests = []
    for offer in tests_for_profile(profile=profile):
        scores = [a.score for a in offer.attempts if a.score is not None]
        tests.append(
            {
                "offer": offer,
                "best_score": max(scores) if scores else None,
                "may_start": may_take_tests
                and offer.open_attempt is None
                and not offer.passed
                and offer.attempts_left > 0
                and offer.next_allowed_at is None,
            }
        )
    staffed = []
    for row in annotator_home(user=user):
        if row.role == Commitment.Role.ANNOTATOR:
            path = reverse("workbench", urlconf=settings.ROOT_URLCONF, kwargs={"project_id": row.project_id})
        else:
            path = reverse("projects", urlconf=settings.ROOT_URLCONF)
        staffed.append({"row": row, "url": workspace_url(row.workspace, path)})
    return {"profile": profile, "may_take_tests": may_take_tests, "tests": tests, "staffed": staffed}


class PublicHomeView(LoginRequiredMixin, TemplateView):
    template_name = "tenants/home.html"

    def get_context_data(self, **kwargs):
        memberships = [
            {"membership": m, "url": workspace_url(m.workspace)}
            for m in memberships_of_user(user=self.request.user)
        ]
        return super().get_context_data(memberships=memberships, **_pool_context(self.request.user), **kwargs)


class TokenListView(LoginRequiredMixin, TemplateView):
    template_name = "tenants/tokens.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tokens=tokens_of_user(user=self.request.user),
            form=kwargs.pop("form", None) or TokenCreateForm(),
            **kwargs,
        )

    def post(self, request):
        form = TokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token, secret = token_create(user=request.user, name=form.cleaned_data["name"])
        return self.render_to_response(self.get_context_data(new_secret=secret, new_token=token))


class TokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, token_id: int):
        try:
            token_revoke(user=request.user, token_id=token_id)
        except DomainError:
            raise Http404 from None
        messages.success(request, "Token revoked.")
        return redirect("tokens")


class StaffOnlyMixin(LoginRequiredMixin):
    """Vendor console: staff only; everyone else gets the same 404 as a missing page."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ConsoleWorkspacesView(StaffOnlyMixin, TemplateView):
    template_name = "tenants/console_workspaces.html"

    def get_context_data(self, **kwargs):
        workspaces = [{"workspace": w, "url": workspace_url(w)} for w in workspace_list()]
        return super().get_context_data(
            workspaces=workspaces, form=kwargs.pop("form", None) or WorkspaceCreateForm(), **kwargs
        )

    def post(self, request):
        form = WorkspaceCreateForm(request.POST)
        if form.is_valid():
            try:
                workspace = workspace_provision(
                    actor=request.user,
                    slug=form.cleaned_data["slug"],
                    name=form.cleaned_data["name"],
                    manager_email=form.cleaned_data["manager_email"] or None,
                    currency=form.cleaned_data["currency"].upper(),
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(
                    request, f"Workspace {workspace.name} is ready at {workspace_url(workspace)}."
                )
                return redirect("console")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ConsoleWorkspaceStatusView(StaffOnlyMixin, View):
    def post(self, request, slug: str, action: str):
        workspace = workspace_by_slug(slug)
        if workspace is None or action not in ("suspend", "reactivate"):
            raise Http404
        try:
            if action == "suspend":
                workspace_suspend(
                    actor=request.user, workspace=workspace, reason=request.POST.get("reason", "")
                )
                messages.success(request, f"{workspace.name} is suspended.")
            else:
                workspace_reactivate(actor=request.user, workspace=workspace)
                messages.success(request, f"{workspace.name} is active again.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("console")


class ConsoleUsersView(StaffOnlyMixin, TemplateView):
    template_name = "tenants/console_users.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(users=user_list(), **kwargs)


class ConsoleAuditView(StaffOnlyMixin, TemplateView):
    template_name = "tenants/console_audit.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(entries=audit_log_recent(limit=200), **kwargs)
