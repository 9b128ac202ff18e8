"""Vendor console pages for the expert pool: search, profiles, vetting, staffing by fit."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from portal.errors import DomainError, NotFoundError
from tenants.selectors import workspace_by_slug
from tenants.views import StaffOnlyMixin
from workforce.models import AnnotatorProfile, Commitment, Level, Proficiency
from workforce.requirements import LANGUAGE_PATTERN
from workforce.selectors import applications_pending, expertise_areas, pool_search, profile_detail
from workforce.selectors_console import (
    commitments_live,
    profile_audit_entries,
    profile_expertise,
    project_staffing,
    project_suggestions,
    requirements_words,
    workspaces_staffing,
)
from workforce.services.profiles import TRANSITIONS, expertise_verify_credential, profile_transition
from workforce.services.staffing import staffing_confirm, staffing_end

PAGE_SIZE = 50
ANY = [("", "any")]


class PoolFilterForm(forms.Form):
    """The pool search filters, all optional; a bad value is reported on its field."""

    area = forms.ChoiceField(required=False, label="Expertise area")
    min_level = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=ANY + Level.choices, label="Minimum level"
    )
    language = forms.CharField(
        required=False,
        max_length=12,
        validators=[RegexValidator(LANGUAGE_PATTERN, "a language tag such as en, de or pt-BR")],
    )
    min_proficiency = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=ANY + Proficiency.choices,
        label="Minimum proficiency",
    )
    status = forms.ChoiceField(required=False, choices=ANY + AnnotatorProfile.Status.choices)
    min_free_hours = forms.IntegerField(required=False, min_value=0, max_value=80, label="Free h/week")
    q = forms.CharField(required=False, max_length=100, label="Name or email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = ANY + [(a.code, f"{a.code} ({a.name})") for a in expertise_areas()]

    def search_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "area": data["area"],
            "min_level": data["min_level"],
            "language": data["language"].strip(),
            "min_proficiency": data["min_proficiency"],
            "status": data["status"],
            "min_free_hours": data["min_free_hours"],
            "text": data["q"].strip(),
        }


def _error_text(error: DomainError) -> str:
    details = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in error.fields.items())
    return f"{error.message} ({details})" if details else error.message


def _back(request, fallback: str) -> str:
    """Where a form asked to go afterwards, if it is a path on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class ConsolePoolView(StaffOnlyMixin, TemplateView):
    template_name = "workforce/console_pool.html"

    def get(self, request, *args, **kwargs):
        form = PoolFilterForm(request.GET)
        page = None
        if form.is_valid():
            paginator = Paginator(pool_search(**form.search_arguments()), PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = self.get_context_data(form=form, page=page, query=query.urlencode())
        return self.render_to_response(context, status=200 if page is not None else 400)


class ConsoleApplicationsView(StaffOnlyMixin, TemplateView):
    template_name = "workforce/console_applications.html"

    def get_context_data(self, **kwargs):
        page = Paginator(applications_pending(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)


class ConsoleProfileView(StaffOnlyMixin, TemplateView):
    template_name = "workforce/console_profile.html"

    def get_context_data(self, **kwargs):
        try:
            profile = profile_detail(profile_id=kwargs["profile_id"])
        except NotFoundError:
            raise Http404 from None
        commitments = list(profile.commitments.all())
        statuses = AnnotatorProfile.Status
        return super().get_context_data(
            profile=profile,
            transitions=[(s.value, s.label) for s in statuses if s in TRANSITIONS[profile.status]],
            live=[c for c in commitments if c.ended_at is None],
            past=[c for c in commitments if c.ended_at is not None],
            audit_entries=profile_audit_entries(profile=profile),
            **kwargs,
        )


class ConsoleProfileStatusView(StaffOnlyMixin, View):
    def post(self, request, profile_id: int):
        try:
            profile = profile_transition(
                actor=request.user,
                profile_id=profile_id,
                status=request.POST.get("status", ""),
                reason=request.POST.get("reason", ""),
            )
        except NotFoundError:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, f"The profile is {profile.get_status_display().lower()} now.")
        return redirect("console_profile", profile_id=profile_id)


class ConsoleExpertiseVerifyView(StaffOnlyMixin, View):
    def post(self, request, profile_id: int, expertise_id: int):
        try:
            profile_expertise(profile_id=profile_id, expertise_id=expertise_id)
            expertise = expertise_verify_credential(actor=request.user, expertise_id=expertise_id)
        except NotFoundError:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, f"Credential for {expertise.area.code} verified.")
        return redirect("console_profile", profile_id=profile_id)


class ConsoleCommitmentEndView(StaffOnlyMixin, View):
    def post(self, request, commitment_id: int):
        try:
            commitment = staffing_end(
                actor=request.user, commitment_id=commitment_id, reason=request.POST.get("reason", "")
            )
        except DomainError as error:
            messages.error(request, _error_text(error))
            return redirect(_back(request, reverse("console_staffing")))
        messages.success(
            request,
            f"{commitment.profile.user.email} is off {commitment.project_name}; "
            f"{commitment.hours_per_week} h/week are free again.",
        )
        return redirect(_back(request, reverse("console_profile", args=[commitment.profile_id])))


class ConsoleStaffingView(StaffOnlyMixin, TemplateView):
    template_name = "workforce/console_staffing.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(workspaces=workspaces_staffing(), **kwargs)


class ConsoleProjectStaffingView(StaffOnlyMixin, TemplateView):
    template_name = "workforce/console_project_staffing.html"

    def _staffing(self, slug: str, project_id: int):
        workspace = workspace_by_slug(slug)
        if workspace is None:
            raise Http404
        try:
            return project_staffing(workspace=workspace, project_id=project_id)
        except NotFoundError:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        staffing = self._staffing(kwargs["slug"], kwargs["project_id"])
        role = self.request.GET.get("role", Commitment.Role.ANNOTATOR)
        if role not in Commitment.Role.values:
            role = Commitment.Role.ANNOTATOR
        return super().get_context_data(
            staffing=staffing,
            role=role,
            roles=Commitment.Role.choices,
            open_seats=staffing.open_seats(role),
            words=requirements_words(staffing.requirements),
            commitments=commitments_live(workspace=staffing.workspace, project_id=staffing.project_id),
            suggestions=project_suggestions(staffing=staffing),
            **kwargs,
        )

    def post(self, request, slug: str, project_id: int):
        staffing = self._staffing(slug, project_id)
        role = request.POST.get("role", "")
        here = reverse("console_project_staffing", args=[slug, project_id])
        if role in Commitment.Role.values:
            here += f"?role={role}"
        hours = request.POST.get("hours_per_week", "").strip()
        try:
            if hours and not hours.isdigit():
                raise DomainError(
                    "Hours are 1 to 80 a week.", code="invalid_hours", fields={"hours_per_week": ["1 to 80"]}
                )
            if not request.POST.get("profile_id", "").isdigit():
                raise DomainError(
                    "Choose a person.", code="invalid", fields={"profile_id": ["a profile id is required"]}
                )
            commitment = staffing_confirm(
                actor=request.user,
                workspace=staffing.workspace,
                project_id=staffing.project_id,
                profile_id=int(request.POST["profile_id"]),
                role=role,
                hours_per_week=int(hours) if hours else None,
            )
        except DomainError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                f"{commitment.profile.user.email} is staffed on {commitment.project_name} as {role}, "
                f"{commitment.hours_per_week} h/week.",
            )
        return redirect(here)
