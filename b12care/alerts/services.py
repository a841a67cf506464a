"""Writes of the alerts app: recording findings as alerts plus their outbox rows (one
transaction), the alert lifecycle, and the notification centre.

Nothing here talks to Redis inside a transaction: the outbox rows are the durable record and
``kick_relay`` only asks a worker, after commit, to deliver them sooner (docs/alerts.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse

from b12care.accounts.models import CareTeamMembership, PatientProfile, User
from b12care.core import events

from . import rules as rules_module
from .data import load_patient_data
from .models import (
    ACTIVE_STATUSES,
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    EventKind,
    InAppMessage,
    Notification,
)
from .rules import CARE_TEAM, PATIENT, REGISTRY, Finding

log = logging.getLogger(__name__)

SEVERITY_ORDER = {"info": 0, "review": 1, "urgent": 2}

# Message bodies never carry clinical detail: details are behind login (docs/alerts.md).
ALERT_SUBJECT_CLINICIAN = "New alert in B12 Care"
ALERT_BODY_CLINICIAN = "A patient on your list has a new alert. Sign in to B12 Care to see it."
MESSAGE_SUBJECT_PATIENT = "You have a new message in B12 Care"
MESSAGE_BODY_PATIENT = "You have a new message in B12 Care. Sign in to read it."
DOSE_SUBJECT = "A dose is due"
DOSE_BODY = "A dose is due. Sign in to B12 Care for details."
LAB_SUBJECT = "A blood test is due"
LAB_BODY = "A blood test is due. Sign in to B12 Care for details."


# --- Configuration ------------------------------------------------------------------------------
def rule_config(stored: dict[str, AlertRule] | None = None) -> dict[str, dict | None]:
    """Rule code -> thresholds (defaults merged with the admin's values), None if disabled.
    ``stored``: the AlertRule rows by code, if the caller has them already."""
    if stored is None:
        stored = {r.code: r for r in AlertRule.objects.all()}
    config: dict[str, dict | None] = {}
    for code, spec in REGISTRY.items():
        row = stored.get(code)
        if row is not None and not row.enabled:
            config[code] = None
        else:
            config[code] = {**spec.defaults, **(row.thresholds if row else {})}
    return config


def thresholds_for(code: str) -> dict:
    return rule_config().get(code) or dict(REGISTRY[code].defaults)


def _rule_row(code: str) -> AlertRule:
    spec = REGISTRY[code]
    row, _ = AlertRule.objects.get_or_create(code=code, defaults={"name": spec.name})
    return row


# --- Recipients and channels ----------------------------------------------------------------------
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


CLINICIAN_CHANNELS = (Channel.EMAIL, Channel.IN_APP)


def care_team(patient: PatientProfile) -> list[User]:
    return [
        m.clinician
        for m in CareTeamMembership.objects.filter(patient=patient, clinician__is_active=True)
        .select_related("clinician").order_by("pk")
    ]


def _outbox_rows(**common) -> Notification:
    return Notification(next_attempt_at=common["created_at"], **common)


def _alert_notifications(alert: Alert, audience: Iterable[str], *, now: dt.datetime) -> list:
    common = {"kind": EventKind.ALERT, "alert": alert, "alert_round": alert.round,
              "created_at": now}
    rows = []
    patient = alert.patient
    if PATIENT in audience and patient.user.is_active:
        for channel in patient_channels(patient):
            rows.append(_outbox_rows(
                recipient=patient.user, channel=channel, subject=MESSAGE_SUBJECT_PATIENT,
                body=MESSAGE_BODY_PATIENT, link=reverse("alerts:inbox"), **common,
            ))
    if CARE_TEAM in audience:
        link = reverse("alerts:patient_alerts", args=[patient.pk])
        for clinician in care_team(patient):
            for channel in CLINICIAN_CHANNELS:
                rows.append(_outbox_rows(
                    recipient=clinician, channel=channel, subject=ALERT_SUBJECT_CLINICIAN,
                    body=ALERT_BODY_CLINICIAN, link=link, **common,
                ))
    # The unique (alert, round, channel, recipient) constraint makes this safe to repeat.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


_NOTIFICATION_COLUMNS = ("kind", "reminder_id", "alert_round", "recipient_id", "channel",
                         "subject", "body", "link", "created_at", "next_attempt_at",
                         "enqueued_at", "attempts", "last_error")


def create_reminder_notifications(steps, *, now: dt.datetime,
                                  enqueued: bool = False) -> list[int]:
    """Write the outbox rows of many reminder steps at once and return their ids: one row per
    channel in ``step.channels`` (steps are ``reminders.Claimed``: pk, subject, user_id,
    channels). ``enqueued`` stamps ``enqueued_at`` for a caller that hands the ids to workers
    itself after commit (if that never happens the reconciler re-enqueues them).

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(arrays) RETURNING id`` (Django's
    bulk_create spends ~1 s per 10,000 rows building and preparing model instances,
    measured); elsewhere bulk_create."""
    from django.db import connection

    links = {"lab": (LAB_SUBJECT, LAB_BODY, reverse("alerts:inbox")),
             "dose": (DOSE_SUBJECT, DOSE_BODY, reverse("injections:overview"))}
    reminder_ids, recipients, channels, is_lab = [], [], [], []
    for step in steps:
        for channel in step.channels:
            reminder_ids.append(step.pk)
            recipients.append(step.user_id)
            channels.append(channel)
            is_lab.append(step.subject == "lab")
    if not reminder_ids:
        return []
    stamp = now if enqueued else None
    if connection.vendor != "postgresql":
        rows = [Notification(kind=EventKind.REMINDER, reminder_id=r, recipient_id=u, channel=c,
                             subject=links["lab" if lab else "dose"][0],
                             body=links["lab" if lab else "dose"][1],
                             link=links["lab" if lab else "dose"][2], created_at=now,
                             next_attempt_at=now, enqueued_at=stamp)
                for r, u, c, lab in zip(reminder_ids, recipients, channels, is_lab, strict=True)]
        created = Notification.objects.bulk_create(rows, batch_size=500)
        if all(n.pk is not None for n in created):
            return [n.pk for n in created]
        return list(Notification.objects.filter(reminder_id__in=set(reminder_ids))
                    .values_list("pk", flat=True))
    sql = f"""
        INSERT INTO {Notification._meta.db_table} ({', '.join(_NOTIFICATION_COLUMNS)})
        SELECT 'reminder', t.reminder_id, 1, t.recipient_id, t.channel,
               CASE WHEN t.is_lab THEN %(lab_subject)s ELSE %(dose_subject)s END,
               CASE WHEN t.is_lab THEN %(lab_body)s ELSE %(dose_body)s END,
               CASE WHEN t.is_lab THEN %(lab_link)s ELSE %(dose_link)s END,
               %(now)s, %(now)s, %(stamp)s, 0, ''
        FROM unnest(%(reminder_ids)s::bigint[], %(recipients)s::bigint[],
                    %(channels)s::varchar[], %(is_lab)s::boolean[])
             AS t(reminder_id, recipient_id, channel, is_lab)
        RETURNING id
    """
    params = {"lab_subject": links["lab"][0], "lab_body": links["lab"][1],
              "lab_link": links["lab"][2], "dose_subject": links["dose"][0],
              "dose_body": links["dose"][1], "dose_link": links["dose"][2], "now": now,
              "stamp": stamp, "reminder_ids": reminder_ids, "recipients": recipients,
              "channels": channels, "is_lab": is_lab}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]


def kick_relay() -> None:
    """Ask a worker to deliver now. Best effort: if the broker is down, the periodic relay
    delivers the rows later (they are already committed)."""
    from .tasks import relay

    try:
        relay.apply_async(retry=False)
    except Exception as exc:  # broker down: the row is safe in the database
        log.warning("Could not reach the broker to relay notifications now (%s); "
                    "the periodic relay will deliver them.", type(exc).__name__)


def kick_relay_on_commit() -> None:
    transaction.on_commit(kick_relay)


# --- Findings -> alerts ---------------------------------------------------------------------------
@transaction.atomic(savepoint=False)  # inside a data write: no savepoint round trips
def record_findings(
    patient: PatientProfile, findings: Iterable[Finding], *, now: dt.datetime,
    rules: dict[str, AlertRule] | None = None,
) -> list[Alert]:
    """Upsert one active alert per (patient, dedup_key) and, for each new alert, its outbox
    rows, in the caller's transaction.

    A repeated finding updates the active alert and sends nothing new. New evidence (a
    symptom, lab or dose not on the alert yet) on an *acknowledged* alert re-opens it as a new
    round and notifies again: an acknowledgement never silences news. A resolved alert never
    absorbs a new finding (a new alert opens)."""
    alerts = []
    created_any = False
    for finding in findings:
        spec = REGISTRY[finding.rule]
        rule = (rules or {}).get(finding.rule) or _rule_row(finding.rule)
        active = Alert.objects.select_for_update().filter(
            patient=patient, dedup_key=finding.dedup_key, status__in=ACTIVE_STATUSES
        ).first()
        if active is None:
            try:
                with transaction.atomic():  # savepoint: a concurrent insert loses cleanly
                    alert = Alert(
                        patient=patient, rule=rule, severity=finding.severity,
                        dedup_key=finding.dedup_key, patient_message=finding.patient_message,
                        clinician_message=finding.clinician_message,
                        first_seen_at=now, last_seen_at=now, evidence=sorted(finding.evidence),
                    )
                    alert.full_clean()
                    alert.save()
            except IntegrityError:
                active = Alert.objects.select_for_update().get(
                    patient=patient, dedup_key=finding.dedup_key, status__in=ACTIVE_STATUSES
                )
            else:
                _alert_notifications(alert, spec.audience, now=now)
                alerts.append(alert)
                created_any = True
                continue
        changed = active.clinician_message != finding.clinician_message
        news = set(finding.evidence) - set(active.evidence)
        values = {
            "last_seen_at": max(now, active.last_seen_at),
            "occurrences": F("occurrences") + (1 if changed or news else 0),
            "patient_message": finding.patient_message,
            "clinician_message": finding.clinician_message,
            "severity": max(active.severity, finding.severity, key=SEVERITY_ORDER.__getitem__),
            "evidence": sorted(set(active.evidence) | news),
        }
        reopen = bool(news) and active.status == AlertStatus.ACKNOWLEDGED
        if reopen:
            values.update(status=AlertStatus.OPEN, round=active.round + 1,
                          acknowledged_at=None, acknowledged_by=None)
        Alert.objects.filter(pk=active.pk).update(**values)
        active.refresh_from_db()
        if reopen:
            _alert_notifications(active, spec.audience, now=now)
            created_any = True
        alerts.append(active)
    if created_any:
        kick_relay_on_commit()
    if alerts:
        events.patient_data_changed([patient.pk], {events.ALERTS}, now=now)
    return alerts


def evaluate_patient(patient: PatientProfile, *, now: dt.datetime) -> list[Finding]:
    """Load the patient's recent data, run every enabled rule, record what they find."""
    data = load_patient_data(patient, now=now)
    stored = {r.code: r for r in AlertRule.objects.all()}
    findings = rules_module.run_rules(data, now=now, config=rule_config(stored))
    record_findings(patient, findings, now=now, rules=stored)
    return findings


# --- Alert lifecycle ------------------------------------------------------------------------------
def _require_staff(user: User) -> None:
    if user.role not in ("clinician", "admin"):
        raise ValidationError("Only clinicians can acknowledge or resolve alerts.")


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, now: dt.datetime, note: str = "") -> Alert:
    """open -> acknowledged. Touches this alert only: other alerts stay open."""
    _require_staff(by)
    values = {"status": AlertStatus.ACKNOWLEDGED, "acknowledged_at": now, "acknowledged_by": by}
    if note.strip():
        values["note"] = note.strip()
    updated = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(**values)
    if updated != 1:
        raise ValidationError("This alert was already acknowledged or resolved.")
    alert.refresh_from_db()
    events.patient_data_changed([alert.patient_id], {events.ALERTS}, now=now, by=by)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, now: dt.datetime, note: str) -> Alert:
    """open/acknowledged -> resolved, with the clinician's note (required)."""
    _require_staff(by)
    if not note.strip():
        raise ValidationError({"note": "Write what was done, e.g. 'Phoned patient, seen today'."})
    values = {"status": AlertStatus.RESOLVED, "resolved_at": now, "resolved_by": by,
              "note": note.strip()}
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if current.status == AlertStatus.RESOLVED:
        raise ValidationError("This alert was already resolved.")
    if current.acknowledged_at is None:
        values.update(acknowledged_at=now, acknowledged_by=by)
    Alert.objects.filter(pk=alert.pk).update(**values)
    alert.refresh_from_db()
    events.patient_data_changed([alert.patient_id], {events.ALERTS}, now=now, by=by)
    return alert


# --- Notification centre --------------------------------------------------------------------------
def inbox_mark_read(*, user: User, message_ids: Iterable[int] | None, now: dt.datetime) -> int:
    """Mark the user's own messages read (all unread when ``message_ids`` is None)."""
    qs = InAppMessage.objects.filter(user=user, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=list(message_ids))
    return qs.update(read_at=now)
