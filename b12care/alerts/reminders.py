"""Dose and lab reminders from a periodic sweep over stored due times (never ETA tasks).

Each planned dose has steps: 0 = first reminder at the patient's local ``reminder_time`` on the
due day, 1..N = repeats every few hours while the dose is not logged, 99 = escalation when the
missed-dose rule's lateness is reached (the rule then alerts the care team). A step exists as a
``ReminderStep`` row only once it is due; the unique (subject, subject_id, step) row is the
record that it was sent exactly once or skipped, with the reason.

The sweep is two set-based phases, both safe to run twice at once:
1. ``plan``: create the due step rows that do not exist yet (``ignore_conflicts``);
2. ``process``: claim pending rows in batches with ``select_for_update(skip_locked=True)``,
   write their outbox rows and mark them sent/skipped in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from django.db import transaction

from b12care.accounts.models import PatientProfile

from .models import ReminderSnooze, ReminderStep, ReminderSubject, StepKind, StepStatus

log = logging.getLogger(__name__)

UTC = dt.UTC
BATCH_SIZE = 200
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
def local_to_utc(wall: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time in ``tz`` -> UTC, by DESIGN.md's DST rule:
    a time that occurs twice (autumn) fires once, at the first occurrence (fold=0);
    a time that does not exist (spring gap) fires once, at the end of the gap."""
    aware = wall.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc
    # In the gap: the first minute that exists after ``wall`` is where the clocks jumped to.
    for minutes in range(1, 181):
        candidate = wall + dt.timedelta(minutes=minutes)
        aware = candidate.replace(tzinfo=tz, fold=0)
        utc = aware.astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) == candidate:
            return utc
    return wall.replace(tzinfo=tz).astimezone(UTC)  # pragma: no cover - no 3 h gaps exist


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
    return local_to_utc(dt.datetime.combine(end_day, end), tz)


def first_reminder_at(due_at: dt.datetime, tz: zoneinfo.ZoneInfo,
                      reminder_time: dt.time) -> dt.datetime:
    """The patient's reminder time on the local day the dose is due, as UTC."""
    due_day = due_at.astimezone(tz).date()
    return local_to_utc(dt.datetime.combine(due_day, reminder_time), tz)


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


# --- Phase 1: plan due steps ----------------------------------------------------------------------
def _existing(subject: str, ids: list[int]) -> set[tuple[int, int]]:
    return set(ReminderStep.objects.filter(subject=subject, subject_id__in=ids)
               .values_list("subject_id", "step"))


def plan_dose_steps(*, now: dt.datetime, policy: Policy, batch_size: int = BATCH_SIZE) -> int:
    from injections.models import DoseStatus, PlannedDose

    longest = dt.timedelta(days=policy.maintenance_late_days, hours=policy.induction_late_hours)
    oldest = now - longest - dt.timedelta(days=1)
    candidates = (PlannedDose.objects
                  .filter(status__in=[DoseStatus.OPEN, DoseStatus.MISSED], due_at__gte=oldest,
                          due_at__lte=now + LOOKAHEAD, patient__user__is_active=True)
                  .select_related("patient", "phase").order_by("pk"))
    created = 0
    last_pk = 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return created
        last_pk = batch[-1].pk
        existing = _existing(ReminderSubject.DOSE, [d.pk for d in batch])
        rows = []
        for dose in batch:
            for step, kind, fire_at in dose_steps(due_at=dose.due_at, phase_kind=dose.phase.kind,
                                                  patient=dose.patient, policy=policy):
                if fire_at > now or (dose.pk, step) in existing:
                    continue
                if dose.status == DoseStatus.MISSED and kind != StepKind.ESCALATION:
                    continue  # window closed before this step came due: nothing to remind
                rows.append(ReminderStep(
                    patient=dose.patient, subject=ReminderSubject.DOSE, subject_id=dose.pk,
                    step=step, kind=kind, due_at=dose.due_at, fire_at=fire_at,
                ))
        ReminderStep.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)


