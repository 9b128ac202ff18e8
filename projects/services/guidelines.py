"""Versioned guidelines: one editable draft, immutable published versions, acknowledgements."""

from __future__ import annotations

import difflib

import markdown
import nh3
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import Annotation, GuidelineAcknowledgement, GuidelineVersion, Project
from reviews.services.calibration import calibration_on_semantic_change
from tenants.models import User, Workspace
from tenants.services.audit import audit_record

MAX_BODY = 200_000
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}


def guideline_render(body: str) -> str:
    """Markdown to HTML with everything active stripped: no script, no event handlers, no js: links."""
    html = markdown.markdown(body or "", extensions=["tables", "fenced_code", "sane_lists"])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def guideline_current(project: Project) -> GuidelineVersion | None:
    return (
        GuidelineVersion.objects.filter(project=project, status=GuidelineVersion.Status.PUBLISHED)
        .order_by("-number")
        .first()
    )


def guideline_diff(older: GuidelineVersion, newer: GuidelineVersion) -> list[dict]:
    """Line diff between two versions: [{"op": "equal"|"insert"|"delete", "text": line}, ...]."""
    lines = []
    for line in difflib.ndiff(older.body.splitlines(), newer.body.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        lines.append({"op": {"  ": "equal", "+ ": "insert", "- ": "delete"}[tag], "text": text})
    return lines


def guideline_draft_save(
    *,
    actor: User,
    project: Project,
    body: str | None = None,
    changelog: str | None = None,
    kind: str | None = None,
) -> GuidelineVersion:
    """Create or update the project's single draft version. A field left out (None) keeps the
    draft's value; a new draft starts empty and editorial."""
    draft, _ = guideline_draft_upsert(actor=actor, project=project, body=body, changelog=changelog, kind=kind)
    return draft


@transaction.atomic
def guideline_draft_upsert(
    *,
    actor: User,
    project: Project,
    body: str | None = None,
    changelog: str | None = None,
    kind: str | None = None,
) -> tuple[GuidelineVersion, bool]:
    """guideline_draft_save, and whether it created the draft (a new version) or updated it."""
    if len(body or "") > MAX_BODY:
        raise DomainError("The guideline is too long.", fields={"body": [f"At most {MAX_BODY} characters."]})
    nul = [name for name, text in (("body", body), ("changelog", changelog)) if "\x00" in (text or "")]
    if nul:
        raise DomainError(
            "The guideline cannot be stored.",
            fields={name: ["Must not contain a NUL character (\\u0000)."] for name in nul},
        )
    if kind is not None and kind not in GuidelineVersion.Kind.values:
        raise DomainError(
            f"'{kind}' is not a kind of change.",
            code="invalid_kind",
            fields={"kind": ["Choose editorial or semantic."]},
        )
    Project.objects.select_for_update().filter(pk=project.pk).first()  # serialise version numbering
    draft = GuidelineVersion.objects.filter(project=project, status=GuidelineVersion.Status.DRAFT).first()
    created = draft is None
    if created:
        number = (GuidelineVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
        draft = GuidelineVersion(project=project, number=number, created_by=actor)
    if body is not None:
        draft.body = body
    if changelog is not None:
        draft.changelog = changelog
    if kind is not None:
        draft.kind = kind
    draft.save()
    return draft, created


@transaction.atomic
def guideline_publish(
    *, actor: User, workspace: Workspace, project: Project, version_id: int
) -> GuidelineVersion:
    # The project first, as saving the draft locks it: a save in progress finishes before the
    # version is read here (and published as saved), and the two never deadlock.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    version = GuidelineVersion.objects.select_for_update().filter(pk=version_id, project=project).first()
    if version is None:
        raise NotFoundError("No such guideline version.")
    if version.status == GuidelineVersion.Status.PUBLISHED:
        raise ConflictError(
            f"Version {version.number} is already published and cannot change.", code="already_published"
        )
    problems = {}
    if not version.body.strip():
        problems["body"] = ["A published guideline needs a body."]
    if not version.changelog.strip():
        problems["changelog"] = ["Say what changed in this version."]
    if problems:
        raise DomainError(
            "This version is not ready to publish.", code="incomplete_guideline", fields=problems
        )
    version.status = GuidelineVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    flagged = 0
    if version.kind == GuidelineVersion.Kind.SEMANTIC:
        flagged = (
            # Work that still counts: a rejected or superseded annotation has nothing to re-review.
            Annotation.objects.filter(
                project=project,
                needs_rereview=False,
                status__in=(Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED),
            )
            .exclude(guideline_version=version)
            .update(needs_rereview=True)
        )
    audit_record(
        actor=actor,
        action="guideline.published",
        workspace=workspace,
        target=project.name,
        data={
            "project_id": project.pk,
            "version": version.number,
            "kind": version.kind,
            "flagged_for_rereview": flagged,
        },
    )
    calibration_on_semantic_change(actor=actor, workspace=workspace, project=project, version=version)
    return version


def guideline_acknowledge(*, user: User, project: Project, version_id: int) -> GuidelineAcknowledgement:
    current = guideline_current(project)
    if current is None or current.pk != version_id:
        raise ConflictError(
            "Only the current published version can be acknowledged.",
            code="not_current_version",
            fields={"version_id": ["Not the current version."]},
        )
    try:
        with transaction.atomic():
            return GuidelineAcknowledgement.objects.create(version=current, user=user)
    except IntegrityError:
        return GuidelineAcknowledgement.objects.get(version=current, user=user)
