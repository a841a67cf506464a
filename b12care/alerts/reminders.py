"""Dose and lab reminders from a periodic sweep over stored due times (never ETA tasks).

Each planned dose has steps: 0 = first reminder at the patient's local ``reminder_time`` on the
due day, 1..N = repeats every few hours while the dose is not logged, 99 = escalation when the
missed-dose rule's lateness is reached (the rule then alerts the care team). A step exists as a
``ReminderStep`` row only once it is due; the unique (subject, subject_id, step) row is the
record that it was sent exactly once or skipped, with the reason.

Steps are planned ahead (issue 6: the time-critical sweep must not recompute every dose):
1. ``plan``: each dose is computed once, when it enters the look-ahead, into ``ReminderPlan``
   rows (steps already due go straight to pending ``ReminderStep`` rows); patients whose
   settings changed, or everyone after a policy change, are re-planned;
2. ``promote_due``: plan rows whose time came become pending steps (dropped if the dose was
   logged, removed or the patient deactivated meanwhile) - one statement per batch on
   PostgreSQL;
3. ``process_batch``: claim pending due steps in large batches with
   ``select_for_update(skip_locked=True)``, one query each for dose/lab/snooze states, one
   UPDATE per (status, reason), one INSERT of the outbox rows, and after commit one delivery
   task per batch of ids. Escalations stay on a per-patient path (rare).
All phases are safe to run twice at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from b12care.accounts.models import PatientProfile
from b12care.core import clock

from .models import ReminderSnooze, ReminderStep, ReminderSubject, StepKind, StepStatus

log = logging.getLogger(__name__)

UTC = dt.UTC
BATCH_SIZE = 200
SWEEP_BATCH = 5000  # steps claimed per transaction by the sweep
ESCALATION = ReminderStep.ESCALATION_STEP
# The first reminder falls on the due day at the patient's reminder time, which may be up to a
# day before due_at: plan for doses due within this look-ahead.
LOOKAHEAD = dt.timedelta(hours=36)


@dataclass(frozen=True)
class Policy:
    repeat_count: int = 2
    repeat_hours: float = 4
    induction_late_hours: float = 24
    maintenance_late_days: float = 14

    @classmethod
    def current(cls) -> Policy:
        from .services import thresholds_for

        t = thresholds_for("missed_doses")
        return cls(repeat_count=int(t["reminder_repeat_count"]),
                   repeat_hours=float(t["reminder_repeat_hours"]),
                   induction_late_hours=float(t["induction_late_hours"]),
                   maintenance_late_days=float(t["maintenance_late_days"]))


# --- Time zone arithmetic (pure) --------------------------------------------------------------
def in_quiet_hours(local: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight, e.g. 22:00-07:00


def respect_quiet_hours(fire_at: dt.datetime, tz: zoneinfo.ZoneInfo, start: dt.time | None,
                        end: dt.time | None) -> dt.datetime:
    """Move an instant that falls in the patient's quiet hours to the end of them."""
    local = fire_at.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return fire_at
    end_day = local.date()
    if start > end and local.time() >= start:  # evening part of an overnight quiet period
        end_day += dt.timedelta(days=1)
    return clock.to_utc(end_day, end, tz)


def first_reminder_at(due_at: dt.datetime, tz: zoneinfo.ZoneInfo,
                      reminder_time: dt.time) -> dt.datetime:
    """The patient's reminder time on the local day the dose is due, as UTC."""
    due_day = due_at.astimezone(tz).date()
    return clock.to_utc(due_day, reminder_time, tz)


def dose_steps(*, due_at: dt.datetime, phase_kind: str, patient: PatientProfile,
               policy: Policy) -> list[tuple[int, str, dt.datetime]]:
    """Every step of one dose as (step, kind, fire_at UTC)."""
    tz = patient.tz
    first = first_reminder_at(due_at, tz, patient.reminder_time)
    quiet = (patient.quiet_hours_start, patient.quiet_hours_end)
    steps = [(0, StepKind.REMINDER, respect_quiet_hours(first, tz, *quiet))]
    for n in range(1, policy.repeat_count + 1):
        # Repeats count elapsed hours from the first reminder (UTC arithmetic: a DST change in
        # between does not shift them), then skip quiet hours.
        raw = first + dt.timedelta(hours=policy.repeat_hours * n)
        steps.append((n, StepKind.REPEAT, respect_quiet_hours(raw, tz, *quiet)))
    if phase_kind == "induction":
        late = dt.timedelta(hours=policy.induction_late_hours)
    else:
        late = dt.timedelta(days=policy.maintenance_late_days)
    # One minute past the lateness, so the missed-dose rule (strictly "more than") fires.
    steps.append((ESCALATION, StepKind.ESCALATION, due_at + late + dt.timedelta(minutes=1)))
    return steps


