"""`manage.py bench_scale`: the bench clinician's dashboard timed in-process (JSON on stdout).

Signs the bench clinician in (a session row: this writes), loads /clinic/ ``--warmup`` times,
then ``--requests`` times one after another through Django's full request path (middleware,
view, template) with the test client, and prints each wall time and their median. No HTTP
server and no concurrency, so the figure is the page's own cost on this database; `make bench`
runs it in turns on the 1,000-patient and on the 10,000-patient database and prints the median
of each and their ratio.
"""

import json
import statistics
import time

from django.core.management.base import CommandError
from django.test import Client

from b12care.accounts.models import PatientProfile, User
from bench.benchapp.management.base import BenchCommand
from bench.dataset import BENCH_CLINICIAN


class Command(BenchCommand):
    help = "Median in-process time of the bench clinician's dashboard, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=100)
        parser.add_argument("--warmup", type=int, default=10)
        parser.add_argument("--path", default="/clinic/")

    def handle(self, *args, requests: int, warmup: int, path: str, **options):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(User.objects.get(email=BENCH_CLINICIAN))
        timings = []
        for n in range(warmup + requests):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise CommandError(f"GET {path} answered {response.status_code}")
            if n >= warmup:
                timings.append(elapsed)
        self.stdout.write(json.dumps({
            "median_ms": statistics.median(timings),
            "timings_ms": timings,
            "patients_in_database": PatientProfile.objects.count(),
            "patients_on_team": PatientProfile.objects.filter(
                care_team__clinician__email=BENCH_CLINICIAN).count(),
        }))
