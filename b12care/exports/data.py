"""Reads every export shares: one patient's records in a period of their local days.

Every function takes a patient already fetched through ``b12care.accounts.access`` and reads a
fixed number of queries, whatever the length of the history. A period is a pair of the
patient's local days (inclusive); ``None`` for both means everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Prefetch, QuerySet

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import ACTIVE_STATUSES, Alert
from b12care.core import clock
from injections.models import Injection, Phase, Regimen
from labs.models import LabResult
from symptoms.models import SymptomScore

DEFAULT_MONTHS = 6


@dataclass(frozen=True)
class Period:
    """Local days ``start``..``end`` (inclusive) in the patient's zone."""

    start: dt.date
    end: dt.date

    @classmethod
    def default(cls, today: dt.date, months: int = DEFAULT_MONTHS) -> Period:
        return cls(today - relativedelta(months=months), today)

    def utc_bounds(self, patient: PatientProfile) -> tuple[dt.datetime, dt.datetime]:
        """[from, to) as UTC instants: local midnight of ``start`` to that after ``end``."""
        tz = patient.tz
        return (clock.to_utc(self.start, dt.time(0), tz),
                clock.to_utc(self.end + dt.timedelta(days=1), dt.time(0), tz))


def today_of(patient: PatientProfile, now: dt.datetime) -> dt.date:
    return clock.local_day(now, patient.tz)


def injections(patient: PatientProfile, period: Period | None = None) -> list[Injection]:
    """Injections oldest first, with the planned dose (and its phase) each one fulfilled."""
    rows = (Injection.objects.filter(patient=patient)
            .select_related("planned_dose", "planned_dose__phase").order_by("taken_at", "pk"))
    if period is not None:
        since, until = period.utc_bounds(patient)
        rows = rows.filter(taken_at__gte=since, taken_at__lt=until)
    return list(rows)


def regimens(patient: PatientProfile) -> list[Regimen]:
    """Every regimen, oldest first, with its phases in order (two queries)."""
    phases = Prefetch("phases", queryset=Phase.objects.order_by("order"))
    return list(Regimen.objects.filter(patient=patient).order_by("start_date", "created_at")
                .prefetch_related(phases))


def scores(patient: PatientProfile, period: Period | None = None) -> list[SymptomScore]:
    """Diary scores, oldest day first, then in catalogue order (check-in and symptom joined)."""
    rows: QuerySet[SymptomScore] = (
        SymptomScore.objects.filter(checkin__patient=patient)
        .select_related("checkin", "symptom")
        .order_by("checkin__local_date", "symptom__position", "pk"))
    if period is not None:
        rows = rows.filter(checkin__local_date__gte=period.start,
                           checkin__local_date__lte=period.end)
    return list(rows)


def lab_results(patient: PatientProfile, period: Period | None = None) -> list[LabResult]:
    """Results oldest first, analyte joined."""
    rows = (LabResult.objects.filter(patient=patient).select_related("analyte")
            .order_by("sampled_at", "pk"))
    if period is not None:
        rows = rows.filter(sampled_on__gte=period.start, sampled_on__lte=period.end)
    return list(rows)


def alerts(patient: PatientProfile, period: Period | None = None, *,
           active_only: bool = False) -> list[Alert]:
    """Alerts newest first; with a period, those active at any time in it."""
    rows = (Alert.objects.filter(patient=patient).select_related("rule")
            .order_by("-last_seen_at", "-pk"))
    if active_only:
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    if period is not None:
        since, until = period.utc_bounds(patient)
        rows = rows.filter(first_seen_at__lt=until).exclude(resolved_at__lt=since)
    return list(rows)
