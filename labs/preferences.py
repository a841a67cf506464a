"""Which unit the lab-entry form offers first, and which unit a typed number probably meant.

The default unit per test comes from the patient's own last choice, else from their country
(docs/clinical.md, "Default units by country"), else the test's canonical unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from b12care.accounts.models import PatientProfile

from . import units
from .models import Analyte, UnitPreference

_COMMONWEALTH = {"b12": "ng/L", "hb": "g/L", "folate": "µg/L"}
COUNTRY_UNITS = {
    "GB": _COMMONWEALTH, "IE": _COMMONWEALTH, "AU": _COMMONWEALTH, "NZ": _COMMONWEALTH,
    "US": {"b12": "pg/mL", "hb": "g/dL", "folate": "ng/mL"},
}


def country_unit(country: str, analyte: Analyte, accepted: list[str]) -> str:
    """The usual unit of ``analyte`` in ``country``, if the test accepts it; else canonical."""
    unit = COUNTRY_UNITS.get(country, {}).get(analyte.key, "")
    return unit if unit in accepted else analyte.canonical_unit


def default_unit(patient: PatientProfile, analyte: Analyte, accepted: list[str]) -> str:
    """The patient's last unit for this test if still accepted, else the country's usual one."""
    chosen = (UnitPreference.objects.filter(patient=patient, analyte=analyte)
              .values_list("unit", flat=True).first())
    if chosen in accepted:
        return chosen
    return country_unit(patient.country, analyte, accepted)


def unit_remember(*, patient: PatientProfile, analyte: Analyte, unit: str,
                  now: dt.datetime) -> None:
    """Store ``unit`` as the patient's choice for this test (one row per patient and test)."""
    UnitPreference.objects.update_or_create(patient=patient, analyte=analyte,
                                            defaults={"unit": unit, "updated_at": now})


@dataclass(frozen=True)
class MeantUnit:
    unit: str
    text: str  # "135 g/L"
    canonical_text: str  # "13.5 g/dL"


def _plausible(value: Decimal, analyte: Analyte) -> bool:
    low, high = analyte.min_plausible, analyte.max_plausible
    return (low is None or value >= low) and (high is None or value <= high)


def meant_units(analyte: Analyte, value_text, unit: str,
                conversions: dict[str, units.Conversion]) -> list[MeantUnit]:
    """Units in which a number implausible in ``unit`` would be plausible ("Did you mean 135
    g/L?"). Empty when the number is plausible as typed, not a number, or plausible in no
    unit: a number plausible in two units cannot be told apart by its size."""
    try:
        value = units.parse_value(value_text)
        as_typed = units.to_canonical(value, unit, conversions, places=analyte.decimal_places)
    except units.LabValueError:
        return []
    if _plausible(as_typed, analyte):
        return []
    found, usual = [], []
    low, high = analyte.range_for()
    for other in conversions:
        if other == units.canonical_unit_name(unit):
            continue
        canonical = units.to_canonical(value, other, conversions, places=analyte.decimal_places)
        if not _plausible(canonical, analyte):
            continue
        meant = MeantUnit(other, f"{units.plain(value)} {units.display_unit(other)}",
                          f"{units.converted_text(canonical, value)} {analyte.display_unit}")
        found.append(meant)
        if (low is None or canonical >= low) and (high is None or canonical <= high):
            usual.append(meant)
    return usual or found  # a unit giving a usual value is the likelier meaning
