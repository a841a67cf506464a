"""Reads of the alerts app. Callers pass a patient already fetched through access helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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
)
from .rules import REGISTRY
from .tiers import GUIDANCE_TIERS, tier_rank_sql

GUIDANCE_WINDOW = dt.timedelta(hours=1)


def by_tier(qs: QuerySet[Alert]) -> QuerySet[Alert]:
    """The one order of every alert list: emergency, urgent, review, info; newest first."""
    return qs.annotate(tier=tier_rank_sql()).order_by("-tier", "-last_seen_at", "-pk")


def active_alerts(patient: PatientProfile) -> QuerySet[Alert]:
    """Open and acknowledged alerts, highest tier first, newest first."""
    return by_tier(Alert.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
                   .select_related("rule", "acknowledged_by"))


@dataclass(frozen=True)
class OpenAlertFacts:
    """A patient's open alerts in brief, for a dashboard row."""

    emergency: int
    urgent: int
    review: int
    info: int
    reason: str  # the top open alert's rule in a few words ("" when none is open)
    reason_at: dt.datetime | None  # its newest finding


def rule_short_name(code: str) -> str:
    spec = REGISTRY.get(code)
    return (spec.short or spec.name) if spec else code.replace("_", " ").capitalize()


def open_alert_facts(patient_ids: Iterable[int]) -> dict[int, OpenAlertFacts]:
    """Patient id -> open alert counts per tier and the top alert's reason, for patients with
    any alert (one query on the summary read model)."""
    rows = (AlertSummary.objects.filter(patient_id__in=list(patient_ids))
            .values_list("patient_id", "emergency_open", "urgent_open", "review_open",
                         "info_open", "top_alert__rule__code", "top_alert__last_seen_at"))
    return {pk: OpenAlertFacts(e, u, r, i, rule_short_name(code) if code else "", seen)
            for pk, e, u, r, i, code, seen in rows}


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
    """The patient's active emergency and urgent alerts seen in the last hour (what to do
    now), emergency first, then newest first."""
    return list(by_tier(Alert.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, severity__in=GUIDANCE_TIERS,
        last_seen_at__gte=now - GUIDANCE_WINDOW, last_seen_at__lte=now + dt.timedelta(minutes=5),
    ).select_related("rule", "acknowledged_by")))


def patient_visible_alerts(patient: PatientProfile) -> list[Alert]:
    """Active alerts that have something to tell the patient."""
    return [a for a in active_alerts(patient) if a.patient_message]


def is_guidance(alert: Alert, *, now: dt.datetime) -> bool:
    """``guidance_alerts``' test for one active alert already read."""
    return (alert.status in ACTIVE_STATUSES and alert.severity in GUIDANCE_TIERS
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
    """The user's notification centre: unread alert messages by tier (emergency first), then
    everything else newest first."""
    unread_tier = Case(When(read_at__isnull=True,
                            then=tier_rank_sql("notification__alert__severity")),
                       default=Value(0), output_field=IntegerField())
    return (InAppMessage.objects.filter(user=user)
            .select_related("notification__reminder__patient", "notification__alert__patient",
                            "notification__message__thread__patient")
            .annotate(unread_tier=unread_tier)
            .order_by("-unread_tier", "-created_at", "-pk"))



# --- The care loop: what the patient sees of the team's response ---------------------------------
SHARED_NOTE_DAYS = 14


def patient_home_alerts(patient: PatientProfile, *, now: dt.datetime
                        ) -> tuple[list[Alert], list[Alert]]:
    """One query: the active alerts (as ``active_alerts``) and the alerts resolved in the last
    ``SHARED_NOTE_DAYS`` days whose note the clinician shared with the patient."""
    rows = list(by_tier(Alert.objects.filter(patient=patient).filter(
        Q(status__in=ACTIVE_STATUSES)
        | (Q(status=AlertStatus.RESOLVED,
             resolved_at__gte=now - dt.timedelta(days=SHARED_NOTE_DAYS))
           & (Q(resolve_note_shared=True) | Q(note_shared=True)))
    ).select_related("rule", "acknowledged_by")))
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
