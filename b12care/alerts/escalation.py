"""The escalation ladder of unacknowledged alerts (CLINICAL.md "Tiers"; docs/alerts.md).

Rung 0 is the alert's own notification: every care-team member at once (``outbox``). Rung 1
is written with its due time when the alert (or a new round of it) opens; the periodic sweep
(``escalations_sweep``, run by the ``reconcile`` beat task every 20 s) finds due rungs by a
partial index, never by ETA tasks. Each rung is one unique row per (alert, round, step): it
is claimed by a conditional UPDATE (pending -> sent | stopped) so two sweeps at once send
once, and acknowledging or resolving the alert stops the rungs still pending.

Defaults (admin-configurable per tier, ``EscalationLadder``): emergency after 15 min, urgent
after 4 h, review at the start of the next working day (patient's zone); each escalation
goes to the care team again and to the patient's escalation contact.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import transaction

from .models import (
    AlertEscalation,
    AlertStatus,
    EscalationLadder,
    EscalationStatus,
)
from .outbox import care_team, escalation_notifications_create
from .relay import relay_kick_on_commit
from .tiers import EMERGENCY, REVIEW, URGENT

ESCALATION_STEP = 1
BATCH_SIZE = 200


@dataclass(frozen=True)
class Ladder:
    tier: str
    enabled: bool = True
    delay_minutes: int | None = None  # None: the start of the next working day
    working_day_starts: dt.time = dt.time(9, 0)
    to_contact: bool = True


DEFAULT_LADDERS = {
    EMERGENCY: Ladder(EMERGENCY, delay_minutes=15),
    URGENT: Ladder(URGENT, delay_minutes=4 * 60),
    REVIEW: Ladder(REVIEW, delay_minutes=None),
}


def ladders() -> dict[str, Ladder]:
    """Per tier: the admin's setting, else the default (info alerts never escalate)."""
    result = dict(DEFAULT_LADDERS)
    for row in EscalationLadder.objects.all():
        result[row.tier] = Ladder(row.tier, row.enabled, row.delay_minutes,
                                  row.working_day_starts, row.to_escalation_contact)
    return result


def next_working_day_start(after: dt.datetime, *, tz: zoneinfo.ZoneInfo,
                           starts: dt.time) -> dt.datetime:
    """The start of the first working day (Mon-Fri) after the local day of ``after``, in UTC.
    Built from the wall-clock time in the patient's zone: a start that falls in a DST gap
    resolves with fold=0 (zoneinfo shifts it forward by the gap)."""
    day = after.astimezone(tz).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, starts, tzinfo=tz).astimezone(dt.UTC)


def escalation_due_at(*, opened_at: dt.datetime, ladder: Ladder,
                      tz: zoneinfo.ZoneInfo) -> dt.datetime:
    if ladder.delay_minutes is None:
        return next_working_day_start(opened_at, tz=tz, starts=ladder.working_day_starts)
    return opened_at + dt.timedelta(minutes=ladder.delay_minutes)


def ladder_start(*, alert, now: dt.datetime) -> None:
    """Record rung 0 (sent with the alert's own notification) and plan rung 1, for this
    alert's current round, in the caller's transaction. Safe to repeat."""
    ladder = ladders().get(alert.severity)
    rows = [AlertEscalation(alert=alert, round=alert.round, step=0, tier=alert.severity,
                            due_at=now, status=EscalationStatus.SENT, processed_at=now)]
    if ladder is not None and ladder.enabled:
        rows.append(AlertEscalation(
            alert=alert, round=alert.round, step=ESCALATION_STEP, tier=alert.severity,
            due_at=escalation_due_at(opened_at=now, ladder=ladder, tz=alert.patient.tz),
            to_contact=ladder.to_contact))
    AlertEscalation.objects.bulk_create(rows, ignore_conflicts=True)


def ladder_stop(*, alert, now: dt.datetime) -> int:
    """Acknowledged or resolved: the rungs still pending will not be sent."""
    return AlertEscalation.objects.filter(alert=alert, status=EscalationStatus.PENDING).update(
        status=EscalationStatus.STOPPED, processed_at=now)


def due_escalations(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> list[AlertEscalation]:
    """Pending rungs whose time has come, oldest first (the partial index serves it)."""
    return list(AlertEscalation.objects.filter(status=EscalationStatus.PENDING, due_at__lte=now)
                .select_related("alert__patient__user", "alert__patient__escalation_contact")
                .order_by("due_at", "pk")[:batch_size])


@transaction.atomic
def escalation_run(*, row: AlertEscalation, now: dt.datetime) -> bool:
    """Claim one due rung and, if its alert round is still open, tell the care team again
    and the escalation contact. False if another sweep claimed it first or the alert was
    acknowledged meanwhile (the rung is then recorded as stopped)."""
    alert = row.alert
    alert.refresh_from_db(fields=["status", "round"])
    still_open = alert.status == AlertStatus.OPEN and alert.round == row.round
    status = EscalationStatus.SENT if still_open else EscalationStatus.STOPPED
    recipients = _recipients(row) if still_open else []
    claimed = AlertEscalation.objects.filter(pk=row.pk, status=EscalationStatus.PENDING).update(
        status=status, processed_at=now, recipients=len(recipients))
    if claimed != 1 or not still_open:
        return False
    escalation_notifications_create(alert=alert, step=row.step, recipients=recipients, now=now)
    relay_kick_on_commit()
    return True


def _recipients(row: AlertEscalation) -> list:
    people = care_team(row.alert.patient)
    contact = row.alert.patient.escalation_contact
    if row.to_contact and contact is not None and contact.is_active and contact not in people:
        people.append(contact)
    return people


def escalations_sweep(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Run every due rung (one transaction each); returns how many sent messages."""
    sent = 0
    while rows := due_escalations(now=now, batch_size=batch_size):
        sent += sum(escalation_run(row=row, now=now) for row in rows)
        if len(rows) < batch_size:
            break
    return sent


def ladder_state(alerts) -> dict[int, list[AlertEscalation]]:
    """Alert id -> its current round's rungs, for the clinician's alert page (one query)."""
    by_alert: dict[int, list[AlertEscalation]] = {a.pk: [] for a in alerts}
    rounds = {a.pk: a.round for a in alerts}
    for row in AlertEscalation.objects.filter(alert_id__in=list(by_alert)).order_by("step"):
        if rounds[row.alert_id] == row.round:
            by_alert[row.alert_id].append(row)
    return by_alert
