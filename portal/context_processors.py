from django.db import connection


def portal(request):
    tenant = getattr(request, "tenant", None) or connection.tenant
    workspace = tenant if tenant is not None and not tenant.is_public else None
    return {"current_workspace": workspace}
