"""Writes for schedules, planned doses, the injection log, readiness and supply.

Every function takes keyword-only arguments and ``now`` explicitly, validates with
``full_clean()`` and runs in one transaction. Views and tasks only call these.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from b12care.accounts.models import PatientProfile, Role, User
from b12care.core import batches, events

from . import followups, scheduling
from .models import (
    INFLAMED_SITE_REACTIONS,
    LOCAL_REACTIONS,
    SYSTEMIC_REACTIONS,
    AdministeredBy,
    DoseStatus,
    EndKind,
    FollowUpAnswer,
    FollowUpKind,
    Injection,
    InjectionFollowUp,
    Phase,
    PlannedDose,
    ProtocolTemplate,
    Regimen,
    RegimenStatus,
    Site,
    SuitabilityAssessment,
    Supply,
    TemplatePhase,
    Timing,
    TrainingRecord,
)
from .selectors import readiness_reasons

log = logging.getLogger(__name__)

# Patients may log a time a little ahead of the server clock (their phone's clock drifts).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# Older than this is a mistyped year, not history (and near year 1 the matching window would
# run off the calendar).
OLDEST_ENTRY = dt.timedelta(days=100 * 365)
PATIENT_EDIT_PERIOD = dt.timedelta(hours=24)
PHASE_FIELDS = ("kind", "product", "dose", "unit", "repeat", "interval", "weekdays", "end_kind",
                "count", "until", "time_of_day", "start_date", "note")


# --- Schedules --------------------------------------------------------------------------------

def active_regimen(patient: PatientProfile) -> Regimen | None:
    return (
        Regimen.objects.filter(patient=patient, status=RegimenStatus.ACTIVE)
        .prefetch_related("phases")
        .first()
    )


def phases_of(regimen: Regimen) -> list[Phase]:
    return sorted(regimen.phases.all(), key=lambda p: p.order)


@dataclass
class Regeneration:
    created: int = 0
    removed: int = 0
    missed: int = 0


@transaction.atomic
def planned_doses_regenerate(*, patient: PatientProfile, now: dt.datetime) -> Regeneration:
    """Bring the patient's planned doses in line with their active regimen and time zone.

    Idempotent: running it twice changes nothing. Only future, untaken doses are replaced;
    taken doses and past due times are history and are never rewritten (a phase with no doses
    yet, e.g. a backdated new regimen, gets its past doses too). Untaken doses the schedule no
    longer contains at all (a phase ended before them) are removed. Open doses whose matching
    window has passed become missed. The hourly roll calls this for every patient.
    """
    result = Regeneration()
    regimen = active_regimen(patient)
    future_open = PlannedDose.objects.filter(
        patient=patient, status=DoseStatus.OPEN, due_at__gt=now
    )
    if regimen is None:
        result.removed = future_open.delete()[0]
        events.patient_data_changed([patient.pk], {events.DOSES}, now=now)
        return result
    # Doses of ended regimens are not due any more.
    result.removed += future_open.exclude(regimen=regimen).delete()[0]
    phases = phases_of(regimen)
    slots = scheduling.plan_slots([p.plan for p in phases], patient.tz, now=now)
    wanted = {(phases[slot.phase_index].pk, slot.sequence): (phases[slot.phase_index], slot)
              for slot in slots}
    existing = list(PlannedDose.objects.filter(regimen=regimen))
    stale = _stale_doses(existing, wanted, now=now,
                         horizon_end=max((slot.due_at for slot in slots), default=now))
    if stale:
        result.removed += PlannedDose.objects.filter(pk__in=stale).delete()[0]
    new = _missing_doses(regimen, [d for d in existing if d.pk not in stale], wanted, now=now,
                         phases_with_doses={d.phase_id for d in existing})
    bulk_create_with_history(new, PlannedDose, default_date=now)
    result.created = len(new)
    result.missed = planned_doses_mark_missed(patient=patient, now=now, announce=False)
    events.patient_data_changed([patient.pk], {events.DOSES}, now=now)
    return result


def _stale_doses(existing: list[PlannedDose], wanted: dict, *, now: dt.datetime,
                 horizon_end: dt.datetime) -> set[int]:
    """Untaken doses the schedule no longer has (within the horizon: a phase ended earlier
    than planned, even backdated, so they were never really due), and future ones whose time
    changed (a past one stays as history)."""
    stale = set()
    for dose in existing:
        if dose.status not in (DoseStatus.OPEN, DoseStatus.MISSED):
            continue
        slot = wanted.get((dose.phase_id, dose.sequence))
        gone = slot is None and dose.due_at <= horizon_end
        moved = dose.due_at > now and (slot is None or slot[1].due_at != dose.due_at)
        if gone or moved:
            stale.add(dose.pk)
    return stale


def _missing_doses(regimen: Regimen, kept: list[PlannedDose], wanted: dict, *,
                   now: dt.datetime, phases_with_doses: set[int]) -> list[PlannedDose]:
    """Unsaved doses for the wanted slots that have none yet; never past doses for a phase
    that already has history."""
    kept_keys = {(d.phase_id, d.sequence) for d in kept}
    taken_instants = {d.due_at for d in kept}
    new = []
    for key, (phase, slot) in wanted.items():
        if key in kept_keys or slot.due_at in taken_instants:
            continue
        if slot.due_at <= now and phase.pk in phases_with_doses:
            continue
        rec = phase.recurrence
        new.append(PlannedDose(
            regimen=regimen, phase=phase, patient_id=regimen.patient_id, sequence=slot.sequence,
            due_at=slot.due_at, window=scheduling.match_window(rec),
            grace=scheduling.on_time_grace(rec),
        ).fill_derived())
        taken_instants.add(slot.due_at)
    return new


def planned_doses_roll(*, now: dt.datetime) -> int:
    """``planned_doses_regenerate`` for every active patient on an active regimen, one
    transaction each. Idempotent, so running it twice (two beats) is harmless."""
    patients = PatientProfile.objects.filter(regimens__status=RegimenStatus.ACTIVE,
                                             user__is_active=True).distinct()
    return batches.each_in_own_transaction(
        patients, lambda patient: planned_doses_regenerate(patient=patient, now=now),
        what="Rolling planned doses")


def on_timezone_changed(changes: list[events.Change]) -> None:
    """Subscriber (``InjectionsConfig.ready``): future untaken doses move to the same
    wall-clock time in the patient's new zone; history is never rewritten."""
    for change in changes:
        for patient in PatientProfile.objects.filter(pk__in=change.patient_ids):
            planned_doses_regenerate(patient=patient, now=change.now)


