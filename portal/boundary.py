"""The tenant boundary: the one gate every workspace page and API endpoint goes through.

A workspace view subclasses `WorkspaceView` (pages) or `WorkspaceApi` (DRF) and declares
`roles`: the membership roles that may use it, either one set for every method or a mapping of
HTTP method to set. Before any handler runs, the boundary

1. resolves the workspace from the host (TenantMainMiddleware did the lookup; the public
   schema is not a workspace, so workspace routes 404 there),
2. authenticates (session for pages; session or personal access token for the API, which DRF
   does inside the view, so the check runs there too),
3. checks that the user is a member with one of the declared roles (vendor staff pass unless
   the view opts out) — anything else is a 404, exactly like a missing page,
4. refuses members of a suspended workspace with a clear 403.

A view that declares no roles raises at `as_view()`, so it cannot be routed. A view open to
anonymous visitors (login, accepting an invitation) must say so with `DANGEROUSLY_ANONYMOUS`.
Subclasses may not override `dispatch` or `initial`, so nothing can run before the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.shortcuts import render
from django.views import View
from rest_framework import exceptions
from rest_framework.views import APIView

from portal.errors import DomainError, WorkspaceSuspendedError
from tenants.models import Membership, Role

DANGEROUSLY_ANONYMOUS = "dangerously_anonymous"
ALL_ROLES = frozenset(Role.values)
MANAGERS = frozenset({Role.CLIENT_MANAGER})
_GUARDED = ("dispatch", "initial")


class NotAuthenticated(Exception):
    pass


_MEMBERSHIP = "SELECT * FROM tenants_membership WHERE user_id = %s AND workspace_id = %s"


class WorkspaceBoundary:
    roles: frozenset[str] | Mapping[str, frozenset[str]] | str | None = None
    allow_vendor_staff: bool = True
    available_when_suspended: bool = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            return
        for name in _GUARDED:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}(): the boundary runs there.")

    @classmethod
    def roles_validate(cls) -> None:
        roles = cls.roles
        if roles == DANGEROUSLY_ANONYMOUS:
            return
        sets = roles.values() if isinstance(roles, Mapping) else [roles]
        if not roles or any(not isinstance(s, frozenset | set) or not s for s in sets):
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__name__} declares no roles; a workspace view must "
                "declare `roles` (or DANGEROUSLY_ANONYMOUS) before it can be routed."
            )
        unknown = set().union(*sets) - ALL_ROLES
        if unknown:
            raise ImproperlyConfigured(f"{cls.__name__} declares unknown roles {sorted(unknown)}.")

    @classmethod
    def roles_for(cls, method: str) -> frozenset[str] | str:
        """The roles allowed for an HTTP method; an empty set when the method is not declared."""
        roles = cls.roles
        if roles == DANGEROUSLY_ANONYMOUS or not isinstance(roles, Mapping):
            return roles
        method = "GET" if method in ("HEAD", "OPTIONS") else method
        return frozenset(roles.get(method, ()))

    def boundary_check(self, request, user) -> Membership | None:
        workspace = getattr(request, "tenant", None)
        if workspace is None or workspace.schema_name == settings.PUBLIC_SCHEMA_NAME:
            raise Http404("Not a workspace.")
        roles = self.roles_for(request.method)
        if roles == DANGEROUSLY_ANONYMOUS:
            membership = None
        else:
            if not user.is_authenticated:
                raise NotAuthenticated
            # Token sign-in looked the membership up with the user when it could; otherwise a
            # hand-written query (every request runs this: no ORM compilation, and no join for
            # Membership's default ordering).
            known = getattr(user, "token_membership", None)
            if known is not None and known[0] == workspace.pk:
                membership = known[1]
            else:
                membership = next(iter(Membership.objects.raw(_MEMBERSHIP, [user.pk, workspace.pk])), None)
            staff_pass = user.is_staff and self.allow_vendor_staff
            # A method the view does not implement is declared for no role: to a member it is the
            # 405 it is, not a missing page (anyone else still gets the 404).
            unhandled = not hasattr(self, request.method.lower())
            if not staff_pass and (membership is None or (membership.role not in roles and not unhandled)):
                raise Http404("No such page.")
        if workspace.is_suspended and not self.available_when_suspended and not user.is_staff:
            raise WorkspaceSuspendedError(
                f"The {workspace.name} workspace is suspended. Contact your account manager."
            )
        self.workspace = workspace
        self.membership = membership
        return membership


class WorkspaceView(WorkspaceBoundary, View):
    """Base of every workspace page."""

    @classmethod
    def as_view(cls, **initkwargs):
        cls.roles_validate()
        return super().as_view(**initkwargs)

    def dispatch(self, request, *args, **kwargs):
        try:
            self.boundary_check(request, request.user)
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except WorkspaceSuspendedError as error:
            return render(request, "portal/suspended.html", {"message": error.message}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) if hasattr(super(), "get_context_data") else {}
        context.update(workspace=self.workspace, membership=self.membership, **kwargs)
        return context


class WorkspaceApi(WorkspaceBoundary, APIView):
    """Base of every workspace API endpoint."""

    @classmethod
    def as_view(cls, **initkwargs):
        cls.roles_validate()
        return super().as_view(**initkwargs)

    def get_permissions(self):
        if self.roles_for(self.request.method) == DANGEROUSLY_ANONYMOUS:
            return []
        return super().get_permissions()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        try:
            self.boundary_check(request, request.user)
        except NotAuthenticated:
            raise exceptions.NotAuthenticated() from None


def query_int(request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole-number query parameter of an API request, `minimum` (0) or more: 400 naming it when
    it is not."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    # Plain ASCII digits with an optional minus: int() would also take " 5", "1_000" and "١٢".
    if not re.fullmatch(r"-?[0-9]+", raw):
        raise DomainError(f"'{name}' must be a whole number.", fields={name: [f"'{raw}' is not a number."]})
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"{minimum} to {maximum}." if maximum is not None else f"{minimum} or more."
        raise DomainError(f"'{name}' is out of range.", fields={name: [allowed]})
    return value
