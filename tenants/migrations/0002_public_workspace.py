from django.conf import settings
from django.db import migrations


def create_public_workspace(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    Domain = apps.get_model("tenants", "Domain")
    public, _ = Workspace.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Vendor portal", "slug": "public"},
    )
    Domain.objects.get_or_create(
        domain=settings.PORTAL_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_public_workspace, migrations.RunPython.noop)]
