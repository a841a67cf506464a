"""The doctor's report: one patient's treatment over a period, for print and PDF.

``build`` gathers everything the template shows in a fixed number of queries for a given
period: the regimen and its phases in words, adherence per phase, every injection, the diary
and lab trends as charts with their bands (``b12care.core.charts``), and the alerts active in
the period. The patient's own name and date of birth head it; no other person is named (who
gave an injection is "myself / carer / nurse", never a user).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import ACTIVE_STATUSES, Alert
from b12care.core import charts
from injections import scheduling
from injections.models import DoseStatus, Injection, PlannedDose, Regimen
from injections.selectors import AdherenceRow, phase_label
from labs import units
from labs.models import Analyte, LabResult
from symptoms.models import Symptom, SymptomScore

from . import data


@dataclass
class InjectionRow:
    injection: Injection
    local: dt.datetime
    planned: str
    reactions: list[str]


def regimen_phases(regimens: list[Regimen]) -> list[dict]:
    """Each regimen with its phases in plain words."""
    return [{"regimen": r, "phases": [{
        "phase": p,
        "words": f"{p.dose_text} {p.get_product_display().lower()} {p.recurrence.describe()}, "
                 f"at {p.time_of_day:%H:%M}",
    } for p in r.phases.all()]} for r in regimens]


def adherence(patient: PatientProfile, regimens: list[Regimen], period: data.Period, *,
              now: dt.datetime) -> list[AdherenceRow]:
    """On time / due for each phase (``scheduling.adherence``), counting the doses due in the
    period."""
    since, until = period.utc_bounds(patient)
    doses = list(PlannedDose.objects.filter(patient=patient, due_at__gte=since, due_at__lt=until)
                 .exclude(status=DoseStatus.SKIPPED).select_related("injection")
                 .order_by("due_at"))
    rows = []
    for phase in (p for r in regimens for p in r.phases.all()):
        mine = [d for d in doses if d.phase_id == phase.pk]
        result = scheduling.adherence([scheduling.DoseOutcome(
            d.due_at, d.injection.taken_at if d.injection_id else None, False, d.grace)
            for d in mine], now=min(now, until))
        if result.due:
            rows.append(AdherenceRow(phase, result.on_time, result.due, mine[0].grace))
    return rows


def injection_rows(injections: list[Injection], tz) -> list[InjectionRow]:
    rows = []
    for i in injections:
        dose = getattr(i, "planned_dose", None)
        reactions = i.local_reactions + i.systemic_reactions
        if i.pain:
            reactions.insert(0, f"pain {i.pain}/10")
        rows.append(InjectionRow(i, i.taken_at.astimezone(tz),
                                 phase_label(dose.phase, dose.sequence) if dose else "",
                                 reactions))
    return rows


def symptom_charts(scores: list[SymptomScore], period: data.Period,
                   markers: list[dt.date]) -> tuple[list[charts.Chart], list[str]]:
    """A 0-10 chart per symptom scored above 0; names of symptoms only ever scored 0."""
    by_symptom: dict[int, tuple[Symptom, list]] = {}
    for s in scores:
        by_symptom.setdefault(s.symptom_id, (s.symptom, []))[1].append(
            (s.checkin.local_date, s.severity))
    found, quiet = [], []
    for symptom, points in sorted(by_symptom.values(), key=lambda x: x[0].position):
        if not any(value for _, value in points):
            quiet.append(symptom.name)
            continue
        found.append(charts.line_chart(
            title=f"{symptom.name} (0 = none, 10 = worst)", points=points, start=period.start,
            end=period.end, y_min=0, y_max=10, unit="/10", markers=markers, fit=False))
    return found, quiet


def lab_charts(results: list[LabResult], period: data.Period, sex: str,
               markers: list[dt.date]) -> list[charts.Chart]:
    """A chart per measured analyte with its reference range shaded."""
    by_analyte: dict[int, tuple[Analyte, list]] = {}
    for r in results:
        if r.value is not None:
            by_analyte.setdefault(r.analyte_id, (r.analyte, []))[1].append(
                (r.sampled_on, r.value))
    found = []
    for analyte, points in sorted(by_analyte.values(), key=lambda x: x[0].position):
        unit = units.display_unit(analyte.canonical_unit)
        found.append(charts.line_chart(
            title=f"{analyte.name} ({unit})", points=points, start=period.start,
            end=period.end, unit=unit, band=analyte.range_for(sex),
            band_label="reference range", markers=markers, fit=False))
    return found


def split_alerts(alerts: list[Alert]) -> tuple[list[Alert], list[Alert]]:
    return ([a for a in alerts if a.status in ACTIVE_STATUSES],
            [a for a in alerts if a.status not in ACTIVE_STATUSES])


def build(patient: PatientProfile, *, period: data.Period, now: dt.datetime) -> dict:
    """The report's template context."""
    tz = patient.tz
    regimens = data.regimens(patient)
    injections = data.injections(patient, period)
    markers = sorted({i.taken_at.astimezone(tz).date() for i in injections})
    results = data.lab_results(patient, period)
    symptoms, quiet = symptom_charts(data.scores(patient, period), period, markers)
    open_alerts, resolved = split_alerts(data.alerts(patient, period))
    return {
        "patient": patient, "period": period, "now": now, "tz": patient.timezone,
        "regimens": regimen_phases(regimens),
        "adherence": adherence(patient, regimens, period, now=now),
        "injections": injection_rows(injections, tz),
        "symptom_charts": symptoms, "quiet_symptoms": quiet,
        "lab_charts": lab_charts(results, period, patient.sex, markers),
        "lab_rows": [(r, r.analyte.range_text(patient.sex)) for r in results],
        "open_alerts": open_alerts, "resolved_alerts": resolved,
    }


@cache
def stylesheet() -> str:
    """The report's own stylesheet (static/css/report.css), inlined into the HTML that Chromium
    prints to PDF; browsers load the same file by URL (the CSP allows no inline style)."""
    return Path(finders.find("css/report.css")).read_text()
