"""Writes of the diary: one check-in per patient per local day, updated in place that day.

Keyword-only arguments, ``now`` passed explicitly, ``full_clean()``, one transaction; the
change is announced inside it (``b12care.core.events``), so the red-flag rules run there too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from b12care.accounts.models import PatientProfile, User
from b12care.core import events

from .models import CheckIn, Symptom, SymptomScore


@dataclass
class Saved:
    checkin: CheckIn
    created: bool
    findings: list = field(default_factory=list)


def local_day(now: dt.datetime, patient: PatientProfile) -> dt.date:
    """The patient's calendar day at ``now`` (their zone, not the server's)."""
    return now.astimezone(patient.tz).date()


def checkin_save(
    *, patient: PatientProfile, scores: dict[str, tuple[int, str]], notes: str = "",
    by: User, now: dt.datetime,
) -> Saved:
    """Save today's diary. ``scores`` maps symptom code -> (severity 0-10, location or "").
    Symptoms left out are not recorded (a same-day update removes ones left out)."""
    symptoms = {s.code: s for s in Symptom.objects.filter(code__in=scores, is_active=True)}
    errors = {}
    for code, (severity, location) in scores.items():
        symptom = symptoms.get(code)
        if symptom is None:
            errors[code] = "This symptom is not in the diary."
        elif not isinstance(severity, int) or not 0 <= severity <= 10:
            errors[code] = "Choose a number from 0 (none) to 10 (worst)."
        elif location and location not in symptom.locations:
            errors[code] = "Choose one of the places listed."
    if not scores and not (notes or "").strip():
        errors["__all__"] = "Answer at least one question or write a note."
    if errors:
        raise ValidationError(errors)
    try:
        return _save(patient=patient, scores=scores, symptoms=symptoms, notes=notes, by=by,
                     now=now)
    except IntegrityError:
        # Two saves of the same day raced (double tap); the second updates the first.
        return _save(patient=patient, scores=scores, symptoms=symptoms, notes=notes, by=by,
                     now=now)


@transaction.atomic
def _save(*, patient, scores, symptoms, notes, by, now) -> Saved:
    day = local_day(now, patient)
    checkin = CheckIn.objects.select_for_update().filter(patient=patient, local_date=day).first()
    created = checkin is None
    if created:
        checkin = CheckIn(patient=patient, local_date=day)
    checkin.recorded_at, checkin.notes, checkin.recorded_by = now, (notes or "").strip(), by
    checkin.full_clean(validate_constraints=False)
    checkin.save()
    if not created:
        SymptomScore.objects.filter(checkin=checkin).delete()
    rows = [SymptomScore(checkin=checkin, symptom=symptoms[code], severity=severity,
                         location=location or "")
            for code, (severity, location) in scores.items()]
    for row in rows:
        row.full_clean(exclude=["checkin"], validate_constraints=False)
    SymptomScore.objects.bulk_create(rows)
    findings = events.patient_data_changed([patient.pk], {events.SYMPTOMS}, now=now, by=by)
    return Saved(checkin, created, list(findings))
