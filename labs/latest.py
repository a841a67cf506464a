"""The latest-result read model (``LatestLabResult``): each patient's newest result of each
analyte with its value, flag, band and dates, so pages read one row per test instead of
searching the history.

Definition (``live_latest``): per patient and analyte, the result sampled last (newest
``sampled_at``; on a tie, the highest id). Writers keep it in their own transaction:
``offer`` after recording a result, ``refresh`` after deleting, editing or moving results.
A row is written only when one of its facts changed.

Concurrency: every write is one upsert whose condition PostgreSQL checks against the row as
committed by any concurrent writer of the same patient and analyte (it waits for that writer,
then re-reads the row): a result replaces the stored one only when it is newer, or when the
writer replaces the very row it read (a deleted latest result hands over to the one before).
So two writers of the same pair never lose the newer result.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from b12care.accounts.models import PatientProfile
from b12care.core import batches

from .models import LabResult, LatestLabResult

Pair = tuple[int, int]  # (patient id, analyte id)
FACTS = ("result_id", "value", "qualitative", "flag", "band", "sampled_at", "sampled_on")
_COLUMNS = ("patient_id", "analyte_id", *FACTS)


def live_latest(*, patient_ids: Iterable[int],
                analyte_ids: Iterable[int] | None = None) -> dict[Pair, dict]:
    """The definition, from the results: (patient, analyte) -> the facts of its latest result."""
    results = LabResult.objects.filter(patient_id__in=list(patient_ids))
    if analyte_ids is not None:
        results = results.filter(analyte_id__in=list(analyte_ids))
    newest_first = Window(RowNumber(), partition_by=[F("patient_id"), F("analyte_id")],
                          order_by=[F("sampled_at").desc(), F("pk").desc()])
    rows = (results.annotate(rank=newest_first).filter(rank=1)
            .values("patient_id", "analyte_id", *FACTS[1:], result_id=F("pk")))
    return {(row["patient_id"], row["analyte_id"]): row for row in rows}


def _stored(patient_ids: Iterable[int], analyte_ids: Iterable[int] | None) -> dict[Pair, dict]:
    rows = LatestLabResult.objects.filter(patient_id__in=list(patient_ids))
    if analyte_ids is not None:
        rows = rows.filter(analyte_id__in=list(analyte_ids))
    return {(row["patient_id"], row["analyte_id"]): row for row in rows.values(*_COLUMNS)}


def _facts(row: dict | None) -> tuple | None:
    return None if row is None else tuple(row[name] for name in FACTS)


def offer(result: LabResult) -> int:
    """A result was recorded: it becomes its analyte's latest if it is newer than the stored
    one (one statement). Returns 1 when it did."""
    row = {name: getattr(result, name) for name in _COLUMNS if name != "result_id"}
    return _upsert([({**row, "result_id": result.pk}, None)])


@transaction.atomic(savepoint=False)
def refresh(pairs: Iterable[Pair]) -> int:
    """Recompute these (patient, analyte) pairs from the results: store the facts that
    changed, drop the rows of pairs left without a result. Two reads, then one statement per
    changed pair and one for all dropped ones. Returns the rows written or dropped."""
    wanted = {(int(p), int(a)) for p, a in pairs}
    if not wanted:
        return 0
    patient_ids, analyte_ids = {p for p, _ in wanted}, {a for _, a in wanted}
    return _reconcile(wanted, _stored(patient_ids, analyte_ids),
                      live_latest(patient_ids=patient_ids, analyte_ids=analyte_ids))


@transaction.atomic(savepoint=False)
def refresh_patients(patient_ids: Iterable[int]) -> int:
    """``refresh`` every analyte of these patients (bulk loads, reconciling)."""
    ids = {int(pk) for pk in patient_ids}
    if not ids:
        return 0
    stored, live = _stored(ids, None), live_latest(patient_ids=ids)
    return _reconcile(set(stored) | set(live), stored, live)


def refresh_all(*, batch_size: int = 500) -> int:
    """Reconcile every patient's rows (one short transaction per batch); returns rows
    written or dropped."""
    return sum(refresh_patients(batch) for batch in
               batches.pk_batches(PatientProfile.objects.all(), batch_size=batch_size))


def pairs_pointing_at(result_ids: Iterable[int]) -> set[Pair]:
    """The pairs whose stored latest result is one of these (before an edit that may move a
    result to another patient or analyte)."""
    return set(LatestLabResult.objects.filter(result_id__in=list(result_ids))
               .values_list("patient_id", "analyte_id"))


def _reconcile(wanted: set[Pair], stored: dict[Pair, dict], live: dict[Pair, dict]) -> int:
    writes = [(live[pair], (stored.get(pair) or {}).get("result_id"))
              for pair in wanted if pair in live and _facts(live[pair]) != _facts(stored.get(pair))]
    gone = [Q(patient_id=p, analyte_id=a, result_id=stored[(p, a)]["result_id"])
            for p, a in wanted if (p, a) in stored and (p, a) not in live]
    dropped = 0
    if gone:
        condition = gone[0]
        for q in gone[1:]:
            condition |= q
        dropped, _ = LatestLabResult.objects.filter(condition).delete()
    return _upsert(writes) + dropped


def _upsert(rows: list[tuple[dict, int | None]]) -> int:
    """INSERT … ON CONFLICT (patient, analyte) DO UPDATE when the new result is newer than the
    stored one or the stored one is still the result the caller read (``rows``: (facts,
    expected stored result id or None)). PostgreSQL and SQLite share the syntax."""
    if not rows:
        return 0
    meta = LatestLabResult._meta
    fields = [meta.get_field(name) for name in _COLUMNS]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = [qn(f.column) for f in fields]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    at, rid = qn("sampled_at"), qn("result_id")
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))}) "
           f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET {updates} "
           f"WHERE {table}.{rid} = %s OR {table}.{at} < excluded.{at} "
           f"OR ({table}.{at} = excluded.{at} AND {table}.{rid} < excluded.{rid})")
    params = [[f.get_db_prep_save(row[name], connection) for f, name in zip(fields, _COLUMNS,
                                                                            strict=True)]
              + [expected] for row, expected in rows]
    written = 0
    with connection.cursor() as cursor:
        for one in params:  # one statement per row: each has its own expected id
            cursor.execute(sql, one)
            written += max(cursor.rowcount, 0)
    return written
