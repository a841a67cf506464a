"""`manage.py demo_mfa_code`: the code the demo staff's authenticator app would show now."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from b12care.accounts.mfa import totp_code


class Command(BaseCommand):
    help = "Print the current MFA code of the demo admin and clinicians (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo codes are for local demos only: run with DEBUG=true.")
        now = time.time()
        left = 30 - int(now) % 30
        self.stdout.write(f"{totp_code(settings.DEMO_TOTP_SECRET, at=now)}  "
                          f"(valid for about {left} more seconds)")
