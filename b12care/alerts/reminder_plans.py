"""Planning dose and lab reminders: the reminder policy, quiet hours, the steps of one dose,
and the plan rows written ahead of time (docs/alerts.md, "Reminders").

Each planned dose has steps: 0 = first reminder at the patient's local ``reminder_time`` on the
due day, 1..N = repeats every few hours while the dose is not logged, 99 = escalation when the
missed-dose rule's lateness is reached. Each dose is computed once, when it enters the
look-ahead: steps already due become pending ``ReminderStep`` rows, later ones ``ReminderPlan``
rows that ``reminder_sweep`` promotes when due. Patients whose settings changed, or everyone
after a policy change, are re-planned. Safe to run twice at once (unique rows,
``ignore_conflicts``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, QuerySet

from b12care.accounts.models import PatientProfile
from b12care.core import clock
from injections.models import DoseStatus, PlannedDose
from labs.models import PlannedLab, PlanStatus

from .config import thresholds_for
from .models import (
    AlertRule,
    ReminderPlan,
    ReminderSnooze,
    ReminderStep,
    ReminderSubject,
    StepKind,
)

BATCH_SIZE = 200
ESCALATION = ReminderStep.ESCALATION_STEP
# The first reminder falls on the due day at the patient's reminder time, which may be up to a
# day before due_at: plan for doses due within this look-ahead.
LOOKAHEAD = dt.timedelta(hours=36)
# A plan row lives from when its dose enters the look-ahead until it fires: at most the longest
# lateness (maintenance escalation) plus the look-ahead. Patients changed within this window
# may have stale plans.
PLAN_LIFETIME = dt.timedelta(days=21)
MAX_SNOOZE = dt.timedelta(hours=24)

Step = tuple[int, str, dt.datetime]  # (step, kind, fire_at UTC)


@dataclass(frozen=True)
class Policy:
    repeat_count: int = 2
    repeat_hours: float = 4
    induction_late_hours: float = 24
    maintenance_late_days: float = 14

    @classmethod
    def current(cls) -> Policy:
        """The policy the admin set on the missed-dose rule."""
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


def lab_due_at(due_date: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A planned lab is due on a local day; its instant is that day's local midnight."""
    return clock.to_utc(due_date, dt.time(0), tz)


def dose_steps(*, due_at: dt.datetime, phase_kind: str, patient: PatientProfile,
               policy: Policy) -> list[Step]:
    """Every step of one dose."""
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


def lab_steps(*, due_at: dt.datetime, patient: PatientProfile) -> list[Step]:
    tz = patient.tz
    first = first_reminder_at(due_at, tz, patient.reminder_time)
    quiet = (patient.quiet_hours_start, patient.quiet_hours_end)
    return [(0, StepKind.REMINDER, respect_quiet_hours(first, tz, *quiet))]


# --- Dose plans ---------------------------------------------------------------------------------
def _existing(subject: str, ids: list[int]) -> set[tuple[int, int]]:
    return set(ReminderStep.objects.filter(subject=subject, subject_id__in=ids)
               .values_list("subject_id", "step"))


def _dose_candidates(*, now: dt.datetime, policy: Policy) -> QuerySet[PlannedDose]:
    longest = dt.timedelta(days=policy.maintenance_late_days, hours=policy.induction_late_hours)
    oldest = now - longest - dt.timedelta(days=1)
    return (PlannedDose.objects
            .filter(status__in=[DoseStatus.OPEN, DoseStatus.MISSED], due_at__gte=oldest,
                    due_at__lte=now + LOOKAHEAD, patient__user__is_active=True)
            .select_related("patient", "phase").order_by("pk"))


def _plan_doses(doses: list[PlannedDose], *, now: dt.datetime, policy: Policy) -> int:
    """Compute every step of ``doses``: steps already due become pending ``ReminderStep`` rows
    at once, later ones ``ReminderPlan`` rows. Steps that already have a record are left."""
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


def _of_dose(model) -> Exists:
    return Exists(model.objects.filter(subject=ReminderSubject.DOSE, subject_id=OuterRef("pk")))