@transaction.atomic(savepoint=False)
def planned_doses_mark_missed(*, patient: PatientProfile, now: dt.datetime,
                              announce: bool = True) -> int:
    """Open doses whose matching window has closed without an injection become missed.
    ``announce=False`` only for a caller that announces the change itself."""
    # due_at < now is implied (window >= 0) and bounds the scan of the patient's index.
    # Locked while read and written: an injection being matched to one of these right now
    # holds its lock (skipped here; a later sweep sees it again if it stays open).
    doses = list(PlannedDose.objects.select_for_update(skip_locked=True).filter(
        patient=patient, status=DoseStatus.OPEN, due_at__lt=now, window_end__lt=now))
    for dose in doses:
        dose.status = DoseStatus.MISSED
    # Row values and history rows in two statements, however many doses (no plain update():
    # it would write no history).
    missed = bulk_update_with_history(doses, PlannedDose, ["status"], default_date=now) or 0
    if missed and announce:
        events.patient_data_changed([patient.pk], {events.DOSES}, now=now)
    return missed


def template_phase_values(template_phase: TemplatePhase, *, start_date: dt.date | None,
                          time_of_day: dt.time, today: dt.date) -> dict:
    """A phase's values copied from the template; an end "on a date" counts its days from
    ``start_date`` (or from ``today``, the caller's day in the patient's zone)."""
    values = {name: getattr(template_phase, name) for name in (
        "order", "kind", "product", "dose", "unit", "repeat", "interval", "weekdays",
        "end_kind", "count", "note")}
    values["time_of_day"] = time_of_day
    values["start_date"] = start_date
    values["until"] = None
    if template_phase.end_kind == EndKind.UNTIL:
        base = start_date or today
        values["until"] = base + dt.timedelta(days=template_phase.until_after_days or 14)
    return values


