"""`manage.py seed_demo`: demo people and months of history. Safe to run again (idempotent)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from b12care.accounts.demo import refuse_without_debug, seed_people
from b12care.alerts import demo as alerts_demo
from injections import demo as injections_demo
from labs import demo as labs_demo
from symptoms import demo as symptoms_demo

# Each app's demo module has seed(patients=[(profile, DemoPatient)], clinicians=[...], now=...).
DEMO_MODULES = (injections_demo, symptoms_demo, labs_demo, alerts_demo)


class Command(BaseCommand):
    help = "Create the demo admin, clinicians and patients with realistic history (idempotent)."

    def handle(self, *args, **options):
        try:
            refuse_without_debug()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        now = timezone.now()
        with transaction.atomic():
            admin, clinicians, patients = seed_people()
            for module in DEMO_MODULES:
                module.seed(patients=patients, clinicians=clinicians, now=now)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins (password "
                                             f"'{settings.DEMO_PASSWORD}', demo data only):"))
        self.stdout.write(f"  admin      {admin.email}")
        for user in clinicians:
            self.stdout.write(f"  clinician  {user.email}")
        for profile, spec in patients:
            self.stdout.write(f"  patient    {profile.user.email:28} {spec.timezone}")
        if settings.DEBUG:
            self.stdout.write(
                "Admin and clinicians also need a code: add the demo key "
                f"{settings.DEMO_TOTP_SECRET} to an authenticator app, or run "
                "`make demo-code` (manage.py demo_mfa_code) for the current code.")
        self.stdout.write(f"Sign in at {settings.SITE_URL}/accounts/login/")
