"""The cross-workspace matrix, generated from the workspace URLconf.

Every route and every method it implements is tried four ways — anonymous, a member of the
other workspace, a member without the role, a member with the role — and must answer with the
right status, leak no data of the other workspace and (when refused) change nothing. A new route
joins automatically; one whose URL takes an argument the matrix cannot fill fails loudly.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.services import invitation_create
from portal.boundary import DANGEROUSLY_ANONYMOUS, WorkspaceBoundary
from tenants.models import Membership, Role

WORKSPACE_URLCONF = "portal.urls_workspace"
METHODS = ("get", "post", "patch", "delete")
NOT_COMPARED = (
    "django_session",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "axes_accessattemptexpiration",
)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def workspace_routes():
    return list(_walk(get_resolver(WORKSPACE_URLCONF).url_patterns))


def _view_class(pattern):
    return getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)


def _cases():
    for route, pattern in workspace_routes():
        view_class = _view_class(pattern)
        if view_class is None or not issubclass(view_class, WorkspaceBoundary):
            continue  # test_every_workspace_route_is_behind_the_boundary fails for it
        methods = [m for m in METHODS if hasattr(view_class, m) and m in view_class.http_method_names]
        for method in methods:
            roles = view_class.roles_for(method.upper())
            everyone = roles == DANGEROUSLY_ANONYMOUS or set(roles) >= set(Role.values)
            for who in ("anonymous", "other_workspace", "wrong_role", "right_role"):
                if who == "wrong_role" and everyone:
                    continue
                yield pytest.param(route, pattern, method, who, id=f"{method.upper()} /{route} {who}")


def database_fingerprint() -> str:
    """A hash of every row of every table in the public and the two workspace schemas."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('public', 'ws_acme', 'ws_globex') AND table_type = 'BASE TABLE' "
            "ORDER BY 1, 2"
        )
        for schema, table in cursor.fetchall():
            if table in NOT_COMPARED:
                continue
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{schema}"."{table}" t'
            )
            digest.update(f"{schema}.{table}:{cursor.fetchone()[0]}".encode())
    return digest.hexdigest()


@pytest.fixture
def matrix(acme, globex):
    """Sample objects for URL arguments, in acme; and the markers of globex's data."""
    connection.set_tenant(acme.workspace)
    _, acme_token = invitation_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        email="invitee@acme.test",
        role=Role.CLIENT_VIEWER,
    )
    invitation_id = _.pk
    connection.set_tenant(globex.workspace)
    invitation_create(
        actor=globex.users[Role.CLIENT_MANAGER],
        workspace=globex.workspace,
        email="secret-invitee@globex.test",
        role=Role.CLIENT_VIEWER,
    )
    work = workflow_sample(globex, name="Globex secret project", external_id="globex-secret-item")
    connection.set_tenant(acme.workspace)
    work = workflow_sample(acme, name="Acme project", external_id="acme-item")
    connection.set_schema_to_public()
    viewer_membership = Membership.objects.get(workspace=acme.workspace, role=Role.CLIENT_VIEWER)
    return {
        "kwargs": {
            "membership_id": viewer_membership.pk,
            "invitation_id": invitation_id,
            "token": acme_token,
            "uidb64": "MQ",
            **work,
        },
        "foreign_markers": [
            globex.workspace.name,
            "secret-invitee@globex.test",
            "Globex secret project",
            "globex-secret-item",
            *[u.email for role, u in globex.users.items() if role != Role.CLIENT_MANAGER],
        ],
    }


def workflow_sample(tenant, *, name: str, external_id: str) -> dict:
    """A project with one of everything a project URL can name, in the current schema."""
    from projects.services.guidelines import guideline_acknowledge, guideline_draft_save, guideline_publish
    from projects.services.imports import import_job_create
    from projects.services.projects import project_create, project_staff, project_transition
    from projects.services.queue import assignment_submit, task_next

    connection.set_tenant(tenant.workspace)
    manager, annotator = tenant.users[Role.CLIENT_MANAGER], tenant.users[Role.ANNOTATOR]
    workspace = tenant.workspace
    project = project_create(actor=manager, workspace=workspace, name=name, task_type="pairwise_preference")
    line = json.dumps({"external_id": external_id, "prompt": "Why?", "responses": ["Because.", "No idea."]})
    job = import_job_create(actor=manager, project=project, filename="items.jsonl", content=line.encode())
    project_staff(actor=manager, workspace=workspace, project=project, user_id=annotator.pk, role="annotator")
    project_transition(actor=manager, workspace=workspace, project=project, status="active")
    project.refresh_from_db()
    draft = guideline_draft_save(actor=manager, project=project, body="Be kind.", changelog="First")
    version = guideline_publish(actor=manager, workspace=workspace, project=project, version_id=draft.pk)
    guideline_acknowledge(user=annotator, project=project, version_id=version.pk)
    task = task_next(project=project, annotator=annotator)
    annotation = assignment_submit(
        annotator=annotator,
        assignment_id=task.assignment.pk,
        result={
            "preference": {
                "choice": "A",
                "strength": 1,
                "dimensions": {"helpfulness": "A", "honesty": "A", "harmlessness": "tie"},
            }
        },
    )
    audits = _audit_sample(tenant, project=project, annotation=annotation)
    return {
        "project_id": project.pk,
        "item_id": task.item.pk,
        "annotation_id": annotation.pk,
        "assignment_id": task.assignment.pk,
        "number": version.number,
        "job_id": job.pk,
        **audits,
    }


