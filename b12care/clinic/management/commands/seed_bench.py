"""`manage.py seed_bench --patients 1000`: the benchmark dataset (PostgreSQL only)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Create N bench patients with one year of injections, diary and labs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=1000)

    def handle(self, *args, patients: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench writes with COPY: point DATABASE_URL at PostgreSQL.")
        from bench.dataset import build

        started = time.monotonic()
        created = build(patients)
        self.stderr.write(f"# bench dataset: {created} new patients in "
                          f"{time.monotonic() - started:.1f} s")
