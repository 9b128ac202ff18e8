from django.conf import settings


def portal(request):
    tenant = getattr(request, "tenant", None)
    is_workspace = tenant is not None and tenant.schema_name != settings.PUBLIC_SCHEMA_NAME
    return {"current_workspace": tenant if is_workspace else None}
