"""Settings for `make bench` only: the product's settings, plus the bench app (its commands and
the baseline page) and the bench URLconf. The product's own settings and URLconf ship neither.

    DJANGO_SETTINGS_MODULE=bench.settings python manage.py seed_bench --patients 1000

Refuses to load unless the database is a PostgreSQL bench database (bench/guard.py).
Defaults below only fill what is unset; bench/run.py sets them explicitly.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12care_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")  # db 5: the bench's own
os.environ.setdefault("DEBUG", "false")  # measured as deployed
os.environ.setdefault("SECRET_KEY", "bench-only-key-" + "x7Kp2Qm9Zr4Tn6Vb1Wc8Yd5Fh3Gs0Ja" * 2)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_COOKIES", "false")  # loopback http
os.environ.setdefault("EMAIL_URL", "dummymail://")

from b12care.settings import *  # noqa: F403
from b12care.settings import DATABASES, INSTALLED_APPS, VAR_DIR
from bench.guard import require_bench_database

require_bench_database(DATABASES["default"])

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
ROOT_URLCONF = "bench.urls"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "bench-celerybeat-schedule")
