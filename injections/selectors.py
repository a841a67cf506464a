"""Reads of injection data: for this app's pages and sections, and for other apps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from b12care.accounts.models import PatientProfile

from . import scheduling
from .models import DoseStatus, Injection, Phase, PhaseKind, PlannedDose, Regimen, Supply
from .services import active_regimen, phases_of

# Order more when the next dose not covered by ampoules at home is this close.
LOW_SUPPLY_NOTICE = dt.timedelta(days=28)


def injection_times(
    patient: PatientProfile, *, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """UTC instants of the patient's logged injections in [since, until), oldest first
    (used to mark injections on symptom and lab charts)."""
    return list(
        Injection.objects.filter(patient=patient, taken_at__gte=since, taken_at__lt=until)
        .order_by("taken_at")
        .values_list("taken_at", flat=True)
    )


def phase_label(phase: Phase, sequence: int) -> str:
    """"induction dose 4 of 6", or "maintenance dose 3" for an open-ended phase."""
    kind = phase.get_kind_display().lower()
    if phase.end_kind == "count" and phase.count:
        return f"{kind} dose {sequence} of {phase.count}"
    return f"{kind} dose {sequence}"


@dataclass
class PhaseAdherence:
    phase: Phase
    on_time: int
    due: int
    grace: dt.timedelta | None

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None

    @property
    def grace_text(self) -> str:
        if self.grace is None:
            return ""
        if self.grace >= dt.timedelta(days=2):
            return f"within {self.grace.days} days of the due time"
        hours = int(self.grace.total_seconds() // 3600)
        return "within a day of the due time" if hours >= 24 else f"within {hours} hours"


def adherence_by_phase(phases: list[Phase], doses: list[PlannedDose], *,
                       now: dt.datetime) -> list[PhaseAdherence]:
    rows = []
    for phase in phases:
        mine = [d for d in doses if d.phase_id == phase.pk]
        outcomes = [
            scheduling.DoseOutcome(
                d.due_at, d.injection.taken_at if d.injection_id else None,
                d.status == DoseStatus.SKIPPED, d.grace,
            )
            for d in mine
        ]
        result = scheduling.adherence(outcomes, now=now)
        rows.append(PhaseAdherence(phase, result.on_time, result.due,
                                   mine[0].grace if mine else None))
    return rows


@dataclass
class SupplyForecast:
    on_hand: int | None  # None: never counted
    counted_at: dt.datetime | None
    last_covered: dt.datetime | None  # due time of the last dose the ampoules cover
    next_uncovered: dt.datetime | None  # first dose without an ampoule at home
    low: bool


def supply_forecast(patient: PatientProfile, regimen: Regimen | None, phases: list[Phase], *,
                    now: dt.datetime, supply: Supply | None = None) -> SupplyForecast:
    """Run-out forecast: N ampoules cover the next N doses of the schedule."""
    if supply is None:
        supply = Supply.objects.filter(patient=patient).first()
    if supply is None:
        return SupplyForecast(None, None, None, None, False)
    on_hand = supply.ampoules_on_hand
    if regimen is None or not phases:
        return SupplyForecast(on_hand, supply.counted_at, None, None, False)
    slots = scheduling.next_slots([p.plan for p in phases], patient.tz, after=now,
                                  limit=on_hand + 1)
    last = slots[on_hand - 1].due_at if on_hand and len(slots) >= on_hand else None
    uncovered = slots[on_hand].due_at if len(slots) > on_hand else None
    low = uncovered is not None and uncovered - now <= LOW_SUPPLY_NOTICE
    return SupplyForecast(on_hand, supply.counted_at, last, uncovered, low)


def dose_row(dose: PlannedDose, phases_by_id: dict[int, Phase], tz, now) -> dict:
    phase = phases_by_id.get(dose.phase_id)
    return {
        "dose": dose,
        "local": dose.due_at.astimezone(tz),
        "phrase": scheduling.due_phrase(dose.due_at, now=now, tz=tz),
        "label": phase_label(phase, dose.sequence) if phase else f"dose {dose.sequence}",
        "phase": phase,
        "overdue": dose.due_at < now,
    }


def schedule_summary(patient: PatientProfile, *, now: dt.datetime, upcoming: int = 6,
                     recent: int = 5) -> dict:
    """Everything the patient home and the injections page show about the schedule.
    A fixed number of queries, whatever the length of the history."""
    tz = patient.tz
    regimen = active_regimen(patient)
    phases = phases_of(regimen) if regimen else []
    phases_by_id = {p.pk: p for p in phases}
    doses = list(
        PlannedDose.objects.filter(regimen=regimen).select_related("injection").order_by("due_at")
    ) if regimen else []
    # A dose whose matching window has closed is missed now, even before the hourly roll task
    # (services.mark_missed) has stored that: pages read, they never write.
    def is_missed(d: PlannedDose) -> bool:
        return d.status == DoseStatus.MISSED or (
            d.status == DoseStatus.OPEN and d.due_at + d.window < now)

    open_doses = [d for d in doses if d.status == DoseStatus.OPEN and not is_missed(d)]
    next_dose = open_doses[0] if open_doses else None
    future = [d for d in open_doses if d.due_at > now]
    last_taken = max((d.due_at for d in doses if d.status == DoseStatus.TAKEN), default=None)
    missed = [d for d in doses if is_missed(d) and (last_taken is None or d.due_at > last_taken)]
    recent_injections = list(
        Injection.objects.filter(patient=patient).select_related("planned_dose")
        .order_by("-taken_at")[:recent]
    )
    spans = scheduling.phase_spans([p.plan for p in phases]) if phases else []
    waiting_phase = next(
        (p for p, s in zip(phases, spans, strict=True) if s.anchor is None), None
    )
    current_phase = phases_by_id.get(next_dose.phase_id) if next_dose else None
    return {
        "regimen": regimen,
        "phases": phases,
        "current_phase": current_phase,
        "waiting_phase": waiting_phase,
        "next": dose_row(next_dose, phases_by_id, tz, now) if next_dose else None,
        "upcoming": [dose_row(d, phases_by_id, tz, now) for d in future[:upcoming]],
        "missed": [dose_row(d, phases_by_id, tz, now) for d in missed[-3:]],
        "recent": recent_injections,
        "adherence": adherence_by_phase(phases, doses, now=now),
        "supply": supply_forecast(patient, regimen, phases, now=now),
        "tz": tz,
        "is_induction": bool(current_phase and current_phase.kind == PhaseKind.INDUCTION),
    }


def history(patient: PatientProfile):
    """All injections, newest first (paginate in the view)."""
    return (
        Injection.objects.filter(patient=patient)
        .select_related("planned_dose", "planned_dose__phase", "recorded_by")
        .order_by("-taken_at", "-pk")
    )
