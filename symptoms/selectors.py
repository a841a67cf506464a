"""Reads of the diary: today's check-in, previous answers, history, trend series, the nerve
trends of many patients, and the reference definition of the stored worst nerve score."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import F, Max, OuterRef, PositiveSmallIntegerField, Prefetch, Subquery

from b12care.accounts.models import PatientProfile
from b12care.core import clock

from .models import CheckIn, Symptom, SymptomScore


def active_symptoms() -> list[Symptom]:
    return list(Symptom.objects.filter(is_active=True))


def _with_scores(checkins):
    return checkins.prefetch_related(
        Prefetch("scores", queryset=SymptomScore.objects.select_related("symptom")))


def checkin_for_day(patient: PatientProfile, day: dt.date) -> CheckIn | None:
    return _with_scores(CheckIn.objects.filter(patient=patient, local_date=day)).first()


def previous_checkin(patient: PatientProfile, before: dt.date) -> CheckIn | None:
    """The last check-in before ``before`` (shown beside each question as "last time")."""
    return _with_scores(CheckIn.objects.filter(patient=patient, local_date__lt=before)).first()


def scores_by_code(checkin: CheckIn | None) -> dict[str, SymptomScore]:
    return {s.symptom.code: s for s in checkin.scores.all()} if checkin else {}


_SCORE_FIELDS = {"name": F("symptom__name"), "position": F("symptom__position"),
                 "neurological": F("symptom__neurological")}


@dataclass
class DiaryEntry:
    """One check-in of the history list: scores above 0 and the names of those answered 0."""

    local_date: dt.date
    notes: str
    scored: list[dict] = field(default_factory=list)
    zero_names: list[str] = field(default_factory=list)


def history_page(patient: PatientProfile, number, *, per_page: int) -> Page:
    """One page of the diary, newest first: three queries (count, check-ins, their scores),
    whatever the length of the history."""
    checkins = (CheckIn.objects.filter(patient=patient).order_by("-local_date")
                .values_list("pk", "local_date", "notes"))
    page = Paginator(checkins, per_page).get_page(number)
    entries = {pk: DiaryEntry(day, notes) for pk, day, notes in page.object_list}
    if entries:
        scores = (SymptomScore.objects.filter(checkin_id__in=list(entries))
                  .order_by("symptom__position")
                  .values("checkin_id", "severity", "location", **_SCORE_FIELDS))
        for score in scores:
            entry = entries[score["checkin_id"]]
            if score["severity"]:
                entry.scored.append(score)
            else:
                entry.zero_names.append(score["name"].lower())
    page.object_list = list(entries.values())
    return page


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


def latest_summary(patient: PatientProfile) -> tuple[dt.date | None, list[dict]]:
    """The day of the latest check-in and its scores (name, position, neurological, severity,
    location), in symptom order: one query; a second only when that check-in has no score or
    there is none."""
    latest = CheckIn.objects.filter(patient=patient).order_by("-local_date").values("pk")[:1]
    scores = list(SymptomScore.objects.filter(checkin=Subquery(latest))
                  .order_by("symptom__position")
                  .values("severity", "location", day=F("checkin__local_date"),
                          **_SCORE_FIELDS))
    if scores:
        return scores[0]["day"], scores
    day = (CheckIn.objects.filter(patient=patient).order_by("-local_date")
           .values_list("local_date", flat=True).first())
    return day, []


# --- The worst nerve score of a check-in ------------------------------------------------------

def live_worst_nerve_score() -> Subquery:
    """The definition of ``CheckIn.worst_nerve_score``, as a subquery on an outer check-in:
    the highest severity among its scores of symptoms marked neurological (NULL when none)."""
    return Subquery(
        SymptomScore.objects.filter(checkin=OuterRef("pk"), symptom__neurological=True)
        .order_by().values("checkin").annotate(worst=Max("severity")).values("worst"),
        output_field=PositiveSmallIntegerField())


def live_worst_nerve_scores(patient_ids: Iterable[int]) -> dict[int, int | None]:
    """Check-in id -> worst nerve score, computed from the scores (the reference the stored
    column is tested against)."""
    return dict(CheckIn.objects.filter(patient_id__in=list(patient_ids))
                .annotate(live=live_worst_nerve_score()).values_list("pk", "live"))


def nerve_trends(patients: Iterable[PatientProfile], *, now: dt.datetime,
                 days: int) -> dict[int, list[int | None]]:
    """Patient id -> worst nerve score per day of the ``days`` days ending on the patient's own
    today, oldest first (None: no nerve symptom scored that day). One query on the stored
    scores for any number of patients."""
    todays = {p.pk: clock.local_day(now, p.tz) for p in patients}
    if not todays:
        return {}
    # Each patient's window ends on their own today (Sydney's today can be London's
    # tomorrow): fetch the union of the windows and cut each one out below.
    first = min(todays.values()) - dt.timedelta(days=days - 1)
    rows = (CheckIn.objects.filter(patient_id__in=list(todays), local_date__gte=first,
                                   local_date__lte=max(todays.values()),
                                   worst_nerve_score__isnull=False)
            .order_by().values_list("patient_id", "local_date", "worst_nerve_score"))
    by_patient: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for patient_id, day, score in rows:
        by_patient[patient_id][day] = score
    return {pk: [by_patient[pk].get(today - dt.timedelta(days=days - 1 - i))
                 for i in range(days)]
            for pk, today in todays.items()}
