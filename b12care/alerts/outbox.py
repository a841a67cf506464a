"""The notification outbox: who is told about an alert or a reminder, on which channels, and
the ``Notification`` rows that say so, written in the transaction of their cause.

Message bodies never carry clinical detail: details are behind login (docs/alerts.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.urls import reverse

from b12care.accounts.models import CareTeamMembership, PatientProfile, User

from .models import Alert, Channel, EventKind, Notification
from .rules import CARE_TEAM, PATIENT

# Subject and first line say how urgent, never what or who (docs/alerts.md).
ALERT_SUBJECTS_CLINICIAN = {
    "emergency": "Emergency: a patient needs you now",
    "urgent": "Urgent: a patient needs you today",
    "review": "Review: a patient's alert needs review",
    "info": "Information: a new alert in B12 Care",
}
ALERT_BODY_CLINICIAN = "A patient on your list has a new alert. Sign in to B12 Care to see it."
ESCALATION_SUFFIX = " (not acknowledged yet)"
ESCALATION_BODY = ("An alert about a patient on your list has not been acknowledged yet. "
                   "Sign in to B12 Care to see it.")
MESSAGE_SUBJECT_PATIENT = "You have a new message in B12 Care"
MESSAGE_BODY_PATIENT = "You have a new message in B12 Care. Sign in to read it."
DOSE_SUBJECT = "A dose is due"
DOSE_BODY = "A dose is due. Sign in to B12 Care for details."
LAB_SUBJECT = "A blood test is due"
LAB_BODY = "A blood test is due. Sign in to B12 Care for details."

CLINICIAN_CHANNELS = (Channel.EMAIL, Channel.IN_APP)


# --- Recipients and channels ----------------------------------------------------------------
def channels_for(*, in_app: bool, by_email: bool, email: str, by_sms: bool,
                 phone: str) -> list[str]:
    """The channels a patient chose and can be reached on (pure; one place for the rule)."""
    channels = []
    if in_app:
        channels.append(Channel.IN_APP)
    if by_email and email:
        channels.append(Channel.EMAIL)
    if by_sms and phone:
        channels.append(Channel.SMS)
    return channels


def patient_channels(patient: PatientProfile) -> list[str]:
    return channels_for(in_app=patient.remind_in_app, by_email=patient.remind_by_email,
                        email=patient.user.email, by_sms=patient.remind_by_sms,
                        phone=patient.phone)


def care_team(patient: PatientProfile) -> list[User]:
    """The patient's active clinicians."""
    return [
        m.clinician
        for m in CareTeamMembership.objects.filter(patient=patient, clinician__is_active=True)
        .select_related("clinician").order_by("pk")
    ]


# --- Alert notifications --------------------------------------------------------------------
def alert_notifications_create(*, alert: Alert, audience: Iterable[str],
                               now: dt.datetime) -> list[Notification]:
    """The outbox rows of one alert round: the patient on their chosen channels and the care
    team by email and in-app, as the rule's audience says. Safe to repeat (the unique
    (alert, round, channel, recipient) constraint)."""
    common = {"kind": EventKind.ALERT, "alert": alert, "alert_round": alert.round,
              "created_at": now, "next_attempt_at": now}
    rows = []
    patient = alert.patient
    if PATIENT in audience and patient.user.is_active:
        rows += [Notification(recipient=patient.user, channel=channel,
                              subject=MESSAGE_SUBJECT_PATIENT, body=MESSAGE_BODY_PATIENT,
                              link=reverse("alerts:inbox"), **common)
                 for channel in patient_channels(patient)]
    if CARE_TEAM in audience:
        subject, body = clinician_alert_text(alert.severity)
        rows += [Notification(recipient=clinician, channel=channel, subject=subject, body=body,
                              link=alert_link(alert), **common)
                 for clinician in care_team(patient) for channel in CLINICIAN_CHANNELS]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def clinician_alert_text(tier: str, *, escalation: bool = False) -> tuple[str, str]:
    """(subject, body) of a clinician's alert message: the tier first, no clinical detail or
    name (email and SMS leave our control)."""
    subject = ALERT_SUBJECTS_CLINICIAN.get(tier, ALERT_SUBJECTS_CLINICIAN["info"])
    if escalation:
        return subject + ESCALATION_SUFFIX, f"{subject}.\n{ESCALATION_BODY}"
    return subject, f"{subject}.\n{ALERT_BODY_CLINICIAN}"


def alert_link(alert: Alert) -> str:
    """The alert itself on the patient's alerts page (behind login and the access helper)."""
    return reverse("alerts:patient_alerts", args=[alert.patient_id]) + f"#alert-{alert.pk}"


def escalation_notifications_create(*, alert: Alert, step: int, recipients: Iterable[User],
                                    now: dt.datetime) -> list[Notification]:
    """The outbox rows of one escalation rung: each recipient by email and in-app. Safe to
    repeat (unique per alert, round, step, channel and recipient)."""
    subject, body = clinician_alert_text(alert.severity, escalation=True)
    rows = [Notification(kind=EventKind.ALERT, alert=alert, alert_round=alert.round,
                         escalation_step=step, recipient=person, channel=channel,
                         subject=subject, body=body, link=alert_link(alert), created_at=now,
                         next_attempt_at=now)
            for person in recipients for channel in CLINICIAN_CHANNELS]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


