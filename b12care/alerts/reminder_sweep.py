"""The reminder sweep: promote plans that came due, claim due steps in large batches, decide
each set-wise, write the outbox rows and hand their ids to workers after commit.

Per batch, in one transaction: claim pending due steps with ``select_for_update(skip_locked)``,
one query each for dose, lab and snooze states, one UPDATE per (status, reason), one INSERT of
the outbox rows. Escalations stay on a per-patient path (rare). Two sweeps at once take
disjoint rows (docs/alerts.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction

from b12care.accounts.models import PatientProfile
from injections.models import DoseStatus, PlannedDose
from labs.models import PlannedLab, PlanStatus

from .delivery import notifications_enqueue
from .lifecycle import patient_rules_evaluate
from .models import (
    ReminderPlan,
    ReminderSnooze,
    ReminderStep,
    ReminderSubject,
    StepKind,
    StepStatus,
)
from .outbox import channels_for, reminder_notifications_create
from .relay import relay_kick_on_commit
from .reminder_plans import BATCH_SIZE, reminders_plan

SWEEP_BATCH = 5000  # steps claimed per transaction by the sweep
PG_PROMOTE_BATCH = 5000

Enqueue = Callable[[list[int]], None]
Verdict = tuple  # ("send",) | ("sent", note) | ("skip", reason) | ("snooze", until)

SKIP_GONE = "planned dose no longer exists (schedule changed)"
SKIP_TAKEN = "dose already logged"
SKIP_SKIPPED = "dose skipped by the clinician"
SKIP_CLOSED = "dose window closed before this reminder"
SKIP_LAB = "lab test done or no longer planned"
SKIP_SUPERSEDED = "superseded by a later reminder (sweep ran late)"
SKIP_NO_CHANNEL = "patient chose no reminder channel"
SKIP_INACTIVE = "patient account is inactive"
DOSE_SKIPS = {None: SKIP_GONE, DoseStatus.TAKEN: SKIP_TAKEN, DoseStatus.SKIPPED: SKIP_SKIPPED,
              DoseStatus.MISSED: SKIP_CLOSED}
ESCALATION_SKIPS = {None: SKIP_GONE, DoseStatus.TAKEN: SKIP_TAKEN,
                    DoseStatus.SKIPPED: SKIP_SKIPPED}


# --- Promote due plans --------------------------------------------------------------------------
def reminder_plans_promote(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Turn plan rows whose time has come into pending steps, one batch per transaction.
    Rows of doses no longer open or missed, removed, or of deactivated patients are dropped
    (nothing is due, as if never planned); a missed dose keeps only its escalation."""
    if connection.vendor == "postgresql":
        return _promote_pg(now=now, batch_size=max(batch_size, PG_PROMOTE_BATCH))
    total = 0
    while True:
        taken, kept = _promote_batch_orm(now=now, batch_size=batch_size)
        total += kept
        if taken < batch_size:
            return total


def _wanted(dose_status: str | None, kind: str) -> bool:
    return dose_status == DoseStatus.OPEN or (dose_status == DoseStatus.MISSED
                                              and kind == StepKind.ESCALATION)


@transaction.atomic
def _promote_batch_orm(*, now: dt.datetime, batch_size: int) -> tuple[int, int]:
    rows = list(ReminderPlan.objects.filter(fire_at__lte=now)
                .select_for_update(skip_locked=True).order_by("fire_at", "pk")
                .values("pk", "patient_id", "subject", "subject_id", "step", "kind", "due_at",
                        "fire_at")[:batch_size])
    if not rows:
        return 0, 0
    states = dict(PlannedDose.objects.filter(
        pk__in={r["subject_id"] for r in rows}, patient__user__is_active=True,
    ).values_list("pk", "status"))
    keep = [ReminderStep(created_at=now, **{k: v for k, v in row.items() if k != "pk"})
            for row in rows if _wanted(states.get(row["subject_id"]), row["kind"])]
    ReminderStep.objects.bulk_create(keep, ignore_conflicts=True, batch_size=1000)
    ReminderPlan.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
    return len(rows), len(keep)


