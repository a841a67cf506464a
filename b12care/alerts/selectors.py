"""Reads of the alerts app. Callers pass a patient already fetched through access helpers."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from b12care.accounts.models import PatientProfile, User

from .models import ACTIVE_STATUSES, Alert, InAppMessage, Severity

GUIDANCE_WINDOW = dt.timedelta(hours=1)


def active_alerts(patient: PatientProfile) -> QuerySet[Alert]:
    """Open and acknowledged alerts, urgent first, newest first."""
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(When(severity=Severity.URGENT, then=Value(0)),
                When(severity=Severity.REVIEW, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    return (Alert.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
            .select_related("rule", "acknowledged_by").annotate(rank=rank)
            .order_by("rank", "-last_seen_at", "-pk"))


def recent_resolved(patient: PatientProfile, *, limit: int = 5) -> list[Alert]:
    return list(Alert.objects.filter(patient=patient, status="resolved")
                .select_related("rule", "resolved_by").order_by("-resolved_at")[:limit])


def guidance_alerts(patient: PatientProfile, *, now: dt.datetime) -> list[Alert]:
    """The patient's active urgent alerts seen in the last hour (what to do now)."""
    return list(Alert.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, severity=Severity.URGENT,
        last_seen_at__gte=now - GUIDANCE_WINDOW, last_seen_at__lte=now + dt.timedelta(minutes=5),
    ).select_related("rule").order_by("-last_seen_at"))


def patient_visible_alerts(patient: PatientProfile) -> list[Alert]:
    """Active alerts that have something to tell the patient."""
    return [a for a in active_alerts(patient) if a.patient_message]


def unread_count(user: User) -> int:
    return InAppMessage.objects.filter(user=user, read_at__isnull=True).count()


def inbox(user: User) -> QuerySet[InAppMessage]:
    return (InAppMessage.objects.filter(user=user)
            .select_related("notification__reminder", "notification__alert")
            .order_by("-created_at", "-pk"))
