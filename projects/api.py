"""Workspace API for projects, items, guidelines, annotations and the annotator's queue."""

from __future__ import annotations

from dataclasses import asdict

from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.boundary import ALL_ROLES, MANAGERS, WorkspaceApi, query_int
from portal.errors import DomainError, NotFoundError
from portal.parsers import BulkJSONObjectParser, JSONObjectParser, json_type
from projects import selectors
from projects.models import GuidelineVersion
from projects.questions import result_as_answer
from projects.serializers import (
    AnnotationSerializer,
    GuidelineVersionSerializer,
    ImportJobSerializer,
    ItemSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
)
from projects.services.guidelines import (
    guideline_acknowledge,
    guideline_diff,
    guideline_draft_upsert,
    guideline_publish,
)
from projects.services.imports import import_job_create, items_import
from projects.services.projects import (
    project_create,
    project_transition,
    project_update,
)
from projects.services.queue import (
    annotation_edit_refusal,
    annotation_revise,
    assignment_draft_save,
    assignment_skip,
    assignment_submit,
    display_payload,
    task_next,
)
from tenants.models import Role
from workforce.selectors import roster

READERS = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_VIEWER})
ANNOTATORS = frozenset({Role.ANNOTATOR})
PAGE_MAX = 500


def text_of(data: dict, name: str, default: str = "") -> str:
    """A text field of a request body (absent: `default`); anything but a string is a 400 naming it."""
    value = data.get(name, default)
    if not isinstance(value, str):
        raise DomainError(f"{name} is text.", fields={name: [f"A string, not {json_type(value)}."]})
    return value


class ProjectApi(WorkspaceApi):
    """Base for endpoints under /api/v1/projects/<project_id>/: the project must be visible."""

    def project(self):
        return selectors.project_visible(
            user=self.request.user, membership=self.membership, project_id=self.kwargs["project_id"]
        )

    def guideline_versions(self) -> list:
        return selectors.guideline_versions_readable(
            user=self.request.user, membership=self.membership, project=self.project()
        )


def project_settings_of(request, *, partial: bool) -> dict:
    """The project settings of a create or edit body; a field the API does not take is a 400
    naming it, not silently dropped (a misspelt setting, or `status`, which has its own endpoint)."""
    payload = ProjectWriteSerializer(data=request.data, partial=partial)
    if not payload.is_valid():
        fields = {key: [str(message) for message in messages] for key, messages in payload.errors.items()}
        raise DomainError("The project has invalid fields.", code="invalid_project", fields=fields)
    unknown = sorted(set(request.data) - set(payload.fields))
    if unknown:
        hint = {"status": "Change the status with POST /api/v1/projects/<id>/status/."}
        raise DomainError(
            f"Unknown setting(s): {', '.join(unknown)}.",
            code="invalid_project",
            fields={key: [hint.get(key, "Unknown setting.")] for key in unknown},
        )
    return dict(payload.validated_data)


