"""`manage.py refresh_triage_state`: fill or reconcile the triage read model for every patient."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from b12care.clinic.state import refresh_all


class Command(BaseCommand):
    help = "Recompute every patient's triage state row (safe to run at any time)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        started = time.monotonic()
        written = refresh_all(now=timezone.now(), batch_size=batch_size)
        self.stdout.write(f"Triage state refreshed for {written} patients in "
                          f"{time.monotonic() - started:.1f} s.")
