"""Reads of injection data: for this app's pages and sections, and for other apps."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models.sql import Query

from b12care.accounts.models import PatientProfile, User

from . import scheduling
from .models import (
    DoseSummary,
    Injection,
    Phase,
    PhaseAdherence,
    PhaseKind,
    PlannedDose,
    Regimen,
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
class AdherenceRow:
    """One phase's adherence as the pages show it (``scheduling.adherence``'s numbers)."""

    phase: Phase
    on_time: int
    due: int
    grace: dt.timedelta | None  # the first dose's grace; None: the phase has no doses yet

    @property
    def percent(self) -> int | None:
        return scheduling.Adherence(self.on_time, self.due).percent

    @property
    def grace_text(self) -> str:
        if self.grace is None:
            return ""
        if self.grace >= dt.timedelta(days=2):
            return f"within {self.grace.days} days of the due time"
        hours = int(self.grace.total_seconds() // 3600)
        return "within a day of the due time" if hours >= 24 else f"within {hours} hours"


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
        "overdue": scheduling.is_overdue(dose.grace_end, now=now),
        "due": scheduling.is_due(dose.due_at, window_end=dose.window_end,
                                 grace_end=dose.grace_end, now=now),
    }


def adherence_of(*, taken: int | None, taken_on_time: int | None,
                 overdue_untaken: int) -> scheduling.Adherence:
    """``scheduling.adherence`` from the read model: the stored counters of taken doses plus
    the untaken doses past their deadline, counted live (tests keep the two equal)."""
    return scheduling.Adherence(on_time=taken_on_time or 0,
                                due=(taken or 0) + overdue_untaken)


@functools.cache
def _converters(vendor: str, fields: tuple):
    compiler = connection.ops.compiler("SQLCompiler")(Query(None), connection, None)
    return compiler, compiler.get_converters(
        [f.get_col(f.model._meta.db_table) for f in fields])


def _converted(rows: list, fields: tuple) -> list[list]:
    """Raw cursor rows with each column converted as the ORM converts ``fields`` (SQLite
    returns dates as text and durations as integers)."""
    compiler, converters = _converters(connection.vendor, fields)
    return [list(row) for row in (compiler.apply_converters(rows, converters) if converters
                                  else rows)]


def _columns(alias: str, fields) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields)


_PHASE = tuple(Phase._meta.concrete_fields)
_REGIMEN = tuple(Regimen._meta.concrete_fields)
_USER = tuple(User._meta.get_field(name) for name in ("id", "first_name", "last_name", "email"))
# The columns after those three models', with the fields that say how to convert them.
_FACTS = (*(PhaseAdherence._meta.get_field(name) for name in (
    "taken", "taken_on_time", "first_grace", "taken")),
    *(Supply._meta.get_field(name) for name in ("id", "ampoules_on_hand", "counted_at")),
    SuitabilityAssessment._meta.get_field("no_tremor"),
    TrainingRecord._meta.get_field("depth_and_angle"))
_SCHEDULE_ROW = (*_PHASE, *_REGIMEN, *_USER, *_FACTS)
_INJECTION = tuple(Injection._meta.concrete_fields)


def _latest_all_true(model, order: str) -> str:
    items = " AND ".join(f"x.{item}" for item in model.ITEMS)
    return (f"(SELECT ({items}) FROM {model._meta.db_table} x WHERE x.patient_id = pp.id "
            f"ORDER BY {order} LIMIT 1)")


def _schedule_sql(readiness: bool) -> str:
    """One row per phase of the active regimen (one row with NULL phase and regimen columns
    when there is none), with the phase's adherence read model, its untaken doses past their
    deadline (index planned_dose_untaken_grace_end), the regimen, its author, the supply count
    and, for the review card, the latest assessment's and training's verdicts."""
    verdicts = (_latest_all_true(SuitabilityAssessment, "x.assessed_on DESC, x.created_at DESC")
                + ", " + _latest_all_true(TrainingRecord, "x.observed_on DESC, x.created_at DESC")
                if readiness else "NULL, NULL")
    return f"""
