"""Writes of the labs app: results (validated, normalised, flagged) and monitoring-plan edits.

Keyword-only arguments, ``now`` passed explicitly, ``full_clean()`` before saving, one
transaction each. The latest-result read model (``labs.latest``) is kept in the same
transaction, and the change is announced there (``b12care.core.events``: red-flag rules,
triage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from simple_history.utils import bulk_update_with_history

from b12care.accounts.models import PatientProfile, Role, User
from b12care.core import clock, events

from . import latest, monitoring, preferences, units
from .models import Analyte, LabResult, PlannedLab, PlanStatus, Source

# A result time in the future beyond this is a typo (phones' clocks drift a little).
FUTURE_TOLERANCE = dt.timedelta(hours=12)
DEFAULT_SAMPLE_TIME = dt.time(9, 0)  # when only the day is known: a typical morning clinic


@dataclass
class Recorded:
    result: LabResult
    findings: list = field(default_factory=list)
    fulfilled: list = field(default_factory=list)  # PlannedLab rows this result fulfilled


def conversions_of(analyte: Analyte) -> dict[str, units.Conversion]:
    return {u.unit: units.Conversion(u.multiply, u.divide) for u in analyte.units.all()}


def _local_instant(day: dt.date, time: dt.time | None, tz) -> dt.datetime:
    """A sample's day and wall-clock time in the patient's zone, as UTC."""
    return clock.to_utc(day, time or DEFAULT_SAMPLE_TIME, tz)


@transaction.atomic
def result_record(
    *, patient: PatientProfile, analyte: Analyte, sampled_on: dt.date,
    sampled_time: dt.time | None = None, value=None, unit: str = "", qualitative: str = "",
    lab_name: str = "", notes: str = "", by: User, now: dt.datetime,
) -> Recorded:
    """Validate, normalise to the canonical unit, flag, save; fulfil a planned lab; run rules.
    Raises ValidationError (field -> message) for anything we refuse; nothing is saved then."""
    sampled_at = _local_instant(sampled_on, sampled_time, patient.tz)
    if sampled_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"sampled_on": "The sample date is in the future. Use the date "
                                             "the blood was taken."})
    result = LabResult(
        patient=patient, analyte=analyte, sampled_at=sampled_at, sampled_on=sampled_on,
        lab_name=(lab_name or "").strip(), notes=(notes or "").strip(), entered_by=by,
        source=Source.PATIENT if by.role == Role.PATIENT else Source.CLINICIAN,
    )
    if analyte.is_qualitative:
        answer = (qualitative or "").strip().lower()
        if answer not in analyte.answer_choices:
            raise ValidationError({"qualitative": "Choose the result shown on your report: "
                                                  + ", ".join(analyte.answer_choices) + "."})
        result.qualitative = answer
        result.flag = units.qualitative_flag(answer, analyte.qualitative_normal)
    else:
        try:
            entered = units.parse_value(value)
            unit_name = units.canonical_unit_name(unit)
            canonical = units.to_canonical(entered, unit_name, conversions_of(analyte))
            units.check_plausible(canonical, low=analyte.min_plausible,
                                  high=analyte.max_plausible, unit=analyte.canonical_unit,
                                  name=analyte.short_name)
        except units.LabValueError as exc:
            target = "unit" if isinstance(exc, units.UnknownUnit) else "value"
            raise ValidationError({target: str(exc)}) from None
        result.value_entered, result.unit_entered, result.value = entered, unit_name, canonical
        result.flag = analyte.flag_for(canonical, patient.sex)
        result.band = units.band(canonical, analyte.bands)
    result.full_clean()
    result.save()
    if result.unit_entered:
        preferences.unit_remember(patient=patient, analyte=analyte, unit=result.unit_entered,
                                  now=now)
    latest.offer(result)
    fulfilled = planned_labs_fulfil(patient=patient, results=[result])
    findings = events.patient_data_changed([patient.pk], {events.LABS, events.LAB_PLAN}, now=now,
                                           by=by)
    return Recorded(result, list(findings), fulfilled)


def planned_labs_fulfil(*, patient: PatientProfile,
                                 results: list[LabResult] | None = None) -> list[PlannedLab]:
    """Mark open planned labs done by results sampled inside their windows (oldest result
    first). With ``results`` only those are tried; otherwise every result of the patient."""
    open_rows = list(PlannedLab.objects.select_for_update()
                     .filter(patient=patient, status=PlanStatus.OPEN))
    if not open_rows:
        return []
    if results is None:
        analyte_ids = {row.analyte_id for row in open_rows}
        results = list(LabResult.objects.filter(patient=patient, analyte_id__in=analyte_ids)
                       .order_by("sampled_at", "pk"))
    by_id = {row.pk: row for row in open_rows}
    done = []
    for result in results:
        items = [monitoring.OpenItem(r.pk, r.analyte_id, r.due_date, r.window_start,
                                     r.window_end) for r in by_id.values()]
        match = monitoring.find_match(items, analyte_id=result.analyte_id,
                                      sampled_on=result.sampled_on)
        if match is None:
            continue
        row = by_id.pop(match)
        row.status, row.fulfilled_by = PlanStatus.DONE, result
        row.save(update_fields=["status", "fulfilled_by", "updated_at"])
        done.append(row)
    return done


# --- Correcting a mistake: deleting a result --------------------------------------------------

PATIENT_DELETE_WINDOW = dt.timedelta(hours=24)


def can_delete_result(result: LabResult, user: User, *, now: dt.datetime) -> bool:
    """A patient may delete a result they entered themselves, for 24 hours; a clinician on the
    care team may delete any (the caller has checked access). History keeps the deleted row."""
    if user.role in (Role.CLINICIAN, Role.ADMIN):
        return True
    return (user.role == Role.PATIENT and result.entered_by_id == user.pk
            and result.source == Source.PATIENT
            and now - result.created_at <= PATIENT_DELETE_WINDOW)


@transaction.atomic
def result_delete(*, result: LabResult, by: User, now: dt.datetime) -> None:
    if not can_delete_result(result, by, now=now):
        raise PermissionDenied("After 24 hours only your clinic can remove a result.")
    patient = result.patient
    # A planned test this result had fulfilled is due again, unless another result fits it.
    reopened = list(PlannedLab.objects.filter(fulfilled_by=result))
    for planned in reopened:
        planned.status, planned.fulfilled_by, planned.updated_at = PlanStatus.OPEN, None, now
    bulk_update_with_history(reopened, PlannedLab, ["status", "fulfilled_by", "updated_at"],
                             default_user=by, default_date=now)
    pair = (result.patient_id, result.analyte_id)
    result.delete()
    latest.refresh([pair])  # the result sampled before it, if any, is the latest now
    planned_labs_fulfil(patient=patient)
    events.patient_data_changed([patient.pk], {events.LABS, events.LAB_PLAN}, now=now, by=by)


# --- Plan edits (clinicians) -------------------------------------------------------------------

def _window(due_date: dt.date, days_before: int, days_after: int) -> tuple[dt.date, dt.date]:
    if days_before < 0 or days_after < 0:
        raise ValidationError("The window cannot be negative.")
    return due_date - dt.timedelta(days=days_before), due_date + dt.timedelta(days=days_after)


@transaction.atomic
def planned_lab_add(*, patient: PatientProfile, analyte: Analyte, label: str, due_date: dt.date,
                    days_before: int = 3, days_after: int = 7, note: str = "",
                    by: User, now: dt.datetime) -> PlannedLab:
    start, end = _window(due_date, days_before, days_after)
    row = PlannedLab(patient=patient, analyte=analyte, label=label.strip() or analyte.name,
                     due_date=due_date, window_start=start, window_end=end,
                     note=note.strip(), created_by=by)
    row.full_clean()
    row.save()
    planned_labs_fulfil(patient=patient)
    _announce_plan(patient.pk, now=now, by=by)
    row.refresh_from_db()
    return row


@transaction.atomic
def planned_lab_update(*, planned: PlannedLab, label: str, due_date: dt.date,
                       days_before: int, days_after: int, note: str = "",
                       by: User, now: dt.datetime) -> PlannedLab:
    if planned.status != PlanStatus.OPEN:
        raise ValidationError("Only a planned test that is still open can be changed.")
    planned.label = label.strip() or planned.analyte.name
    planned.due_date = due_date
    planned.window_start, planned.window_end = _window(due_date, days_before, days_after)
    planned.note = note.strip()
    planned.full_clean()
    planned.save()
    planned_labs_fulfil(patient=planned.patient)
    _announce_plan(planned.patient_id, now=now, by=by)
    planned.refresh_from_db()
    return planned


@transaction.atomic
def planned_lab_cancel(*, planned: PlannedLab, by: User, now: dt.datetime,
                       reason: str = "") -> PlannedLab:
    """Remove a test from the plan (kept as cancelled, so the history shows it)."""
    if planned.status == PlanStatus.OPEN:
        planned.status = PlanStatus.CANCELLED
        planned.note = (reason or "Removed from the plan by the clinician.").strip()[:200]
        planned.save(update_fields=["status", "note", "updated_at"])
        _announce_plan(planned.patient_id, now=now, by=by)
    return planned


def _announce_plan(patient_id: int, *, now: dt.datetime, by: User | None) -> None:
    events.patient_data_changed([patient_id], {events.LAB_PLAN}, now=now, by=by)


# --- The default plan when treatment starts ----------------------------------------------------

@transaction.atomic
def default_plan_create(
    *, patient: PatientProfile, treatment_start: dt.date, now: dt.datetime,
    created_by: User | None = None,
) -> list[PlannedLab]:
    """When treatment starts (announced by injections): the default plan from CLINICAL.md.
    Idempotent for the same patient and start date. Open default items of an earlier start are
    cancelled (the new plan replaces them; tests a clinician added by hand stay). Results
    already entered inside a window fulfil their item at once. Returns the planned labs of
    this start date."""
    analytes = {a.key: a for a in Analyte.objects.filter(is_active=True)}
    replaced = list(PlannedLab.objects.filter(
        patient=patient, status=PlanStatus.OPEN, treatment_start__lt=treatment_start,
    ).exclude(plan_key=""))
    for planned in replaced:
        planned.status = PlanStatus.CANCELLED
        planned.note = "Replaced by the plan of a new treatment start."
    bulk_update_with_history(replaced, PlannedLab, ["status", "note"], default_user=created_by,
                             default_date=now)
    existing = set(PlannedLab.objects.filter(patient=patient, treatment_start=treatment_start)
                   .exclude(plan_key="").values_list("plan_key", flat=True))
    rows = []
    for item in monitoring.DEFAULT_PLAN:
        analyte = analytes.get(item.analyte_key)
        if (analyte is None or item.key in existing
                or not monitoring.item_applies(item, severe_anaemia=patient.severe_anaemia)):
            continue
        day = dt.timedelta
        rows.append(PlannedLab(
            patient=patient, analyte=analyte, label=item.label, note=item.note,
            due_date=treatment_start + day(days=item.due_day),
            window_start=treatment_start + day(days=item.window[0]),
            window_end=treatment_start + day(days=item.window[1]),
            treatment_start=treatment_start, plan_key=item.key, created_by=created_by,
        ))
    for row in rows:
        row.full_clean(validate_unique=False, validate_constraints=False)
    # ignore_conflicts: two concurrent starts for the same day cannot create duplicates. The
    # rows then carry no ids, so their history rows are written from the stored rows.
    PlannedLab.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        PlannedLab.history.bulk_history_create(
            PlannedLab.objects.filter(patient=patient, treatment_start=treatment_start,
                                      plan_key__in=[r.plan_key for r in rows]),
            default_user=created_by, default_date=now)
    planned_labs_fulfil(patient=patient)
    _announce_plan(patient.pk, now=now, by=created_by)
    return list(PlannedLab.objects.filter(patient=patient, treatment_start=treatment_start)
                .exclude(plan_key="").select_related("analyte"))


def on_treatment_started(changes: list[events.Change]) -> None:
    """Subscriber (``LabsConfig.ready``): start the default plan from the announced day."""
    for change in changes:
        start = change.detail.get("treatment_start")
        if events.TREATMENT_STARTED not in change.kinds or start is None:
            continue
        for patient in PatientProfile.objects.filter(pk__in=change.patient_ids):
            default_plan_create(patient=patient, treatment_start=start, now=change.now,
                                created_by=change.by)
