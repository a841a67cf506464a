"""Reads of injection data: for this app's pages and sections, and for other apps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from b12care.accounts.models import PatientProfile

from . import scheduling
from .models import (
    DoseStatus,
    Injection,
    Phase,
    PhaseKind,
    PlannedDose,
    Regimen,
    RegimenStatus,
    SuitabilityAssessment,
    Supply,
    TrainingRecord,
)

# Order more when the next dose not covered by ampoules at home is this close.
LOW_SUPPLY_NOTICE = dt.timedelta(days=28)


def injection_days(patient: PatientProfile, *, since: dt.date, until: dt.date) -> list[dt.date]:
    """Local days (patient's zone) of the patient's injections in [since, until], oldest first:
    marked on symptom and lab charts (offered to them through ``b12care.core.providers``)."""
    tz = patient.tz
    start = scheduling.to_utc(since, dt.time(0), tz)
    end = scheduling.to_utc(until + dt.timedelta(days=1), dt.time(0), tz)
    times = (Injection.objects.filter(patient=patient, taken_at__gte=start, taken_at__lt=end)
             .order_by("taken_at").values_list("taken_at", flat=True))
    return [t.astimezone(tz).date() for t in times]


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


_UNREAD = object()  # supply_forecast: read the Supply row itself


def supply_forecast(patient: PatientProfile, regimen: Regimen | None, phases: list[Phase], *,
                    now: dt.datetime, supply: Supply | object | None = _UNREAD) -> SupplyForecast:
    """Run-out forecast: N ampoules cover the next N doses of the schedule. ``supply``: the
    patient's Supply row if the caller already read it (None: the patient has none)."""
    if supply is _UNREAD:
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


@dataclass
class ReadinessBrief:
    """Self-injection readiness as the review card shows it (see services.Readiness)."""

    ready: bool
    reasons: list[str]


def readiness_reasons(*, suitable: bool | None, trained: bool | None,
                      audience: str = "patient") -> list[str]:
    """Why self-injection is not allowed yet, from the latest assessment's verdict and the
    latest training's completeness (None: none recorded), worded for the patient or for the
    clinician. The one place these words live: services.self_injection_readiness (patient
    pages) and the clinician's review card both use it."""
    patient = audience == "patient"
    reasons = []
    if suitable is None:
        reasons.append("Your clinician has not yet assessed whether self-injection suits you."
                       if patient else "No suitability assessment recorded.")
    elif not suitable:
        reasons.append("Your clinician's assessment says injections should be given by a nurse "
                       "or carer for now." if patient
                       else "Assessed as not suitable for self-injection for now.")
    if trained is None:
        reasons.append("A clinician has not yet watched you give your first injection."
                       if patient else "No observed first injection recorded.")
    elif not trained:
        reasons.append("Your injection training is not complete yet."
                       if patient else "Training checklist not complete.")
    return reasons


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


def _all_true(model, items) -> Q:
    condition = Q()
    for item in items:
        condition &= Q(**{item: True})
    return condition


def _patient_facts(patient: PatientProfile, *, outer: str, readiness: bool) -> dict:
    """Per-patient single-row facts as subquery annotations: the supply count and, for the
    review card, the latest assessment's and training's verdicts (None when none)."""
    supply = Supply.objects.filter(patient_id=OuterRef(outer))
    facts = {
        "supply_pk": Subquery(supply.values("pk")[:1]),
        "supply_on_hand": Subquery(supply.values("ampoules_on_hand")[:1]),
        "supply_counted_at": Subquery(supply.values("counted_at")[:1],
                                      output_field=DateTimeField()),
    }
    if readiness:
        latest = [
            (SuitabilityAssessment, "assessment_ok", ("-assessed_on", "-created_at")),
            (TrainingRecord, "training_ok", ("-observed_on", "-created_at")),
        ]
        for model, name, order in latest:
            rows = (model.objects.filter(patient_id=OuterRef(outer)).order_by(*order)
                    .annotate(ok=ExpressionWrapper(_all_true(model, model.ITEMS),
                                                   output_field=BooleanField())))
            facts[name] = Subquery(rows.values("ok")[:1], output_field=BooleanField())
    return facts


def _adherence_annotations(now: dt.datetime) -> dict:
    """Per phase, following scheduling.adherence in SQL: a dose (not skipped) is due once taken
    or once due time + grace has passed; on time when taken no later than due time + grace.
    Also the grace of the phase's first dose (for the "on time means" sentence)."""
    deadline = ExpressionWrapper(F("due_at") + F("grace"), output_field=DateTimeField())
    doses = (PlannedDose.objects.filter(phase=OuterRef("pk"))
             .exclude(status=DoseStatus.SKIPPED).alias(deadline=deadline))

    def count(qs) -> Coalesce:
        counted = qs.order_by().values("phase").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return {
        "adherence_due": count(doses.filter(Q(injection__isnull=False) | Q(deadline__lt=now))),
        "adherence_on_time": count(doses.filter(injection__isnull=False,
                                                injection__taken_at__lte=F("deadline"))),
        "first_grace": Subquery(PlannedDose.objects.filter(phase=OuterRef("pk"))
                                .order_by("due_at").values("grace")[:1],
                                output_field=DurationField()),
    }


def _active_regimen_pk(patient: PatientProfile):
    return (Regimen.objects.filter(patient=patient, status=RegimenStatus.ACTIVE)
            .order_by("-created_at").values("pk")[:1])


def _regimen_and_phases(patient: PatientProfile, *, now: dt.datetime, readiness: bool):
    """The active regimen, its phases (with adherence counts) and the per-patient facts, in one
    query; a second only for a patient with no phase (no regimen, or an empty one)."""
    phases = list(
        Phase.objects.filter(regimen=Subquery(_active_regimen_pk(patient)))
        .select_related("regimen").order_by("order")
        .annotate(**_adherence_annotations(now),
                  **_patient_facts(patient, outer="regimen__patient_id", readiness=readiness))
    )
    if phases:
        regimen, facts = phases[0].regimen, phases[0]
        for phase in phases:
            phase.regimen = regimen
        _cache_phases(regimen, phases)
        return regimen, phases, facts
    facts = (PatientProfile.objects.filter(pk=patient.pk)
             .annotate(regimen_pk=Subquery(_active_regimen_pk(patient)),
                       **_patient_facts(patient, outer="pk", readiness=readiness)).get())
    regimen = Regimen.objects.get(pk=facts.regimen_pk) if facts.regimen_pk else None
    if regimen is not None:
        _cache_phases(regimen, [])
    return regimen, [], facts


def _cache_phases(regimen: Regimen, phases: list[Phase]) -> None:
    """Let ``regimen.phases.all()`` answer from the rows already read (as a prefetch would)."""
    related = regimen.phases.all()
    related._result_cache = phases
    related._prefetch_done = True
    regimen._prefetched_objects_cache = {"phases": related}


def _shown_doses(regimen: Regimen, *, now: dt.datetime, upcoming: int) -> list[PlannedDose]:
    """Only the doses the pages show, oldest first: the next dose (an open one still in its
    window), the next ``upcoming`` future ones, and the last three missed since the last taken
    dose. A dose whose matching window has closed is missed now, even before the hourly roll
    task (services.mark_missed) has stored that: pages read, they never write."""
    window_end = ExpressionWrapper(F("due_at") + F("window"), output_field=DateTimeField())
    doses = PlannedDose.objects.filter(regimen=regimen).alias(window_end=window_end)
    live = doses.filter(status=DoseStatus.OPEN, window_end__gte=now)
    taken = doses.filter(status=DoseStatus.TAKEN)
    missed = (doses.filter(Q(status=DoseStatus.MISSED)
                           | Q(status=DoseStatus.OPEN, window_end__lt=now))
              .filter(~Exists(taken) | Q(due_at__gt=Subquery(
                  taken.order_by("-due_at").values("due_at")[:1]))))
    # The outer regimen filter keeps PostgreSQL on this regimen's rows (index) rather than
    # scanning the table for the OR of three small id lists.
    return list(PlannedDose.objects.filter(regimen=regimen).filter(
        Q(pk__in=live.filter(due_at__lte=now).order_by("due_at").values("pk")[:1])
        | Q(pk__in=live.filter(due_at__gt=now).order_by("due_at").values("pk")[:upcoming])
        | Q(pk__in=missed.order_by("-due_at").values("pk")[:3])
    ).alias(window_end=window_end).annotate(
        live=ExpressionWrapper(Q(status=DoseStatus.OPEN, window_end__gte=now),
                               output_field=BooleanField())
    ).order_by("due_at"))


def schedule_summary(patient: PatientProfile, *, now: dt.datetime, upcoming: int = 6,
                     recent: int = 5, readiness: bool = False) -> dict:
    """Everything the patient home and the injections page show about the schedule.
    Four queries (three with no regimen), whatever the length of the history: only the doses
    shown are read, adherence is counted by the database. ``readiness``: also the
    self-injection verdict of the review card (``summary["readiness"]``)."""
    tz = patient.tz
    regimen, phases, facts = _regimen_and_phases(patient, now=now, readiness=readiness)
    phases_by_id = {p.pk: p for p in phases}
    shown = _shown_doses(regimen, now=now, upcoming=upcoming) if phases else []
    open_doses = [d for d in shown if d.live]
    next_dose = open_doses[0] if open_doses else None
    future = [d for d in open_doses if d.due_at > now]
    missed = [d for d in shown if not d.live]
    recent_injections = list(
        Injection.objects.filter(patient=patient).select_related("planned_dose")
        .order_by("-taken_at")[:recent]
    )
    spans = scheduling.phase_spans([p.plan for p in phases]) if phases else []
    waiting_phase = next(
        (p for p, s in zip(phases, spans, strict=True) if s.anchor is None), None
    )
    current_phase = phases_by_id.get(next_dose.phase_id) if next_dose else None
    supply = (Supply(pk=facts.supply_pk, patient=patient, ampoules_on_hand=facts.supply_on_hand,
                     counted_at=facts.supply_counted_at) if facts.supply_pk else None)
    summary = {
        "regimen": regimen,
        "phases": phases,
        "current_phase": current_phase,
        "waiting_phase": waiting_phase,
        "next": dose_row(next_dose, phases_by_id, tz, now) if next_dose else None,
        "upcoming": [dose_row(d, phases_by_id, tz, now) for d in future[:upcoming]],
        "missed": [dose_row(d, phases_by_id, tz, now) for d in missed[-3:]],
        "recent": recent_injections,
        "adherence": [PhaseAdherence(p, p.adherence_on_time, p.adherence_due, p.first_grace)
                      for p in phases],
        "supply": supply_forecast(patient, regimen, phases, now=now, supply=supply),
        "tz": tz,
        "is_induction": bool(current_phase and current_phase.kind == PhaseKind.INDUCTION),
    }
    if readiness:
        reasons = readiness_reasons(suitable=facts.assessment_ok, trained=facts.training_ok,
                                    audience="clinician")
        summary["readiness"] = ReadinessBrief(not reasons, reasons)
    return summary


def history(patient: PatientProfile):
    """All injections, newest first (paginate in the view)."""
    return (
        Injection.objects.filter(patient=patient)
        .select_related("planned_dose", "planned_dose__phase", "recorded_by")
        .order_by("-taken_at", "-pk")
    )