def lab_steps(*, due_at: dt.datetime,
              patient: PatientProfile) -> list[tuple[int, str, dt.datetime]]:
    tz = patient.tz
    first = first_reminder_at(due_at, tz, patient.reminder_time)
    quiet = (patient.quiet_hours_start, patient.quiet_hours_end)
    return [(0, StepKind.REMINDER, respect_quiet_hours(first, tz, *quiet))]


# --- Phase 1: plan ahead ------------------------------------------------------------------------
# A plan row lives from when its dose enters the look-ahead until it fires: at most the longest
# lateness (maintenance escalation) plus the look-ahead. Patients changed within this window
# may have stale plans.
PLAN_LIFETIME = dt.timedelta(days=21)


def _existing(subject: str, ids: list[int]) -> set[tuple[int, int]]:
    return set(ReminderStep.objects.filter(subject=subject, subject_id__in=ids)
               .values_list("subject_id", "step"))


def _dose_candidates(*, now: dt.datetime, policy: Policy):
    from injections.models import DoseStatus, PlannedDose

    longest = dt.timedelta(days=policy.maintenance_late_days, hours=policy.induction_late_hours)
    oldest = now - longest - dt.timedelta(days=1)
    return (PlannedDose.objects
            .filter(status__in=[DoseStatus.OPEN, DoseStatus.MISSED], due_at__gte=oldest,
                    due_at__lte=now + LOOKAHEAD, patient__user__is_active=True)
            .select_related("patient", "phase").order_by("pk"))


def _plan_doses(doses: list, *, now: dt.datetime, policy: Policy) -> int:
    """Compute every step of ``doses``: steps already due become pending ``ReminderStep`` rows
    at once (as before planning ahead existed), later ones ``ReminderPlan`` rows. Steps that
    already have a record are left alone."""
    from injections.models import DoseStatus

    from .models import ReminderPlan

    existing = _existing(ReminderSubject.DOSE, [d.pk for d in doses])
    due, later = [], []
    for dose in doses:
        for step, kind, fire_at in dose_steps(due_at=dose.due_at, phase_kind=dose.phase.kind,
                                              patient=dose.patient, policy=policy):
            if (dose.pk, step) in existing:
                continue
            if dose.status == DoseStatus.MISSED and kind != StepKind.ESCALATION:
                continue  # window closed before this step came due: nothing to remind
            fields = {"patient": dose.patient, "subject": ReminderSubject.DOSE,
                      "subject_id": dose.pk, "step": step, "kind": kind, "due_at": dose.due_at,
                      "fire_at": fire_at}
            (due if fire_at <= now else later).append(fields)
    ReminderStep.objects.bulk_create([ReminderStep(**f) for f in due], ignore_conflicts=True)
    ReminderPlan.objects.bulk_create([ReminderPlan(**f) for f in later], ignore_conflicts=True)
    return len(due) + len(later)


def plan_dose_steps(*, now: dt.datetime, policy: Policy, batch_size: int = BATCH_SIZE) -> int:
    """Plan doses not planned yet (no plan and no step row): each dose is computed once, when
    it enters the look-ahead, not on every sweep."""
    from django.db.models import Exists, OuterRef

    from .models import ReminderPlan

    def of_dose(model):
        return Exists(model.objects.filter(subject=ReminderSubject.DOSE, subject_id=OuterRef("pk")))

    candidates = (_dose_candidates(now=now, policy=policy)
                  .exclude(of_dose(ReminderPlan)).exclude(of_dose(ReminderStep)))
    created, last_pk = 0, 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return created
        last_pk = batch[-1].pk
        created += _plan_doses(batch, now=now, policy=policy)


