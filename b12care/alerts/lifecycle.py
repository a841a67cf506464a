"""The alert lifecycle: findings become alerts (with their outbox rows, in the caller's
transaction), clinicians acknowledge and resolve them. Every write here also keeps the
patient's ``AlertSummary`` current (``summary.py``) and announces the change on the seam.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from b12care.accounts.models import PatientProfile, User
from b12care.core import events

from . import escalation, summary
from .config import alert_rule_ensure, findings_tiered, rule_config, stored_rules
from .data import load_patient_data
from .models import ACTIVE_STATUSES, Alert, AlertRule, AlertStatus
from .outbox import alert_notifications_create
from .relay import relay_kick_on_commit
from .rules import REGISTRY, Finding, run_rules
from .tiers import higher_tier

STAFF_ROLES = ("clinician", "admin")


# --- Findings -> alerts -------------------------------------------------------------------------
@transaction.atomic(savepoint=False)  # inside a data write: no savepoint round trips
def findings_record(*, patient: PatientProfile, findings: Iterable[Finding], now: dt.datetime,
                    rules: dict[str, AlertRule] | None = None) -> list[Alert]:
    """Upsert one active alert per (patient, dedup_key) and, for each new alert or new round,
    its outbox rows, in the caller's transaction.

    A repeated finding updates the active alert and sends nothing new. New evidence on an
    *acknowledged* alert re-opens it as a new round and notifies again. A resolved alert
    never absorbs a new finding (a new alert opens)."""
    findings = list(findings)
    if not findings:
        return []
    stored = summary.alert_summary_lock(patient_id=patient.pk)
    alerts, notified = [], False
    for finding in findings:
        rule = (rules or {}).get(finding.rule) or alert_rule_ensure(code=finding.rule)
        alert, news = _alert_upsert(patient=patient, finding=finding, rule=rule, now=now)
        if news:
            alert_notifications_create(alert=alert, audience=REGISTRY[finding.rule].audience,
                                       now=now)
            escalation.ladder_start(alert=alert, now=now)
            notified = True
        alerts.append(alert)
    if notified:
        relay_kick_on_commit()
    summary.alert_summary_refresh(patient_id=patient.pk, stored=stored)
    events.patient_data_changed([patient.pk], {events.ALERTS}, now=now)
    return alerts


def _alert_upsert(*, patient: PatientProfile, finding: Finding, rule: AlertRule,
                  now: dt.datetime) -> tuple[Alert, bool]:
    """The active alert of this finding, opened or updated; True if it is news to send."""
    active = _active_alert(patient, finding.dedup_key)
    if active is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent insert loses cleanly
                return _alert_open(patient=patient, finding=finding, rule=rule, now=now), True
        except IntegrityError:
            active = _active_alert(patient, finding.dedup_key)
            if active is None:
                raise
    return _alert_update(active, finding=finding, now=now)


def _active_alert(patient: PatientProfile, dedup_key: str) -> Alert | None:
    return Alert.objects.select_for_update().filter(
        patient=patient, dedup_key=dedup_key, status__in=ACTIVE_STATUSES).first()


def _alert_open(*, patient: PatientProfile, finding: Finding, rule: AlertRule,
                now: dt.datetime) -> Alert:
    alert = Alert(patient=patient, rule=rule, severity=finding.severity,
                  dedup_key=finding.dedup_key, patient_message=finding.patient_message,
                  clinician_message=finding.clinician_message, first_seen_at=now,
                  last_seen_at=now, evidence=sorted(finding.evidence))
    alert.full_clean()
    alert.save()
    return alert


def _alert_update(active: Alert, *, finding: Finding, now: dt.datetime) -> tuple[Alert, bool]:
    """A repeated finding: refresh the alert; new evidence re-opens an acknowledged one."""
    changed = active.clinician_message != finding.clinician_message
    severity_before = active.severity
    news = set(finding.evidence) - set(active.evidence)
    values = {
        "last_seen_at": max(now, active.last_seen_at),
        "occurrences": F("occurrences") + (1 if changed or news else 0),
        "patient_message": finding.patient_message,
        "clinician_message": finding.clinician_message,
        "severity": higher_tier(active.severity, finding.severity),
        "evidence": sorted(set(active.evidence) | news),
    }
    reopen = bool(news) and active.status == AlertStatus.ACKNOWLEDGED
    if reopen:
        values.update(status=AlertStatus.OPEN, round=active.round + 1,
                      acknowledged_at=None, acknowledged_by=None)
    Alert.objects.filter(pk=active.pk).update(**values)
    active.refresh_from_db()
    if reopen or changed or active.severity != severity_before:
        # A set-wise update writes no history row; the lifecycle step gets one here.
        Alert.history.bulk_history_create([active], update=True)
    return active, reopen


def patient_rules_evaluate(*, patient: PatientProfile, now: dt.datetime) -> list[Finding]:
    """Load the patient's recent data, run every enabled rule, record what they find."""
    data = load_patient_data(patient, now=now)
    stored = stored_rules()
    findings = findings_tiered(run_rules(data, now=now, config=rule_config(stored)), stored)
    findings_record(patient=patient, findings=findings, now=now, rules=stored)
    return findings


