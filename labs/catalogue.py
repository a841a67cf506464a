"""The lab catalogue seeded by the data migration (from /work/shared/CLINICAL.md).

Admins edit the rows afterwards; this is only the starting point. Limits are in each analyte's
canonical unit. Re-verify codes and ranges against loinc.org and the local laboratory before a
clinical release. Ferritin and reticulocyte % ranges are common adult ranges not given in
CLINICAL.md's table.
"""

from __future__ import annotations

# key, LOINC, other LOINC, name, short name, canonical unit, decimal places,
# units {unit: (multiply, divide)}, reference range, sex-specific ranges, critical limits,
# plausible limits, decision bands, help text, qualitative options.
ANALYTES = [
    {
        "key": "b12", "loinc": "2132-9", "alt_loinc": "14685-2", "name": "Vitamin B12 (cobalamin)",
        "short_name": "B12", "canonical_unit": "pg/mL", "decimal_places": 1,
        "units": {"pg/mL": ("1", "1"), "ng/L": ("1", "1"), "pmol/L": ("1.355", "1")},
        "ref_low": "180", "ref_high": "914", "max_plausible": "20000",
        "bands": [{"below": "180", "label": "Deficiency likely"},
                  {"upto": "350", "label": "Indeterminate"},
                  {"label": "Deficiency unlikely"}],
        "help_text": "Serum B12. Not a useful guide to response while you have injections.",
    },
    {
        "key": "holotc", "loinc": "72160-5", "name": "Holotranscobalamin (active B12)",
        "short_name": "Active B12", "canonical_unit": "pmol/L", "decimal_places": 0,
        "units": {"pmol/L": ("1", "1")},
        "ref_low": "25", "max_plausible": "2000",
        "bands": [{"below": "25", "label": "Deficiency likely"},
                  {"upto": "70", "label": "Indeterminate"},
                  {"label": "Deficiency unlikely"}],
    },
    {
        "key": "mma", "loinc": "13964-2", "name": "Methylmalonic acid", "short_name": "MMA",
        "canonical_unit": "nmol/L", "decimal_places": 0,
        "units": {"nmol/L": ("1", "1"), "µmol/L": ("1000", "1")},
        "ref_low": "73", "ref_high": "271", "max_plausible": "300000",
        "help_text": "Can be raised by kidney problems as well as B12 deficiency.",
    },
    {
        "key": "homocysteine", "loinc": "13965-9", "name": "Homocysteine",
        "short_name": "Homocysteine", "canonical_unit": "µmol/L", "decimal_places": 1,
        "units": {"µmol/L": ("1", "1")},
        "ref_low": "5", "ref_high": "14", "max_plausible": "500",
    },
    {
        "key": "hb", "loinc": "718-7", "name": "Haemoglobin", "short_name": "Hb",
        "canonical_unit": "g/dL", "decimal_places": 1,
        "units": {"g/dL": ("1", "1"), "g/L": ("1", "10"), "mmol/L": ("1.611", "1")},
        "ref_low": "12", "ref_high": "17.5",
        "ref_low_female": "12", "ref_high_female": "15.5",
        "ref_low_male": "13", "ref_high_male": "17.5",
        "critical_low": "8", "critical_high": "20",
        "min_plausible": "2", "max_plausible": "25",
        "help_text": "Part of the full blood count. Usually back to normal about 2 months "
                     "after starting injections.",
    },
    {
        "key": "mcv", "loinc": "787-2", "name": "Mean cell volume", "short_name": "MCV",
        "canonical_unit": "fL", "decimal_places": 0, "units": {"fL": ("1", "1")},
        "ref_low": "80", "ref_high": "98", "min_plausible": "40", "max_plausible": "160",
        "bands": [{"upto": "98", "label": "Not macrocytic"}, {"label": "Macrocytosis"}],
        "help_text": "Size of red blood cells (full blood count). Large cells suggest B12 or "
                     "folate deficiency.",
    },
    {
        "key": "folate", "loinc": "2284-8", "name": "Folate (serum)", "short_name": "Folate",
        "canonical_unit": "ng/mL", "decimal_places": 1,
        "units": {"ng/mL": ("1", "1"), "µg/L": ("1", "1"), "nmol/L": ("1", "2.266")},
        "ref_low": "3.9", "ref_high": "20", "max_plausible": "200",
    },
    {
        "key": "ferritin", "loinc": "2276-4", "name": "Ferritin", "short_name": "Ferritin",
        "canonical_unit": "ng/mL", "decimal_places": 0,
        "units": {"ng/mL": ("1", "1"), "µg/L": ("1", "1")},
        "ref_low": "30", "ref_high": "400", "max_plausible": "100000",
        "help_text": "Iron stores. Iron can run low once new blood cells are being made.",
    },
    {
        "key": "potassium", "loinc": "2823-3", "name": "Potassium", "short_name": "Potassium",
        "canonical_unit": "mmol/L", "decimal_places": 1,
        "units": {"mmol/L": ("1", "1"), "mEq/L": ("1", "1")},
        "ref_low": "3.5", "ref_high": "5.1", "critical_low": "2.5", "critical_high": "6.5",
        "min_plausible": "1", "max_plausible": "12",
        "help_text": "Checked in the first 48 hours when severe anaemia is treated.",
    },
    {
        "key": "retic", "loinc": "60474-4", "name": "Reticulocytes (absolute)",
        "short_name": "Reticulocytes", "canonical_unit": "10*9/L", "decimal_places": 0,
        "units": {"10*9/L": ("1", "1")},
        "ref_low": "25", "ref_high": "85", "max_plausible": "1500",
        "help_text": "Young red blood cells; they rise 5 to 10 days after the first injection.",
    },
    {
        "key": "retic_pct", "loinc": "4679-7", "name": "Reticulocytes (%)",
        "short_name": "Reticulocytes %", "canonical_unit": "%", "decimal_places": 1,
        "units": {"%": ("1", "1")}, "ref_low": "0.5", "ref_high": "2.5", "max_plausible": "60",
    },
    {
        "key": "ifab", "loinc": "31444-3", "name": "Intrinsic factor antibody",
        "short_name": "IF antibody", "canonical_unit": "", "decimal_places": 0, "units": {},
        "kind": "qualitative", "qualitative_options": "negative,positive,equivocal",
        "qualitative_normal": "negative",
        "help_text": "Not tested within 2 weeks of an injection.",
    },
]


