"""The triage read model (``TriageState``): kept current by every write that changes a ranking fact.

Each service that changes a patient's open alerts, planned doses or planned labs calls
``refresh_triage_state([patient.pk])`` at its end, inside its own transaction, so the dashboard
never shows a state older than the data it was computed from. ``refresh_all`` (the periodic
reconcile, ``manage.py refresh_triage_state``) is the safety net for writes that bypass the
services (bulk loads, raw SQL); the admin's edits refresh through ``RefreshTriageStateAdminMixin``.

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

from django.db import transaction
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
        TriageState(
            patient_id=pk, urgent_open=urgent, review_open=review,
            next_dose_deadline=deadline, last_missed_at=missed,
            lab_overdue_from=None if lab_end is None else lab_end + dt.timedelta(days=1),
            updated_at=now,
        )
        for pk, urgent, review, deadline, missed, lab_end in _facts(ids)
    ]
    TriageState.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["patient"],
        update_fields=[*FACT_FIELDS, "updated_at"],
    )
    return len(rows)


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
    """For ModelAdmins of rows that feed the triage state (doses, injections, regimens, lab
    results, planned labs; alerts are read-only in the admin): an admin's edit or delete
    refreshes that patient's row in the same transaction, not at the next reconcile."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_triage_state([obj.patient_id])

    def delete_model(self, request, obj):
        patient_id = obj.patient_id
        super().delete_model(request, obj)
        refresh_triage_state([patient_id])

    def delete_queryset(self, request, queryset):
        patient_ids = set(queryset.values_list("patient_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_triage_state(patient_ids)