SELECT {_columns("p", _PHASE)}, {_columns("r", _REGIMEN)}, {_columns("u", _USER)},
  a.taken, a.taken_on_time, a.first_grace,
  (SELECT COUNT(*) FROM injections_planneddose d WHERE d.phase_id = p.id
     AND d.on_time IS NULL AND NOT (d.status = 'skipped') AND d.grace_end < %(now)s),
  s.id, s.ampoules_on_hand, s.counted_at, {verdicts}
FROM accounts_patientprofile pp
LEFT JOIN injections_regimen r ON r.patient_id = pp.id AND r.status = 'active'
LEFT JOIN injections_phase p ON p.regimen_id = r.id
LEFT JOIN injections_phaseadherence a ON a.phase_id = p.id
LEFT JOIN accounts_user u ON u.id = r.created_by_id
LEFT JOIN injections_supply s ON s.patient_id = pp.id
WHERE pp.id = %(patient)s
ORDER BY p.{connection.ops.quote_name("order")}"""


@dataclass
class _Facts:
    supply: Supply | None
    assessment_ok: bool | None
    training_ok: bool | None


def _instance(model, fields, values):
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def _regimen_and_phases(patient: PatientProfile, *, now: dt.datetime, readiness: bool):
    """The active regimen, its phases with their adherence, and the per-patient facts, in one
    statement whatever the history (tests/test_summary_sql.py checks it)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_schedule_sql(readiness), {"patient": patient.pk, "now": adapt(now)})
        rows = _converted(cursor.fetchall(), _SCHEDULE_ROW)
    first = rows[0]
    cut = [len(_PHASE), len(_PHASE) + len(_REGIMEN), len(_PHASE) + len(_REGIMEN) + len(_USER)]
    regimen = None
    if first[cut[0]] is not None:
        regimen = _instance(Regimen, _REGIMEN, first[cut[0]:cut[1]])
        if regimen.created_by_id is not None:
            regimen.created_by = _instance(User, _USER, first[cut[1]:cut[2]])
    phases, adherence = [], []
    for row in rows:
        if row[0] is None:
            continue
        phase = _instance(Phase, _PHASE, row[:cut[0]])
        phase.regimen = regimen
        taken, taken_on_time, grace, overdue = row[cut[2]:cut[2] + 4]
        result = adherence_of(taken=taken, taken_on_time=taken_on_time, overdue_untaken=overdue)
        phases.append(phase)
        adherence.append(AdherenceRow(phase, result.on_time, result.due, grace))
    supply_pk, on_hand, counted_at, assessment_ok, training_ok = first[cut[2] + 4:]
    supply = (Supply(pk=supply_pk, patient=patient, ampoules_on_hand=on_hand,
                     counted_at=counted_at) if supply_pk else None)
    if regimen is not None:
        _cache_phases(regimen, phases)
    return regimen, phases, adherence, _Facts(supply, assessment_ok, training_ok)


def _cache_phases(regimen: Regimen, phases: list[Phase]) -> None:
    """Let ``regimen.phases.all()`` answer from the rows already read (as a prefetch would)."""
    related = regimen.phases.all()
    related._result_cache = phases
    related._prefetch_done = True
    regimen._prefetched_objects_cache = {"phases": related}


# The doses the pages show, in one statement of three short index range scans (patient or
# regimen, due_at): the dose due now (open, matching window still open; windows never exceed
# scheduling.MAX_MATCH_WINDOW), the next future ones, and the last three missed since the last
# taken dose. An open dose whose window has closed is missed now, even before the hourly roll
# (services.planned_doses_mark_missed) stores that: pages never write. tests/test_summary_sql.py and
# tests/test_readmodels.py check it against the straightforward definition.
_DOSE_COLUMNS = ("id, regimen_id, phase_id, patient_id, sequence, due_at, grace_end, window_end, "
                 "status")
