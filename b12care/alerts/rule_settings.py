"""Each rule's settings as named, typed fields with units and allowed ranges, the admin form
built from them, and what a change would do to the patients flagged now.

The registry's defaults (``rules.REGISTRY``) say which settings exist; ``SCHEMAS`` says what
each one is: a number (unit, bounds, whole or decimal) or a list of codes picked from a
catalogue (symptoms or injection reactions), so a typo cannot switch a flag off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django import forms

from b12care.accounts.models import PatientProfile
from injections.models import LOCAL_REACTIONS, SYSTEMIC_REACTIONS, Injection
from labs.models import LabResult
from symptoms.models import CheckIn, Symptom

from .data import load_patient_data
from .rules import REGISTRY, run_rules

SCORE = (0, 10)  # symptom scores are 0-10


@dataclass(frozen=True)
class Number:
    label: str
    unit: str
    low: Decimal | int
    high: Decimal | int
    whole: bool = True  # days, hours and counts are whole numbers


@dataclass(frozen=True)
class Codes:
    label: str
    catalogue: str  # "symptoms" | "systemic_reactions" | "local_reactions"


def _days(label, low=1, high=365):
    return Number(label, "days", low, high)


SCHEMAS: dict[str, dict[str, Number | Codes]] = {
    "systemic_reaction": {
        "lookback_hours": Number("Look back", "hours", 1, 168),
        "signs": Codes("Signs that raise the alert", "systemic_reactions"),
    },
    "neuro_worsening": {
        "delta": Number("Rise in score", "points (0-10 scale)", 1, 10),
        "absolute": Number("Score at or above", "points (0-10 scale)", *SCORE),
        "window_days": _days("Within", 1, 90),
        "codes": Codes("Neurological symptoms", "symptoms"),
    },
    "new_visual_symptoms": {
        "min_severity": Number("Score at or above", "points (0-10 scale)", *SCORE),
        "lookback_days": _days("New within", 1, 30),
        "baseline_days": _days("Absent during the", 1, 365),
        "codes": Codes("Visual symptoms", "symptoms"),
    },
    "early_palpitations_weakness": {
        "first_days": _days("In the first", 1, 60),
        "min_severity": Number("Score at or above", "points (0-10 scale)", *SCORE),
        "codes": Codes("Symptoms", "symptoms"),
    },
    "potassium_low": {
        "below": Number("Potassium below", "mmol/L", Decimal("1.5"), Decimal("8"), whole=False),
        "first_days": _days("In the first", 1, 90),
    },
    "hb_critical": {
        "below_g_dl": Number("Haemoglobin below", "g/dL", Decimal("3"), Decimal("20"),
                             whole=False),
        "lookback_days": _days("Within", 1, 365),
    },
    "no_retic_rise": {
        "by_day": _days("Expected by day", 1, 60),
        "stop_after_day": _days("Stop checking after day", 1, 365),
        "min_rise_percent": Number("Minimum rise", "%", 0, 1000, whole=False),
    },
    "no_hb_mcv_improvement": {
        "by_day": _days("Expected by day", 1, 365),
        "stop_after_day": _days("Stop checking after day", 1, 730),
        "hb_low_g_dl": Number("Hb still below", "g/dL", Decimal("3"), Decimal("20"), whole=False),
        "hb_min_rise": Number("Minimum Hb rise", "g/dL", Decimal("0"), Decimal("10"),
                              whole=False),
        "mcv_high_fl": Number("MCV still above", "fL", 60, 160, whole=False),
        "mcv_min_fall": Number("Minimum MCV fall", "fL", 0, 60, whole=False),
    },
    "injection_site_infection": {
        "persist_hours": Number("Lasting longer than", "hours", 1, 336),
        "min_signs": Number("At least", "signs", 1, 3),
        "lookback_days": _days("Within", 1, 90),
        "signs": Codes("Site signs", "local_reactions"),
    },
    "missed_doses": {
        "induction_late_hours": Number("Induction dose late by", "hours", 1, 168),
        "maintenance_missed_count": Number("Maintenance doses missed", "doses", 1, 12),
        "maintenance_late_days": _days("Maintenance dose late by", 1, 120),
        "lookback_days": _days("Look back", 1, 730),
        "reminder_repeat_count": Number("Reminder repeats", "times", 0, 10),
        "reminder_repeat_hours": Number("Hours between repeats", "hours", 1, 48),
    },
}


def code_choices(catalogue: str) -> list[tuple[str, str]]:
    if catalogue == "symptoms":
        return list(Symptom.objects.order_by("code").values_list("code", "name"))
    reactions = SYSTEMIC_REACTIONS if catalogue == "systemic_reactions" else LOCAL_REACTIONS
    return list(reactions.items())


def _form_field(setting: Number | Codes, initial) -> forms.Field:
    if isinstance(setting, Codes):
        return forms.MultipleChoiceField(
            label=setting.label, choices=code_choices(setting.catalogue), initial=initial,
            widget=forms.CheckboxSelectMultiple)
    bounds = f"{setting.low}–{setting.high} {setting.unit}"
    kind = forms.IntegerField if setting.whole else forms.DecimalField
    extra = {} if setting.whole else {"max_digits": 7, "decimal_places": 2}
    return kind(label=f"{setting.label} ({setting.unit})", min_value=setting.low,
                max_value=setting.high, initial=initial, help_text=f"Allowed: {bounds}.",
                **extra)


def settings_fields(code: str, current: dict) -> dict[str, forms.Field]:
    """Form fields for one rule's settings, filled with ``current`` values."""
    return {key: _form_field(setting, current.get(key))
            for key, setting in SCHEMAS.get(code, {}).items()}


