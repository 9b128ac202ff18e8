"""Public-site API: who am I, my tokens, and (vendor staff) workspaces."""

from __future__ import annotations

from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.selectors import memberships_of_user, tokens_of_user, workspace_list
from tenants.services.tokens import token_create, token_revoke
from tenants.services.workspaces import workspace_provision, workspace_url


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    prefix = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True)


class WorkspaceSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=120)
    status = serializers.CharField(read_only=True)
    currency = serializers.CharField(max_length=3, default="USD")
    manager_email = serializers.EmailField(write_only=True, required=False)
    url = serializers.SerializerMethodField()

    def get_url(self, workspace) -> str:
        return workspace_url(workspace)


class MeApi(APIView):
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "is_vendor_staff": user.is_staff,
                "workspaces": [
                    {
                        "slug": m.workspace.slug,
                        "name": m.workspace.name,
                        "role": m.role,
                        "url": workspace_url(m.workspace),
                    }
                    for m in memberships_of_user(user=user)
                ],
            }
        )


class TokenListApi(APIView):
    def get(self, request):
        return Response({"results": TokenSerializer(tokens_of_user(user=request.user), many=True).data})

    def post(self, request):
        payload = TokenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = token_create(user=request.user, name=payload.validated_data["name"])
        return Response({**TokenSerializer(token).data, "token": secret}, status=status.HTTP_201_CREATED)


class TokenDetailApi(APIView):
    def delete(self, request, token_id: int):
        token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IsVendorStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class WorkspaceListApi(APIView):
    permission_classes = [IsVendorStaff]

    def get(self, request):
        return Response({"results": WorkspaceSerializer(workspace_list(), many=True).data})

    def post(self, request):
        payload = WorkspaceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        workspace = workspace_provision(actor=request.user, **payload.validated_data)
        return Response(WorkspaceSerializer(workspace).data, status=status.HTTP_201_CREATED)
