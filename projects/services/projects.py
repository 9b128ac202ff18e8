"""Projects: create, edit, lifecycle, staffing."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from portal.numbers import fraction_clean
from projects.models import Annotation, Item, Project, Staffing
from projects.presets import preset_get, questions_fit_item_fields
from tenants.models import Membership, User, Workspace
from tenants.services.audit import audit_record
from workforce.requirements import requirements_clean

TRANSITIONS = {
    Project.Status.DRAFT: {Project.Status.ACTIVE, Project.Status.ARCHIVED},
    Project.Status.ACTIVE: {Project.Status.PAUSED, Project.Status.COMPLETED},
    Project.Status.PAUSED: {Project.Status.ACTIVE, Project.Status.COMPLETED},
    Project.Status.COMPLETED: {Project.Status.ACTIVE, Project.Status.ARCHIVED},
    Project.Status.ARCHIVED: set(),
}
EDITABLE = (
    "name",
    "description",
    "questions",
    "overlap",
    "lease_seconds",
    "gold_rate",
    "audit_rate",
    "requirements",
    "priority",
    "allow_edits",
)


def _settings_clean(values: dict, *, item_fields: dict) -> dict:
    """Validate the editable settings present in `values`; raise one error naming every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = ["A project needs a name of at most 200 characters."]
        clean["name"] = name
    if "description" in values:
        clean["description"] = str(values["description"] or "")
    if "overlap" in values:
        overlap = values["overlap"]
        if isinstance(overlap, bool) or not isinstance(overlap, int) or not 1 <= overlap <= 10:
            errors["overlap"] = ["Overlap is a whole number of annotations per item, 1 to 10."]
        clean["overlap"] = overlap
    if "lease_seconds" in values:
        lease = values["lease_seconds"]
        if isinstance(lease, bool) or not isinstance(lease, int) or not 60 <= lease <= 86400:
            errors["lease_seconds"] = ["A lease lasts 60 to 86400 seconds."]
        clean["lease_seconds"] = lease
    for rate in ("gold_rate", "audit_rate"):
        if rate in values:
            value, problem = fraction_clean(values[rate], Project._meta.get_field(rate).decimal_places)
            if problem:
                errors[rate] = [f"A rate is {problem}."]
            clean[rate] = value
    if "priority" in values:
        priority = values["priority"]
        if isinstance(priority, bool) or not isinstance(priority, int) or not -100 <= priority <= 100:
            errors["priority"] = ["Priority is a whole number from -100 to 100."]
        clean["priority"] = priority
    if "allow_edits" in values:
        clean["allow_edits"] = bool(values["allow_edits"])
    if "requirements" in values:
        try:
            clean["requirements"] = requirements_clean(values["requirements"])
        except DomainError as error:
            errors.update(error.fields)
    if "questions" in values:
        try:
            clean["questions"] = questions_fit_item_fields(
                questions=values["questions"], item_fields=item_fields
            )
        except DomainError as error:
            errors.update(error.fields or {"questions": [error.message]})
    if errors:
        raise DomainError("Some project settings are invalid.", code="invalid_project", fields=errors)
    return clean


@transaction.atomic
def project_create(*, actor: User, workspace: Workspace, name: str, task_type: str, **settings) -> Project:
    preset = preset_get(task_type)
    unknown = set(settings) - set(EDITABLE)
    if unknown:
        raise DomainError(
            f"Unknown setting(s): {', '.join(sorted(unknown))}.",
            code="invalid_project",
            fields={key: ["Unknown setting."] for key in sorted(unknown)},
        )
    settings.setdefault("questions", preset.questions)
    clean = _settings_clean({"name": name, **settings}, item_fields=preset.item_fields)
    project = Project.objects.create(
        task_type=preset.key, item_fields=dict(preset.item_fields), created_by=actor, **clean
    )
    audit_record(
        actor=actor,
        action="project.created",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "task_type": preset.key},
    )
    return project