def replan_stale(*, now: dt.datetime, policy: Policy, batch_size: int = BATCH_SIZE) -> int:
    """Re-plan the future steps of patients whose settings changed after their plan was made
    (reminder time, quiet hours, time zone, account), and of everyone if the reminder policy
    (the missed-dose rule) changed. Cheap when nothing changed: two indexed look-ups."""
    from django.db.models import Min
    from django.utils import timezone

    from .models import AlertRule, ReminderPlan

    wall = timezone.now()
    plans = ReminderPlan.objects.filter(subject=ReminderSubject.DOSE)
    rule_changed = (AlertRule.objects
                    .filter(code="missed_doses", updated_at__gt=wall - PLAN_LIFETIME)
                    .values_list("updated_at", flat=True).first())
    if rule_changed is not None:
        oldest = plans.aggregate(oldest=Min("created_at"))["oldest"]
        stale_patients = None if oldest is not None and oldest < rule_changed else set()
    else:
        stale_patients = set()
    if stale_patients is not None:
        changed = PatientProfile.objects.filter(updated_at__gt=wall - PLAN_LIFETIME)
        stale_patients = set(
            plans.filter(patient__in=changed.values("pk"),
                         patient__updated_at__gt=F("created_at"))
            .values_list("patient_id", flat=True).distinct())
        if not stale_patients:
            return 0
    stale = plans if stale_patients is None else plans.filter(patient_id__in=stale_patients)
    dose_ids = sorted(set(stale.values_list("subject_id", flat=True)))
    replanned = 0
    for i in range(0, len(dose_ids), batch_size):
        chunk = dose_ids[i:i + batch_size]
        with transaction.atomic():
            plans.filter(subject_id__in=chunk).delete()
            doses = list(_dose_candidates(now=now, policy=policy).filter(pk__in=chunk))
            replanned += _plan_doses(doses, now=now, policy=policy)
    return replanned