class ProjectListApi(WorkspaceApi):
    roles = {"GET": ALL_ROLES, "POST": MANAGERS}

    def get(self, request):
        projects = selectors.projects_visible(user=request.user, membership=self.membership)
        return Response({"results": ProjectSerializer(projects, many=True).data})

    def post(self, request):
        data = project_settings_of(request, partial=False)
        project = project_create(
            actor=request.user,
            workspace=self.workspace,
            name=data.pop("name", ""),
            task_type=data.pop("task_type", ""),
            **data,
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(ProjectApi):
    roles = {"GET": ALL_ROLES, "PATCH": MANAGERS}

    def get(self, request, project_id: int):
        project = self.project()
        return Response({**ProjectSerializer(project).data, "progress": selectors.project_progress(project)})

    def patch(self, request, project_id: int):
        changes = project_settings_of(request, partial=True)
        if "task_type" in changes:
            raise DomainError("The task type cannot change.", fields={"task_type": ["Read-only."]})
        project = project_update(
            actor=request.user, workspace=self.workspace, project=self.project(), **changes
        )
        return Response(ProjectSerializer(project).data)


class ProjectStatusApi(ProjectApi):
    roles = MANAGERS

    def post(self, request, project_id: int):
        project = project_transition(
            actor=request.user,
            workspace=self.workspace,
            project=self.project(),
            status=text_of(request.data, "status"),
        )
        return Response(ProjectSerializer(project).data)


class RosterApi(ProjectApi):
    """The project's people as the client sees them: pseudonyms, no names or emails."""

    roles = READERS

    def get(self, request, project_id: int):
        entries = roster(workspace=self.workspace, staffing=selectors.staffing_rows(project=self.project()))
        return Response({"results": [asdict(entry) for entry in entries]})


class ItemListApi(ProjectApi):
    roles = {"GET": READERS, "POST": MANAGERS}
    parser_classes = [BulkJSONObjectParser]

    def get(self, request, project_id: int):
        limit = query_int(request, "limit", 100, minimum=1, maximum=PAGE_MAX)
        item_status = request.query_params.get("status", "")
        if item_status not in ("", *selectors.ITEM_STATUSES):
            raise DomainError(
                f"'{item_status}' is not an item status.",
                fields={"status": [f"Choose one of: {', '.join(selectors.ITEM_STATUSES)}."]},
            )
        needs_rereview = request.query_params.get("needs_rereview", "")
        if needs_rereview not in ("", "0", "1", "false", "true"):
            raise DomainError(
                f"'{needs_rereview}' is not a yes or no.",
                fields={"needs_rereview": ["1 or true, 0 or false."]},
            )
        items = selectors.items_browse(
            project=self.project(),
            status=item_status,
            needs_rereview=needs_rereview in ("1", "true"),
            guideline_version=query_int(request, "guideline_version", 0) or None,
            after_id=query_int(request, "after", 0),
            limit=limit,
        )
        next_after = items[-1].pk if len(items) == limit else None
        return Response({"results": ItemSerializer(items, many=True).data, "next_after": next_after})

    def post(self, request, project_id: int):
        result = items_import(project=self.project(), records=request.data.get("items"))
        return Response(
            {"received": result.total, "created": result.created, "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ImportListApi(ProjectApi):
    roles = MANAGERS
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    def get(self, request, project_id: int):
        return Response(
            {"results": ImportJobSerializer(selectors.import_jobs(project=self.project()), many=True).data}
        )

    def post(self, request, project_id: int):
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(
                "Attach a file.", code="file_required", fields={"file": ["Required (multipart)."]}
            )
        job = import_job_create(
            actor=request.user, project=self.project(), filename=upload.name, content=upload.read()
        )
        code = status.HTTP_201_CREATED if job.status == job.Status.SUCCEEDED else status.HTTP_202_ACCEPTED
        return Response(ImportJobSerializer(job).data, status=code)


class ImportDetailApi(ProjectApi):
    roles = MANAGERS

    def get(self, request, project_id: int, job_id: int):
        job = selectors.import_job_get(project=self.project(), job_id=job_id)
        return Response(ImportJobSerializer(job).data)


class GuidelineListApi(ProjectApi):
    roles = {"GET": ALL_ROLES, "POST": MANAGERS}

    def get(self, request, project_id: int):
        versions = self.guideline_versions()
        return Response({"results": GuidelineVersionSerializer(versions, many=True).data})

    def post(self, request, project_id: int):
        # A field left out keeps the draft's value: a client may send only what it changes.
        fields = {
            name: text_of(request.data, name)
            for name in ("body", "changelog", "kind")
            if name in request.data
        }
        version, created = guideline_draft_upsert(actor=request.user, project=self.project(), **fields)
        return Response(
            GuidelineVersionSerializer(version).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GuidelinePublishApi(ProjectApi):
    roles = MANAGERS

    def post(self, request, project_id: int, number: int):
        project = self.project()
        version = selectors.guideline_version_get(project=project, number=number)
        version = guideline_publish(
            actor=request.user, workspace=self.workspace, project=project, version_id=version.pk
        )
        return Response(GuidelineVersionSerializer(version).data)


class GuidelineAcknowledgeApi(ProjectApi):
    roles = ANNOTATORS

    def post(self, request, project_id: int, number: int):
        project = self.project()
        version = selectors.guideline_version_get(project=project, number=number)
        guideline_acknowledge(user=request.user, project=project, version_id=version.pk)
        return Response({"acknowledged": version.number})


class GuidelineDiffApi(ProjectApi):
    roles = ALL_ROLES

    def get(self, request, project_id: int):
        versions = {v.number: v for v in self.guideline_versions()}
        if not versions:
            raise DomainError("This project has no guideline versions yet.", code="no_guidelines")
        to = query_int(request, "to", max(versions), minimum=1)
        start = query_int(request, "from", to - 1)
        # "from": 0 is before the first version, so by default version 1 reads as all new.
        versions[0] = GuidelineVersion(number=0, body="")
        for number in (to, start):
            if number not in versions:
                raise NotFoundError(f"No guideline version {number}.")
        newer, older = versions[to], versions[start]
        return Response({"from": older.number, "to": newer.number, "lines": guideline_diff(older, newer)})


class AnnotationListApi(ProjectApi):
    roles = READERS

    def get(self, request, project_id: int):
        limit = query_int(request, "limit", 100, minimum=1, maximum=PAGE_MAX)
        annotations = selectors.annotations_page(
            project=self.project(), after_id=query_int(request, "after", 0), limit=limit
        )
        next_after = annotations[-1].pk if len(annotations) == limit else None
        return Response(
            {"results": AnnotationSerializer(annotations, many=True).data, "next_after": next_after}
        )


def result_from(request) -> dict:
    """The `result` object of an API request body, or a 400 saying it is missing or not an object."""
    result = request.data.get("result")
    if not isinstance(result, dict):
        problem = "Required." if result is None else f"An object, not {json_type(result)}."
        raise DomainError(
            "result is an object keyed by question.", code="invalid_result", fields={"result": [problem]}
        )
    return result


def _project_body(project) -> dict:
    return {
        "id": project.pk,
        "name": project.name,
        "task_type": project.task_type,
        "questions": project.questions,
    }


def _item_body(item, response_order) -> dict:
    """The item as its annotator sees it: responses in the order recorded on their assignment."""
    return {"id": item.pk, "external_id": item.external_id, "payload": display_payload(item, response_order)}


def task_body(task) -> dict:
    assignment, item = task.assignment, task.item
    return {
        "assignment": {"id": assignment.pk, "expires_at": assignment.expires_at, "draft": assignment.draft},
        "item": _item_body(item, assignment.response_order),
        "project": _project_body(assignment.project),
        "guideline_version": assignment.guideline_version.number if assignment.guideline_version_id else None,
    }


def _own_annotation_body(annotation) -> dict:
    """One of the annotator's own annotations, and whether (and why not) they may edit it."""
    refusal = annotation_edit_refusal(annotation)
    return {
        "id": annotation.pk,
        "item_external_id": annotation.item_external_id,
        "status": annotation.status,
        "needs_rereview": annotation.needs_rereview,
        "guideline_version": annotation.guideline_version.number if annotation.guideline_version_id else None,
        "revisions": annotation.revision_count,
        "time_spent_ms": annotation.time_spent_ms,
        "created_at": annotation.created_at,
        "updated_at": annotation.updated_at,
        "editable": refusal is None,
        "not_editable_because": None if refusal is None else refusal.message,
    }


class TaskNextApi(ProjectApi):
    roles = ANNOTATORS

    def post(self, request, project_id: int):
        # Only staffed annotators get tasks, and task_next checks the staffing: no visibility query.
        project = selectors.project_get(project_id=project_id)
        task = task_next(project=project, annotator=request.user)
        if task is None:
            return Response({"assignment": None, "item": None, "message": "No task is left for you here."})
        task.assignment.project = project
        return Response(task_body(task))


class AssignmentSubmitApi(WorkspaceApi):
    roles = ANNOTATORS

    def post(self, request, assignment_id: int):
        result = result_from(request)
        annotation = assignment_submit(
            annotator=request.user,
            assignment_id=assignment_id,
            result=result,
            time_spent_ms=request.data.get("time_spent_ms"),
        )
        return Response(
            {"annotation_id": annotation.pk, "result": annotation.result}, status=status.HTTP_201_CREATED
        )


class AssignmentSkipApi(WorkspaceApi):
    roles = ANNOTATORS

    def post(self, request, assignment_id: int):
        assignment_skip(
            annotator=request.user,
            assignment_id=assignment_id,
            reason=text_of(request.data, "reason"),
        )
        return Response({"skipped": assignment_id})


class AssignmentDraftApi(WorkspaceApi):
    roles = ANNOTATORS

    def put(self, request, assignment_id: int):
        assignment_draft_save(
            annotator=request.user, assignment_id=assignment_id, draft=request.data.get("draft")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnotationsOfAnnotatorApi(ProjectApi):
    """The annotator's own annotations on a project, newest first: what they may go back to."""

    roles = ANNOTATORS

    def get(self, request, project_id: int):
        project = self.project()
        limit = query_int(request, "limit", 20, minimum=1, maximum=100)
        annotations = selectors.annotations_of_annotator(
            project=project, annotator=request.user, before_id=query_int(request, "before", 0), limit=limit
        )
        for annotation in annotations:
            annotation.project = project  # the refusal reads the project's settings: no query each
        return Response(
            {
                "results": [_own_annotation_body(annotation) for annotation in annotations],
                "next_before": annotations[-1].pk if len(annotations) == limit else None,
            }
        )


class AnnotationReviseApi(WorkspaceApi):
    roles = ANNOTATORS

    def get(self, request, annotation_id: int):
        """One of your annotations to edit: the item as you saw it and your answer as you gave it."""
        annotation = selectors.annotation_of_annotator(annotator=request.user, annotation_id=annotation_id)
        project, order = annotation.project, annotation.assignment.response_order
        return Response(
            {
                "annotation": {
                    **_own_annotation_body(annotation),
                    "answer": result_as_answer(project.questions, annotation.result, order),
                },
                "item": _item_body(annotation.item, order),
                "project": _project_body(project),
            }
        )

    def patch(self, request, annotation_id: int):
        result = result_from(request)
        annotation = annotation_revise(
            annotator=request.user,
            annotation_id=annotation_id,
            result=result,
            time_spent_ms=request.data.get("time_spent_ms"),
        )
        return Response(
            {
                "annotation_id": annotation.pk,
                "result": annotation.result,
                "revisions": annotation.revisions.count(),
            }
        )
