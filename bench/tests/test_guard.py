"""The bench refuses every database whose name does not say it is a bench's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from bench.guard import NotABenchDatabase, require_bench_database

POSTGRES = "django.db.backends.postgresql"


@pytest.mark.parametrize("name", ["b12care", "b12care_ci", "postgres", "production", ""])
def test_it_refuses_a_database_whose_name_does_not_say_bench(name):
    with pytest.raises(NotABenchDatabase, match="does not contain 'bench'"):
        require_bench_database({"ENGINE": POSTGRES, "NAME": name})


@pytest.mark.parametrize("name", ["b12care_bench", "b12care_bench_10k", "b12care_bench_sweep"])
def test_it_accepts_the_bench_databases(name):
    assert require_bench_database({"ENGINE": POSTGRES, "NAME": name}) == name
    assert require_bench_database(name) == name


def test_it_refuses_sqlite_even_with_bench_in_the_name():
    with pytest.raises(NotABenchDatabase, match="PostgreSQL only"):
        require_bench_database({"ENGINE": "django.db.backends.sqlite3", "NAME": "bench.sqlite3"})


def test_the_bench_settings_refuse_to_load_on_a_non_bench_database():
    """Every bench entry point (commands, gunicorn, the Celery worker) loads bench.settings,
    which checks the database before anything can connect to it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/b12care"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "Refusing to run the bench against database 'b12care'" in done.stderr


def test_a_bench_command_refuses_a_non_bench_database():
    from django.core.management.base import CommandError

    from bench.benchapp.management.commands.seed_bench import Command

    # The test database is SQLite or b12care_ci, never a bench database: the command stops
    # before it writes anything.
    with pytest.raises(CommandError, match="bench"):
        Command().execute(patients=1, others=0, verbosity=0, no_color=True, force_color=False,
                          skip_checks=True, stdout=None, stderr=None)