def thresholds_from(code: str, cleaned: dict) -> dict:
    """The JSON the rule row stores, from a valid form's cleaned data."""
    out = {}
    for key, setting in SCHEMAS.get(code, {}).items():
        value = cleaned[key]
        out[key] = list(value) if isinstance(setting, Codes) else (
            int(value) if setting.whole else str(value.normalize()))
    return out


# --- What a change would do ---------------------------------------------------------------------

RECENT_DAYS = 30  # patients with data this recent are "current"
MAX_PATIENTS = 500  # bound the admin's confirmation step


def current_patients(*, now: dt.datetime) -> list[PatientProfile]:
    since = now - dt.timedelta(days=RECENT_DAYS)
    ids = (set(LabResult.objects.filter(sampled_at__gte=since).values_list("patient_id", flat=True))
           | set(CheckIn.objects.filter(recorded_at__gte=since)
                 .values_list("patient_id", flat=True))
           | set(Injection.objects.filter(taken_at__gte=since)
                 .values_list("patient_id", flat=True)))
    return list(PatientProfile.objects.filter(pk__in=sorted(ids)[:MAX_PATIENTS])
                .select_related("user"))


@dataclass(frozen=True)
class Impact:
    flagged_before: tuple[str, ...]
    flagged_after: tuple[str, ...]

    @property
    def stop(self) -> list[str]:
        return sorted(set(self.flagged_before) - set(self.flagged_after))

    @property
    def start(self) -> list[str]:
        return sorted(set(self.flagged_after) - set(self.flagged_before))


def rule_impact(code: str, *, before: dict | None, after: dict | None,
                now: dt.datetime) -> Impact:
    """Which current patients the rule flags with ``before`` and with ``after`` settings
    (None = rule switched off)."""
    defaults = REGISTRY[code].defaults
    flagged: dict[str, list[str]] = {"before": [], "after": []}
    for patient in current_patients(now=now):
        data = load_patient_data(patient, now=now)
        for name, thresholds in (("before", before), ("after", after)):
            config = {c: None for c in REGISTRY}
            config[code] = None if thresholds is None else {**defaults, **thresholds}
            if run_rules(data, now=now, config=config):
                flagged[name].append(patient.display_name)
    return Impact(tuple(flagged["before"]), tuple(flagged["after"]))
