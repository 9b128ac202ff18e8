"""The annotator workbench: one page that works any task type through the JSON API.

The page itself only renders the project, its current guideline (sanitised) and a JSON config;
`static/projects/workbench.js` builds the form from the questions and talks to the API.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from portal.boundary import WorkspaceView
from portal.errors import NotFoundError
from projects import selectors
from projects.questions import STRENGTHS
from projects.services.guidelines import guideline_current, guideline_render
from tenants.models import Role

_SENTINEL = 987654321  # stands for the id in URL templates; the page substitutes "{id}"


def workbench_url(name: str, argument: str, **kwargs) -> str:
    """A URL whose `argument` workbench.js fills in per task: `/api/v1/assignments/{id}/submit/`."""
    url = reverse(name, kwargs={**kwargs, argument: _SENTINEL})
    return url.replace(str(_SENTINEL), "{id}")


def workbench_config(
    *, project: dict, questions: list, urls: dict, guideline: dict | None = None, **options
) -> dict:
    """The JSON config workbench.js reads. Pages that feed it other endpoints than the project
    queue (qualification tests, calibration) pass their own `urls` and `options` such as
    `allow_skip=False`, `item_label` and `back_label`."""
    return {
        "project": project,
        "questions": questions,
        "strengths": [{"value": value, "label": label} for value, label in STRENGTHS.items()],
        "guideline": guideline,
        "image_sources": settings.IMAGE_SOURCES,  # where the CSP lets item images load from
        **options,
        "urls": urls,
    }


def workbench_project(project) -> dict:
    return {
        "id": project.pk,
        "name": project.name,
        "task_type": project.task_type,
        "status": project.status,
        "item_fields": project.item_fields,
    }


class WorkbenchView(WorkspaceView, TemplateView):
    roles = frozenset({Role.ANNOTATOR})
    template_name = "projects/workbench.html"

    def get_context_data(self, **kwargs):
        try:
            project = selectors.project_visible(
                user=self.request.user, membership=self.membership, project_id=self.kwargs["project_id"]
            )
        except NotFoundError:
            raise Http404 from None
        guideline = guideline_current(project)
        acknowledged = selectors.guideline_acknowledged(user=self.request.user, version=guideline)
        config = workbench_config(
            project=workbench_project(project),
            questions=project.questions,
            guideline={"number": guideline.number, "acknowledged": acknowledged} if guideline else None,
            urls={
                "next": reverse("api_task_next", kwargs={"project_id": project.pk}),
                "acknowledge": workbench_url("api_guideline_acknowledge", "number", project_id=project.pk),
                "guidelines": reverse("api_guidelines", kwargs={"project_id": project.pk}),
                "submit": workbench_url("api_submit", "assignment_id"),
                "skip": workbench_url("api_skip", "assignment_id"),
                "draft": workbench_url("api_draft", "assignment_id"),
                "mine": reverse("api_annotations_mine", kwargs={"project_id": project.pk}),
                "annotation": workbench_url("api_annotation_revise", "annotation_id"),
                "projects": reverse("projects"),
            },
        )
        return super().get_context_data(
            project=project,
            guideline=guideline,
            guideline_html=guideline_render(guideline.body) if guideline else "",
            acknowledged=acknowledged,
            config=config,
            **kwargs,
        )