def template_phases(template: ProtocolTemplate, *, start_date: dt.date,
                    time_of_day: dt.time, today: dt.date) -> list[Phase]:
    """Unsaved Phase objects copied from ``template`` (the first starts on ``start_date``)."""
    return [
        Phase(**template_phase_values(tp, start_date=start_date if i == 0 else None,
                                      time_of_day=time_of_day, today=today))
        for i, tp in enumerate(template.phases.order_by("order"))
    ]


def preview(phases: list[Phase], *, patient: PatientProfile, now: dt.datetime,
            limit: int = 8, only: Phase | None = None) -> list[dict]:
    """The next doses the given (possibly unsaved) phases would create, for the form preview:
    from the regimen's start (or from ``now`` for one phase, ``only``). For a whole regimen,
    at most ``PREVIEW_PER_PHASE`` doses of each phase, so every phase shows; a phase that only
    starts when a clinician ends the one before gets a row with ``waiting`` set."""
    for phase in phases:
        phase.clean()  # raises ValidationError with a readable message
    plans = [p.plan for p in phases]
    after = now
    start = min((p.start_date for p in phases if p.start_date), default=None)
    if only is None and start is not None:
        start_instant = scheduling.to_utc(start, dt.time(0), patient.tz)
        after = min(now, start_instant - dt.timedelta(seconds=1))
    ahead = limit if only is not None else sum(
        (p.count or 0) if p.end_kind == "count" else PREVIEW_PER_PHASE for p in phases
    ) + PREVIEW_PER_PHASE
    slots = scheduling.plan_slots(plans, patient.tz, now=after, since=after,
                                  horizon=dt.timedelta(days=800), min_ahead=ahead)
    if only is not None:
        return _preview_rows([s for s in slots if phases[s.phase_index] is only], phases,
                             patient, limit)
    shown = [s for s in slots if s.sequence <= PREVIEW_PER_PHASE or (
        phases[s.phase_index].end_kind == "count" and s.sequence == phases[s.phase_index].count)]
    rows = _preview_rows(shown, phases, patient, len(shown))
    seen = {id(row["phase"]) for row in rows}
    rows += [{"phase": p, "waiting": True} for p in phases if id(p) not in seen]
    return rows


PREVIEW_PER_PHASE = 3


def _preview_rows(slots, phases, patient, limit) -> list[dict]:
    return [{"phase": phases[slot.phase_index], "sequence": slot.sequence,
             "due_at": slot.due_at, "local": slot.due_at.astimezone(patient.tz)}
            for slot in slots[:limit]]


@transaction.atomic
def regimen_create_from_template(
    *, patient: PatientProfile, template: ProtocolTemplate, start_date: dt.date,
    time_of_day: dt.time, created_by: User, now: dt.datetime,
) -> Regimen:
    """Give ``patient`` a new active regimen copied from ``template``; an existing active
    regimen ends (its future untaken doses go). Starts the default lab monitoring plan."""
    with events.batch():  # one announcement, after every write
        return _regimen_create(patient=patient, template=template, start_date=start_date,
                               time_of_day=time_of_day, created_by=created_by, now=now)


def _regimen_create(*, patient, template, start_date, time_of_day, created_by, now) -> Regimen:
    phases = template_phases(template, start_date=start_date, time_of_day=time_of_day,
                             today=scheduling.local_day(now, patient.tz))
    if not phases:
        raise ValidationError("This template has no phases.")
    # NO KEY: rows that reference the regimen (doses) stay insertable and checkable meanwhile.
    previous = Regimen.objects.select_for_update(no_key=True).filter(
        patient=patient, status=RegimenStatus.ACTIVE
    )
    for old in previous:
        regimen_end(regimen=old, by=created_by, now=now)
    regimen = Regimen(patient=patient, template=template, name=template.name,
                      start_date=start_date, created_by=created_by)
    regimen.full_clean()
    regimen.save()
    for phase in phases:
        phase.regimen = regimen
        phase.full_clean()
        phase.save()
    planned_doses_regenerate(patient=patient, now=now)
    first = regimen.planned_doses.order_by("due_at").first()
    treatment_start = scheduling.local_day(first.due_at, patient.tz) if first else start_date
    # labs starts its default monitoring plan from this day (b12care.core.events)
    events.patient_data_changed([patient.pk], {events.TREATMENT_STARTED}, now=now,
                                by=created_by, detail={"treatment_start": treatment_start})
    return regimen


