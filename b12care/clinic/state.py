"""The triage read model (``TriageState``): kept current by every write that changes a ranking fact.

Each service that changes a patient's open alerts, planned doses or planned labs calls
``refresh_triage_state([patient.pk])`` at its end, inside its own transaction, so the dashboard
never shows a state older than the data it was computed from. ``refresh_all`` (the periodic
reconcile, ``manage.py refresh_triage_state``) is the safety net for writes that bypass the
services (bulk loads, raw SQL); the admin's edits refresh through ``RefreshTriageStateAdminMixin``.

Every refresh also raises the row's ``version`` by one (``bump_versions`` does only that, for
writes that change no triage fact): cached page fragments are keyed by it
(b12care/core/fragments.py).

The stored facts do not depend on the clock: the dashboard compares them with ``now`` in SQL
(``b12care.clinic.triage``), so a dose becoming overdue needs no write.

Concurrency: a refresh first locks the patients' profile rows (``FOR NO KEY UPDATE``, which does
not block inserts that reference the patient), then reads the facts in a new statement. Under
READ COMMITTED that read sees every transaction that refreshed the same patient before us, so the
last writer to commit always stores facts that include the others' changes (no lost update).
The profile lock is always the last lock a service takes (deadlock-free ordering): a service that
calls other refreshing services and then writes more wraps its body in ``refresh_at_end()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
from django.utils import timezone

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import Alert, AlertStatus, Severity
from injections.models import DoseStatus, PlannedDose
from labs.models import PlannedLab, PlanStatus

from .models import TriageState

_deferred: ContextVar[set[int] | None] = ContextVar("triage_state_deferred", default=None)

FACT_FIELDS = ("urgent_open", "review_open", "next_dose_deadline", "last_missed_at",
               "lab_overdue_from")


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
            s_urgent=Coalesce(_scalar(alerts.filter(severity=Severity.URGENT), Count("pk")),
                              Value(0), output_field=IntegerField()),
            s_review=Coalesce(_scalar(alerts.filter(severity=Severity.REVIEW), Count("pk")),
                              Value(0), output_field=IntegerField()),
            s_deadline=_scalar(doses.filter(status=DoseStatus.OPEN), Min(deadline),
                               DateTimeField()),
            s_missed=_scalar(doses.filter(status=DoseStatus.MISSED), Max("due_at")),
            s_lab_end=_scalar(PlannedLab.objects.filter(patient=OuterRef("pk"),
                                                        status=PlanStatus.OPEN),
                              Min("window_end")),
        )
        .values_list("pk", "s_urgent", "s_review", "s_deadline", "s_missed", "s_lab_end")
    )


@transaction.atomic(savepoint=False)  # inside a service: no savepoint round trips
def refresh_triage_state(patient_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Recompute and store the triage facts of these patients: three queries for any number
    of ids (lock, read, upsert). Call it at the end of a service, inside its transaction."""
    ids = sorted({int(pk) for pk in patient_ids})
    pending = _deferred.get()
    if pending is not None:  # inside refresh_at_end(): one refresh when the body is done
        pending.update(ids)
        return 0
    if not ids:
        return 0
    now = now or timezone.now()
    # Lock first (in pk order, so two refreshes cannot deadlock each other), then read.
    list(PatientProfile.objects.select_for_update(no_key=True).filter(pk__in=ids)
         .order_by("pk").values_list("pk", flat=True))
    rows = [
        (pk, urgent, review, deadline, missed,
         None if lab_end is None else lab_end + dt.timedelta(days=1), now)
        for pk, urgent, review, deadline, missed, lab_end in _facts(ids)
    ]
    _upsert(rows)
    return len(rows)


def _upsert(rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE that also raises ``version`` by one, atomically in SQL
    (PostgreSQL and SQLite share the syntax; bulk_create cannot express ``version + 1``)."""
    if not rows:
        return
    meta = TriageState._meta
    fields = [meta.get_field(name) for name in ("patient", *FACT_FIELDS, "updated_at")]
    qn = connection.ops.quote_name
    table, version = qn(meta.db_table), qn(meta.get_field("version").column)
    columns = ", ".join(qn(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    updates = ", ".join(f"{qn(f.column)} = excluded.{qn(f.column)}" for f in fields[1:])
    params = []
    for row in rows:
        params.extend(f.get_db_prep_save(value, connection)
                      for f, value in zip(fields, row, strict=True))
        params.append(1)
    sql = (f"INSERT INTO {table} ({columns}, {version}) VALUES {', '.join([one_row] * len(rows))} "
           f"ON CONFLICT ({qn(fields[0].column)}) DO UPDATE SET {updates}, "
           f"{version} = {table}.{version} + 1")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def bump_versions(patient_ids: Iterable[int]) -> None:
    """Mark these patients' data as changed so cached page fragments are not served again, for
    writes that change no triage fact (clinical notes, readiness, supply, profile). One atomic
    UPDATE; the writes that refresh the triage state raise the version there already. Like a
    refresh, call it last in the service's transaction (it locks the patients' triage rows:
    lock order, see above)."""
    ids = {int(pk) for pk in patient_ids}
    pending = _deferred.get()
    if pending is not None:  # inside refresh_at_end(): its refresh raises the version
        pending.update(ids)
        return
    if ids:
        TriageState.objects.filter(patient_id__in=ids).update(version=F("version") + 1)


@contextmanager
def refresh_at_end() -> Iterator[None]:
    """Collect the refreshes of nested services and run them once, after the body's writes
    (use inside the caller's transaction). Nested uses join the outermost one."""
    if _deferred.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    refresh_triage_state(pending)


def refresh_all(*, batch_size: int = 500, now: dt.datetime | None = None) -> int:
    """Reconcile every patient's row (one short transaction per batch); returns rows written."""
    written, last_pk = 0, 0
    while True:
        batch = list(PatientProfile.objects.filter(pk__gt=last_pk).order_by("pk")
                     .values_list("pk", flat=True)[:batch_size])
        if not batch:
            return written
        written += refresh_triage_state(batch, now=now)
        last_pk = batch[-1]


class RefreshTriageStateAdminMixin:
    """For ModelAdmins of rows a patient's pages show (doses, injections, regimens, lab
    results, planned labs, check-ins, readiness, supply, notes, profiles; alerts are read-only
    in the admin): an admin's edit or delete refreshes that patient's triage row, and so raises
    the data version that keys cached page fragments, in the same transaction (after the
    inlines are saved), not at the next reconcile. ``patient_ids_of`` says whose data a row is."""

    def patient_ids_of(self, obj) -> list[int]:
        return [obj.patient_id]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_triage_state(self.patient_ids_of(form.instance))

    def delete_model(self, request, obj):
        patient_ids = self.patient_ids_of(obj)
        super().delete_model(request, obj)
        refresh_triage_state(patient_ids)

    def delete_queryset(self, request, queryset):
        patient_ids = {pk for obj in queryset for pk in self.patient_ids_of(obj)}
        super().delete_queryset(request, queryset)
        refresh_triage_state(patient_ids)
