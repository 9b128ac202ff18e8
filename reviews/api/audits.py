"""Workspace API of blind audits, adjudication, reinstating paused annotators (auditors) and of
an annotator's own feedback.

Nothing an auditor gets here names who made an annotation: no user id, email, name or
pseudonym, no sampling reason (it would hint at the annotator's quality), no other auditor's
verdict. Paused annotators are named by pseudonym and reinstated by their quality row's id.
Results are canonical: responses by their imported index, `"A"` being response 0.
"""

from __future__ import annotations

from rest_framework.response import Response

from portal.boundary import WorkspaceApi, query_int
from portal.errors import DomainError
from projects.api import result_from
from reviews import selectors_audits as selectors
from reviews.models import Adjudication, Audit
from reviews.services.adjudications import adjudication_resolve
from reviews.services.audits import annotation_revision, audit_blind_answer, audit_next, audit_submit
from reviews.services.policy import review_policy
from reviews.services.quality import quality_reinstate
from tenants.models import Role
from tenants.selectors import pseudonym

AUDITORS = frozenset({Role.AUDITOR})
ANNOTATORS = frozenset({Role.ANNOTATOR})
FEEDBACK_PAGE = 50


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _flag(value) -> bool:
    return value in (True, 1, "1", "true", "True", "yes")


def audit_body(audit: Audit, *, reveal: bool) -> dict:
    """What an auditor sees of a claimed audit. `reveal=False` holds back the annotation's result
    (and a gold item's known answer) until the auditor has answered blind."""
    project, annotation = audit.project, audit.annotation
    item, version = annotation.item, annotation.guideline_version
    return {
        "audit": {"id": audit.pk, "claimed_at": audit.claimed_at, "blind_result": audit.blind_result},
        "project": {
            "id": project.pk,
            "name": project.name,
            "task_type": project.task_type,
            "questions": project.questions,
            "item_fields": project.item_fields,
            "error_categories": review_policy(project).error_categories,
        },
        "item": {"id": item.pk, "external_id": item.external_id, "payload": item.payload},
        "result": annotation.result if reveal else None,
        "revision": annotation_revision(annotation),
        "reference_result": item.gold_answer if reveal and item.is_gold else None,
        "guideline_version": version.number if version else None,
        "blind": not reveal,
    }


class AuditorOverviewApi(WorkspaceApi):
    """The auditor's projects: pending audits, open adjudications, calibration, paused people."""

    roles = AUDITORS

    def get(self, request):
        rows = selectors.auditor_overview(user=request.user, workspace=self.workspace)
        return Response(
            {
                "results": [
                    {
                        "project": {
                            "id": row.project.pk,
                            "name": row.project.name,
                            "status": row.project.status,
                        },
                        "pending_audits": row.pending_audits,
                        "claimed_by_me": row.claimed_by_me,
                        "open_adjudications": row.open_adjudications,
                        "calibration_open": row.calibration_open,
                        "paused": [
                            {
                                "quality_id": p.quality_id,
                                "pseudonym": p.pseudonym,
                                "annotations": p.annotations,
                                "audits": p.audits,
                                "audit_pass_rate": p.audit_pass_rate,
                                "gold_scored": p.gold_scored,
                                "gold_accuracy": p.gold_accuracy,
                                "score": p.score,
                                "paused_at": p.paused_at,
                                "pause_reason": p.pause_reason,
                            }
                            for p in row.paused
                        ],
                    }
                    for row in rows
                ]
            }
        )


class AuditNextApi(WorkspaceApi):
    roles = AUDITORS

    def post(self, request, project_id: int):
        project = selectors.auditor_project_get(user=request.user, project_id=project_id)
        claimed = audit_next(auditor=request.user, project=project)
        if claimed is None:
            return Response({"audit": None, "message": "Nothing to audit here right now."})
        audit = selectors.audit_claimed_get(auditor=request.user, audit_id=claimed.pk)
        return Response(audit_body(audit, reveal=not _flag(_body(request).get("blind"))))


class AuditDetailApi(WorkspaceApi):
    roles = AUDITORS

    def get(self, request, audit_id: int):
        audit = selectors.audit_claimed_get(auditor=request.user, audit_id=audit_id)
        blind = _flag(request.query_params.get("blind")) and audit.blind_result is None
        return Response(audit_body(audit, reveal=not blind))


class AuditBlindApi(WorkspaceApi):
    roles = AUDITORS

    def post(self, request, audit_id: int):
        result = result_from(request)
        audit_blind_answer(auditor=request.user, audit_id=audit_id, result=result)
        audit = selectors.audit_claimed_get(auditor=request.user, audit_id=audit_id)
        return Response(audit_body(audit, reveal=True))


class AuditVerdictApi(WorkspaceApi):
    roles = AUDITORS

    def post(self, request, audit_id: int):
        data = _body(request)
        comment = data.get("comment") or ""
        if not isinstance(comment, str):
            raise DomainError("comment is text.", code="invalid_audit", fields={"comment": ["Text."]})
        audit = audit_submit(
            auditor=request.user,
            workspace=self.workspace,
            audit_id=audit_id,
            verdict=str(data.get("verdict") or ""),
            error_categories=data.get("error_categories"),
            corrected_result=data.get("corrected_result"),
            comment=comment,
            revision=data.get("revision"),
        )
        return Response(
            {
                "audit": {
                    "id": audit.pk,
                    "status": audit.status,
                    "verdict": audit.verdict,
                    "error_categories": audit.error_categories,
                    "corrected_result": audit.corrected_result,
                    "comment": audit.comment,
                    "finished_at": audit.finished_at,
                }
            }
        )


