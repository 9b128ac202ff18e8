"""Workspace API: who am I here, and the members of this workspace."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from members.serializers import InvitationSerializer, RoleSerializer
from members.services import invitation_create, invitation_revoke, invitations_open
from portal.boundary import ALL_ROLES, MANAGERS, WorkspaceApi
from tenants.selectors import member_row, workspace_people
from tenants.services.memberships import membership_change_role, membership_remove


def _member_body(row: dict) -> dict:
    """Vendor people carry a pseudonym and, for clients, no email or name."""
    return {key: row[key] for key in ("id", "email", "full_name", "pseudonym", "role", "joined_at")}


class WorkspaceMeApi(WorkspaceApi):
    roles = ALL_ROLES

    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "is_vendor_staff": user.is_staff,
                "workspace": {"slug": self.workspace.slug, "name": self.workspace.name},
                "role": self.membership.role if self.membership else None,
            }
        )


class MemberListApi(WorkspaceApi):
    roles = MANAGERS

    def get(self, request):
        people = workspace_people(workspace=self.workspace, viewer=request.user)
        return Response({"results": [_member_body(row) for row in people["client"] + people["vendor"]]})


class MemberDetailApi(WorkspaceApi):
    roles = MANAGERS

    def patch(self, request, membership_id: int):
        payload = RoleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = membership_change_role(
            actor=request.user,
            workspace=self.workspace,
            membership_id=membership_id,
            role=payload.validated_data["role"],
        )
        row = member_row(membership=membership, workspace=self.workspace, viewer=request.user)
        return Response(_member_body(row))

    def delete(self, request, membership_id: int):
        membership_remove(actor=request.user, workspace=self.workspace, membership_id=membership_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListApi(WorkspaceApi):
    roles = MANAGERS

    def get(self, request):
        return Response(
            {"results": InvitationSerializer(invitations_open(viewer=request.user), many=True).data}
        )

    def post(self, request):
        payload = InvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation, _ = invitation_create(
            actor=request.user, workspace=self.workspace, **payload.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailApi(WorkspaceApi):
    roles = MANAGERS

    def delete(self, request, invitation_id: int):
        invitation_revoke(actor=request.user, workspace=self.workspace, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