@transaction.atomic
def project_update(*, actor: User, workspace: Workspace, project: Project, **changes) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(
            f"Unknown or read-only setting(s): {', '.join(sorted(unknown))}.",
            code="invalid_project",
            fields={key: ["This setting cannot be changed."] for key in sorted(unknown)},
        )
    if project.status == Project.Status.ARCHIVED:
        raise ConflictError("An archived project cannot be edited.", code="project_archived")
    clean = _settings_clean(changes, item_fields=project.item_fields)
    # Any annotation row: a rejected one no longer counts, but its result still reads by these questions.
    if (
        "questions" in clean
        and clean["questions"] != project.questions
        and Annotation.objects.filter(project=project).exists()
    ):
        raise ConflictError(
            "Questions cannot change once annotations exist; create a new project instead.",
            code="questions_locked",
            fields={"questions": ["Locked: this project has annotations."]},
        )
    overlap_changed = "overlap" in clean and clean["overlap"] != project.overlap
    for field, value in clean.items():
        setattr(project, field, value)
    project.updated_at = timezone.now()
    project.save()
    if overlap_changed:  # items open under the old overlap may be full under the new one, and back
        # Gold items are never open: the queue mixes them in at the gold rate, whatever the overlap.
        Item.objects.filter(project=project, is_gold=False).update(
            is_open=Q(assigned_count__lt=project.overlap)
        )
    audit_record(
        actor=actor,
        action="project.updated",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "fields": sorted(clean)},
    )
    return project


@transaction.atomic
def project_transition(*, actor: User, workspace: Workspace, project: Project, status: str) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    if status not in Project.Status.values:
        raise DomainError(
            f"'{status}' is not a project status.",
            code="invalid_status",
            fields={"status": [f"Choose one of: {', '.join(Project.Status.values)}."]},
        )
    if status not in TRANSITIONS[project.status]:
        allowed = ", ".join(sorted(TRANSITIONS[project.status])) or "none"
        article = "An" if project.status[0] in "aeiou" else "A"  # an active, an archived
        raise ConflictError(
            f"{article} {project.status} project cannot become {status} (allowed: {allowed}).",
            code="invalid_transition",
            fields={"status": [f"Allowed from {project.status}: {allowed}."]},
        )
    previous = project.status
    project.status = status
    project.updated_at = timezone.now()
    project.save(update_fields=["status", "updated_at"])
    if status in Project.FINISHED:
        # A finished project takes no staff: its people's weekly hours come back to them.
        # The workforce app builds on this one (it staffs projects): imported here, not at the top.
        from workforce.services.staffing import project_commitments_end

        project_commitments_end(
            actor=actor, workspace=workspace, project_id=project.pk, reason=f"project {status}"
        )
    audit_record(
        actor=actor,
        action="project.status_changed",
        workspace=workspace,
        target=project.name,
        data={"project_id": project.pk, "from": previous, "to": status},
    )
    return project


@transaction.atomic
def project_staff(
    *, actor: User, workspace: Workspace, project: Project, user_id: int, role: str
) -> Staffing:
    """Staff a workspace member onto a project as annotator or auditor (their workspace role)."""
    if role not in Staffing.Role.values:
        raise DomainError(
            f"'{role}' is not a staffing role.",
            code="invalid_role",
            fields={"role": ["Choose annotator or auditor."]},
        )
    membership = (
        Membership.objects.filter(workspace=workspace, user_id=user_id).select_related("user").first()
    )
    if membership is None:
        raise NotFoundError("No such member.", fields={"user_id": ["Not a member of this workspace."]})
    if membership.role != role:
        raise DomainError(
            f"{membership.user.email} is a {membership.get_role_display().lower()} here, not a {role}.",
            code="role_mismatch",
            fields={"user_id": [f"Only workspace members with the {role} role can be staffed as {role}."]},
        )
    already = ConflictError(f"{membership.user.email} is already staffed.", code="already_staffed")
    if Staffing.objects.filter(project=project, user_id=user_id, role=role, removed_at__isnull=True).exists():
        raise already
    try:
        with transaction.atomic():  # two managers staffing the same person at once: one wins
            staffing = Staffing.objects.create(project=project, user_id=user_id, role=role)
    except IntegrityError:
        raise already from None
    audit_record(
        actor=actor,
        action="project.staffed",
        workspace=workspace,
        target=membership.user.email,
        data={"project_id": project.pk, "role": role},
    )
    return staffing
