"""Production start-up refuses unsafe settings with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def start_django(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(DJANGO_SETTINGS_MODULE="b12care.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


GOOD_KEY = "k3J9x-Qp2Lm8Zr4Tn6Vb1Wc7Yd5Fh0Gs9Ja2Ke4Lo6Mi8Nu1Pt3Rq5Sw7Xy9Zz"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "care.example.org"}, "SECRET_KEY is not set"),
        ({"DEBUG": "false", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x"}, "SECRET_KEY is weak"),
        ({"DEBUG": "false", "SECRET_KEY": "django-insecure-" + "a1b2c3" * 10,
          "ALLOWED_HOSTS": "x"}, "development key"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS is empty"),
    ],
)
def test_it_refuses_to_start_without_debug_and_a_safe_configuration(env, message):
    result = start_django(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_a_strong_key_and_allowed_hosts():
    result = start_django(DEBUG="false", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="care.example.org")
    assert result.returncode == 0, result.stderr


def test_it_starts_in_debug_with_nothing_set():
    result = start_django(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_storage_is_utc_and_timezone_aware(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