_PROMOTE_SQL = """
    WITH due AS (
        DELETE FROM alerts_reminderplan WHERE id IN (
            SELECT id FROM alerts_reminderplan WHERE fire_at <= %(now)s
            ORDER BY fire_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
        RETURNING patient_id, subject, subject_id, step, kind, due_at, fire_at
    ), kept AS (
        INSERT INTO alerts_reminderstep
            (patient_id, subject, subject_id, step, kind, due_at, fire_at, status, reason,
             created_at)
        SELECT due.patient_id, due.subject, due.subject_id, due.step, due.kind, due.due_at,
               due.fire_at, 'pending', '', %(now)s
        FROM due
        JOIN injections_planneddose d ON d.id = due.subject_id
        JOIN accounts_patientprofile p ON p.id = d.patient_id
        JOIN accounts_user u ON u.id = p.user_id AND u.is_active
        WHERE due.subject = 'dose'
          AND (d.status = 'open' OR (d.status = 'missed' AND due.kind = 'escalation'))
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM kept)
"""


def _promote_pg(*, now: dt.datetime, batch_size: int) -> int:
    """One statement per batch: DELETE the due plan rows (SKIP LOCKED, so two sweeps take
    disjoint rows) and INSERT the ones still wanted as pending steps."""
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_PROMOTE_SQL, {"now": now, "limit": batch_size})
            taken, kept = cursor.fetchone()
        total += kept
        if taken < batch_size:
            return total


# --- Claim and decide ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    """What the sweep needs of one claimed step (a row of one query, no model instances)."""

    pk: int
    patient_id: int
    user_id: int
    subject: str
    subject_id: int
    step: int
    kind: str
    active: bool
    channels: tuple[str, ...]


CLAIM_FIELDS = ("pk", "patient_id", "patient__user_id", "subject", "subject_id", "step", "kind",
                "patient__user__is_active", "patient__remind_in_app",
                "patient__remind_by_email", "patient__user__email", "patient__remind_by_sms",
                "patient__phone")


def _claimed(row: tuple) -> Claimed:
    pk, patient_id, user_id, subject, subject_id, step, kind, active, *prefs = row
    in_app, by_email, email, by_sms, phone = prefs
    return Claimed(pk, patient_id, user_id, subject, subject_id, step, kind, active,
                   tuple(channels_for(in_app=in_app, by_email=by_email, email=email,
                                      by_sms=by_sms, phone=phone)))


def _claim(*, now: dt.datetime, batch_size: int) -> list[Claimed]:
    return [_claimed(row) for row in (
        ReminderStep.objects.filter(status=StepStatus.PENDING, fire_at__lte=now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("fire_at", "pk").values_list(*CLAIM_FIELDS)[:batch_size]
    )]


def _subject_skip(step: Claimed, doses: dict[int, str], labs_open: dict[int, bool]) -> str:
    """Why a step's dose or lab no longer needs a reminder ("" if it still does)."""
    if step.subject == ReminderSubject.DOSE:
        return DOSE_SKIPS.get(doses.get(step.subject_id), "")
    return "" if labs_open.get(step.subject_id, False) else SKIP_LAB


def _decide_one(step: Claimed, *, latest: int, skip: str,
                snoozed_until: dt.datetime | None) -> Verdict:
    if skip:
        return ("skip", skip)
    if snoozed_until is not None:
        return ("snooze", snoozed_until)
    if step.step < latest:
        return ("skip", SKIP_SUPERSEDED)
    if not step.active:
        return ("skip", SKIP_INACTIVE)
    if not step.channels:
        return ("skip", SKIP_NO_CHANNEL)
    return ("send",)


def decide(steps: list[Claimed], *, doses: dict[int, str], labs_open: dict[int, bool],
           snoozes: dict[tuple[str, int], dt.datetime]) -> dict[int, Verdict]:
    """Pure: the outcome of each claimed step (not escalations) as
    ("send",) | ("skip", reason) | ("snooze", until), keyed by step id."""
    latest: dict[tuple[str, int], int] = {}
    for s in steps:
        key = (s.subject, s.subject_id)
        latest[key] = max(latest.get(key, -1), s.step)
    return {step.pk: _decide_one(step, latest=latest[(step.subject, step.subject_id)],
                                 skip=_subject_skip(step, doses, labs_open),
                                 snoozed_until=snoozes.get((step.subject, step.subject_id)))
            for step in steps}


def _escalate(steps: list[Claimed], doses: dict[int, str], now: dt.datetime) -> dict:
    """Escalation steps (one per missed dose) run the missed-dose rule for their patient,
    which alerts the care team through the alert's own outbox rows."""
    outcome: dict[int, Verdict] = {}
    live = []
    for step in steps:
        reason = ESCALATION_SKIPS.get(doses.get(step.subject_id), "")
        if reason:
            outcome[step.pk] = ("skip", reason)
        else:
            live.append(step)
    patients = PatientProfile.objects.select_related("user").in_bulk(
        {s.patient_id for s in live})
    escalated = {}
    for pk in sorted(patients):  # one order for every sweep: row locks never cross
        findings = patient_rules_evaluate(patient=patients[pk], now=now)
        escalated[pk] = any(f.rule == "missed_doses" for f in findings)
    for step in live:
        outcome[step.pk] = (("sent", "missed-dose rule: care team alerted")
                            if escalated[step.patient_id]
                            else ("skip", "missed-dose thresholds not reached"))
    return outcome


def _outcomes(steps: list[Claimed], *, now: dt.datetime) -> dict[int, Verdict]:
    """Load the states the steps depend on (one query each) and decide every step."""
    dose_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.DOSE]
    lab_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.LAB]
    doses = (dict(PlannedDose.objects.filter(pk__in=dose_ids).values_list("pk", "status"))
             if dose_ids else {})
    labs_open = ({pk: status == PlanStatus.OPEN for pk, status in
                  PlannedLab.objects.filter(pk__in=lab_ids).values_list("pk", "status")}
                 if lab_ids else {})
    snoozes = {(s.subject, s.subject_id): s.until for s in ReminderSnooze.objects.filter(
        subject_id__in=dose_ids + lab_ids, until__gt=now)}
    escalations = [s for s in steps if s.kind == StepKind.ESCALATION]
    outcome = decide([s for s in steps if s.kind != StepKind.ESCALATION], doses=doses,
                     labs_open=labs_open, snoozes=snoozes)
    if escalations:
        outcome.update(_escalate(escalations, doses, now))
    return outcome