@transaction.atomic
def regimen_end(*, regimen: Regimen, by: User, now: dt.datetime) -> Regimen:
    regimen.status = RegimenStatus.ENDED
    regimen.ended_at = now
    regimen.save(update_fields=["status", "ended_at", "updated_at"])
    PlannedDose.objects.filter(regimen=regimen, status=DoseStatus.OPEN, due_at__gt=now).delete()
    events.patient_data_changed([regimen.patient_id], {events.DOSES}, now=now, by=by)
    return regimen


@transaction.atomic
def phase_update(*, phase: Phase, by: User, now: dt.datetime, **values) -> Phase:
    """Change a phase's plain choices; future untaken doses follow, history stays."""
    unknown = set(values) - set(PHASE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown phase fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(phase, name, value)
    if phase.end_kind != EndKind.COUNT:
        phase.count = None
    if phase.end_kind != EndKind.UNTIL:
        phase.until = None
    phase.full_clean()
    phase.save()
    planned_doses_regenerate(patient=phase.regimen.patient, now=now)
    return phase


@transaction.atomic
def phase_add(*, regimen: Regimen, by: User, now: dt.datetime, **values) -> Phase:
    order = (regimen.phases.aggregate(m=Max("order"))["m"] or 0) + 1
    phase = Phase(regimen=regimen, order=order)
    return phase_update(phase=phase, by=by, now=now, **values)


@transaction.atomic
def phase_end(*, phase: Phase, end_date: dt.date, by: User, now: dt.datetime) -> Phase:
    """A clinician ends a phase on ``end_date`` ("no further improvement"); the next phase
    continues from that day (its first dose one of its own intervals later)."""
    if phase.ended_on is not None:
        raise ValidationError("This phase has already ended.")
    spans = scheduling.phase_spans([p.plan for p in phases_of(phase.regimen)])
    span = spans[[p.pk for p in phases_of(phase.regimen)].index(phase.pk)]
    if span.anchor is None:
        raise ValidationError("This phase has not started yet; end the phase before it first.")
    if end_date < span.anchor:
        raise ValidationError({"end_date": "The end date cannot be before the phase started."})
    today = scheduling.local_day(now, phase.regimen.patient.tz)
    if end_date > today + dt.timedelta(days=366):
        raise ValidationError({"end_date": "Choose an end date within the next year."})
    phase.ended_on = end_date
    phase.ended_by = by
    phase.full_clean()
    phase.save()
    planned_doses_regenerate(patient=phase.regimen.patient, now=now)
    return phase


# --- Self-injection readiness -----------------------------------------------------------------

@dataclass
class Readiness:
    ready: bool
    assessment: SuitabilityAssessment | None
    training: TrainingRecord | None
    reasons: list[str] = field(default_factory=list)
    contact: str = "your clinic"


def self_injection_readiness(patient: PatientProfile, *, audience: str = "patient") -> Readiness:
    """Self-injection needs a suitable assessment and a complete observed training. The
    reasons are worded for ``audience``: "patient" (you) or "clinician" (the patient)."""
    assessment = patient.suitability_assessments.select_related("assessed_by").first()
    training = patient.training_records.select_related("observed_by").first()
    reasons = readiness_reasons(
        suitable=None if assessment is None else assessment.suitable,
        trained=None if training is None else training.complete,
        audience=audience,
    )
    member = patient.care_team.select_related("clinician").order_by("-is_primary").first()
    contact = str(member.clinician) if member else "your clinic"
    return Readiness(not reasons, assessment, training, reasons, contact)


def _require_clinician(user: User) -> None:
    if user.role not in (Role.CLINICIAN, Role.ADMIN):
        raise PermissionDenied("Only clinicians can do this.")


@transaction.atomic
def assessment_record(*, patient: PatientProfile, by: User, assessed_on: dt.date,
                      items: dict[str, bool], notes: str = "") -> SuitabilityAssessment:
    _require_clinician(by)
    checked = {k: bool(items.get(k)) for k in SuitabilityAssessment.ITEMS}
    assessment = SuitabilityAssessment(patient=patient, assessed_by=by, assessed_on=assessed_on,
                                       notes=notes, **checked)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def training_record(*, patient: PatientProfile, by: User, observed_on: dt.date,
                    items: dict[str, bool], notes: str = "") -> TrainingRecord:
    _require_clinician(by)
    record = TrainingRecord(patient=patient, observed_by=by, observed_on=observed_on, notes=notes,
                            **{k: bool(items.get(k)) for k in TrainingRecord.ITEMS})
    record.full_clean()
    record.save()
    return record


# --- Injection log ----------------------------------------------------------------------------

INJECTION_FIELDS = ("taken_at", "product", "dose", "unit", "lot_number", "expiry_date", "site",
                    "administered_by", "pain", "notes", "timing", *LOCAL_REACTIONS,
                    *SYSTEMIC_REACTIONS)


@dataclass
class Recorded:
    injection: Injection
    created: bool
    findings: list
    warnings: list[str]
    planned_dose: PlannedDose | None


def _check_injection(injection: Injection, *, now: dt.datetime) -> None:
    if injection.taken_at is None:
        raise ValidationError({"taken_at": "Enter when the injection was given."})
    if injection.taken_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"taken_at": "The time cannot be in the future."})
    if injection.taken_at < now - OLDEST_ENTRY:
        raise ValidationError({"taken_at": "Check the year: this is more than 100 years ago."})
    if injection.administered_by == AdministeredBy.SELF:
        readiness = self_injection_readiness(injection.patient)
        if not readiness.ready:
            raise ValidationError({"administered_by": (
                "Self-injection is not set up yet: " + " ".join(readiness.reasons)
                + f" Ask {readiness.contact}."
            )})
    # patient and recorded_by come from the caller's checked objects: no existence queries
    injection.full_clean(exclude=["form_token", "patient", "recorded_by"])