def lab_due_at(due_date: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A planned lab is due on a local day; its instant is that day's local midnight."""
    return local_to_utc(dt.datetime.combine(due_date, dt.time(0)), tz)


def plan_lab_steps(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    from labs.models import PlannedLab, PlanStatus

    horizon = now + LOOKAHEAD
    qs = (PlannedLab.objects
          .filter(status=PlanStatus.OPEN, due_date__gte=(now - dt.timedelta(days=2)).date(),
                  due_date__lte=horizon.date(), patient__user__is_active=True)
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


# --- Phase 2: claim and process -------------------------------------------------------------------
def _dose_states(ids: list[int]) -> dict[int, str]:
    from injections.models import PlannedDose

    return dict(PlannedDose.objects.filter(pk__in=ids).values_list("pk", "status"))


def _lab_open(ids: list[int]) -> dict[int, bool]:
    from labs.models import PlannedLab, PlanStatus

    return {pk: status == PlanStatus.OPEN
            for pk, status in PlannedLab.objects.filter(pk__in=ids).values_list("pk", "status")}


def _finish(step: ReminderStep, status: str, reason: str, now: dt.datetime) -> None:
    ReminderStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
        status=status, reason=reason[:200], processed_at=now
    )


def process_batch(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Claim up to ``batch_size`` due pending steps and finish each (sent or skipped)."""
    from .services import evaluate_patient, patient_channels, reminder_notifications

    with transaction.atomic():
        steps = list(
            ReminderStep.objects.filter(status=StepStatus.PENDING, fire_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__user").order_by("fire_at", "pk")[:batch_size]
        )
        if not steps:
            return 0
        dose_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.DOSE]
        lab_ids = [s.subject_id for s in steps if s.subject == ReminderSubject.LAB]
        doses = _dose_states(dose_ids) if dose_ids else {}
        labs_open = _lab_open(lab_ids) if lab_ids else {}
        snoozes = {(s.subject, s.subject_id): s.until for s in ReminderSnooze.objects.filter(
            subject_id__in=dose_ids + lab_ids, until__gt=now)}
        latest = {}
        for s in steps:
            if s.kind != StepKind.ESCALATION:
                key = (s.subject, s.subject_id)
                latest[key] = max(latest.get(key, -1), s.step)
        escalated: dict[int, bool] = {}
        for step in steps:
            key = (step.subject, step.subject_id)
            if step.subject == ReminderSubject.DOSE:
                state = doses.get(step.subject_id)
                if state is None:
                    _finish(step, StepStatus.SKIPPED, "planned dose no longer exists "
                            "(schedule changed)", now)
                    continue
                if state == "taken":
                    _finish(step, StepStatus.SKIPPED, "dose already logged", now)
                    continue
                if state == "skipped":
                    _finish(step, StepStatus.SKIPPED, "dose skipped by the clinician", now)
                    continue
                if step.kind == StepKind.ESCALATION:
                    if step.patient_id not in escalated:
                        findings = evaluate_patient(step.patient, now=now)
                        escalated[step.patient_id] = any(f.rule == "missed_doses" for f in findings)
                    if escalated[step.patient_id]:
                        _finish(step, StepStatus.SENT, "missed-dose rule: care team alerted", now)
                    else:
                        _finish(step, StepStatus.SKIPPED, "missed-dose thresholds not reached", now)
                    continue
                if state == "missed":
                    _finish(step, StepStatus.SKIPPED,
                            "dose window closed before this reminder", now)
                    continue
            elif not labs_open.get(step.subject_id, False):
                _finish(step, StepStatus.SKIPPED, "lab test done or no longer planned", now)
                continue
            if key in snoozes:
                # Snoozed: the step stays pending and comes due again when the snooze ends.
                ReminderStep.objects.filter(pk=step.pk).update(fire_at=snoozes[key])
                continue
            if step.step < latest.get(key, step.step):
                _finish(step, StepStatus.SKIPPED, "superseded by a later reminder (sweep ran "
                        "late)", now)
                continue
            if not patient_channels(step.patient):
                _finish(step, StepStatus.SKIPPED, "patient chose no reminder channel", now)
                continue
            reminder_notifications(step, now=now)
            _finish(step, StepStatus.SENT, "", now)
    return len(steps)


def sweep(*, now: dt.datetime, batch_size: int = BATCH_SIZE, max_batches: int = 100) -> dict:
    """One reminder sweep: plan due steps, then process them in batches."""
    policy = Policy.current()
    planned = plan_dose_steps(now=now, policy=policy, batch_size=batch_size)
    planned += plan_lab_steps(now=now, batch_size=batch_size)
    processed = 0
    for _ in range(max_batches):
        n = process_batch(now=now, batch_size=batch_size)
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
