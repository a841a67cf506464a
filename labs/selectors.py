"""Reads of the labs app: latest values (from the read model), series for charts, the plan with
its states."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Subquery

from b12care.accounts.models import PatientProfile
from b12care.core import clock

from . import monitoring, units
from .models import Analyte, LabResult, LatestLabResult, PlannedLab, PlanStatus

KEY_ANALYTES = ("hb", "mcv", "b12", "folate", "ferritin", "potassium", "retic")
# Serum B12 says little once injections have started (CLINICAL.md): not on the patient's home.
HOME_ANALYTES = tuple(k for k in KEY_ANALYTES if k != "b12")


def analyte_by_key(key: str, *, with_units: bool = True) -> Analyte | None:
    """An active test by key; ``with_units`` prefetches the units a result may be typed in."""
    analytes = Analyte.objects.filter(key=key, is_active=True)
    return (analytes.prefetch_related("units") if with_units else analytes).first()


def results(patient: PatientProfile) -> QuerySet[LabResult]:
    return (LabResult.objects.filter(patient=patient).select_related("analyte")
            .order_by("-sampled_at", "-pk"))


@dataclass(frozen=True)
class LatestLab:
    """A patient's latest result of one test, from the read model (``labs.latest``)."""

    key: str
    name: str
    short_name: str
    unit: str  # the analyte's canonical unit (UCUM)
    value: Decimal | None
    qualitative: str
    flag: str
    band: str
    sampled_at: dt.datetime
    sampled_on: dt.date
    result_id: int

    @property
    def display_value(self) -> str:
        if self.value is None:
            return self.qualitative
        return f"{units.plain(self.value)} {units.display_unit(self.unit)}"

    @property
    def flag_label(self) -> str:
        return units.FLAG_LABELS.get(self.flag, self.flag)


_LATEST = {"key": F("analyte__key"), "name": F("analyte__name"),
           "short_name": F("analyte__short_name"), "unit": F("analyte__canonical_unit")}
_LATEST_FACTS = ("value", "qualitative", "flag", "band", "sampled_at", "sampled_on",
                 "result_id")


def _latest_rows(rows: QuerySet[LatestLabResult], keys) -> QuerySet[LatestLabResult]:
    rows = rows.filter(analyte__is_active=True)
    if keys:
        rows = rows.filter(analyte__key__in=keys)
    return rows.order_by("analyte__position", "analyte__name")


def _latest_lab(row: dict) -> LatestLab:
    return LatestLab(**{name: row[name] for name in (*_LATEST, *_LATEST_FACTS)})


def latest(patient: PatientProfile, *, keys=None) -> list[LatestLab]:
    """The latest result of each active test (of ``keys`` when given), in catalogue order:
    one query on the read model, whatever the history length."""
    rows = _latest_rows(LatestLabResult.objects.filter(patient=patient), keys)
    return [_latest_lab(row) for row in rows.values(*_LATEST_FACTS, **_LATEST)]


def latest_key_labs(patient_ids: Iterable[int], keys: Sequence[str]) -> dict[int, list[LatestLab]]:
    """Patient id -> the latest result of each of ``keys`` they have, in the order of ``keys``:
    one query for any number of patients (the dashboard's key-lab cells)."""
    ids = list(patient_ids)
    out: dict[int, list[LatestLab]] = {pk: [] for pk in ids}
    rows = (LatestLabResult.objects.filter(patient_id__in=ids, analyte__key__in=keys)
            .values("patient_id", *_LATEST_FACTS, **_LATEST))
    for row in rows:
        out[row["patient_id"]].append(_latest_lab(row))
    order = {key: i for i, key in enumerate(keys)}
    for labs in out.values():
        labs.sort(key=lambda lab: order[lab.key])
    return out


def series(patient: PatientProfile, analyte: Analyte, *, since: dt.date,
           until: dt.date) -> list[tuple[dt.date, object]]:
    """(local day, canonical value) of the numeric results sampled on days in [since, until],
    oldest first. The instants bound the index range; a day's slack on each side keeps results
    dated in an earlier time zone of the patient."""
    start = clock.to_utc(since, dt.time(0), patient.tz) - dt.timedelta(days=1)
    end = clock.to_utc(until, dt.time(0), patient.tz) + dt.timedelta(days=2)
    rows = (LabResult.objects.filter(patient=patient, analyte=analyte, value__isnull=False,
                                     sampled_at__gte=start, sampled_at__lt=end,
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
                        ) -> tuple[list[LatestLab], PlanRow | None]:
    """``latest`` and ``next_due`` in one query (the open planned lab due first rides on each
    row as uncorrelated subqueries); a second only when there is no result."""
    planned = (PlannedLab.objects.filter(patient=patient, status=PlanStatus.OPEN)
               .order_by("due_date", "pk"))
    plan_fields = {f"next_{name}": Subquery(planned.values(name)[:1]) for name in _PLAN_FIELDS}
    rows = list(_latest_rows(LatestLabResult.objects.filter(patient=patient), keys)
                .values(*_LATEST_FACTS, **_LATEST, **plan_fields))
    if not rows:
        return [], next_due(patient, today=today)
    first = rows[0]
    labs = [_latest_lab(row) for row in rows]
    if first["next_pk"] is None:
        return labs, None
    planned_lab = PlannedLab(patient=patient, status=PlanStatus.OPEN, **{
        name: first[f"next_{name}"] for name in _PLAN_FIELDS})
    return labs, PlanRow(planned_lab, monitoring.state(
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