def _warnings(injection: Injection, *, now: dt.datetime) -> list[str]:
    warnings = []
    taken_day = scheduling.local_day(injection.taken_at, injection.patient.tz)
    if injection.expiry_date and injection.expiry_date < taken_day:
        warnings.append(
            f"The batch expired on {injection.expiry_date:%-d %b %Y}, before this injection. "
            "Tell your clinic and do not use ampoules from this batch."
        )
    if injection.site in (Site.LEFT_DORSOGLUTEAL, Site.RIGHT_DORSOGLUTEAL):
        warnings.append("The buttock (dorsogluteal) site is not advised because of the sciatic "
                        "nerve. Use the thigh, hip or arm next time.")
    return warnings


def _match(injection: Injection) -> PlannedDose | None:
    """Attach ``injection`` to the nearest open (or missed) planned dose within its window;
    outside every window, to the next open dose when the patient said it was taken early."""
    taken = injection.taken_at
    candidates = list(
        # Only the doses: locking the joined regimen row too would block other writers'
        # foreign-key checks on it (and deadlock with the dose read-model refresh).
        PlannedDose.objects.select_for_update(of=("self",)).filter(
            patient=injection.patient,
            regimen__status=RegimenStatus.ACTIVE,
            status__in=[DoseStatus.OPEN, DoseStatus.MISSED],
            due_at__gte=taken - scheduling.MAX_MATCH_WINDOW,
            due_at__lte=taken + scheduling.MAX_MATCH_WINDOW,
        )
    )
    key = scheduling.nearest_open_dose(
        [scheduling.OpenDose(d.pk, d.due_at, d.window) for d in candidates], taken
    )
    if key is not None:
        dose = next(d for d in candidates if d.pk == key)
    elif injection.timing == Timing.EARLY:  # the patient said: my next dose, taken early
        dose = (PlannedDose.objects.select_for_update(of=("self",))
                .filter(patient=injection.patient, regimen__status=RegimenStatus.ACTIVE,
                        status=DoseStatus.OPEN, due_at__gt=taken).order_by("due_at").first())
        if dose is None:
            return None
    else:
        return None
    dose.status = DoseStatus.TAKEN
    dose.injection = injection
    dose.save(update_fields=["status", "injection"])
    return dose


