"""The annotator workbench: one page that works any task type through the JSON API.

The page itself only renders the project, its current guideline (sanitised) and a JSON config;
`static/projects/workbench.js` builds the form from the questions and talks to the API.
"""

from __future__ import annotations

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


def _url_template(name: str, argument: str, **kwargs) -> str:
    url = reverse(name, kwargs={**kwargs, argument: _SENTINEL})
    return url.replace(str(_SENTINEL), "{id}")


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
        config = {
            "project": {
                "id": project.pk,
                "name": project.name,
                "task_type": project.task_type,
                "status": project.status,
                "item_fields": project.item_fields,
            },
            "questions": project.questions,
            "strengths": [{"value": value, "label": label} for value, label in STRENGTHS.items()],
            "guideline": {"number": guideline.number, "acknowledged": acknowledged} if guideline else None,
            "urls": {
                "next": reverse("api_task_next", kwargs={"project_id": project.pk}),
                "acknowledge": _url_template("api_guideline_acknowledge", "number", project_id=project.pk),
                "guidelines": reverse("api_guidelines", kwargs={"project_id": project.pk}),
                "submit": _url_template("api_submit", "assignment_id"),
                "skip": _url_template("api_skip", "assignment_id"),
                "draft": _url_template("api_draft", "assignment_id"),
                "projects": reverse("projects"),
            },
        }
        return super().get_context_data(
            project=project,
            guideline=guideline,
            guideline_html=guideline_render(guideline.body) if guideline else "",
            acknowledged=acknowledged,
            config=config,
            **kwargs,
        )
