"""Workspace pages: home, members, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.generic import TemplateView

from members.forms import InvitationAcceptForm, InvitationForm, RoleForm
from members.services import (
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_needs_password,
    invitation_revoke,
    invitations_open,
)
from portal.boundary import ALL_ROLES, DANGEROUSLY_ANONYMOUS, MANAGERS, WorkspaceView
from portal.errors import DomainError
from portal.forms import form_add_domain_error
from tenants.models import VENDOR_ROLES, Role
from tenants.selectors import workspace_people
from tenants.services.memberships import membership_change_role, membership_remove


class WorkspaceHomeView(WorkspaceView, TemplateView):
    roles = ALL_ROLES
    template_name = "members/home.html"


class MemberListView(WorkspaceView, TemplateView):
    roles = MANAGERS
    template_name = "members/member_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            people=workspace_people(workspace=self.workspace, viewer=self.request.user),
            invitations=invitations_open(viewer=self.request.user),
            invite_form=kwargs.pop("invite_form", None)
            or InvitationForm(vendor_staff=self.request.user.is_staff),
            roles=Role.choices
            if self.request.user.is_staff
            else [(v, label) for v, label in Role.choices if v not in VENDOR_ROLES],
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = InvitationForm(request.POST, vendor_staff=request.user.is_staff)
        if form.is_valid():
            try:
                invitation, _ = invitation_create(
                    actor=request.user, workspace=self.workspace, **form.cleaned_data
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("members")
        return self.render_to_response(self.get_context_data(invite_form=form), status=400)


class MemberRoleView(WorkspaceView):
    roles = MANAGERS

    def post(self, request, membership_id: int):
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a valid role.")
            return redirect("members")
        try:
            membership = membership_change_role(
                actor=request.user,
                workspace=self.workspace,
                membership_id=membership_id,
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            if error.status_code == 404:
                raise Http404 from None
            messages.error(request, error.message)
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
        return redirect("members")


class MemberRemoveView(WorkspaceView):
    roles = MANAGERS

    def post(self, request, membership_id: int):
        try:
            membership_remove(actor=request.user, workspace=self.workspace, membership_id=membership_id)
        except DomainError as error:
            if error.status_code == 404:
                raise Http404 from None
            messages.error(request, error.message)
        else:
            messages.success(request, "Member removed.")
        return redirect("members")


class InvitationRevokeView(WorkspaceView):
    roles = MANAGERS

    def post(self, request, invitation_id: int):
        try:
            invitation_revoke(actor=request.user, workspace=self.workspace, invitation_id=invitation_id)
        except DomainError:
            raise Http404 from None
        messages.success(request, "Invitation revoked.")
        return redirect("members")


class InvitationAcceptView(WorkspaceView):
    """Open to anyone holding the token: the token is the credential."""

    roles = DANGEROUSLY_ANONYMOUS
    template_name = "members/invitation_accept.html"

    def _invitation(self, token: str):
        invitation = invitation_by_token(token)
        if invitation is None:
            raise Http404("This invitation is invalid, used or expired.")
        return invitation

    def _render(self, request, invitation, form, status=200):
        context = {
            "workspace": self.workspace,
            "invitation": invitation,
            "form": form,
            "needs_password": invitation_needs_password(invitation),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, token: str):
        return self._render(request, self._invitation(token), InvitationAcceptForm())

    def post(self, request, token: str):
        invitation = self._invitation(token)
        form = InvitationAcceptForm(request.POST)
        form.is_valid()
        try:
            user = invitation_accept(
                token=token,
                password=form.cleaned_data.get("password"),
                full_name=form.cleaned_data.get("full_name", ""),
                user=request.user if request.user.is_authenticated else None,
            )
        except DomainError as error:
            form_add_domain_error(form, error)
            return self._render(request, invitation, form, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {self.workspace.name}.")
        return redirect("home")
