"""The calibration page of a project.

An annotator who owes the open round works its items in the workbench, fed by the calibration
endpoints (`reviews/api/quality.py`) the way a qualification attempt feeds it. Client managers
and auditors see the round: each participant by pseudonym with status and score, and how far
the participants' answers agree per item; they start and close rounds, and auditors let a
failed participant try again.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from portal.errors import DomainError
from projects.selectors import guideline_acknowledged
from projects.services.guidelines import guideline_current, guideline_render
from projects.views import ProjectMixin, ProjectPage
from projects.workbench import workbench_config, workbench_project, workbench_url
from reviews.selectors_quality import (
    calibration_outcome,
    calibration_overview,
    calibration_participant,
)
from reviews.services.calibration import calibration_close, calibration_retry, calibration_start
from tenants.models import Role

SUPERVISORS = frozenset({Role.CLIENT_MANAGER, Role.AUDITOR})
AUDITORS = frozenset({Role.AUDITOR})


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


class CalibrationView(ProjectPage):
    roles = frozenset({Role.ANNOTATOR, Role.CLIENT_MANAGER, Role.AUDITOR})

    def _is_annotator(self) -> bool:
        return self.membership is not None and self.membership.role == Role.ANNOTATOR

    def get_template_names(self):
        return ["reviews/calibration_work.html" if self._is_annotator() else "reviews/calibration.html"]

    def get_context_data(self, **kwargs):
        project = self.get_project()
        if self._is_annotator():
            return super().get_context_data(project=project, **self._work_context(project), **kwargs)
        overview = calibration_overview(project=project, workspace=self.workspace)
        if overview is not None:
            overview["pass_mark_shown"] = _percent(overview["pass_mark"])
            for participant in overview["participants"]:
                participant["score_shown"] = _percent(participant["score"])
            for row in overview["agreement"]:
                row["percent_shown"] = _percent(row["percent_agreement"])
        is_auditor = self.request.user.is_staff or self.membership.role == Role.AUDITOR
        return super().get_context_data(project=project, round=overview, can_retry=is_auditor, **kwargs)

    def _work_context(self, project) -> dict:
        participant = calibration_participant(project=project, annotator=self.request.user)
        if participant is None or participant.status != participant.Status.PENDING:
            return {
                "participant": participant,
                "outcome": calibration_outcome(participant) if participant else None,
            }
        guideline = guideline_current(project)
        round_ = participant.round
        config = workbench_config(
            project=workbench_project(project),
            questions=project.questions,
            guideline={
                "number": guideline.number,
                "acknowledged": guideline_acknowledged(user=self.request.user, version=guideline),
            }
            if guideline
            else None,
            allow_skip=False,
            item_label="",
            back_label="Back to your projects",
            urls={
                "next": reverse("api_calibration_next", kwargs={"project_id": project.pk}),
                "submit": workbench_url("api_calibration_answer", "item_id", project_id=project.pk),
                "draft": workbench_url("api_calibration_draft", "item_id", project_id=project.pk),
                "skip": None,
                "acknowledge": workbench_url("api_guideline_acknowledge", "number", project_id=project.pk),
                "guidelines": reverse("api_guidelines", kwargs={"project_id": project.pk}),
                "projects": reverse("projects"),
            },
        )
        items = len(round_.item_ids)
        return {
            "participant": participant,
            "heading": f"Calibration: {project.name}",
            "intro": (
                f"{round_.reason.rstrip('.')}. Answer {items} item{'s' if items != 1 else ''} as the guideline asks; "
                f"you need {round_.pass_mark:.0%} to return to production work. There is no skipping."
            ),
            "guideline": guideline,
            "guideline_html": guideline_render(guideline.body) if guideline else "",
            "acknowledged": config["guideline"]["acknowledged"] if guideline else True,
            "config": config,
        }


class CalibrationStartView(ProjectMixin):
    """Open a round on the project's gold items for every annotator staffed on it."""

    roles = SUPERVISORS

    def post(self, request, project_id: int):
        project = self.get_project()
        reason = request.POST.get("reason", "").strip()
        if not reason:
            messages.error(request, "Say why the team calibrates: the annotators read it.")
            return redirect("project_calibration", project_id=project.pk)
        try:
            round_ = calibration_start(
                actor=request.user, workspace=self.workspace, project=project, reason=reason
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"Calibration round open on {len(round_.item_ids)} item(s): every staffed annotator "
                "completes it before their next production task.",
            )
        return redirect("project_calibration", project_id=project.pk)


class CalibrationCloseView(ProjectMixin):
    roles = SUPERVISORS

    def post(self, request, project_id: int):
        project = self.get_project()
        try:
            calibration_close(actor=request.user, workspace=self.workspace, project=project)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The calibration round is closed: nobody is held back by it any more.")
        return redirect("project_calibration", project_id=project.pk)


class CalibrationRetryView(ProjectMixin):
    """An auditor lets a participant who failed the open round take it again."""

    roles = AUDITORS

    def post(self, request, project_id: int):
        project = self.get_project()
        try:
            participant_id = int(request.POST.get("participant_id", ""))
        except ValueError:
            messages.error(request, "Choose a participant who failed the round.")
            return redirect("project_calibration", project_id=project.pk)
        try:
            calibration_retry(
                actor=request.user, workspace=self.workspace, project=project, participant_id=participant_id
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "They can take the round again; their earlier answers are cleared.")
        return redirect("project_calibration", project_id=project.pk)