def dose_steps_plan(*, now: dt.datetime, policy: Policy, batch_size: int = BATCH_SIZE) -> int:
    """Plan doses not planned yet (no plan and no step row): each dose is computed once, when
    it enters the look-ahead, not on every sweep."""
    candidates = (_dose_candidates(now=now, policy=policy)
                  .exclude(_of_dose(ReminderPlan)).exclude(_of_dose(ReminderStep)))
    created, last_pk = 0, 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return created
        last_pk = batch[-1].pk
        created += _plan_doses(batch, now=now, policy=policy)


def _stale_patients(*, now: dt.datetime) -> set[int] | None:
    """Patients whose plans are older than their last settings change; None = everyone's
    (the reminder policy changed after the oldest plan). Two indexed look-ups when nothing
    changed."""
    plans = ReminderPlan.objects.filter(subject=ReminderSubject.DOSE)
    rule_changed = (AlertRule.objects
                    .filter(code="missed_doses", updated_at__gt=now - PLAN_LIFETIME)
                    .values_list("updated_at", flat=True).first())
    if rule_changed is not None:
        oldest = plans.aggregate(oldest=Min("created_at"))["oldest"]
        if oldest is not None and oldest < rule_changed:
            return None
    changed = PatientProfile.objects.filter(updated_at__gt=now - PLAN_LIFETIME)
    return set(plans.filter(patient__in=changed.values("pk"),
                            patient__updated_at__gt=F("created_at"))
               .values_list("patient_id", flat=True).distinct())


def stale_plans_replan(*, now: dt.datetime, policy: Policy,
                       batch_size: int = BATCH_SIZE) -> int:
    """Re-plan the future steps of patients whose settings changed after their plan was made
    (reminder time, quiet hours, time zone, account), and of everyone if the reminder policy
    (the missed-dose rule) changed."""
    stale_patients = _stale_patients(now=now)
    if stale_patients is not None and not stale_patients:
        return 0
    plans = ReminderPlan.objects.filter(subject=ReminderSubject.DOSE)
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


# --- Lab reminders ------------------------------------------------------------------------------
def _lab_step_rows(batch: list[PlannedLab], *, now: dt.datetime) -> list[ReminderStep]:
    existing = _existing(ReminderSubject.LAB, [p.pk for p in batch])
    rows = []
    for planned in batch:
        due_at = lab_due_at(planned.due_date, planned.patient.tz)
        for step, kind, fire_at in lab_steps(due_at=due_at, patient=planned.patient):
            if fire_at <= now and (planned.pk, step) not in existing:
                rows.append(ReminderStep(
                    patient=planned.patient, subject=ReminderSubject.LAB,
                    subject_id=planned.pk, step=step, kind=kind, due_at=due_at,
                    fire_at=fire_at))
    return rows


def lab_steps_plan(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Lab reminders (one step, a few per patient per year) are computed when due, for open
    labs in a short window that have no step yet."""
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
        rows = _lab_step_rows(batch, now=now)
        ReminderStep.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)


def reminders_plan(*, now: dt.datetime, policy: Policy | None = None) -> int:
    """Plan ahead: re-plan what went stale, then plan new doses and due labs."""
    policy = policy or Policy.current()
    planned = stale_plans_replan(now=now, policy=policy)
    planned += dose_steps_plan(now=now, policy=policy)
    planned += lab_steps_plan(now=now)
    return planned


# --- Patient actions ----------------------------------------------------------------------------
@transaction.atomic
def reminder_snooze(*, patient: PatientProfile, subject: str, subject_id: int,
                    until: dt.datetime, now: dt.datetime) -> ReminderSnooze:
    """Hold reminders about one of the patient's own doses or labs until ``until``."""
    if not now < until <= now + MAX_SNOOZE:
        raise ValidationError("Choose a snooze of up to 24 hours.")
    model = PlannedDose if subject == ReminderSubject.DOSE else PlannedLab
    if not model.objects.filter(pk=subject_id, patient=patient).exists():
        raise ValidationError("That reminder is not yours.")
    snooze, _ = ReminderSnooze.objects.update_or_create(
        subject=subject, subject_id=subject_id, defaults={"patient": patient, "until": until}
    )
    return snooze
