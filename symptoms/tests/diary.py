"""Long diaries for tests, written in bulk (services would run the rules for every day)."""

from __future__ import annotations

import datetime as dt

from symptoms import services
from symptoms.models import CheckIn, Symptom, SymptomScore


def long_diary(patient, *, days: int, today: dt.date) -> list[CheckIn]:
    """``days`` daily check-ins ending on ``today``, every active symptom scored; the stored
    worst nerve scores come from the reconcile, as after any bulk load."""
    symptoms = list(Symptom.objects.filter(is_active=True))
    checkins = CheckIn.objects.bulk_create([
        CheckIn(patient=patient, local_date=today - dt.timedelta(days=d),
                recorded_at=dt.datetime.combine(today - dt.timedelta(days=d), dt.time(19),
                                                tzinfo=patient.tz),
                recorded_by=patient.user)
        for d in range(days)
    ])
    if not all(c.pk for c in checkins):  # backends without RETURNING
        checkins = list(CheckIn.objects.filter(patient=patient))
    SymptomScore.objects.bulk_create([
        SymptomScore(checkin=checkin, symptom=symptom, severity=(n + i) % 11)
        for n, checkin in enumerate(checkins) for i, symptom in enumerate(symptoms)
    ])
    services.worst_nerve_scores_reconcile(patient_ids=[patient.pk])
    return checkins
