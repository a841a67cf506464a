"""Writes of the diary: one check-in per patient per local day, updated in place that day.

Keyword-only arguments, ``now`` passed explicitly, ``full_clean()``, one transaction; the
change is announced inside it (``b12care.core.events``), so the red-flag rules run there too.

Each check-in stores its worst nerve score (``CheckIn.worst_nerve_score``), written with its
scores; ``worst_nerve_scores_reconcile`` recomputes it where the scores or the catalogue
changed by another way (admin edits, a symptom marked neurological or not, bulk loads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from simple_history.utils import bulk_create_with_history

from b12care.accounts.models import PatientProfile, User
from b12care.core import clock, events

from . import selectors
from .models import CheckIn, Symptom, SymptomScore


@dataclass
class Saved:
    checkin: CheckIn
    created: bool
    findings: list = field(default_factory=list)


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
    day = clock.local_day(now, patient.tz)
    checkin = CheckIn.objects.select_for_update().filter(patient=patient, local_date=day).first()
    created = checkin is None
    if created:
        checkin = CheckIn(patient=patient, local_date=day)
    checkin.recorded_at, checkin.notes, checkin.recorded_by = now, (notes or "").strip(), by
    checkin.worst_nerve_score = worst_nerve_score(
        (symptoms[code], severity) for code, (severity, _) in scores.items())
    checkin.full_clean(validate_constraints=False)
    checkin.save()
    if not created:
        SymptomScore.objects.filter(checkin=checkin).delete()
    rows = [SymptomScore(checkin=checkin, symptom=symptoms[code], severity=severity,
                         location=location or "")
            for code, (severity, location) in scores.items()]
    for row in rows:
        row.full_clean(exclude=["checkin"], validate_constraints=False)
    # With their history rows (a plain bulk_create would write none); removed scores above
    # get theirs from the delete signals.
    bulk_create_with_history(rows, SymptomScore, default_user=by, default_date=now)
    findings = events.patient_data_changed([patient.pk], {events.SYMPTOMS}, now=now, by=by)
    return Saved(checkin, created, list(findings))


def worst_nerve_score(scores: Iterable[tuple[Symptom, int]]) -> int | None:
    """The highest severity among neurological symptoms; None when none was scored."""
    return max((severity for symptom, severity in scores if symptom.neurological), default=None)


@transaction.atomic(savepoint=False)
def worst_nerve_scores_reconcile(*, checkin_ids: Iterable[int] | None = None,
                                 patient_ids: Iterable[int] | None = None,
                                 symptom_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored worst nerve score of the check-ins in scope (those ids, those
    patients', those with a score of those symptoms; everything when no scope is given) in one
    UPDATE that rewrites only the rows whose value changed. Returns the rows rewritten."""
    checkins = CheckIn.objects.all()
    if checkin_ids is not None:
        checkins = checkins.filter(pk__in=list(checkin_ids))
    if patient_ids is not None:
        checkins = checkins.filter(patient_id__in=list(patient_ids))
    if symptom_ids is not None:
        checkins = checkins.filter(pk__in=SymptomScore.objects.filter(
            symptom_id__in=list(symptom_ids)).values("checkin_id"))
    live = selectors.live_worst_nerve_score()
    # -1 stands for "none" on both sides, so NULL compares like a value.
    return (checkins.alias(stored=Coalesce(F("worst_nerve_score"), Value(-1)),
                           fresh=Coalesce(live, Value(-1)))
            .exclude(stored=F("fresh"))
            .update(worst_nerve_score=live))
