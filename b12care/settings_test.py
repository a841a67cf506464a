"""Settings for the test suite: the production module, with test-only values where a real
deployment must set its own. DATABASE_URL and REDIS_URL still select PostgreSQL and Redis."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_COOKIES", "false")  # the live server speaks plain http
os.environ.setdefault("STATIC_MANIFEST", "false")  # no collectstatic before tests
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("EMAIL_URL", "memorymail://")  # Django's test runner uses locmem anyway

from .settings import *  # noqa: F403
from .settings import REDIS_URL

# Fast hashing: tests create many users; production keeps Django's default (PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test starts with empty rate-limit counters.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if not REDIS_URL:
    # Without Redis, tests that enqueue use an in-process broker instead of files in var/.
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
    BROKER_SCHEME = "memory"

# Live-server and worker threads must not keep connections open past a test, or PostgreSQL
# refuses to drop the test database at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