def _audit_sample(tenant, *, project, annotation) -> dict:
    """The workspace auditor staffed on the project, holding the sample annotation's audit; an
    open adjudication of its item; the annotator's quality row."""
    from decimal import Decimal

    from projects.models import Staffing
    from projects.services.projects import project_staff
    from reviews.models import Adjudication, AnnotatorQuality, Audit
    from reviews.services.audits import audit_next

    auditor = tenant.users[Role.AUDITOR]
    if not Staffing.objects.filter(
        project=project, user=auditor, role=Staffing.Role.AUDITOR, removed_at__isnull=True
    ).exists():
        project_staff(
            actor=tenant.users[Role.CLIENT_MANAGER],
            workspace=tenant.workspace,
            project=project,
            user_id=auditor.pk,
            role="auditor",
        )
    Audit.objects.get_or_create(annotation=annotation, defaults={"project": project, "reason": "sampled"})
    audit = audit_next(auditor=auditor, project=project)
    adjudication, _ = Adjudication.objects.get_or_create(
        item_id=annotation.item_id, defaults={"project": project, "agreement": Decimal("0.5")}
    )
    quality = AnnotatorQuality.objects.get(project=project, annotator_id=annotation.annotator_id)
    return {"audit_id": audit.pk, "adjudication_id": adjudication.pk, "quality_id": quality.pk}


def _url(pattern, route, kwargs_pool):
    names = list(pattern.pattern.converters)
    missing = [n for n in names if n not in kwargs_pool]
    assert not missing, (
        f"The matrix has no sample value for URL argument(s) {missing} of /{route}: "
        "add one to the `matrix` fixture."
    )
    return reverse(pattern.name, urlconf=WORKSPACE_URLCONF, kwargs={n: kwargs_pool[n] for n in names})


def test_every_workspace_route_is_behind_the_boundary():
    for route, pattern in workspace_routes():
        view_class = _view_class(pattern)
        assert view_class is not None and issubclass(view_class, WorkspaceBoundary), (
            f"/{route} is not a WorkspaceView / WorkspaceApi"
        )
        view_class.roles_validate()
        assert pattern.name, f"/{route} needs a name to be reversed by the matrix"


@pytest.mark.parametrize(("route", "pattern", "method", "who"), list(_cases()))
def test_cross_workspace_matrix(route, pattern, method, who, acme, globex, matrix):
    view_class = _view_class(pattern)
    roles = view_class.roles_for(method.upper())
    is_api = route.startswith("api/")
    url = _url(pattern, route, matrix["kwargs"])

    if who == "anonymous":
        client = acme.client()
    elif who == "other_workspace":
        client = acme.client(globex.users[Role.CLIENT_MANAGER])
    elif who == "wrong_role":
        wrong = sorted(set(Role.values) - set(roles))[0]
        client = acme.client(acme.users[wrong])
    else:
        right = Role.CLIENT_MANAGER if roles == DANGEROUSLY_ANONYMOUS else sorted(roles)[0]
        client = acme.client(acme.users[right])

    before = database_fingerprint()
    response = getattr(client, method)(url, **({"content_type": "application/json"} if is_api else {}))
    connection.set_schema_to_public()
    body = response.content.decode(errors="replace")

    for marker in matrix["foreign_markers"]:
        assert marker not in body, f"{marker!r} (globex data) leaked into {method.upper()} /{route}"
    assert response.status_code < 500

    refused = who != "right_role" and roles != DANGEROUSLY_ANONYMOUS
    if refused:
        if who == "anonymous":
            expected = 401 if is_api else 302
            assert response.status_code == expected, body[:300]
            if not is_api:
                assert response["Location"].startswith("/login/")
        else:
            assert response.status_code == 404, body[:300]
        assert database_fingerprint() == before, f"{method.upper()} /{route} by {who} changed data"
    elif who == "right_role":
        if method == "get":
            assert response.status_code in (200, 302), body[:300]
        else:
            assert response.status_code not in (401, 403, 404, 405), body[:300]
    else:  # anonymous routes (sign-in, invitation) with an empty form: nothing is written
        assert response.status_code not in (403, 405)
        assert database_fingerprint() == before, f"{method.upper()} /{route} by {who} changed data"
