"""The base of every bench command: refuse to run unless the database is a bench database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.guard import NotABenchDatabase, require_bench_database


class BenchCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            require_bench_database(connection.settings_dict)
        except NotABenchDatabase as exc:
            raise CommandError(str(exc)) from exc
        return super().execute(*args, **options)