# --- Acknowledge and resolve --------------------------------------------------------------------
def may_handle_alerts(user: User) -> bool:
    """Clinicians and admins acknowledge and resolve alerts; patients never do."""
    return user.role in STAFF_ROLES


def _require_staff(user: User) -> None:
    if not may_handle_alerts(user):
        raise ValidationError("Only clinicians can acknowledge or resolve alerts.")


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, now: dt.datetime, note: str = "",
                      share_note: bool = False) -> Alert:
    """open -> acknowledged. Touches this alert only: other alerts stay open. The patient sees
    who acknowledged and when; the note only if ``share_note``."""
    _require_staff(by)
    stored = summary.alert_summary_lock(patient_id=alert.patient_id)
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if current.status != AlertStatus.OPEN:
        raise ValidationError("This alert was already acknowledged or resolved.")
    current.status, current.acknowledged_at, current.acknowledged_by = (
        AlertStatus.ACKNOWLEDGED, now, by)
    fields = ["status", "acknowledged_at", "acknowledged_by"]
    if note.strip():
        current.note, current.note_shared = note.strip(), share_note
        fields += ["note", "note_shared"]
    current._history_user = by  # saved row by row: the history row names who acknowledged
    current.save(update_fields=fields)
    alert.refresh_from_db()
    escalation.ladder_stop(alert=alert, now=now)
    summary.alert_summary_refresh(patient_id=alert.patient_id, stored=stored)
    events.patient_data_changed([alert.patient_id], {events.ALERTS}, now=now, by=by)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, now: dt.datetime, note: str,
                  share_note: bool = False) -> Alert:
    """open/acknowledged -> resolved, with the clinician's note (required); the patient sees
    the note only if ``share_note``."""
    _require_staff(by)
    if not note.strip():
        raise ValidationError({"note": "Write what was done, e.g. 'Phoned patient, seen today'."})
    stored = summary.alert_summary_lock(patient_id=alert.patient_id)
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if current.status == AlertStatus.RESOLVED:
        raise ValidationError("This alert was already resolved.")
    # The acknowledgement note stays; the resolution note is kept beside it.
    current.status, current.resolved_at, current.resolved_by = AlertStatus.RESOLVED, now, by
    current.resolve_note, current.resolve_note_shared = note.strip(), share_note
    fields = ["status", "resolved_at", "resolved_by", "resolve_note", "resolve_note_shared"]
    if current.acknowledged_at is None:
        current.acknowledged_at, current.acknowledged_by = now, by
        fields += ["acknowledged_at", "acknowledged_by"]
    current._history_user = by
    current.save(update_fields=fields)
    alert.refresh_from_db()
    escalation.ladder_stop(alert=alert, now=now)
    summary.alert_summary_refresh(patient_id=alert.patient_id, stored=stored)
    events.patient_data_changed([alert.patient_id], {events.ALERTS}, now=now, by=by)
    return alert
