"""Host -> workspace routing with a short in-process cache.

django-tenants' TenantMainMiddleware looks the host up on every request. Workspaces change
rarely, so this keeps each lookup for a few seconds. A suspension or reactivation clears the
cache of the process that made it at once; other processes see it within `TTL_SECONDS`.
"""

from __future__ import annotations

import copy
import threading
import time

from django_tenants.middleware.main import TenantMainMiddleware

TTL_SECONDS = 5.0
_cache: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def workspace_routes_forget() -> None:
    with _lock:
        _cache.clear()


class WorkspaceRoutingMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        hit = _cache.get(hostname)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return copy.copy(hit[1])
        tenant = super().get_tenant(domain_model, hostname)  # DoesNotExist is not cached
        with _lock:
            _cache[hostname] = (now, tenant)
        return copy.copy(tenant)
