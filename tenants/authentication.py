from django.conf import settings
from rest_framework import authentication, exceptions

from tenants.services.tokens import token_authenticate


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer pat_...` with a personal access token."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        # The request's workspace, so that its membership comes with the user (one round trip).
        workspace = getattr(request, "tenant", None)
        in_workspace = workspace is not None and workspace.schema_name != settings.PUBLIC_SCHEMA_NAME
        user = token_authenticate(header[1], workspace_id=workspace.pk if in_workspace else None)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return user, None

    def authenticate_header(self, request):
        return self.keyword