def _adjudication_summary(adjudication: Adjudication) -> dict:
    return {
        "id": adjudication.pk,
        "item": {"id": adjudication.item_id, "external_id": adjudication.item.external_id},
        "agreement": adjudication.agreement,
        "created_at": adjudication.created_at,
    }


class AdjudicationListApi(WorkspaceApi):
    roles = AUDITORS

    def get(self, request, project_id: int):
        project = selectors.auditor_project_get(user=request.user, project_id=project_id)
        adjudications = selectors.adjudications_open(user=request.user, project=project)
        return Response({"results": [_adjudication_summary(a) for a in adjudications]})


class AdjudicationDetailApi(WorkspaceApi):
    roles = AUDITORS

    def get(self, request, adjudication_id: int):
        adjudication = selectors.adjudication_open_get(user=request.user, adjudication_id=adjudication_id)
        project, item = adjudication.project, adjudication.item
        answers = selectors.adjudication_answers(adjudication=adjudication)
        return Response(
            {
                **_adjudication_summary(adjudication),
                "project": {
                    "id": project.pk,
                    "name": project.name,
                    "questions": project.questions,
                    "item_fields": project.item_fields,
                },
                "item": {"id": item.pk, "external_id": item.external_id, "payload": item.payload},
                "answers": [
                    {"number": n, "annotation_id": a.pk, "result": a.result}
                    for n, a in enumerate(answers, start=1)
                ],
            }
        )


class AdjudicationResolveApi(WorkspaceApi):
    roles = AUDITORS

    def post(self, request, adjudication_id: int):
        data = _body(request)
        annotation_id, result = data.get("annotation_id"), data.get("result")
        if annotation_id is not None and (
            isinstance(annotation_id, bool) or not isinstance(annotation_id, int)
        ):
            raise DomainError(
                "annotation_id is an answer's id.",
                code="invalid_adjudication",
                fields={"annotation_id": ["A whole number."]},
            )
        comment = data.get("comment") or ""
        if not isinstance(comment, str):
            raise DomainError("comment is text.", code="invalid_adjudication", fields={"comment": ["Text."]})
        if result is not None:
            result = result_from(request)  # an object, or a 400 naming `result`
        try:
            adjudication = adjudication_resolve(
                auditor=request.user,
                workspace=self.workspace,
                adjudication_id=adjudication_id,
                annotation_id=annotation_id,
                result=result,
                comment=comment,
            )
        except DomainError as error:
            if error.code == "invalid_result":  # the written answer's problems, under `result`
                error.fields = {f"result.{k}": v for k, v in error.fields.items()}
            raise
        return Response(
            {
                "adjudication": {
                    "id": adjudication.pk,
                    "status": adjudication.status,
                    "picked": adjudication.chosen_annotation_id,
                    "consensus_result": adjudication.consensus_result,
                    "resolved_at": adjudication.resolved_at,
                }
            }
        )


class AnnotatorReinstateApi(WorkspaceApi):
    roles = AUDITORS

    def post(self, request, project_id: int, quality_id: int):
        project = selectors.auditor_project_get(user=request.user, project_id=project_id)
        row = selectors.quality_paused_get(user=request.user, project=project, quality_id=quality_id)
        reason = _body(request).get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise DomainError(
                "Say why they may work again.", code="reason_required", fields={"reason": ["Required."]}
            )
        row = quality_reinstate(
            actor=request.user,
            workspace=self.workspace,
            project=project,
            annotator_id=row.annotator_id,
            reason=reason,
        )
        return Response(
            {
                "quality_id": row.pk,
                "pseudonym": pseudonym(workspace_id=self.workspace.pk, user_id=row.annotator_id),
                "status": row.status,
                "reinstated_at": row.reinstated_at,
            }
        )


class FeedbackApi(WorkspaceApi):
    """The annotator's own audited annotations (newest first, `?before=<audit id>`), and pauses."""

    roles = ANNOTATORS

    def get(self, request):
        limit = (
            query_int(request, "limit", FEEDBACK_PAGE, maximum=selectors.FEEDBACK_PAGE_MAX) or FEEDBACK_PAGE
        )
        audits = selectors.feedback_audits(
            annotator=request.user, before_id=query_int(request, "before", 0, maximum=2**62), limit=limit
        )
        return Response(
            {
                "results": [
                    {
                        "audit_id": audit.pk,
                        "project": {"id": audit.project_id, "name": audit.project.name},
                        "item": {
                            "id": audit.annotation.item_id,
                            "external_id": audit.annotation.item.external_id,
                        },
                        "annotation_id": audit.annotation_id,
                        "result": audit.annotation.result,
                        "response_order": audit.annotation.assignment.response_order,
                        "verdict": audit.verdict,
                        "error_categories": audit.error_categories,
                        "comment": audit.comment,
                        # A gold item's correction is its known answer: withheld.
                        "corrected_result": None if audit.annotation.item.is_gold else audit.corrected_result,
                        "finished_at": audit.finished_at,
                    }
                    for audit in audits
                ],
                "next_before": audits[-1].pk if len(audits) == limit else None,
                "paused": [
                    {
                        "project": {"id": row.project_id, "name": row.project.name},
                        "paused_at": row.paused_at,
                        "pause_reason": row.pause_reason,
                    }
                    for row in selectors.feedback_pauses(annotator=request.user)
                ],
            }
        )