def _release(injection: Injection, *, now: dt.datetime) -> None:
    dose = PlannedDose.objects.filter(injection=injection).first()
    if dose is not None:
        closed = dose.window_end < now
        dose.status = DoseStatus.MISSED if closed else DoseStatus.OPEN
        dose.injection = None
        dose.save(update_fields=["status", "injection"])


def _uses_home_supply(injection: Injection) -> bool:
    return injection.administered_by in (AdministeredBy.SELF, AdministeredBy.CARER)


# Web forms send 32 of these (entry.new_form_token); the API sends "api-<patient>-<token>".
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@transaction.atomic
def injection_record(
    *, patient: PatientProfile, recorded_by: User, now: dt.datetime,
    form_token: str | None = None, **values,
) -> Recorded:
    """Log one injection, match it to the dose it fulfils (or record it as extra), use one
    ampoule of home supply, and run the red-flag rules in the same transaction.

    A repeated ``form_token`` (double submit, retry after a timeout) returns the injection
    already recorded instead of a second one. A token that is not one of ours (wrong length
    or characters) is ignored: it only protects against double submits."""
    form_token = form_token if form_token and FORM_TOKEN.fullmatch(form_token) else None
    if form_token:
        existing = Injection.objects.filter(patient=patient, form_token=form_token).first()
        if existing is not None:
            return Recorded(existing, False, [], [], getattr(existing, "planned_dose", None))
    unknown = set(values) - set(INJECTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown injection fields: {sorted(unknown)}")
    injection = Injection(patient=patient, recorded_by=recorded_by, form_token=form_token or None,
                          **values)
    _check_injection(injection, now=now)
    try:
        with transaction.atomic():
            injection.save()
    except IntegrityError:
        existing = Injection.objects.filter(form_token=form_token, patient=patient).first()
        if existing is None:
            raise
        return Recorded(existing, False, [], [], getattr(existing, "planned_dose", None))
    dose = _match(injection)
    followups.followups_schedule(injection=injection, created=True)
    if _uses_home_supply(injection):
        # Locked and saved (not a set-wise update) so the supply's history shows each ampoule.
        supply = Supply.objects.select_for_update().filter(patient=patient,
                                                           ampoules_on_hand__gt=0).first()
        if supply is not None:
            supply.ampoules_on_hand -= 1
            supply.save(update_fields=["ampoules_on_hand"])
    findings = events.patient_data_changed([patient.pk], {events.INJECTIONS, events.DOSES},
                                           now=now, by=recorded_by)
    return Recorded(injection, True, list(findings), _warnings(injection, now=now), dose)


TOO_OLD_TO_CHANGE = ("Entries older than 24 hours can only be changed by your clinic. Ask them "
                     "if something is wrong.")


def change_refusal(injection: Injection, user: User, *, now: dt.datetime) -> str | None:
    """Why ``user`` may not correct or delete ``injection`` at ``now``, or None if they may.

    Patients may change only entries they recorded themselves, for 24 hours; an entry their
    clinic recorded is the clinic's (the patient sees it read-only). Clinicians (already
    scoped to their patients by the caller) may correct any entry at any time. The history
    keeps every version."""
    if user.role in (Role.CLINICIAN, Role.ADMIN):
        return None
    if user.role != Role.PATIENT or injection.patient.user_id != user.pk:
        return "Only the patient or their clinic can change this entry."
    if injection.recorded_by_id != user.pk:
        return "Your clinic recorded this entry, so only they can change it. Ask them if " \
               "something is wrong."
    if now - injection.created_at > PATIENT_EDIT_PERIOD:
        return TOO_OLD_TO_CHANGE
    return None


def can_change(injection: Injection, user: User, *, now: dt.datetime) -> bool:
    """Whether ``user`` may correct or delete ``injection`` at ``now`` (see change_refusal)."""
    return change_refusal(injection, user, now=now) is None


@transaction.atomic
def injection_update(*, injection: Injection, by: User, now: dt.datetime, **values) -> Recorded:
    refusal = change_refusal(injection, by, now=now)
    if refusal:
        raise PermissionDenied(refusal)
    unknown = set(values) - set(INJECTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown injection fields: {sorted(unknown)}")
    was_home = _uses_home_supply(injection)
    for name, value in values.items():
        setattr(injection, name, value)
    _check_injection(injection, now=now)
    _release(injection, now=now)
    injection.save()
    dose = _match(injection)
    followups.followups_schedule(injection=injection, created=False)
    is_home = _uses_home_supply(injection)
    if was_home != is_home:
        supply = Supply.objects.filter(patient=injection.patient).first()
        if supply is not None:
            supply.ampoules_on_hand = max(0, supply.ampoules_on_hand + (1 if was_home else -1))
            supply.save(update_fields=["ampoules_on_hand"])
    findings = events.patient_data_changed([injection.patient_id],
                                           {events.INJECTIONS, events.DOSES}, now=now, by=by)
    return Recorded(injection, False, list(findings), _warnings(injection, now=now), dose)


@transaction.atomic
def injection_delete(*, injection: Injection, by: User, now: dt.datetime) -> None:
    """Delete an entry (the history table keeps it); its planned dose is due again."""
    refusal = change_refusal(injection, by, now=now)
    if refusal:
        raise PermissionDenied(refusal)
    _release(injection, now=now)
    injection.delete()
    # Doses only: a deleted entry raises no red flag at once (the rule sweep looks again).
    events.patient_data_changed([injection.patient_id], {events.DOSES}, now=now, by=by)


# --- Site rotation ----------------------------------------------------------------------------

# Order used to break ties between never-used sites: thighs are easiest for self-injection.
ROTATION = (Site.LEFT_THIGH, Site.RIGHT_THIGH, Site.LEFT_VENTROGLUTEAL, Site.RIGHT_VENTROGLUTEAL,
            Site.LEFT_DELTOID, Site.RIGHT_DELTOID)
INFLAMED_DAYS = 7


@dataclass
class SiteSuggestion:
    site: str | None
    avoid: dict[str, str]  # site -> why (painful/inflamed recently)
    last_used: dict[str, dt.datetime]

    @property
    def site_label(self) -> str:
        return Site(self.site).label if self.site else ""


def suggest_site(patient: PatientProfile, *, now: dt.datetime) -> SiteSuggestion:
    """The least recently used site, never dorsogluteal, never one flagged painful or
    inflamed in the last 7 days, never one the patient said is still sore at the site
    follow-up until they (or the clinic) clear it. None when every site is flagged."""
    last_used: dict[str, dt.datetime] = {}
    avoid: dict[str, str] = {}
    since = now - dt.timedelta(days=INFLAMED_DAYS)
    fields = ["site", "taken_at", "still_sore", *INFLAMED_SITE_REACTIONS]
    still_sore = Exists(InjectionFollowUp.objects.filter(
        injection=OuterRef("pk"), kind=FollowUpKind.SITE, answer=FollowUpAnswer.YES,
        cleared_at__isnull=True))
    rows = (Injection.objects.filter(patient=patient).annotate(still_sore=still_sore)
            .order_by("-taken_at").values(*fields)[:60])
    # One row per site: the latest injection there, plus any flagged ones in the last week.
    for row in rows:
        last_used.setdefault(row["site"], row["taken_at"])
        if row["still_sore"]:
            avoid.setdefault(row["site"], "you said it is still sore: tell us when it is fine")
        elif row["taken_at"] >= since and any(row[name] for name in INFLAMED_SITE_REACTIONS):
            avoid.setdefault(row["site"], "painful or inflamed in the last 7 days")
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    choices = [s for s in ROTATION if s not in avoid]
    choices.sort(key=lambda s: (last_used.get(s, never), ROTATION.index(s)))
    return SiteSuggestion(choices[0] if choices else None, avoid, last_used)


# --- Supply -----------------------------------------------------------------------------------

@transaction.atomic
def supply_set(*, patient: PatientProfile, ampoules: int, by: User, now: dt.datetime) -> Supply:
    supply, _ = Supply.objects.get_or_create(patient=patient, defaults={"counted_at": now})
    supply.ampoules_on_hand = ampoules
    supply.counted_at = now
    supply.updated_by = by
    supply.full_clean()
    supply.save()
    return supply
