"""`manage.py seed_bench --patients 1000 [--others 9000]`: the benchmark dataset (bench/dataset.py).

Bench settings only (DJANGO_SETTINGS_MODULE=bench.settings); refuses a database whose name does
not contain "bench". Idempotent: what exists is reused. Ends with VACUUM ANALYZE.
"""

import time

from bench.benchapp.management.base import BenchCommand


class Command(BenchCommand):
    help = ("Create N bench patients with one year of injections, diary and labs, and optionally "
            "M more on other clinicians' teams (idempotent), then VACUUM ANALYZE.")

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=1000)
        parser.add_argument("--others", type=int, default=0,
                            help="patients on other clinicians' teams (scale bench)")

    def handle(self, *args, patients: int, others: int, **options):
        from bench import dataset

        started = time.monotonic()
        created = dataset.build(patients)
        self.stderr.write(f"# bench dataset: {created} new bench patients in "
                          f"{time.monotonic() - started:.1f} s")
        if others:
            started = time.monotonic()
            copied = dataset.build_others(others)
            self.stderr.write(f"# bench dataset: {copied} new other-team patients in "
                              f"{time.monotonic() - started:.1f} s")
        started = time.monotonic()
        dataset.finish()
        self.stderr.write(f"# bench dataset: read models and VACUUM ANALYZE in "
                          f"{time.monotonic() - started:.1f} s")
