"""Workspace API of quality figures, the review policy and calibration rounds.

People appear as pseudonyms only: no user id, name or email leaves these endpoints. The
annotator's calibration endpoints answer like the queue (`projects/api.py`), so the workbench
works a round the way it works a project.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from portal.boundary import MANAGERS
from portal.errors import DomainError
from portal.tasks import task_enqueue_on_commit
from projects.api import ProjectApi, result_from
from reviews.selectors_quality import (
    calibration_outcome,
    calibration_overview,
    calibration_participant,
    quality_overview,
    review_policy_figures,
)
from reviews.services.calibration import (
    calibration_answer,
    calibration_close,
    calibration_draft_save,
    calibration_retry,
    calibration_start,
    calibration_task,
)
from reviews.services.policy import review_policy_update
from reviews.tasks import agreement_refresh
from tenants.models import Role

QUALITY_READERS = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_VIEWER, Role.AUDITOR})
SUPERVISORS = frozenset({Role.CLIENT_MANAGER, Role.AUDITOR})
AUDITORS = frozenset({Role.AUDITOR})
ANNOTATORS = frozenset({Role.ANNOTATOR})


class QualityApi(ProjectApi):
    roles = QUALITY_READERS

    def get(self, request, project_id: int):
        project = self.project()
        return Response(
            {
                "project": {"id": project.pk, "name": project.name},
                **quality_overview(project=project, workspace=self.workspace),
                "policy": review_policy_figures(project=project),
            }
        )


class QualityRefreshApi(ProjectApi):
    roles = SUPERVISORS

    def post(self, request, project_id: int):
        project = self.project()
        task_enqueue_on_commit(agreement_refresh, project.pk)
        return Response(
            {"queued": True, "message": "Agreement is being measured again in the background."},
            status=status.HTTP_202_ACCEPTED,
        )


class ReviewPolicyApi(ProjectApi):
    roles = {"GET": QUALITY_READERS, "PATCH": MANAGERS}

    def get(self, request, project_id: int):
        return Response(review_policy_figures(project=self.project()))

    def patch(self, request, project_id: int):
        project = self.project()
        review_policy_update(
            actor=request.user, workspace=self.workspace, project=project, changes=dict(request.data.items())
        )
        return Response(review_policy_figures(project=project))


# Calibration: supervisors ----------------------------------------------------------------------


class CalibrationApi(ProjectApi):
    roles = SUPERVISORS

    def get(self, request, project_id: int):
        return Response({"round": calibration_overview(project=self.project(), workspace=self.workspace)})


class CalibrationStartApi(ProjectApi):
    roles = SUPERVISORS

    def post(self, request, project_id: int):
        reason = request.data.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise DomainError(
                "Say why the team calibrates: the annotators read it.",
                code="invalid_calibration",
                fields={"reason": ["Required."]},
            )
        project = self.project()
        calibration_start(
            actor=request.user,
            workspace=self.workspace,
            project=project,
            reason=reason.strip(),
            item_ids=request.data.get("item_ids"),
        )
        return Response(
            {"round": calibration_overview(project=project, workspace=self.workspace)},
            status=status.HTTP_201_CREATED,
        )


class CalibrationCloseApi(ProjectApi):
    roles = SUPERVISORS

    def post(self, request, project_id: int):
        project = self.project()
        calibration_close(actor=request.user, workspace=self.workspace, project=project)
        return Response({"round": calibration_overview(project=project, workspace=self.workspace)})


class CalibrationRetryApi(ProjectApi):
    roles = AUDITORS

    def post(self, request, project_id: int):
        participant_id = request.data.get("participant_id")
        if isinstance(participant_id, bool) or not isinstance(participant_id, int):
            raise DomainError(
                "participant_id names a participant of the round.",
                code="invalid_calibration",
                fields={"participant_id": ["A participant id from GET .../calibration/."]},
            )
        project = self.project()
        calibration_retry(
            actor=request.user, workspace=self.workspace, project=project, participant_id=participant_id
        )
        return Response({"round": calibration_overview(project=project, workspace=self.workspace)})


# Calibration: the annotator's side -------------------------------------------------------------


def _finished(participant) -> dict:
    return {
        "assignment": None,
        "item": None,
        "finished": True,
        "status": participant.status if participant else None,
        "score": float(participant.score) if participant and participant.score is not None else None,
        "passed": participant.status == participant.Status.PASSED if participant else None,
        "message": calibration_outcome(participant)
        if participant
        else "You have no calibration round on this project.",
    }


class CalibrationNextApi(ProjectApi):
    roles = ANNOTATORS

    def post(self, request, project_id: int):
        project = self.project()
        participant = calibration_participant(project=project, annotator=request.user)
        if participant is None:
            return Response(_finished(None))
        task = calibration_task(project=project, annotator=request.user)
        if task is None:
            return Response(_finished(participant))
        return Response(task)


class CalibrationAnswerApi(ProjectApi):
    roles = ANNOTATORS

    def post(self, request, project_id: int, item_id: int):
        result = result_from(request)
        project = self.project()
        participant = calibration_answer(
            project=project, annotator=request.user, item_id=item_id, result=result
        )
        finished = participant.status != participant.Status.PENDING
        body = {
            "item_id": item_id,
            "answered": len(participant.answers),
            "items": len(participant.round.item_ids),
            "finished": finished,
        }
        if finished:
            outcome = _finished(participant)
            body.update({key: outcome[key] for key in ("status", "score", "passed", "message")})
        return Response(body, status=status.HTTP_201_CREATED)


class CalibrationDraftApi(ProjectApi):
    roles = ANNOTATORS

    def put(self, request, project_id: int, item_id: int):
        calibration_draft_save(
            project=self.project(), annotator=request.user, item_id=item_id, draft=request.data.get("draft")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