_SHOWN_DOSES_SQL = f"""
SELECT * FROM (
  SELECT {_DOSE_COLUMNS}, 'now' AS part FROM injections_planneddose
  WHERE patient_id = %(patient)s AND regimen_id = %(regimen)s AND status = 'open'
    AND due_at >= %(reach)s AND due_at <= %(now)s AND window_end >= %(now)s
  ORDER BY due_at LIMIT 1) AS due_now
UNION ALL
SELECT * FROM (
  SELECT {_DOSE_COLUMNS}, 'upcoming' AS part FROM injections_planneddose
  WHERE regimen_id = %(regimen)s AND status = 'open' AND due_at > %(now)s
  ORDER BY due_at LIMIT %(upcoming)s) AS upcoming
UNION ALL
SELECT * FROM (
  SELECT {_DOSE_COLUMNS}, 'missed' AS part FROM injections_planneddose
  WHERE patient_id = %(patient)s AND regimen_id = %(regimen)s AND due_at < %(now)s
    AND status IN ('open', 'missed') AND (status = 'missed' OR window_end < %(now)s)
    AND due_at > (SELECT COALESCE(MAX(due_at), %(never)s) FROM injections_planneddose
                  WHERE regimen_id = %(regimen)s AND status = 'taken')
  ORDER BY due_at DESC LIMIT 3) AS missed
"""
_NEVER = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def _shown_doses(regimen: Regimen, *, now: dt.datetime, upcoming: int) -> list[PlannedDose]:
    """Only the doses the pages show, oldest first; each has ``part``: "now", "upcoming" or
    "missed"."""
    adapt = connection.ops.adapt_datetimefield_value
    params = {"patient": regimen.patient_id, "regimen": regimen.pk, "now": adapt(now),
              "never": adapt(_NEVER),
              "reach": adapt(now - scheduling.MAX_MATCH_WINDOW), "upcoming": upcoming}
    return sorted(PlannedDose.objects.raw(_SHOWN_DOSES_SQL, params), key=lambda d: d.due_at)


def _recent_injections(patient: PatientProfile, limit: int) -> list[Injection]:
    """The latest ``limit`` injections, newest first (index injection_patient_taken)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_columns('i', _INJECTION)} FROM injections_injection i "
                       "WHERE i.patient_id = %s ORDER BY i.taken_at DESC, i.id DESC LIMIT %s",
                       [patient.pk, limit])
        rows = _converted(cursor.fetchall(), _INJECTION)
    return [_instance(Injection, _INJECTION, row) for row in rows]


def schedule_summary(patient: PatientProfile, *, now: dt.datetime, upcoming: int = 6,
                     recent: int = 5, readiness: bool = False) -> dict:
    """Everything the patient home and the injections pages show about the schedule.
    Three short statements whatever the length of the history (two without phases):
    adherence comes from the read model, only the doses shown are read. ``readiness``: also the
    self-injection verdict of the review card (``summary["readiness"]``)."""
    tz = patient.tz
    regimen, phases, adherence, facts = _regimen_and_phases(patient, now=now,
                                                            readiness=readiness)
    phases_by_id = {p.pk: p for p in phases}
    shown = _shown_doses(regimen, now=now, upcoming=upcoming) if phases else []
    open_doses = [d for d in shown if d.part != "missed"]
    next_dose = open_doses[0] if open_doses else None
    recent_injections = _recent_injections(patient, recent)
    spans = scheduling.phase_spans([p.plan for p in phases]) if phases else []
    waiting_phase = next(
        (p for p, s in zip(phases, spans, strict=True) if s.anchor is None), None
    )
    current_phase = phases_by_id.get(next_dose.phase_id) if next_dose else None
    summary = {
        "regimen": regimen,
        "phases": phases,
        "current_phase": current_phase,
        "waiting_phase": waiting_phase,
        "next": dose_row(next_dose, phases_by_id, tz, now) if next_dose else None,
        "upcoming": [dose_row(d, phases_by_id, tz, now) for d in shown if d.part == "upcoming"],
        "missed": [dose_row(d, phases_by_id, tz, now) for d in shown if d.part == "missed"],
        "recent": recent_injections,
        "adherence": adherence,
        "supply": supply_forecast(patient, regimen, phases, now=now, supply=facts.supply),
        "tz": tz,
        "is_induction": bool(current_phase and current_phase.kind == PhaseKind.INDUCTION),
    }
    if readiness:
        reasons = readiness_reasons(suitable=facts.assessment_ok, trained=facts.training_ok,
                                    audience="clinician")
        summary["readiness"] = ReadinessBrief(not reasons, reasons)
    return summary


@dataclass(frozen=True)
class DoseFacts:
    """One patient's dose facts on the clinician dashboard."""

    next_dose_at: dt.datetime | None
    next_dose_label: str
    next_dose_overdue: bool
    last_dose_at: dt.datetime | None
    adherence: scheduling.Adherence  # doses due in the recent window
    first_dose_at: dt.datetime | None = None  # first injection logged: treatment started


