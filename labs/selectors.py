"""Reads of the labs app: latest values, series for charts, the plan with its states."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from b12care.accounts.models import PatientProfile

from . import monitoring
from .models import Analyte, LabResult, PlannedLab, PlanStatus

KEY_ANALYTES = ("hb", "mcv", "b12", "folate", "ferritin", "potassium", "retic")
# Serum B12 says little once injections have started (CLINICAL.md): not on the patient's home.
HOME_ANALYTES = tuple(k for k in KEY_ANALYTES if k != "b12")


def analyte_by_key(key: str) -> Analyte | None:
    return Analyte.objects.filter(key=key, is_active=True).prefetch_related("units").first()


def results(patient: PatientProfile) -> QuerySet[LabResult]:
    return (LabResult.objects.filter(patient=patient).select_related("analyte", "entered_by")
            .order_by("-sampled_at", "-pk"))


def latest_per_analyte(patient: PatientProfile, *, keys=None) -> list[LabResult]:
    """The most recent result of each analyte (two queries, whatever the history length)."""
    latest = (LabResult.objects.filter(patient=patient, analyte=OuterRef("pk"))
              .order_by("-sampled_at", "-pk").values("pk")[:1])
    analytes = Analyte.objects.filter(is_active=True)
    if keys:
        analytes = analytes.filter(key__in=keys)
    ids = [pk for pk in analytes.annotate(latest=Subquery(latest))
           .values_list("latest", flat=True) if pk]
    return list(LabResult.objects.filter(pk__in=ids).select_related("analyte")
                .order_by("analyte__position"))


def series(patient: PatientProfile, analyte: Analyte, *, since: dt.date,
           until: dt.date) -> list[tuple[dt.date, object]]:
    rows = (LabResult.objects.filter(patient=patient, analyte=analyte, value__isnull=False,
                                     sampled_on__gte=since, sampled_on__lte=until)
            .order_by("sampled_at").values_list("sampled_on", "value"))
    return list(rows)


def recent_values(patient: PatientProfile, *, since: dt.datetime,
                  until: dt.datetime) -> list[tuple[int, str, object, dt.datetime]]:
    """(id, LOINC, canonical value, sampled_at UTC) of numeric results sampled in
    [since, until], oldest first: what the red-flag rules need (b12care.alerts.data)."""
    return list(LabResult.objects.filter(patient=patient, value__isnull=False,
                                         sampled_at__gte=since, sampled_at__lte=until)
                .order_by("sampled_at").values_list("pk", "analyte__loinc", "value",
                                                    "sampled_at"))


_PLAN_FIELDS = ("pk", "analyte_id", "label", "due_date", "window_start", "window_end")


def latest_and_next_due(patient: PatientProfile, *, keys, today: dt.date
                        ) -> tuple[list[LabResult], PlanRow | None]:
    """``latest_per_analyte`` and ``next_due`` in one query (the open planned lab rides on
    each result row as uncorrelated subqueries); a second only when there is no result."""
    latest = (LabResult.objects.filter(patient=patient, analyte=OuterRef("pk"))
              .order_by("-sampled_at", "-pk").values("pk")[:1])
    analytes = Analyte.objects.filter(is_active=True)
    if keys:
        analytes = analytes.filter(key__in=keys)
    ids = analytes.annotate(latest=Subquery(latest)).values("latest")
    planned = (PlannedLab.objects.filter(patient=patient, status=PlanStatus.OPEN)
               .order_by("due_date", "pk"))
    plan_fields = {f"next_{name}": Subquery(planned.values(name)[:1]) for name in _PLAN_FIELDS}
    rows = list(LabResult.objects.filter(pk__in=ids).select_related("analyte")
                .annotate(**plan_fields).order_by("analyte__position"))
    if not rows:
        return [], next_due(patient, today=today)
    first = rows[0]
    if first.next_pk is None:
        return rows, None
    planned_lab = PlannedLab(patient=patient, status=PlanStatus.OPEN, **{
        name: getattr(first, f"next_{name}") for name in _PLAN_FIELDS})
    return rows, PlanRow(planned_lab, monitoring.state(
        status=planned_lab.status, window_start=planned_lab.window_start,
        window_end=planned_lab.window_end, today=today))


@dataclass
class PlanRow:
    planned: PlannedLab
    state: str

    @property
    def state_label(self) -> str:
        return monitoring.STATE_LABELS[self.state]


def plan(patient: PatientProfile, *, today: dt.date, include_closed: bool = True) -> list[PlanRow]:
    qs = (PlannedLab.objects.filter(patient=patient)
          .select_related("analyte", "fulfilled_by").order_by("due_date", "pk"))
    if not include_closed:
        qs = qs.filter(status=PlanStatus.OPEN)
    return [PlanRow(p, monitoring.state(status=p.status, window_start=p.window_start,
                                        window_end=p.window_end, today=today)) for p in qs]


def next_due(patient: PatientProfile, *, today: dt.date) -> PlanRow | None:
    """The open planned lab due soonest (overdue ones first)."""
    planned = (PlannedLab.objects.filter(patient=patient, status=PlanStatus.OPEN)
               .select_related("analyte").order_by("due_date", "pk").first())
    if planned is None:
        return None
    return PlanRow(planned, monitoring.state(status=planned.status,
                                             window_start=planned.window_start,
                                             window_end=planned.window_end, today=today))