def lab_due_at(due_date: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A planned lab is due on a local day; its instant is that day's local midnight."""
    return clock.to_utc(due_date, dt.time(0), tz)


def plan_lab_steps(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Lab reminders (one step, a few per patient per year) are computed when due, for open
    labs in a short window that have no step yet."""
    from django.db.models import Exists, OuterRef

    from labs.models import PlannedLab, PlanStatus

    horizon = now + LOOKAHEAD
    qs = (PlannedLab.objects
          .filter(status=PlanStatus.OPEN, due_date__gte=(now - dt.timedelta(days=2)).date(),
                  due_date__lte=horizon.date(), patient__user__is_active=True)
          .exclude(Exists(ReminderStep.objects.filter(subject=ReminderSubject.LAB,
                                                      subject_id=OuterRef("pk"))))
          .select_related("patient").order_by("pk"))
    created, last_pk = 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return created
        last_pk = batch[-1].pk
        existing = _existing(ReminderSubject.LAB, [p.pk for p in batch])
        rows = []
        for planned in batch:
            due_at = lab_due_at(planned.due_date, planned.patient.tz)
            for step, kind, fire_at in lab_steps(due_at=due_at, patient=planned.patient):
                if fire_at <= now and (planned.pk, step) not in existing:
                    rows.append(ReminderStep(
                        patient=planned.patient, subject=ReminderSubject.LAB,
                        subject_id=planned.pk, step=step, kind=kind, due_at=due_at,
                        fire_at=fire_at,
                    ))
        ReminderStep.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)


def plan(*, now: dt.datetime, policy: Policy | None = None) -> int:
    """Plan ahead (idempotent, safe to run twice at once: unique rows, ``ignore_conflicts``)."""
    policy = policy or Policy.current()
    planned = replan_stale(now=now, policy=policy)
    planned += plan_dose_steps(now=now, policy=policy)
    planned += plan_lab_steps(now=now)
    return planned


# --- Phase 2: promote due plans -------------------------------------------------------------
def promote_due(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Turn plan rows whose time has come into pending steps, one batch per transaction.
    Rows of doses no longer open or missed, removed, or of deactivated patients are dropped
    (nothing is due, as if never planned); a missed dose keeps only its escalation."""
    from django.db import connection

    from injections.models import DoseStatus, PlannedDose

    from .models import ReminderPlan

    if connection.vendor == "postgresql":
        return _promote_due_pg(now=now, batch_size=max(batch_size, 5000))
    total = 0
    while True:
        with transaction.atomic():
            rows = list(ReminderPlan.objects.filter(fire_at__lte=now)
                        .select_for_update(skip_locked=True)
                        .order_by("fire_at", "pk")
                        .values("pk", "patient_id", "subject", "subject_id", "step", "kind",
                                "due_at", "fire_at")[:batch_size])
            if not rows:
                return total
            states = dict(PlannedDose.objects.filter(
                pk__in={r["subject_id"] for r in rows}, patient__user__is_active=True,
            ).values_list("pk", "status"))
            keep = []
            for row in rows:
                state = states.get(row["subject_id"])
                if state == DoseStatus.OPEN or (state == DoseStatus.MISSED
                                                and row["kind"] == StepKind.ESCALATION):
                    keep.append(ReminderStep(**{k: v for k, v in row.items() if k != "pk"}))
            ReminderStep.objects.bulk_create(keep, ignore_conflicts=True, batch_size=1000)
            ReminderPlan.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
        total += len(keep)
        if len(rows) < batch_size:
            return total


def _promote_due_pg(*, now: dt.datetime, batch_size: int) -> int:
    """``promote_due`` as one statement per batch: DELETE the due plan rows (SKIP LOCKED, so
    two sweeps take disjoint rows) and INSERT the ones still wanted as pending steps."""
    from django.db import connection
    from django.utils import timezone

    sql = """
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
                   due.fire_at, 'pending', '', %(wall)s
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
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"now": now, "limit": batch_size, "wall": timezone.now()})
            taken, kept = cursor.fetchone()
        total += kept
        if taken < batch_size:
            return total


# --- Phase 3: claim and process -----------------------------------------------------------------
def _dose_states(ids: list[int]) -> dict[int, str]:
    from injections.models import PlannedDose

    return dict(PlannedDose.objects.filter(pk__in=ids).values_list("pk", "status"))


def _lab_open(ids: list[int]) -> dict[int, bool]:
    from labs.models import PlannedLab, PlanStatus

    return {pk: status == PlanStatus.OPEN
            for pk, status in PlannedLab.objects.filter(pk__in=ids).values_list("pk", "status")}


SKIP_GONE = "planned dose no longer exists (schedule changed)"
SKIP_TAKEN = "dose already logged"
SKIP_SKIPPED = "dose skipped by the clinician"
SKIP_CLOSED = "dose window closed before this reminder"
SKIP_LAB = "lab test done or no longer planned"
SKIP_SUPERSEDED = "superseded by a later reminder (sweep ran late)"
SKIP_NO_CHANNEL = "patient chose no reminder channel"
SKIP_INACTIVE = "patient account is inactive"


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
    from .services import channels_for

    pk, patient_id, user_id, subject, subject_id, step, kind, active, *prefs = row
    in_app, by_email, email, by_sms, phone = prefs
    return Claimed(pk, patient_id, user_id, subject, subject_id, step, kind, active,
                   tuple(channels_for(in_app=in_app, by_email=by_email, email=email,
                                      by_sms=by_sms, phone=phone)))


def decide(steps: list[Claimed], *, doses: dict[int, str], labs_open: dict[int, bool],
           snoozes: dict[tuple[str, int], dt.datetime]) -> dict[int, tuple]:
    """Pure: the outcome of each claimed step (not escalations) as
    ("send",) | ("skip", reason) | ("snooze", until), keyed by step id."""
    latest: dict[tuple[str, int], int] = {}
    for s in steps:
        key = (s.subject, s.subject_id)
        latest[key] = max(latest.get(key, -1), s.step)
    outcome: dict[int, tuple] = {}
    for step in steps:
        key = (step.subject, step.subject_id)
        if step.subject == ReminderSubject.DOSE:
            state = doses.get(step.subject_id)
            reason = {None: SKIP_GONE, "taken": SKIP_TAKEN, "skipped": SKIP_SKIPPED,
                      "missed": SKIP_CLOSED}.get(state)
            if reason:
                outcome[step.pk] = ("skip", reason)
                continue
        elif not labs_open.get(step.subject_id, False):
            outcome[step.pk] = ("skip", SKIP_LAB)
            continue
        if key in snoozes:
            outcome[step.pk] = ("snooze", snoozes[key])
        elif step.step < latest[key]:
            outcome[step.pk] = ("skip", SKIP_SUPERSEDED)
        elif not step.active:
            outcome[step.pk] = ("skip", SKIP_INACTIVE)
        elif not step.channels:
            outcome[step.pk] = ("skip", SKIP_NO_CHANNEL)
        else:
            outcome[step.pk] = ("send",)
    return outcome


def _escalate(steps: list[Claimed], doses: dict[int, str], now: dt.datetime) -> dict:
    """Escalation steps (rare: one per missed dose) stay on the per-patient path: the
    missed-dose rule loads the patient's data and alerts the care team through the alert's
    own outbox rows."""
    from .services import evaluate_patient

    patients = PatientProfile.objects.select_related("user").in_bulk(
        {s.patient_id for s in steps})

    outcome: dict[int, tuple] = {}
    escalated: dict[int, bool] = {}
    for step in steps:
        state = doses.get(step.subject_id)
        reason = {None: SKIP_GONE, "taken": SKIP_TAKEN, "skipped": SKIP_SKIPPED}.get(state)
        if reason:
            outcome[step.pk] = ("skip", reason)
            continue
        if step.patient_id not in escalated:
            findings = evaluate_patient(patients[step.patient_id], now=now)
            escalated[step.patient_id] = any(f.rule == "missed_doses" for f in findings)
        outcome[step.pk] = (("sent", "missed-dose rule: care team alerted")
                            if escalated[step.patient_id]
                            else ("skip", "missed-dose thresholds not reached"))
    return outcome


def process_batch(*, now: dt.datetime, batch_size: int = BATCH_SIZE,
                  enqueue: Callable[[list[int]], None] | None = None) -> int:
    """Claim up to ``batch_size`` due pending steps and finish them set-wise, in one
    transaction: one query each for dose, lab and snooze states, one UPDATE per outcome,
    one INSERT of the outbox rows, and after commit the delivery tasks (one per batch of
    ids) or, without ``enqueue``, one relay kick."""
    from collections import defaultdict
    from functools import partial

    from .delivery import enqueue_ids
    from .services import create_reminder_notifications, kick_relay_on_commit

    promote_due(now=now, batch_size=batch_size)
    with transaction.atomic():
        steps = [_claimed(row) for row in (
            ReminderStep.objects.filter(status=StepStatus.PENDING, fire_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("fire_at", "pk").values_list(*CLAIM_FIELDS)[:batch_size]
        )]
        if not steps:
            return 0
        dose_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.DOSE]
        lab_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.LAB]
        doses = _dose_states(dose_ids) if dose_ids else {}
        labs_open = _lab_open(lab_ids) if lab_ids else {}
        snoozes = {(s.subject, s.subject_id): s.until for s in ReminderSnooze.objects.filter(
            subject_id__in=dose_ids + lab_ids, until__gt=now)}
        escalations = [s for s in steps if s.kind == StepKind.ESCALATION]
        ordinary = [s for s in steps if s.kind != StepKind.ESCALATION]
        outcome = decide(ordinary, doses=doses, labs_open=labs_open, snoozes=snoozes)
        if escalations:
            outcome.update(_escalate(escalations, doses, now))
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
        ids = create_reminder_notifications(to_send, now=now, enqueued=enqueue is not None)
        if ids:
            if enqueue is None:
                kick_relay_on_commit()
            else:
                transaction.on_commit(partial(enqueue_ids, ids, now=now, enqueue=enqueue))
    return len(steps)


def sweep(*, now: dt.datetime, batch_size: int = SWEEP_BATCH, max_batches: int = 100,
          enqueue: Callable[[list[int]], None] | None = None) -> dict:
    """One reminder sweep: plan what is new, promote plans that came due, then claim and
    process due steps in batches. ``enqueue`` (the Celery task's) hands each batch's outbox
    ids to workers after commit; without it the relay is kicked once per batch."""
    planned = plan(now=now)
    processed = 0
    for _ in range(max_batches):
        n = process_batch(now=now, batch_size=batch_size, enqueue=enqueue)
        processed += n
        if n < batch_size:
            break
    return {"planned": planned, "processed": processed}


# --- Patient actions --------------------------------------------------------------------------
MAX_SNOOZE = dt.timedelta(hours=24)


@transaction.atomic
def reminder_snooze(*, patient: PatientProfile, subject: str, subject_id: int,
                    until: dt.datetime, now: dt.datetime) -> ReminderSnooze:
    """Hold reminders about one of the patient's own doses or labs until ``until``."""
    from django.core.exceptions import ValidationError

    if not now < until <= now + MAX_SNOOZE:
        raise ValidationError("Choose a snooze of up to 24 hours.")
    if subject == ReminderSubject.DOSE:
        from injections.models import PlannedDose

        owned = PlannedDose.objects.filter(pk=subject_id, patient=patient).exists()
    else:
        from labs.models import PlannedLab

        owned = PlannedLab.objects.filter(pk=subject_id, patient=patient).exists()
    if not owned:
        raise ValidationError("That reminder is not yours.")
    snooze, _ = ReminderSnooze.objects.update_or_create(
        subject=subject, subject_id=subject_id, defaults={"patient": patient, "until": until}
    )
    return snooze
