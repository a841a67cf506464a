"""The triage read model (``TriageState``): kept current by every write that changes a ranking fact.

Writers announce their changes through ``b12care.core.events``; ``on_patient_data_changed``
(subscribed in ``ClinicConfig.ready``, last stage) recomputes the facts of those patients in the
same transaction, so the dashboard never shows a state older than the data it was computed from.
A row is rewritten only when one of its facts changed. ``refresh_all`` (the periodic
reconcile, ``manage.py refresh_triage_state``) is the safety net for writes that bypass the
services (bulk loads, raw SQL).

The stored facts do not depend on the clock: the dashboard compares them with ``now`` in SQL
(``b12care.clinic.triage``), so a dose becoming overdue needs no write.

Concurrency: a refresh first locks the patients' profile rows (``FOR NO KEY UPDATE``, which does
not block inserts that reference the patient), then reads the facts in a new statement. Under
READ COMMITTED that read sees every transaction that refreshed the same patient before us, so the
last writer to commit always stores facts that include the others' changes (no lost update).
The profile lock is the last lock a transaction takes (the seam runs read models last).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import Alert, AlertStatus, Severity
from b12care.alerts.tiers import tier_rank_sql
from b12care.core import batches, events
from injections.models import DoseStatus, PlannedDose
from labs.models import PlannedLab, PlanStatus

from .models import TriageState

FACT_FIELDS = ("emergency_open", "urgent_open", "review_open", "newest_finding_at",
               "next_dose_deadline", "last_missed_at", "lab_overdue_from")


def _scalar(qs, aggregate, output_field=None) -> Subquery:
    """One aggregate per outer patient row as a correlated subquery."""
    return Subquery(qs.order_by().values("patient").annotate(v=aggregate).values("v")[:1],
                    output_field=output_field)


def _facts(patient_ids: list[int]):
    alerts = Alert.objects.filter(patient=OuterRef("pk"), status=AlertStatus.OPEN)
    doses = PlannedDose.objects.filter(patient=OuterRef("pk"))
    deadline = ExpressionWrapper(F("due_at") + F("grace"), output_field=DateTimeField())
    return (
        PatientProfile.objects.filter(pk__in=patient_ids)
        .order_by()
        .annotate(
            s_emergency=Coalesce(_scalar(alerts.filter(severity=Severity.EMERGENCY), Count("pk")),
                                 Value(0), output_field=IntegerField()),
            s_urgent=Coalesce(_scalar(alerts.filter(severity=Severity.URGENT), Count("pk")),
                              Value(0), output_field=IntegerField()),
            s_review=Coalesce(_scalar(alerts.filter(severity=Severity.REVIEW), Count("pk")),
                              Value(0), output_field=IntegerField()),
            s_newest=Subquery(alerts.annotate(tier=tier_rank_sql()).order_by(
                "-tier", "-last_seen_at").values("last_seen_at")[:1]),
            s_deadline=_scalar(doses.filter(status=DoseStatus.OPEN), Min(deadline),
                               DateTimeField()),
            s_missed=_scalar(doses.filter(status=DoseStatus.MISSED), Max("due_at")),
            s_lab_end=_scalar(PlannedLab.objects.filter(patient=OuterRef("pk"),
                                                        status=PlanStatus.OPEN),
                              Min("window_end")),
        )
        .values_list("pk", "s_emergency", "s_urgent", "s_review", "s_newest", "s_deadline",
                     "s_missed", "s_lab_end")
    )


@transaction.atomic(savepoint=False)  # inside a service: no savepoint round trips
def refresh_triage_state(patient_ids: Iterable[int], *, now: dt.datetime) -> int:
    """Recompute these patients' triage facts and store the ones that changed: three queries
    for any number of ids (lock, read, upsert). Returns the rows written."""
    ids = sorted({int(pk) for pk in patient_ids})
    if not ids:
        return 0
    # Lock first (in pk order, so two refreshes cannot deadlock each other), then read.
    list(PatientProfile.objects.select_for_update(no_key=True).filter(pk__in=ids)
         .order_by("pk").values_list("pk", flat=True))
    rows = [
        (pk, emergency, urgent, review, newest, deadline, missed,
         None if lab_end is None else lab_end + dt.timedelta(days=1), now)
        for pk, emergency, urgent, review, newest, deadline, missed, lab_end in _facts(ids)
    ]
    return _upsert(rows)


def _upsert(rows: list[tuple]) -> int:
    """INSERT … ON CONFLICT DO UPDATE … WHERE a fact differs: an unchanged row is not
    rewritten (PostgreSQL and SQLite share the syntax)."""
    if not rows:
        return 0
    meta = TriageState._meta
    fields = [meta.get_field(name) for name in ("patient", *FACT_FIELDS, "updated_at")]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    updates = ", ".join(f"{qn(f.column)} = excluded.{qn(f.column)}" for f in fields[1:])
    differs = " OR ".join(f"{table}.{qn(f.column)} IS DISTINCT FROM excluded.{qn(f.column)}"
                          if connection.vendor == "postgresql" else
                          f"{table}.{qn(f.column)} IS NOT excluded.{qn(f.column)}"
                          for f in fields[1:-1])
    params = []
    for row in rows:
        params.extend(f.get_db_prep_save(value, connection)
                      for f, value in zip(fields, row, strict=True))
    sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(rows))} "
           f"ON CONFLICT ({qn(fields[0].column)}) DO UPDATE SET {updates} WHERE {differs}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


TRIAGE_KINDS = frozenset({events.DOSES, events.INJECTIONS, events.LAB_PLAN, events.LABS,
                          events.ALERTS, events.TIMEZONE})


def on_patient_data_changed(changes: list[events.Change]) -> None:
    """Subscriber (``ClinicConfig.ready``, read-model stage): one refresh for every patient
    in the batch, after the other subscribers' writes."""
    refresh_triage_state(events.patient_ids(changes), now=max(c.now for c in changes))


def refresh_all(*, now: dt.datetime, batch_size: int = 500) -> int:
    """Reconcile every patient's row (one short transaction per batch); returns rows written."""
    return sum(refresh_triage_state(batch, now=now) for batch in
               batches.pk_batches(PatientProfile.objects.all(), batch_size=batch_size))