def seed_catalogue(apps, schema_editor) -> None:
    """Data migration: create or refresh the seeded analytes and their units."""
    from decimal import Decimal

    Analyte = apps.get_model("labs", "Analyte")
    AnalyteUnit = apps.get_model("labs", "AnalyteUnit")
    limits = ("ref_low", "ref_high", "ref_low_female", "ref_high_female", "ref_low_male",
              "ref_high_male", "critical_low", "critical_high", "min_plausible", "max_plausible")
    for order, spec in enumerate(ANALYTES):
        values = {
            "key": spec["key"], "alt_loinc": spec.get("alt_loinc", ""), "name": spec["name"],
            "short_name": spec["short_name"], "canonical_unit": spec["canonical_unit"],
            "decimal_places": spec["decimal_places"], "kind": spec.get("kind", "quantitative"),
            "bands": spec.get("bands", []), "help_text": spec.get("help_text", ""),
            "qualitative_options": spec.get("qualitative_options", ""),
            "qualitative_normal": spec.get("qualitative_normal", ""), "position": order,
        }
        for name in limits:
            values[name] = Decimal(spec[name]) if spec.get(name) else None
        analyte, _ = Analyte.objects.update_or_create(loinc=spec["loinc"], defaults=values)
        for position, (unit, (multiply, divide)) in enumerate(spec["units"].items()):
            AnalyteUnit.objects.update_or_create(
                analyte=analyte, unit=unit,
                defaults={"multiply": Decimal(multiply), "divide": Decimal(divide),
                          "position": position},
            )


def unseed_catalogue(apps, schema_editor) -> None:
    Analyte = apps.get_model("labs", "Analyte")
    Analyte.objects.filter(loinc__in=[spec["loinc"] for spec in ANALYTES]).delete()
