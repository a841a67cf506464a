"""Run calls at the same moment, each in its own thread and database connection (PostgreSQL
tests of concurrent writers: SQLite serialises them)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(*calls: Callable[[], object], timeout: float = 20) -> tuple[list, list]:
    """Start every call in its own thread, release them together, wait for all; return their
    results in call order and the exceptions raised (each thread closes its connection)."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # reported to the test, which asserts there are none
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
