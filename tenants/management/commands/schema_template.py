from django.core.management.base import BaseCommand

from tenants.services.schema_template import schema_template_current


class Command(BaseCommand):
    help = "Capture the workspace schema template for the current migrations (run after migrate)."

    def handle(self, *args, **options):
        template = schema_template_current()
        self.stdout.write(
            f"Schema template {template.state[:12]}: {len(template.statements['ddl'])} statements."
        )
