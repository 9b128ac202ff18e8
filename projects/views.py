"""Workspace pages for projects: list, create, dashboard, settings, items, imports, guidelines, staffing."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView

from portal.boundary import ALL_ROLES, MANAGERS, WorkspaceView
from portal.errors import DomainError, NotFoundError
from portal.forms import form_add_domain_error
from projects import selectors
from projects.forms import GuidelineForm, ImportForm, ProjectForm, requirements_initial
from projects.models import GuidelineVersion, Project
from projects.presentation import response_letter, result_display
from projects.presets import PRESETS
from projects.questions import questions_shuffle_responses
from projects.services.guidelines import (
    guideline_current,
    guideline_diff,
    guideline_draft_save,
    guideline_publish,
    guideline_render,
)
from projects.services.imports import import_job_create
from projects.services.projects import (
    TRANSITIONS,
    project_create,
    project_transition,
    project_update,
)
from reviews.selectors_quality import agreement_latest, annotators_paused
from tenants.models import Role
from workforce.requirements import requirements_of
from workforce.selectors import roster

READERS = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_VIEWER})


class ProjectMixin(WorkspaceView):
    """A view of one project the user may see (404 otherwise)."""

    def get_project(self) -> Project:
        try:
            return selectors.project_visible(
                user=self.request.user, membership=self.membership, project_id=self.kwargs["project_id"]
            )
        except NotFoundError:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        project = kwargs.pop("project", None) or self.get_project()
        return super().get_context_data(project=project, **kwargs)


class ProjectPage(ProjectMixin, TemplateView):
    pass


class ProjectListView(WorkspaceView, TemplateView):
    roles = ALL_ROLES
    template_name = "projects/project_list.html"

    def get_context_data(self, **kwargs):
        projects = selectors.projects_visible(user=self.request.user, membership=self.membership)
        mine = (
            selectors.annotator_projects(user=self.request.user)
            if self.membership and self.membership.role == Role.ANNOTATOR
            else []
        )
        return super().get_context_data(projects=projects, annotator_projects=mine, **kwargs)


class ProjectCreateView(WorkspaceView, TemplateView):
    roles = MANAGERS
    template_name = "projects/project_form.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or ProjectForm(presets=PRESETS.values())
        return super().get_context_data(form=form, presets=PRESETS.values(), **kwargs)

    def post(self, request):
        form = ProjectForm(request.POST, presets=PRESETS.values())
        if form.is_valid():
            settings = form.settings()
            try:
                project = project_create(
                    actor=request.user,
                    workspace=self.workspace,
                    name=settings.pop("name"),
                    task_type=settings.pop("task_type"),
                    **settings,
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, f"Project {project.name} created as a draft.")
                return redirect("project_dashboard", project_id=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def transition_label(current: str, status: str) -> str:
    """The button that moves a project from `current` to `status`, as a verb."""
    if status == Project.Status.ACTIVE:
        return {Project.Status.DRAFT: "Start", Project.Status.PAUSED: "Resume"}.get(current, "Reopen")
    return {Project.Status.PAUSED: "Pause", Project.Status.COMPLETED: "Complete"}.get(status, "Archive")


class ProjectDashboardView(ProjectPage):
    roles = {"GET": READERS}
    template_name = "projects/project_dashboard.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project,
            progress=selectors.project_progress(project),
            throughput=selectors.project_throughput(project, workspace=self.workspace),
            guideline=guideline_current(project),
            transitions=[
                (status, transition_label(project.status, status))
                for status in sorted(TRANSITIONS[project.status])
            ],
            paused=annotators_paused(project=project, workspace=self.workspace),
            agreement=agreement_latest(project=project),
            **kwargs,
        )


class ProjectSettingsView(ProjectPage):
    roles = MANAGERS
    template_name = "projects/project_form.html"

    def _initial(self, project):
        return {
            "name": project.name,
            "description": project.description,
            "overlap": project.overlap,
            "lease_seconds": project.lease_seconds,
            "gold_rate": project.gold_rate,
            "audit_rate": project.audit_rate,
            "priority": project.priority,
            "allow_edits": project.allow_edits,
            **requirements_initial(requirements_of(project)),
            "questions": project.questions,
        }

    def get_context_data(self, **kwargs):
        project = self.get_project()
        form = kwargs.pop("form", None) or ProjectForm(initial=self._initial(project), editing=True)
        return super().get_context_data(project=project, form=form, editing=True, **kwargs)

    def post(self, request, project_id: int):
        project = self.get_project()
        form = ProjectForm(request.POST, editing=True)
        if form.is_valid():
            try:
                project_update(
                    actor=request.user, workspace=self.workspace, project=project, **form.settings()
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, "Settings saved.")
                return redirect("project_dashboard", project_id=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProjectStatusView(ProjectMixin):
    roles = MANAGERS

    def post(self, request, project_id: int):
        project = self.get_project()
        try:
            project = project_transition(
                actor=request.user,
                workspace=self.workspace,
                project=project,
                status=request.POST.get("status", ""),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The project is now {project.get_status_display().lower()}.")
        return redirect("project_dashboard", project_id=project.pk)


class ItemBrowserView(ProjectPage):
    roles = READERS
    template_name = "projects/item_browser.html"
    PAGE = 50
    FILTERS = ("status", "guideline_version", "needs_rereview")

    def get_context_data(self, **kwargs):
        project = self.get_project()
        query = self.request.GET
        try:
            after = max(0, int(query.get("after") or 0))
            before = max(0, int(query["before"])) if query.get("before") else None
            version = int(query.get("guideline_version") or 0) or None
        except ValueError:
            after, before, version = 0, None, None
        filters = {
            "status": query.get("status", ""),
            "needs_rereview": query.get("needs_rereview") == "1",
            "guideline_version": version,
        }
        items = selectors.items_browse(
            project=project, after_id=after, before_id=before, limit=self.PAGE, **filters
        )
        matching = selectors.items_matching(project=project, **filters)
        return super().get_context_data(
            project=project,
            items=items,
            filters=query,
            versions=selectors.guideline_versions(project=project),
            matching=matching.count(),
            filter_query=urlencode({key: query.get(key, "") for key in self.FILTERS}),
            next_after=items[-1].pk if items and matching.filter(pk__gt=items[-1].pk).exists() else None,
            previous_before=items[0].pk if items and matching.filter(pk__lt=items[0].pk).exists() else None,
            **kwargs,
        )


class ItemDetailView(ProjectPage):
    roles = READERS
    template_name = "projects/item_detail.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        item = project.items.filter(pk=self.kwargs["item_id"]).first()
        if item is None:
            raise Http404
        return super().get_context_data(
            project=project, item=item, annotations=selectors.item_annotations(item=item), **kwargs
        )


class AnnotationDetailView(ProjectPage):
    roles = READERS
    template_name = "projects/annotation_detail.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        try:
            annotation = selectors.annotation_detail(
                project=project, annotation_id=self.kwargs["annotation_id"]
            )
        except NotFoundError:
            raise Http404 from None
        payload = annotation.item.payload

        def in_words(result):  # responses lettered as imported: A is the first response
            return result_display(project.questions, result, payload)

        return super().get_context_data(
            project=project,
            annotation=annotation,
            rows=in_words(annotation.result),
            shuffled=questions_shuffle_responses(project.questions),
            order_shown=", ".join(
                response_letter(index) for index in annotation.assignment.response_order or []
            ),
            revisions=[(revision, in_words(revision.result)) for revision in annotation.revisions.all()],
            **kwargs,
        )


class ImportView(ProjectPage):
    roles = MANAGERS
    template_name = "projects/import.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        form = kwargs.pop("form", None) or ImportForm()
        return super().get_context_data(
            project=project, form=form, jobs=selectors.import_jobs(project=project), **kwargs
        )

    def post(self, request, project_id: int):
        project = self.get_project()
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    actor=request.user, project=project, filename=upload.name, content=upload.read()
                )
            except DomainError as error:
                return self.render_to_response(
                    self.get_context_data(form=form, import_error=error), status=400
                )
            if job.status == job.Status.SUCCEEDED:
                messages.success(
                    request,
                    f"Imported {job.created_count} new item(s); "
                    f"{job.duplicate_count} were already in the project.",
                )
            else:
                messages.info(request, f"{job.filename} is being imported in the background.")
            return redirect("project_import", project_id=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class GuidelineView(ProjectPage):
    roles = {"GET": ALL_ROLES, "POST": MANAGERS}
    template_name = "projects/guidelines.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        versions = selectors.guideline_versions_readable(
            user=self.request.user, membership=self.membership, project=project
        )
        is_manager = self.request.user.is_staff or (
            self.membership and self.membership.role == Role.CLIENT_MANAGER
        )
        draft = next((v for v in versions if v.status == GuidelineVersion.Status.DRAFT), None)
        current = guideline_current(project)
        form = kwargs.pop("form", None) or GuidelineForm(
            initial={
                "body": draft.body if draft else (current.body if current else ""),
                "changelog": draft.changelog if draft else "",
                "kind": draft.kind if draft else GuidelineVersion.Kind.EDITORIAL,
            }
        )
        shown = draft if (is_manager and draft) else current
        diff = None
        numbers = [v.number for v in versions]
        # The compare form offers the latest change (the second newest against the newest) until
        # a comparison is asked for, then shows the versions compared.
        compare = (numbers[1], numbers[0]) if len(numbers) > 1 else (None, None)
        query = self.request.GET
        if query.get("from") and query.get("to"):
            shown_versions = {v.number: v for v in versions}  # a draft only to those who see it
            try:
                older, newer = shown_versions[int(query["from"])], shown_versions[int(query["to"])]
            except (ValueError, KeyError):
                diff = None
            else:
                diff = guideline_diff(older, newer)
                compare = (older.number, newer.number)
        return super().get_context_data(
            project=project,
            versions=versions,
            draft=draft,
            current=current,
            form=form,
            is_manager=is_manager,
            preview=guideline_render(shown.body) if shown else "",
            shown=shown,
            diff=diff,
            numbers=numbers,
            compare_from=compare[0],
            compare_to=compare[1],
            **kwargs,
        )

    def post(self, request, project_id: int):
        project = self.get_project()
        form = GuidelineForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            draft = guideline_draft_save(actor=request.user, project=project, **form.cleaned_data)
            if request.POST.get("action") == "publish":
                guideline_publish(
                    actor=request.user, workspace=self.workspace, project=project, version_id=draft.pk
                )
                messages.success(request, f"Version {draft.number} is published.")
            else:
                messages.success(request, f"Draft of version {draft.number} saved.")
        except DomainError as error:
            form_add_domain_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return redirect("project_guidelines", project_id=project.pk)


class RosterView(ProjectPage):
    """Who works on the project, as the client sees them: pseudonyms and verified qualifications."""

    roles = {"GET": READERS}
    template_name = "projects/roster.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project,
            roster=roster(workspace=self.workspace, staffing=selectors.staffing_rows(project=project)),
            requirements=requirements_of(project),
            **kwargs,
        )
