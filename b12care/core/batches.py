"""Run one unit of work per row over a large queryset, in batches by primary key.

Each row gets its own transaction: a failure for one patient is logged and does not stop (or
roll back) the others. Used by the periodic sweeps (dose roll, rule evaluation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)
BATCH_SIZE = 200


def each_in_own_transaction(queryset: QuerySet[M], work: Callable[[M], object], *,
                            what: str, batch_size: int = BATCH_SIZE) -> int:
    """Call ``work(row)`` for every row of ``queryset`` (read ``batch_size`` rows at a time in
    primary-key order); returns how many rows were tried. ``what`` names the work in logs."""
    count, last_pk = 0, 0
    ordered = queryset.order_by("pk")
    while True:
        batch = list(ordered.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return count
        for row in batch:
            try:
                with transaction.atomic():
                    work(row)
            except Exception:
                log.exception("%s failed for %s %s", what, type(row).__name__, row.pk)
            count += 1
        last_pk = batch[-1].pk


def pk_batches(queryset: QuerySet, *, batch_size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """The primary keys of ``queryset`` in ascending order, ``batch_size`` at a time (each
    batch read by its own keyset query, so rows added meanwhile are not skipped or repeated)."""
    last_pk = 0
    ordered = queryset.order_by("pk").values_list("pk", flat=True)
    while batch := list(ordered.filter(pk__gt=last_pk)[:batch_size]):
        yield batch
        last_pk = batch[-1]
