from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Seed the demo data (idempotent) and print the logins."

    def handle(self, *args, **options):
        logins = demo_seed()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for where, email, role in logins:
            self.stdout.write(f"  {email:<28} {role:<16} {where}")
