"""Reads of the alerts app. Callers pass a patient already fetched through access helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from b12care.accounts.access import visible_patients
from b12care.accounts.models import PatientProfile, User

from .models import (
    ACTIVE_STATUSES,
    Alert,
    AlertStatus,
    AlertSummary,
    InAppMessage,
    Message,
    MessageThread,
    Severity,
)

GUIDANCE_WINDOW = dt.timedelta(hours=1)


def active_alerts(patient: PatientProfile) -> QuerySet[Alert]:
    """Open and acknowledged alerts, urgent first, newest first."""
    return _ranked(Alert.objects.filter(patient=patient, status__in=ACTIVE_STATUSES))


def _ranked(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    rank = Case(When(severity=Severity.URGENT, then=Value(0)),
                When(severity=Severity.REVIEW, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    return (alerts.select_related("rule", "acknowledged_by").annotate(rank=rank)
            .order_by("rank", "-last_seen_at", "-pk"))


def open_alert_counts(patient_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """Patient id -> open (urgent, review, info) alert counts, for patients with any."""
    return {pk: (urgent, review, info) for pk, urgent, review, info in
            AlertSummary.objects.filter(patient_id__in=list(patient_ids))
            .values_list("patient_id", "urgent_open", "review_open", "info_open")}


def active_and_recent_resolved(patient: PatientProfile, *, limit: int = 5
                               ) -> tuple[list[Alert], list[Alert]]:
    """``active_alerts`` and ``recent_resolved`` in one query."""
    resolved = (Alert.objects.filter(patient=patient, status="resolved")
                .order_by("-resolved_at").values("pk")[:limit])
    rows = list(active_alerts(patient).filter(Q(status__in=ACTIVE_STATUSES)
                                              | Q(pk__in=resolved))
                .select_related("resolved_by"))
    active = [a for a in rows if a.status in ACTIVE_STATUSES]
    done = sorted((a for a in rows if a.status == "resolved"), key=lambda a: a.resolved_at,
                  reverse=True)
    return active, done


def recent_resolved(patient: PatientProfile, *, limit: int = 5) -> list[Alert]:
    return list(Alert.objects.filter(patient=patient, status="resolved")
                .select_related("rule", "resolved_by").order_by("-resolved_at")[:limit])


def guidance_alerts(patient: PatientProfile, *, now: dt.datetime) -> list[Alert]:
    """The patient's active urgent alerts seen in the last hour (what to do now)."""
    return list(Alert.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, severity=Severity.URGENT,
        last_seen_at__gte=now - GUIDANCE_WINDOW, last_seen_at__lte=now + dt.timedelta(minutes=5),
    ).select_related("rule", "acknowledged_by").order_by("-last_seen_at"))


def patient_visible_alerts(patient: PatientProfile) -> list[Alert]:
    """Active alerts that have something to tell the patient."""
    return [a for a in active_alerts(patient) if a.patient_message]


def is_guidance(alert: Alert, *, now: dt.datetime) -> bool:
    """``guidance_alerts``' test for one active alert already read."""
    return (alert.status in ACTIVE_STATUSES and alert.severity == Severity.URGENT
            and now - GUIDANCE_WINDOW <= alert.last_seen_at <= now + dt.timedelta(minutes=5))


def unread_count(user: User) -> int:
    return InAppMessage.objects.filter(user=user, read_at__isnull=True).count()


def unread_count_once(user: User) -> int:
    """``unread_count`` read once per user object: the nav badge and the home card of one
    request share it (request.user lives for one request)."""
    count = getattr(user, "_unread_count", None)
    if count is None:
        count = unread_count(user)
        user._unread_count = count
    return count


def inbox(user: User) -> QuerySet[InAppMessage]:
    return (InAppMessage.objects.filter(user=user)
            .select_related("notification__reminder", "notification__alert")
            .order_by("-created_at", "-pk"))


# --- The care loop: what the patient sees of the team's response ---------------------------------
SHARED_NOTE_DAYS = 14


def patient_home_alerts(patient: PatientProfile, *, now: dt.datetime
                        ) -> tuple[list[Alert], list[Alert]]:
    """One query: the active alerts (as ``active_alerts``) and the alerts resolved in the last
    ``SHARED_NOTE_DAYS`` days whose note the clinician shared with the patient."""
    rows = list(_ranked(Alert.objects.filter(patient=patient).filter(
        Q(status__in=ACTIVE_STATUSES)
        | (Q(status=AlertStatus.RESOLVED,
             resolved_at__gte=now - dt.timedelta(days=SHARED_NOTE_DAYS))
           & (Q(resolve_note_shared=True) | Q(note_shared=True))))))
    active = [a for a in rows if a.status in ACTIVE_STATUSES]
    shared = sorted((a for a in rows if a.status == AlertStatus.RESOLVED),
                    key=lambda a: a.resolved_at, reverse=True)
    return active, shared


# --- Secure messages ---------------------------------------------------------------------------
def threads(patient: PatientProfile, *, for_patient: bool) -> QuerySet[MessageThread]:
    """The patient's conversations, newest first, each with ``unread``: messages from the
    other side that nobody on the reader's side has opened yet."""
    unread = Count("messages", filter=Q(messages__read_at__isnull=True,
                                        messages__from_patient=not for_patient))
    return (MessageThread.objects.filter(patient=patient).annotate(unread=unread)
            .order_by("-last_message_at", "-pk"))


def thread_of(patient: PatientProfile, thread_id: int) -> MessageThread:
    """One of this patient's conversations, or 404 (the caller fetched the patient through
    the access helper)."""
    return get_object_or_404(MessageThread.objects.select_related("patient__user", "alert"),
                             pk=thread_id, patient=patient)


def thread_messages(thread: MessageThread) -> QuerySet[Message]:
    return thread.messages.select_related("author").order_by("created_at", "pk")


def team_unread_messages(user: User) -> int:
    """Unread messages from the patients ``user`` may see (the clinician's count)."""
    return Message.objects.filter(
        from_patient=True, read_at__isnull=True,
        thread__patient__in=visible_patients(user).values("pk")).count()


def patients_with_unread_messages(user: User, *, limit: int = 50) -> list[MessageThread]:
    """The conversations with unread patient messages among the patients ``user`` may see,
    newest first (the clinician's messages list)."""
    unread = Count("messages", filter=Q(messages__read_at__isnull=True,
                                        messages__from_patient=True))
    waiting = Message.objects.filter(from_patient=True, read_at__isnull=True)
    return list(MessageThread.objects.filter(
        patient__in=visible_patients(user).values("pk"), pk__in=waiting.values("thread_id"),
    ).annotate(unread=unread).select_related("patient__user")
        .order_by("-last_message_at", "-pk")[:limit])
