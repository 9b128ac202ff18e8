"""Who may do what in a workspace."""

from __future__ import annotations

from django.db import transaction

from portal.errors import ConflictError, DomainError, NotFoundError
from tenants.models import VENDOR_ROLES, Membership, Role, User, Workspace
from tenants.services.audit import audit_record


def _role_validate(role: str) -> str:
    if role not in Role.values:
        raise DomainError(
            f"'{role}' is not a role.",
            code="invalid_role",
            fields={"role": [f"Choose one of: {', '.join(Role.values)}."]},
        )
    return role


def vendor_roles_check(*, actor: User | None, roles: set[str], field: str = "role") -> None:
    """Only vendor staff hand out or take back the vendor's roles (annotator, auditor)."""
    if roles & VENDOR_ROLES and not (actor is not None and actor.is_staff):
        raise DomainError(
            "Annotators and auditors come from the vendor's expert pool; the vendor staffs them.",
            code="vendor_managed",
            fields={field: ["Choose client manager or client viewer."]},
        )


def _locked_membership(workspace: Workspace, membership_id: int) -> Membership:
    # Membership changes of a workspace queue up on its row, so that the last-manager check of one
    # counts what another just did. (A count cannot take the lock: Django drops FOR UPDATE from it.)
    # NO KEY UPDATE leaves alone the inserts that refer to the workspace (audit rows, memberships).
    list(
        Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).values_list("pk", flat=True)
    )
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=membership_id, workspace=workspace)
        .first()
    )
    if membership is None:
        raise NotFoundError("No such member.")
    return membership


def _keep_one_manager(workspace: Workspace, membership: Membership) -> None:
    if membership.role != Role.CLIENT_MANAGER:
        return
    managers = Membership.objects.filter(workspace=workspace, role=Role.CLIENT_MANAGER)
    if managers.count() <= 1:
        raise ConflictError("A workspace keeps at least one client manager.", code="last_manager")


@transaction.atomic
def membership_add(*, actor: User | None, workspace: Workspace, user: User, role: str) -> Membership:
    role = _role_validate(role)
    membership, created = Membership.objects.get_or_create(
        user=user, workspace=workspace, defaults={"role": role}
    )
    if not created:
        raise ConflictError(f"{user.email} is already a member.", code="already_member")
    audit_record(
        actor=actor,
        action="membership.added",
        workspace=workspace,
        target=user.email,
        data={"role": role},
    )
    return membership


@transaction.atomic
def membership_change_role(*, actor: User, workspace: Workspace, membership_id: int, role: str) -> Membership:
    role = _role_validate(role)
    membership = _locked_membership(workspace, membership_id)
    vendor_roles_check(actor=actor, roles={membership.role, role})
    if membership.role == role:
        return membership
    _keep_one_manager(workspace, membership)
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        workspace=workspace,
        target=membership.user.email,
        data={"from": previous, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, workspace: Workspace, membership_id: int) -> None:
    """Take a person out of the workspace; a vendor person's staffing on its projects ends too."""
    from workforce.services.staffing import person_workspace_commitments_end

    membership = _locked_membership(workspace, membership_id)
    vendor_roles_check(actor=actor, roles={membership.role})
    _keep_one_manager(workspace, membership)
    if membership.role in VENDOR_ROLES:
        person_workspace_commitments_end(
            actor=actor, workspace=workspace, user_id=membership.user_id, reason="removed from the workspace"
        )
    membership.delete()
    audit_record(
        actor=actor,
        action="membership.removed",
        workspace=workspace,
        target=membership.user.email,
        data={"role": membership.role},
    )
