"""Red-flag rules: plain functions over a patient's recent data (CLINICAL.md, "Red flags").

Each rule is ``rule(data, *, now, thresholds) -> list[Finding]``. ``data`` is a ``PatientData``
snapshot of plain values (built by ``data.load_patient_data`` from the injections, symptoms and
labs apps), so rules never touch the database and tests call them directly on a fixed clock.
Thresholds come from the admin-editable ``AlertRule`` rows; ``RuleSpec.defaults`` are
CLINICAL.md's defaults and also what the data migration seeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from b12care.core.clock import local_text
from labs.units import above, below

from .tiers import EMERGENCY, INFO, REVIEW, URGENT  # noqa: F401 (INFO: part of the API)

PATIENT, CARE_TEAM = "patient", "care_team"

# LOINC codes used by rules (CLINICAL.md lab catalogue).
LOINC_POTASSIUM = "2823-3"
LOINC_HB = "718-7"
LOINC_MCV = "787-2"
LOINC_RETIC_PERCENT = "4679-7"
LOINC_RETIC_ABSOLUTE = "60474-4"


# --- The snapshot rules read -----------------------------------------------------------------
@dataclass(frozen=True)
class InjectionFact:
    id: int
    taken_at: dt.datetime
    reactions: frozenset[str]  # field names of the Injection's reaction booleans
    reported_at: dt.datetime  # when the record was last saved (reactions still present then)
    site: str
    checkin_reaction: bool = False  # "yes" at the post-dose check-in (injections/followups.py)
    site_sore_at: dt.datetime | None = None  # when the site follow-up said "still sore"


@dataclass(frozen=True)
class SymptomFact:
    code: str
    severity: int  # 0-10
    recorded_at: dt.datetime


@dataclass(frozen=True)
class LabFact:
    id: int
    loinc: str
    value: Decimal  # canonical unit of the analyte
    taken_at: dt.datetime


@dataclass(frozen=True)
class DoseFact:
    id: int
    due_at: dt.datetime
    phase_kind: str  # "induction" | "maintenance" | "other"
    status: str  # "open" | "taken" | "missed" | "skipped"
    # The dose's deadline (None: its due time); read only as ``grace_end or due_at``.
    grace_end: dt.datetime | None = None  # pragma: no mutate (annotation; falsy default)

    def missed_at(self, now: dt.datetime) -> bool:
        """Missed by ``now``: marked missed, or still open after its deadline (a dose due an
        hour ago, inside its grace period, is not missed yet)."""
        return self.status == "missed" or now > (self.grace_end or self.due_at)


@dataclass(frozen=True)
class PatientData:
    patient_id: int
    treatment_start: dt.datetime | None = None  # first induction dose (UTC), None if no regimen
    timezone: str = "UTC"  # the patient's IANA zone: times in messages are shown in it
    severe_anaemia: bool = False
    injections: tuple[InjectionFact, ...] = ()
    symptoms: tuple[SymptomFact, ...] = ()
    labs: tuple[LabFact, ...] = ()
    doses: tuple[DoseFact, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    dedup_key: str
    patient_message: str
    clinician_message: str
    # What the finding rests on (e.g. symptom codes). Evidence not yet on an acknowledged
    # alert re-opens it and notifies again, so one acknowledgement never silences news.
    evidence: tuple[str, ...] = ()


Rule = Callable[..., list[Finding]]  # pragma: no mutate (a type alias for annotations only)


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    severity: str
    func: Rule
    defaults: dict = field(default_factory=dict)
    audience: tuple[str, ...] = (CARE_TEAM,)
    # What the patient is told at once on the page where they saved the data ("" = nothing).
    guidance: str = ""
    # The reason in a few words, for the clinician's dashboard row ("" = the name).
    short: str = ""


REGISTRY: dict[str, RuleSpec] = {}


def register(spec: RuleSpec) -> RuleSpec:
    REGISTRY[spec.code] = spec
    return spec


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _days_since_start(data: PatientData, now: dt.datetime) -> float | None:
    if data.treatment_start is None:
        return None
    return (now - data.treatment_start).total_seconds() / 86400


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


# --- 1. Systemic reaction after an injection --------------------------------------------------
def systemic_reaction(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """Anaphylaxis signs recorded on an injection in the last ``lookback_hours``."""
    since = now - dt.timedelta(hours=float(thresholds["lookback_hours"]))
    signs = set(thresholds["signs"])
    findings = []
    for inj in data.injections:
        # A "yes" at the post-dose check-in is the same finding as the signs ticked on the entry
        # (one alert per injection); as evidence it re-opens an acknowledged alert.
        found = sorted(signs & inj.reactions) + (["post-dose check-in"] if inj.checkin_reaction
                                                 else [])
        if found and inj.taken_at >= since:
            findings.append(Finding(
                rule="systemic_reaction", severity=EMERGENCY,
                dedup_key=f"systemic_reaction:injection:{inj.id}",
                patient_message=(
                    "You reported a possible serious allergic reaction after your injection. "
                    "Call emergency services now if you have difficulty breathing, swelling of "
                    "your face, lips or throat, or feel faint."
                ),
                clinician_message=(
                    "Possible anaphylaxis after the injection at "
                    f"{local_text(inj.taken_at, data.timezone, label=True)}: "
                    f"{', '.join(found).replace('_', ' ')}."
                ),
                evidence=tuple(found),
            ))
    return findings


# --- 2. New or rapidly worsening neurological symptoms ----------------------------------------
def neuro_worsening(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """A neurological item rose by ``delta`` points within ``window_days``, or reached
    ``absolute`` (0-10 scale). Only a recent entry (within the window) can raise it."""
    window = dt.timedelta(days=float(thresholds["window_days"]))
    delta, absolute = _dec(thresholds["delta"]), _dec(thresholds["absolute"])
    reasons: dict[str, str] = {}
    for code in thresholds["codes"]:
        entries = sorted((s for s in data.symptoms if s.code == code and s.recorded_at <= now),
                         key=lambda s: s.recorded_at)
        if not entries or entries[-1].recorded_at < now - window:
            continue
        latest = entries[-1]
        earlier = [s for s in entries[:-1] if s.recorded_at >= latest.recorded_at - window]
        low = min((s.severity for s in earlier), default=None)
        if latest.severity >= absolute:
            reasons[code] = f"now {latest.severity}/10 (threshold {_fmt(absolute)})"
        elif low is not None and latest.severity - low >= delta:
            reasons[code] = (f"rose from {low} to {latest.severity}/10 within "
                             f"{_fmt(_dec(thresholds['window_days']))} days")
    if not reasons:
        return []
    # One alert per patient for one episode of worsening (one call to make), listing every
    # item; a newly worsening item re-opens an acknowledged alert (Finding.evidence).
    detail = "; ".join(f"{code.replace('_', ' ')} {why}" for code, why in reasons.items())
    return [Finding(
        rule="neuro_worsening", severity=URGENT, dedup_key="neuro_worsening",
        patient_message=(
            "Your nerve symptoms are getting worse. Contact your clinician today. "
            "If you suddenly cannot walk, speak or see, call emergency services."
        ),
        clinician_message=f"Neurological worsening: {detail}.",
        evidence=tuple(sorted(reasons)),
    )]


# --- 3. New visual loss or blurred vision ------------------------------------------------------
def new_visual_symptoms(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """A vision entry in the last ``lookback_days`` at ``min_severity`` or more, worse than
    anything recorded in the ``baseline_days`` before it (so it is new or worse)."""
    since = now - dt.timedelta(days=float(thresholds["lookback_days"]))
    baseline_from = since - dt.timedelta(days=float(thresholds["baseline_days"]))
    minimum = _dec(thresholds["min_severity"])
    findings = []
    for code in thresholds["codes"]:
        recent = [s for s in data.symptoms if s.code == code and since <= s.recorded_at <= now]
        before = [s.severity for s in data.symptoms
                  if s.code == code and baseline_from <= s.recorded_at < since]
        worst = max((s.severity for s in recent), default=None)
        if worst is not None and worst >= minimum and worst > max(before, default=0):
            findings.append(Finding(
                rule="new_visual_symptoms", severity=URGENT, dedup_key=f"visual:{code}",
                patient_message=(
                    "New problems with your eyesight need to be checked today. Contact your "
                    "clinician today; if you cannot reach them, go to an urgent care service."
                ),
                clinician_message=f"New or worse visual symptom: {worst}/10 "
                                  f"(previous {max(before, default=0)}/10).",
            ))
    return findings


# --- 4. Palpitations or muscle weakness early in treatment for severe anaemia -----------------
def early_palpitations_weakness(
    data: PatientData, *, now: dt.datetime, thresholds: dict
) -> list[Finding]:
    days = _days_since_start(data, now)
    limit = float(thresholds["first_days"])
    if not data.severe_anaemia or days is None or not 0 <= days <= limit:
        return []
    minimum = _dec(thresholds["min_severity"])
    worst: dict[str, int] = {}
    for code in thresholds["codes"]:
        hits = [s.severity for s in data.symptoms
                if s.code == code and s.severity >= minimum
                and data.treatment_start <= s.recorded_at <= now]
        if hits:
            worst[code] = max(hits)
    if not worst:
        return []
    detail = ", ".join(f"{code.replace('_', ' ')} {score}/10" for code, score in worst.items())
    return [Finding(
        rule="early_palpitations_weakness", severity=URGENT,
        dedup_key="early_palpitations_weakness",
        patient_message=(
            "Palpitations or muscle weakness in the first days of treatment need a check "
            "today (a blood test for potassium). Contact your clinician today."
        ),
        clinician_message=(
            f"{detail} on day {int(days)} of treatment for severe anaemia: check potassium."
        ),
        evidence=tuple(sorted(worst)),
    )]


# --- 5. Potassium low in the first 2 weeks ------------------------------------------------------
def potassium_low(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    if data.treatment_start is None:
        return []
    until = data.treatment_start + dt.timedelta(days=float(thresholds["first_days"]))
    limit = _dec(thresholds["below"])
    low = [lab for lab in data.labs if lab.loinc == LOINC_POTASSIUM and below(lab.value, limit)
           and data.treatment_start <= lab.taken_at <= min(until, now)]
    if not low:
        return []
    lab = min(low, key=lambda lab: lab.value)
    return [Finding(
        rule="potassium_low", severity=URGENT, dedup_key="potassium_low",
        patient_message="",
        clinician_message=(
            f"Potassium {_fmt(lab.value)} mmol/L on "
            f"{local_text(lab.taken_at, data.timezone, 'date')} "
            f"(below {_fmt(limit)}) in the first {_fmt(_dec(thresholds['first_days']))} days "
            "of treatment."
        ),
        evidence=tuple(f"lab:{lab.id}" for lab in low),
    )]


# --- 6a. Hb critical --------------------------------------------------------------------------
def hb_critical(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    since = now - dt.timedelta(days=float(thresholds["lookback_days"]))
    limit = _dec(thresholds["below_g_dl"])
    hbs = sorted((lab for lab in data.labs if lab.loinc == LOINC_HB and lab.taken_at <= now),
                 key=lambda lab: lab.taken_at)
    if not hbs or hbs[-1].taken_at < since or not below(hbs[-1].value, limit):
        return []  # only the most recent result counts: a later normal one clears it
    lab = hbs[-1]
    return [Finding(
        rule="hb_critical", severity=REVIEW, dedup_key="hb_critical",
        patient_message="",
        clinician_message=f"Haemoglobin {_fmt(lab.value)} g/dL on "
                          f"{local_text(lab.taken_at, data.timezone, 'date')} "
                          f"(below {_fmt(limit)}).",
        evidence=(f"lab:{lab.id}",),
    )]


def _in_days(thresholds: dict, days: float) -> bool:
    return float(thresholds["by_day"]) <= days <= float(thresholds["stop_after_day"])


def _baseline_and_after(labs: Iterable[LabFact], loinc: str, start: dt.datetime, now: dt.datetime):
    series = sorted((lab for lab in labs if lab.loinc == loinc and lab.taken_at <= now),
                    key=lambda lab: lab.taken_at)
    baseline = [lab for lab in series if lab.taken_at <= start]
    after = [lab for lab in series if lab.taken_at > start]
    return (baseline[-1] if baseline else None), after


# --- 6b. No reticulocyte rise by day 10 --------------------------------------------------------
def no_retic_rise(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """Judged from ``by_day`` until ``stop_after_day`` of treatment: no reticulocyte result
    after the start rose by ``min_rise_percent`` over the baseline (or none was taken)."""
    days = _days_since_start(data, now)
    if days is None or not _in_days(thresholds, days):
        return []
    factor = 1 + _dec(thresholds["min_rise_percent"]) / 100
    cutoff = data.treatment_start + dt.timedelta(days=float(thresholds["by_day"]))
    for loinc in (LOINC_RETIC_ABSOLUTE, LOINC_RETIC_PERCENT):
        baseline, after = _baseline_and_after(data.labs, loinc, data.treatment_start, now)
        after = [lab for lab in after if lab.taken_at <= cutoff]
        if baseline is None:
            continue
        if any(lab.value >= baseline.value * factor for lab in after):
            return []
        detail = (f"highest {_fmt(max(lab.value for lab in after))}" if after
                  else "no result since the start")
        return [Finding(
            rule="no_retic_rise", severity=REVIEW, dedup_key="no_retic_rise",
            patient_message="",
            clinician_message=(
                f"No reticulocyte rise by day {_fmt(_dec(thresholds['by_day']))}: baseline "
                f"{_fmt(baseline.value)}, {detail}. Consider adherence, another cause of anaemia "
                "or the diagnosis."
            ),
        )]
    return []


# --- 6c. Hb / MCV not improving by week 8 -------------------------------------------------------
def no_hb_mcv_improvement(
    data: PatientData, *, now: dt.datetime, thresholds: dict
) -> list[Finding]:
    days = _days_since_start(data, now)
    if days is None or not _in_days(thresholds, days):
        return []
    problems = []
    hb_base, hb_after = _baseline_and_after(data.labs, LOINC_HB, data.treatment_start, now)
    if (hb_base and hb_after and below(hb_base.value, thresholds["hb_low_g_dl"])
            and below(hb_after[-1].value - hb_base.value, thresholds["hb_min_rise"])):
        problems.append(f"Hb {_fmt(hb_base.value)} → {_fmt(hb_after[-1].value)} g/dL")
    mcv_base, mcv_after = _baseline_and_after(data.labs, LOINC_MCV, data.treatment_start, now)
    if (mcv_base and mcv_after and above(mcv_base.value, thresholds["mcv_high_fl"])
            and below(mcv_base.value - mcv_after[-1].value, thresholds["mcv_min_fall"])):
        problems.append(f"MCV {_fmt(mcv_base.value)} → {_fmt(mcv_after[-1].value)} fL")
    if not problems:
        return []
    return [Finding(
        rule="no_hb_mcv_improvement", severity=REVIEW, dedup_key="no_hb_mcv_improvement",
        patient_message="",
        clinician_message=f"Blood count not improving by week {int(days // 7)}: "
                          + "; ".join(problems) + ".",
    )]


# --- 7. Injection site: painful, hot, swollen > 48 h / infection ------------------------------
def injection_site_infection(
    data: PatientData, *, now: dt.datetime, thresholds: dict
) -> list[Finding]:
    """Local signs still reported more than ``persist_hours`` after the injection (the patient
    updated the record later, or answered "still painful, hot or swollen" at the site
    follow-up), in the last ``lookback_days``. "> 48 h": an answer at 48 h 0 min is not."""
    since = now - dt.timedelta(days=float(thresholds["lookback_days"]))
    persist = dt.timedelta(hours=float(thresholds["persist_hours"]))
    signs = set(thresholds["signs"])
    findings = []
    for inj in data.injections:
        found = sorted(signs & inj.reactions)
        ticked = (len(found) >= int(thresholds["min_signs"])
                  and inj.reported_at - inj.taken_at > persist)
        answered = inj.site_sore_at is not None and inj.site_sore_at - inj.taken_at > persist
        if inj.taken_at >= since and (ticked or answered):
            if not ticked:
                found = ["painful, hot or swollen (site follow-up)"]
            reported_at = inj.site_sore_at if answered and not ticked else inj.reported_at
            findings.append(Finding(
                rule="injection_site_infection", severity=REVIEW,
                dedup_key=f"injection_site:injection:{inj.id}",
                patient_message=(
                    "Do not inject into that site again until it has been checked. "
                    "Contact your clinic."
                ),
                clinician_message=(
                    f"Injection site ({inj.site.replace('_', ' ')}) still "
                    f"{', '.join(found).replace('_', ' ')} "
                    f"{int((reported_at - inj.taken_at).total_seconds() // 3600)} h after the "
                    "injection: possible infection."
                ),
            ))
    return findings


# --- 8. Missed doses ---------------------------------------------------------------------------
def missed_doses(data: PatientData, *, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """Induction dose > ``induction_late_hours`` late; maintenance: ``maintenance_missed_count``
    doses missed, or one > ``maintenance_late_days`` late. Only doses in the last
    ``lookback_days`` count (older history is the clinician's, not an alarm)."""
    since = now - dt.timedelta(days=float(thresholds["lookback_days"]))
    untaken = [d for d in data.doses if d.status in ("open", "missed") and since <= d.due_at <= now]
    reasons = []
    induction_late = dt.timedelta(hours=float(thresholds["induction_late_hours"]))
    late_induction = [d for d in untaken
                      if d.phase_kind == "induction" and now - d.due_at > induction_late]
    if late_induction:
        reasons.append(f"{len(late_induction)} induction dose(s) more than "
                       f"{_fmt(_dec(thresholds['induction_late_hours']))} h late")
    maintenance = [d for d in untaken if d.phase_kind != "induction" and d.missed_at(now)]
    very_late = dt.timedelta(days=float(thresholds["maintenance_late_days"]))
    if len(maintenance) >= int(thresholds["maintenance_missed_count"]):
        reasons.append(f"{len(maintenance)} maintenance doses missed")
    elif any(now - d.due_at > very_late for d in maintenance):
        reasons.append(f"a maintenance dose more than "
                       f"{_fmt(_dec(thresholds['maintenance_late_days']))} days late")
    if not reasons:
        return []
    oldest = min(d.due_at for d in late_induction + maintenance)
    return [Finding(
        rule="missed_doses", severity=REVIEW, dedup_key="missed_doses",
        patient_message="A dose looks missed. Ask your clinic when to take your next dose.",
        clinician_message=(f"Missed doses: {'; '.join(reasons)} "
                           f"(oldest due {local_text(oldest, data.timezone, 'date')})."),
        evidence=tuple(sorted(f"dose:{d.id}" for d in late_induction + maintenance)),
    )]


# --- Registry (defaults from CLINICAL.md; the data migration 0002 seeds the same values) -------
register(RuleSpec(
    "systemic_reaction", "Systemic reaction after an injection", EMERGENCY, systemic_reaction,
    {"lookback_hours": 48,
     "signs": ["breathing_difficulty", "face_throat_swelling", "hives", "dizziness"]},
    guidance="emergency",
    short="Possible allergic reaction",
))
register(RuleSpec(
    "neuro_worsening", "New or rapidly worsening neurological symptoms", URGENT, neuro_worsening,
    {"delta": 3, "absolute": 8, "window_days": 14,
     "codes": ["numbness_hands", "numbness_feet", "balance", "falls", "weakness"]},
    guidance="clinician_today",
    short="Nerve symptoms worse",
))
register(RuleSpec(
    "new_visual_symptoms", "New visual loss or blurred vision", URGENT, new_visual_symptoms,
    {"min_severity": 1, "lookback_days": 2, "baseline_days": 60, "codes": ["vision"]},
    guidance="same_day",
    short="New vision problem",
))
register(RuleSpec(
    "early_palpitations_weakness",
    "Palpitations or muscle weakness early in treatment for severe anaemia", URGENT,
    early_palpitations_weakness,
    {"first_days": 7, "min_severity": 1, "codes": ["palpitations", "weakness"]},
    guidance="same_day",
    short="Palpitations or weakness early",
))
register(RuleSpec(
    "potassium_low", "Potassium low in the first 2 weeks", URGENT, potassium_low,
    {"below": "3.5", "first_days": 14},
    short="Potassium low",
))
register(RuleSpec(
    "hb_critical", "Haemoglobin critically low", REVIEW, hb_critical,
    {"below_g_dl": "8.0", "lookback_days": 30},
    short="Haemoglobin very low",
))
register(RuleSpec(
    "no_retic_rise", "No reticulocyte rise by day 10", REVIEW, no_retic_rise,
    {"by_day": 10, "stop_after_day": 28, "min_rise_percent": 0},
    short="No reticulocyte rise",
))
register(RuleSpec(
    "no_hb_mcv_improvement", "Hb/MCV not improving by week 8", REVIEW, no_hb_mcv_improvement,
    {"by_day": 56, "stop_after_day": 120, "hb_low_g_dl": "12.0", "hb_min_rise": "0.5",
     "mcv_high_fl": "98", "mcv_min_fall": "2"},
    short="Hb/MCV not improving",
))
register(RuleSpec(
    "injection_site_infection", "Injection site painful, hot or swollen > 48 h",
    REVIEW, injection_site_infection,
    {"persist_hours": 48, "min_signs": 2, "lookback_days": 14,
     "signs": ["redness", "swelling", "persistent_pain"]},
    audience=(PATIENT, CARE_TEAM), guidance="site",
    short="Injection site problem",
))
register(RuleSpec(
    "missed_doses", "Missed doses", REVIEW, missed_doses,
    {"induction_late_hours": 24, "maintenance_missed_count": 2, "maintenance_late_days": 14,
     "lookback_days": 120, "reminder_repeat_count": 2, "reminder_repeat_hours": 4},
    audience=(PATIENT, CARE_TEAM),
    short="Missed doses",
))


def run_rules(data: PatientData, *, now: dt.datetime,
              config: dict[str, dict | None]) -> list[Finding]:
    """Run every enabled rule. ``config`` maps rule code -> thresholds (None = disabled)."""
    findings: list[Finding] = []
    for code, spec in REGISTRY.items():
        thresholds = config.get(code, spec.defaults)
        if thresholds is None:
            continue
        findings.extend(spec.func(data, now=now, thresholds={**spec.defaults, **thresholds}))
    return findings
