"""Demo lab results for `manage.py seed_demo` (idempotent, deterministic).

Results follow each story (b12care/accounts/demo.py) and the default monitoring plan: baseline
tests a few days before the first injection, a reticulocyte peak at day 7, haemoglobin normal
and MCV falling by week 8. Units are the ones each country's laboratories print (ng/L and g/L
in the UK, pmol/L in Australia and New Zealand, pg/mL and g/dL in the US), so the demo shows
conversions. The "new" patient has nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from . import latest, units
from .models import Analyte, LabResult, Source
from .services import DEFAULT_SAMPLE_TIME, conversions_of, planned_labs_fulfil

# Units per country: (B12, Hb, folate)
UNITS = {"GB": ("ng/L", "g/L", "µg/L"), "IE": ("ng/L", "g/L", "µg/L"),
         "US": ("pg/mL", "g/dL", "ng/mL"), "AU": ("pmol/L", "g/L", "nmol/L"),
         "NZ": ("pmol/L", "g/L", "nmol/L")}

# Per story: (day after treatment start, analyte key, value in canonical unit, lab name)
B, H, M, F, FE, R = "b12", "hb", "mcv", "folate", "ferritin", "retic"
STORIES = {
    "maintenance_stable": [
        (-3, H, "9.8"), (-3, M, "112"), (-3, B, "110"), (-3, F, "6.1"), (-3, FE, "45"),
        (-3, R, "30"), (-3, "ifab", "positive"), (7, R, "160"), (56, H, "12.6"), (56, M, "99"),
        (120, H, "13.1"), (120, M, "92"), (230, H, "13.4"), (230, M, "90"), (230, FE, "38"),
    ],
    "neuro_worsening": [
        (-4, H, "11.2"), (-4, M, "104"), (-4, B, "148"), (-4, F, "9.5"), (-4, FE, "22"),
        (-4, R, "35"), (-4, "mma", "620"), (-4, "homocysteine", "31.5"), (7, R, "120"),
        (56, H, "12.9"), (56, M, "95"), (56, FE, "27"),
    ],
    "induction_now": [
        (0, H, "7.2"), (0, M, "121"), (0, B, "120.6"), (0, F, "7.9"), (0, FE, "80"),
        (0, R, "28"), (0, "potassium", "4.2"), (2, "potassium", "3.7"),
    ],
    "neuro_recovering": [
        (-2, H, "10.4"), (-2, M, "108"), (-2, B, "95"), (-2, F, "5.0"), (-2, FE, "60"),
        (-2, R, "32"), (-2, "homocysteine", "38"), (-2, "ifab", "positive"), (7, R, "140"),
        (56, H, "12.4"), (56, M, "97"), (150, H, "13.0"), (150, M, "91"),
    ],
    "cyanocobalamin": [
        (-5, H, "12.4"), (-5, M, "101"), (-5, B, "165"), (-5, F, "12.0"), (-5, FE, "150"),
        (-5, R, "40"), (-5, "mma", "480"), (7, R, "90"), (56, H, "14.1"), (56, M, "93"),
        (140, H, "14.6"), (140, M, "90"),
    ],
    "prophylaxis": [
        (-7, H, "12.8"), (-7, M, "94"), (-7, B, "260.2"), (-7, F, "8.0"), (-7, FE, "35"),
        (90, H, "13.0"), (90, M, "92"), (200, H, "12.6"), (200, M, "91"), (200, FE, "18"),
    ],
}
LAB_NAMES = {"GB": "St Mary's pathology", "IE": "St James's laboratory",
             "US": "Quest Diagnostics", "AU": "Douglass Hanly Moir", "NZ": "Labtests Auckland"}


def _entered(analyte: Analyte, canonical: Decimal, country: str) -> tuple[Decimal, str]:
    """Express a canonical value in the unit this country's labs print (exact inverse of the
    conversion, to the precision a report shows)."""
    wanted = dict(zip((B, H, F), UNITS.get(country, UNITS["GB"]), strict=True)).get(analyte.key)
    convs = conversions_of(analyte)
    if wanted not in convs:
        return canonical, analyte.canonical_unit
    conv = convs[wanted]
    value = canonical * conv.divide / conv.multiply
    return units.quantize(value, 0 if value >= 100 else 1), wanted


def seed(*, patients, clinicians, now) -> None:
    analytes = {a.key: a for a in Analyte.objects.prefetch_related("units")}
    by_email = {c.email: c for c in clinicians}
    for profile, spec in patients:
        if spec.story not in STORIES or LabResult.objects.filter(patient=profile).exists():
            continue
        tz = profile.tz
        start = now.astimezone(tz).date() - dt.timedelta(days=spec.started_days_ago)
        clinician = by_email.get(spec.clinicians[0]) or clinicians[0]
        rows = []
        for day, key, raw in STORIES[spec.story]:
            analyte = analytes[key]
            sampled_on = start + dt.timedelta(days=day)
            sampled_at = dt.datetime.combine(sampled_on, DEFAULT_SAMPLE_TIME,
                                             tzinfo=tz).astimezone(dt.UTC)
            if sampled_at > now:
                continue
            # Baselines come from the clinic; later results the patient types in from the app.
            by_clinic = day <= 2
            row = LabResult(
                patient=profile, analyte=analyte, sampled_at=sampled_at, sampled_on=sampled_on,
                lab_name=LAB_NAMES.get(profile.country, ""),
                source=Source.CLINICIAN if by_clinic else Source.PATIENT,
                entered_by=clinician if by_clinic else profile.user,
            )
            if analyte.is_qualitative:
                row.qualitative = raw
                row.flag = units.qualitative_flag(raw, analyte.qualitative_normal)
            else:
                entered, unit = _entered(analyte, Decimal(raw), profile.country)
                row.value_entered, row.unit_entered = entered, unit
                row.value = units.to_canonical(entered, unit, conversions_of(analyte),
                                               places=analyte.decimal_places)
                row.flag = analyte.flag_for(row.value, profile.sex)
                row.band = units.band(row.value, analyte.bands)
            rows.append(row)
        bulk_create_with_history(rows, LabResult)
        latest.refresh_patients([profile.pk])  # the bulk insert bypassed result_record
        planned_labs_fulfil(patient=profile)
