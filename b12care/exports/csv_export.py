"""CSV files of a patient's injections, diary and lab results, for spreadsheets.

- UTF-8 with a byte-order mark, so Excel reads "µg" and accents correctly;
- times in the patient's own zone, and the zone named in the column heading;
- every text cell that a spreadsheet would run as a formula (it starts with = + - @, a tab or a
  carriage return) is prefixed with a single quote: a note such as ``=HYPERLINK(...)`` typed by
  anyone stays text (CSV injection, OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from b12care.accounts.models import PatientProfile
from injections.selectors import phase_label
from labs import units

from . import data

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("injections", "diary", "labs")


def neutralise(value: object) -> str:
    """The cell as text, quoted with a leading ' when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()


def _local(instant, tz) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def injections_csv(patient: PatientProfile) -> str:
    tz = patient.tz
    header = [f"Given at ({patient.timezone})", "Product", "Dose", "Site", "Given by",
              "Batch (lot)", "Expiry", "Pain (0-10)", "Reactions at the site", "Other reactions",
              "Planned dose", "Notes"]
    rows = []
    for i in data.injections(patient):
        dose = getattr(i, "planned_dose", None)
        rows.append([
            _local(i.taken_at, tz), i.get_product_display(), i.dose_text, i.get_site_display(),
            i.get_administered_by_display(), i.lot_number,
            i.expiry_date.isoformat() if i.expiry_date else "",
            "" if i.pain is None else i.pain, "; ".join(i.local_reactions),
            "; ".join(i.systemic_reactions),
            phase_label(dose.phase, dose.sequence) if dose else "", i.notes,
        ])
    return to_csv(header, rows)


def diary_csv(patient: PatientProfile) -> str:
    """One row per symptom score; the day's notes on its first row."""
    tz = patient.tz
    header = [f"Day ({patient.timezone})", f"Saved at ({patient.timezone})", "Symptom",
              "Severity (0-10)", "Where", "Notes"]
    rows, seen = [], set()
    for score in data.scores(patient):
        checkin = score.checkin
        notes = checkin.notes if checkin.pk not in seen else ""
        seen.add(checkin.pk)
        rows.append([checkin.local_date.isoformat(), _local(checkin.recorded_at, tz),
                     score.symptom.name, score.severity, score.location, notes])
    return to_csv(header, rows)


def labs_csv(patient: PatientProfile) -> str:
    tz = patient.tz
    header = [f"Sampled at ({patient.timezone})", "Test", "LOINC", "Value", "Unit",
              "As entered", "Reference range", "Flag", "Band", "Laboratory", "Notes"]
    rows = []
    for r in data.lab_results(patient):
        analyte = r.analyte
        value = units.plain(r.value) if r.value is not None else r.qualitative
        rows.append([
            _local(r.sampled_at, tz), analyte.name, analyte.loinc, value,
            units.display_unit(analyte.canonical_unit) if r.value is not None else "",
            r.entered_text, analyte.range_text(patient.sex), r.flag_label if r.flag else "",
            r.band, r.lab_name, r.notes,
        ])
    return to_csv(header, rows)


BUILDERS = {"injections": injections_csv, "diary": diary_csv, "labs": labs_csv}


def export(patient: PatientProfile, kind: str) -> str:
    return BUILDERS[kind](patient)
