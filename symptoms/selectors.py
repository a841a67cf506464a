"""Reads of the diary: today's check-in, previous answers, history and trend series."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Prefetch, QuerySet, Subquery

from b12care.accounts.models import PatientProfile

from .models import CheckIn, Symptom, SymptomScore


def active_symptoms() -> list[Symptom]:
    return list(Symptom.objects.filter(is_active=True))


def checkin_for_day(patient: PatientProfile, day: dt.date) -> CheckIn | None:
    return (CheckIn.objects.filter(patient=patient, local_date=day)
            .prefetch_related("scores__symptom").first())


def previous_checkin(patient: PatientProfile, before: dt.date) -> CheckIn | None:
    """The last check-in before ``before`` (shown beside each question as "last time")."""
    return (CheckIn.objects.filter(patient=patient, local_date__lt=before)
            .prefetch_related("scores__symptom").first())


def scores_by_code(checkin: CheckIn | None) -> dict[str, SymptomScore]:
    return {s.symptom.code: s for s in checkin.scores.all()} if checkin else {}


def history(patient: PatientProfile) -> QuerySet[CheckIn]:
    """Newest first, scores prefetched in one query (constant queries per page)."""
    scores = SymptomScore.objects.select_related("symptom").order_by("symptom__position")
    return (CheckIn.objects.filter(patient=patient).order_by("-local_date")
            .prefetch_related(Prefetch("scores", queryset=scores)))


def recent_scores(patient: PatientProfile, *, since: dt.datetime,
                  until: dt.datetime) -> list[tuple[str, int, dt.datetime]]:
    """(symptom code, severity, recorded_at UTC) of check-ins saved in [since, until], oldest
    first. The red-flag rules (b12care.alerts.data) read the diary through this."""
    rows = (SymptomScore.objects
            .filter(checkin__patient=patient, checkin__recorded_at__gte=since,
                    checkin__recorded_at__lte=until)
            .order_by("checkin__recorded_at")
            .values_list("symptom__code", "severity", "checkin__recorded_at"))
    return list(rows)


def series(patient: PatientProfile, *, since: dt.date,
           until: dt.date) -> dict[str, list[tuple[dt.date, int]]]:
    """Per symptom code, (local day, severity) oldest first, for days in [since, until]."""
    rows = (SymptomScore.objects
            .filter(checkin__patient=patient, checkin__local_date__gte=since,
                    checkin__local_date__lte=until)
            .order_by("checkin__local_date")
            .values_list("symptom__code", "checkin__local_date", "severity"))
    out: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for code, day, severity in rows:
        out[code].append((day, severity))
    return dict(out)


def latest_checkin_and_scores(patient: PatientProfile) -> tuple[CheckIn | None,
                                                               list[SymptomScore]]:
    """The latest check-in and its scores (symptoms joined), in one query; a second only when
    that check-in has no score or there is none."""
    latest = CheckIn.objects.filter(patient=patient).order_by("-local_date").values("pk")[:1]
    scores = list(SymptomScore.objects.filter(checkin=Subquery(latest))
                  .select_related("checkin", "symptom").order_by("symptom__position"))
    if scores:
        return scores[0].checkin, scores
    return CheckIn.objects.filter(patient=patient).order_by("-local_date").first(), []


def latest_checkin(patient: PatientProfile) -> CheckIn | None:
    return CheckIn.objects.filter(patient=patient).prefetch_related("scores__symptom").first()