# --- Reminder notifications -----------------------------------------------------------------
@dataclass(frozen=True)
class ReminderMessage:
    subject: str
    body: str
    link: str


def reminder_messages() -> dict[bool, ReminderMessage]:
    """What a reminder says, keyed by "is it about a lab"."""
    return {True: ReminderMessage(LAB_SUBJECT, LAB_BODY, reverse("alerts:inbox")),
            False: ReminderMessage(DOSE_SUBJECT, DOSE_BODY, reverse("injections:overview"))}


@dataclass(frozen=True)
class ReminderRows:
    """The outbox rows to write, column by column (one entry per step and channel)."""

    reminder_ids: list[int]
    recipients: list[int]
    channels: list[str]
    is_lab: list[bool]


def _reminder_rows(steps: Iterable) -> ReminderRows:
    rows = ReminderRows([], [], [], [])
    for step in steps:
        for channel in step.channels:
            rows.reminder_ids.append(step.pk)
            rows.recipients.append(step.user_id)
            rows.channels.append(channel)
            rows.is_lab.append(step.subject == "lab")
    return rows


def reminder_notifications_create(*, steps: Sequence, now: dt.datetime,
                                  enqueued: bool = False) -> list[int]:
    """Write the outbox rows of many reminder steps at once and return their ids: one row per
    channel in ``step.channels`` (steps carry pk, subject, user_id, channels). ``enqueued``
    stamps ``enqueued_at`` for a caller that hands the ids to workers itself after commit
    (if that never happens the reconciler re-enqueues them)."""
    rows = _reminder_rows(steps)
    if not rows.reminder_ids:
        return []
    stamp = now if enqueued else None
    if connection.vendor == "postgresql":
        return _insert_reminder_rows_pg(rows, now=now, stamp=stamp)
    return _insert_reminder_rows_orm(rows, now=now, stamp=stamp)


def _insert_reminder_rows_orm(rows: ReminderRows, *, now: dt.datetime,
                              stamp: dt.datetime | None) -> list[int]:
    messages = reminder_messages()
    created = Notification.objects.bulk_create([
        Notification(kind=EventKind.REMINDER, reminder_id=r, recipient_id=u, channel=c,
                     subject=messages[lab].subject, body=messages[lab].body,
                     link=messages[lab].link, created_at=now, next_attempt_at=now,
                     enqueued_at=stamp)
        for r, u, c, lab in zip(rows.reminder_ids, rows.recipients, rows.channels,
                                rows.is_lab, strict=True)
    ], batch_size=500)
    if all(n.pk is not None for n in created):
        return [n.pk for n in created]
    return list(Notification.objects.filter(reminder_id__in=set(rows.reminder_ids))
                .values_list("pk", flat=True))


# Every NOT NULL column without a database default must be here: Django's defaults live in
# Python, so this statement has to give each its value (escalation_step: 0, not a ladder step).
_NOTIFICATION_COLUMNS = ("kind", "reminder_id", "alert_round", "escalation_step", "recipient_id",
                         "channel", "subject", "body", "link", "created_at", "next_attempt_at",
                         "enqueued_at", "attempts", "last_error")


def _insert_reminder_rows_pg(rows: ReminderRows, *, now: dt.datetime,
                             stamp: dt.datetime | None) -> list[int]:
    """One ``INSERT ... SELECT FROM unnest(arrays) RETURNING id``: bulk_create spends about a
    second per 10,000 rows building model instances (docs/alerts.md)."""
    sql = f"""
        INSERT INTO {Notification._meta.db_table} ({', '.join(_NOTIFICATION_COLUMNS)})
        SELECT 'reminder', t.reminder_id, 1, 0, t.recipient_id, t.channel,
               CASE WHEN t.is_lab THEN %(lab_subject)s ELSE %(dose_subject)s END,
               CASE WHEN t.is_lab THEN %(lab_body)s ELSE %(dose_body)s END,
               CASE WHEN t.is_lab THEN %(lab_link)s ELSE %(dose_link)s END,
               %(now)s, %(now)s, %(stamp)s, 0, ''
        FROM unnest(%(reminder_ids)s::bigint[], %(recipients)s::bigint[],
                    %(channels)s::varchar[], %(is_lab)s::boolean[])
             AS t(reminder_id, recipient_id, channel, is_lab)
        RETURNING id
    """
    messages = reminder_messages()
    params = {"lab_subject": messages[True].subject, "lab_body": messages[True].body,
              "lab_link": messages[True].link, "dose_subject": messages[False].subject,
              "dose_body": messages[False].body, "dose_link": messages[False].link,
              "now": now, "stamp": stamp, "reminder_ids": rows.reminder_ids,
              "recipients": rows.recipients, "channels": rows.channels, "is_lab": rows.is_lab}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]
