from django.core.management.base import BaseCommand, CommandError

from portal.errors import DomainError
from tenants.services.workspaces import workspace_provision, workspace_url


class Command(BaseCommand):
    help = "Provision a client workspace: schema, domain and an invitation for its first manager."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--manager-email", default=None)
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, slug, name, manager_email, currency, **options):
        try:
            workspace = workspace_provision(
                actor=None, slug=slug, name=name, manager_email=manager_email, currency=currency
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Workspace {workspace.name} is ready at {workspace_url(workspace)}")
