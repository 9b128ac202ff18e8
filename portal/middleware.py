"""Host -> workspace routing with a short in-process cache.

django-tenants' TenantMainMiddleware looks the host up on every request. Workspaces change
rarely, so this keeps each lookup for a few seconds. A suspension or reactivation clears the
cache of the process that made it at once; other processes see it within `TTL_SECONDS`.

Under /api/, a host that is no workspace and a path no endpoint serves answer the API's 404
body (`{"code": "not_found", ...}`) like every other API error, not an HTML page.
"""

from __future__ import annotations

import copy
import threading
import time

from django.http import JsonResponse
from django_tenants.middleware.main import TenantMainMiddleware

from portal.errors import error_body

TTL_SECONDS = 5.0
_cache: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def workspace_routes_forget() -> None:
    with _lock:
        _cache.clear()


def _api_not_found(request) -> JsonResponse | None:
    if not request.path.startswith("/api/"):
        return None
    return JsonResponse(error_body("not_found", "Not found."), status=404)


class WorkspaceRoutingMiddleware(TenantMainMiddleware):
    def no_tenant_found(self, request, hostname):
        return _api_not_found(request) or super().no_tenant_found(request, hostname)

    def process_response(self, request, response):
        if response.status_code == 404 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return _api_not_found(request) or response
        return response

    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        hit = _cache.get(hostname)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return copy.copy(hit[1])
        tenant = super().get_tenant(domain_model, hostname)  # DoesNotExist is not cached
        with _lock:
            _cache[hostname] = (now, tenant)
        return copy.copy(tenant)
