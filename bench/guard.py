"""The bench's one safety rule: it only ever touches a database whose name says it is a bench's.

The bench adds thousands of synthetic patients, rewrites their reminder rows, creates sessions,
posts injections and purges the Celery queue. Run against a real database by mistake, that is
data loss. So every entry point (the bench settings module, every bench command, bench/run.py)
checks the name first and refuses with a message saying why.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

MARKER = "bench"


class NotABenchDatabase(ImproperlyConfigured):
    """Raised before the bench writes anything to a database that is not a bench's."""


def require_bench_database(database: Mapping[str, object] | str) -> str:
    """Return the database name if it is a PostgreSQL bench database, else raise.

    ``database`` is a Django ``DATABASES`` entry (engine and name are both checked) or a bare
    name. A bench database's name contains ``bench`` (e.g. ``b12care_bench``,
    ``b12care_bench_10k``, ``b12care_bench_sweep``).
    """
    if isinstance(database, str):
        engine, name = "django.db.backends.postgresql", database
    else:
        engine, name = str(database.get("ENGINE", "")), str(database.get("NAME") or "")
    if "postgresql" not in engine:
        raise NotABenchDatabase(
            f"The bench runs on PostgreSQL only (COPY, VACUUM), not {engine or 'no engine'}: "
            "set DATABASE_URL to e.g. postgres://postgres@127.0.0.1:5432/b12care_bench.")
    if MARKER not in name.lower():
        raise NotABenchDatabase(
            f"Refusing to run the bench against database {name!r}: its name does not contain "
            f"{MARKER!r}. The bench adds synthetic patients, rewrites reminder rows and purges "
            "the Celery queue, so it only runs on a dedicated database whose name says so, "
            "e.g. postgres://postgres@127.0.0.1:5432/b12care_bench.")
    return name
