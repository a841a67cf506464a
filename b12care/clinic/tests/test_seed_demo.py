"""Demo accounts share a public password: they are never created with DEBUG off."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from b12care.accounts.demo import seed_people
from b12care.accounts.models import User

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_the_demo_password_is_never_set_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="password is public"):
        seed_people()
    assert not User.objects.exists()


def test_manage_py_seed_demo_stops_with_a_clear_message_in_production(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b12care.settings", "DEBUG": "false",
           "EMAIL_URL": "dummymail://", "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    result = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refuses to run with DEBUG off" in result.stderr


def test_seed_demo_runs_in_a_debug_run(debug_run, settings):
    settings.SITE_URL = "http://127.0.0.1:8100"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo data ready" in out.getvalue()
    assert "Sign in at http://127.0.0.1:8100/accounts/login/" in out.getvalue()
    assert User.objects.filter(email="admin@b12care.example").exists()
    # make run seeds quietly: the logins come last, from demo_welcome, once the servers are up.
    quiet = io.StringIO()
    call_command("seed_demo", "--no-logins", stdout=quiet)
    assert quiet.getvalue().strip() == "Demo data ready."


def test_every_demo_address_is_verified_even_if_it_was_not_before(debug_run):
    from allauth.account.models import EmailAddress

    call_command("seed_demo", stdout=io.StringIO())
    EmailAddress.objects.filter(email="patient@b12care.example").update(verified=False)
    call_command("seed_demo", stdout=io.StringIO())
    demo = EmailAddress.objects.filter(email__endswith="@b12care.example")
    assert demo.count() == User.objects.filter(email__endswith="@b12care.example").count()
    assert all(demo.values_list("verified", flat=True))