_RECENT = """(SELECT COUNT(*) FROM injections_planneddose r WHERE r.patient_id = s.patient_id
  AND r.due_at >= %s AND r.due_at < %s AND NOT (r.status = 'skipped') AND {})"""
_DASHBOARD_SQL = f"""
SELECT s.patient_id, s.last_injection_at, d.due_at, d.grace_end, d.sequence,
  ph.kind, ph.end_kind, ph.count,
  {_RECENT.format("(r.on_time IS NOT NULL OR r.grace_end < %s)")}, {_RECENT.format("r.on_time")},
  (SELECT MIN(i.taken_at) FROM injections_injection i WHERE i.patient_id = s.patient_id)
FROM injections_dosesummary s
LEFT JOIN injections_planneddose d ON d.id = s.next_dose_id
LEFT JOIN injections_phase ph ON ph.id = d.phase_id
WHERE s.patient_id IN ({{ids}})"""
_DASHBOARD_ROW = (DoseSummary._meta.pk, DoseSummary._meta.get_field("last_injection_at"),
                  *(PlannedDose._meta.get_field(n) for n in ("due_at", "grace_end", "sequence")),
                  *(Phase._meta.get_field(n) for n in ("kind", "end_kind", "count")),
                  PhaseAdherence._meta.get_field("taken"), PhaseAdherence._meta.get_field("taken"),
                  Injection._meta.get_field("taken_at"))


def dashboard_dose_facts(patient_ids: list[int], *, now: dt.datetime,
                         adherence_days: int = 90) -> dict[int, DoseFacts]:
    """Dose facts for a page of patients in one statement: the next dose and the latest
    injection from the ``DoseSummary`` read model, and adherence over the doses due in the last
    ``adherence_days`` (``scheduling.adherence`` restricted to them) counted per patient on the
    (patient, due_at) index. No injection is read: doses store their on-time flag."""
    ids = [int(pk) for pk in patient_ids]
    if not ids:
        return {}
    adapt = connection.ops.adapt_datetimefield_value
    since, until = adapt(now - dt.timedelta(days=adherence_days)), adapt(now)
    with connection.cursor() as cursor:
        cursor.execute(_DASHBOARD_SQL.format(ids=", ".join(["%s"] * len(ids))),
                       [since, until, until, since, until, *ids])
        rows = _converted(cursor.fetchall(), _DASHBOARD_ROW)
    facts = {}
    for (pk, last_at, due_at, deadline, sequence, kind, end_kind, count, due, on_time,
         first_at) in rows:
        label = (phase_label(Phase(kind=kind, end_kind=end_kind, count=count), sequence)
                 if due_at else "")
        facts[pk] = DoseFacts(
            next_dose_at=due_at, next_dose_label=label,
            next_dose_overdue=due_at is not None and scheduling.is_overdue(deadline, now=now),
            last_dose_at=last_at, adherence=scheduling.Adherence(on_time, due),
            first_dose_at=first_at)
    return facts


def history(patient: PatientProfile):
    """All injections, newest first (paginate in the view)."""
    return (
        Injection.objects.filter(patient=patient)
        .select_related("planned_dose", "planned_dose__phase", "recorded_by")
        .order_by("-taken_at", "-pk")
    )
