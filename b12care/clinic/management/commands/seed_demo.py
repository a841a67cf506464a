"""`manage.py seed_demo`: demo people and months of history. Safe to run again (idempotent)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from b12care.accounts.demo import login_lines, refuse_without_debug, seed_people
from b12care.alerts import demo as alerts_demo
from injections import demo as injections_demo
from labs import demo as labs_demo
from symptoms import demo as symptoms_demo

# Each app's demo module has seed(patients=[(profile, DemoPatient)], clinicians=[...], now=...).
DEMO_MODULES = (injections_demo, symptoms_demo, labs_demo, alerts_demo)


class Command(BaseCommand):
    help = "Create the demo admin, clinicians and patients with realistic history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-logins", action="store_true",
                            help="Do not list the demo logins (make run prints them once the "
                                 "servers are up: manage.py demo_welcome).")

    def handle(self, *args, **options):
        try:
            refuse_without_debug()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        now = timezone.now()
        with transaction.atomic():
            _admin, clinicians, patients = seed_people()
            for module in DEMO_MODULES:
                module.seed(patients=patients, clinicians=clinicians, now=now)
        if options["no_logins"]:
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
            return
        lines = login_lines(settings.SITE_URL, debug=settings.DEBUG)
        self.stdout.write(self.style.SUCCESS("Demo data ready. " + lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