def _outcomes_record(steps: list[Claimed], outcome: dict[int, Verdict], *,
                     now: dt.datetime) -> list[Claimed]:
    """One UPDATE per (status, reason) and per snooze end; returns the steps to send."""
    finished: dict[tuple[str, str], list[int]] = defaultdict(list)
    held: dict[dt.datetime, list[int]] = defaultdict(list)
    to_send = []
    for step in steps:
        verdict = outcome[step.pk]
        if verdict[0] == "send":
            to_send.append(step)
            finished[(StepStatus.SENT, "")].append(step.pk)
        elif verdict[0] == "sent":
            finished[(StepStatus.SENT, verdict[1])].append(step.pk)
        elif verdict[0] == "skip":
            finished[(StepStatus.SKIPPED, verdict[1])].append(step.pk)
        else:  # snoozed: stays pending and comes due again when the snooze ends
            held[verdict[1]].append(step.pk)
    for (status, reason), ids in finished.items():
        ReminderStep.objects.filter(pk__in=ids, status=StepStatus.PENDING).update(
            status=status, reason=reason[:200], processed_at=now)
    for until, ids in held.items():
        ReminderStep.objects.filter(pk__in=ids).update(fire_at=until)
    return to_send


def _hand_over(ids: list[int], *, now: dt.datetime, enqueue: Enqueue | None) -> None:
    """After commit: the ids to workers (one task per batch of ids), or one relay kick."""
    if not ids:
        return
    if enqueue is None:
        relay_kick_on_commit()
    else:
        transaction.on_commit(partial(notifications_enqueue, ids=ids, now=now, enqueue=enqueue))


# --- The sweep ----------------------------------------------------------------------------------
def reminder_batch_process(*, now: dt.datetime, batch_size: int = BATCH_SIZE,
                           enqueue: Enqueue | None = None) -> int:
    """Promote due plans, then claim up to ``batch_size`` due pending steps and finish them
    set-wise in one transaction. Returns the number of steps claimed."""
    reminder_plans_promote(now=now, batch_size=batch_size)
    with transaction.atomic():
        steps = _claim(now=now, batch_size=batch_size)
        if not steps:
            return 0
        to_send = _outcomes_record(steps, _outcomes(steps, now=now), now=now)
        ids = reminder_notifications_create(steps=to_send, now=now,
                                            enqueued=enqueue is not None)
        _hand_over(ids, now=now, enqueue=enqueue)
    return len(steps)


def reminders_sweep(*, now: dt.datetime, batch_size: int = SWEEP_BATCH, max_batches: int = 100,
                    enqueue: Enqueue | None = None) -> dict:
    """One reminder sweep: plan what is new, then promote, claim and process due steps in
    batches. ``enqueue`` hands each batch's outbox ids to workers after commit; without it
    the relay is kicked once per batch."""
    planned = reminders_plan(now=now)
    processed = 0
    for _ in range(max_batches):
        n = reminder_batch_process(now=now, batch_size=batch_size, enqueue=enqueue)
        processed += n
        if n < batch_size:
            break
    return {"planned": planned, "processed": processed}
