"""One patient as a FHIR R4 Bundle (type ``collection``), as plain JSON-ready dicts.

Resources: Patient; one MedicationRequest per regimen with one ``dosageInstruction`` per phase;
one MedicationAdministration per injection (the batch on a contained Medication); one
Observation per lab result (LOINC, UCUM) and per diary score; one Flag per active alert.
Only resources and elements that are the same in R4 (4.0.1) and R4B (4.3.0) are used, so the
bundle reads as either (the tests validate it with ``fhir.resources.R4B``).

Entries are addressed by ``urn:uuid`` full URLs derived from the row ids (uuid5), so two exports
of the same data carry the same ids. Codes are only ones we are sure of: LOINC for labs, UCUM
for units, SNOMED CT 78421000 for the intramuscular route, HL7 terminology for categories and
interpretations; our own values (sites, symptoms, alert rules) use code systems under SITE_URL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings

from b12care.accounts.models import PatientProfile, Sex
from b12care.alerts.models import Alert
from injections import scheduling
from injections.models import Injection, Regimen, RegimenStatus
from labs import units
from labs.models import LabResult
from symptoms.models import SymptomScore

from . import data

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
HL7 = "http://terminology.hl7.org/CodeSystem"
ROUTE_IM = {"coding": [{"system": SNOMED, "code": "78421000",
                        "display": "Intramuscular route"}], "text": "Intramuscular"}
INTERPRETATION = {units.NORMAL: ("N", "Normal"), units.LOW: ("L", "Low"),
                  units.HIGH: ("H", "High"), units.CRITICAL_LOW: ("LL", "Critical low"),
                  units.CRITICAL_HIGH: ("HH", "Critical high"), units.ABNORMAL: ("A", "Abnormal")}
PERIOD_UNITS = {scheduling.DAYS: "d", scheduling.WEEKS: "wk", scheduling.WEEKDAYS: "wk",
                scheduling.MONTHS: "mo"}
DOSE_UCUM = {"mg": "mg", "microgram": "ug"}
PERFORMER = {"self": None, "carer": ("RelatedPerson", "Carer or family member"),
             "nurse": ("Practitioner", "Nurse or clinic")}
GENDER = {Sex.FEMALE: "female", Sex.MALE: "male"}
DAY_CODES = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat",
             "SU": "sun"}


def local_system(name: str) -> str:
    """Our own code system for ``name`` (injection-site, symptom, alert-rule)."""
    return f"{settings.SITE_URL}/fhir/CodeSystem/{name}"


def entry_id(kind: str, pk: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/fhir/{kind}/{pk}"))


def ref(kind: str, pk: int) -> dict:
    return {"reference": f"urn:uuid:{entry_id(kind, pk)}"}


def number(value: Decimal) -> int | float:
    """A Decimal as a JSON number (FHIR decimals are JSON numbers, never strings)."""
    return int(value) if value == value.to_integral_value() else float(value)


def ucum(unit: str) -> str:
    return unit.replace("µ", "u")


def quantity(value: Decimal, unit: str) -> dict:
    return {"value": number(value), "unit": units.display_unit(unit), "system": UCUM,
            "code": ucum(unit)}


def patient_resource(patient: PatientProfile) -> dict:
    user = patient.user
    resource = {
        "resourceType": "Patient", "id": entry_id("patient", patient.pk),
        "identifier": [{"system": f"{settings.SITE_URL}/fhir/patient-id",
                        "value": str(patient.pk)}],
        "name": [{"text": patient.display_name, "family": user.last_name or None,
                  "given": [user.first_name] if user.first_name else None}],
        "telecom": [{"system": "email", "value": user.email}],
        "gender": GENDER.get(patient.sex, "unknown"),
    }
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def _repeat(phase, span: scheduling.PhaseSpan) -> dict:
    repeat = {"frequency": len(phase.weekday_codes) if phase.repeat == scheduling.WEEKDAYS else 1,
              "period": phase.interval, "periodUnit": PERIOD_UNITS[phase.repeat],
              "timeOfDay": [phase.time_of_day.strftime("%H:%M:%S")]}
    if phase.repeat == scheduling.WEEKDAYS:
        repeat["dayOfWeek"] = [DAY_CODES[c] for c in phase.weekday_codes]
    if phase.end_kind == "count" and phase.count:
        repeat["count"] = phase.count
    bounds = {}
    if span.anchor is not None:
        bounds["start"] = span.anchor.isoformat()
    if span.end is not None:
        bounds["end"] = span.end.isoformat()
    if bounds:
        repeat["boundsPeriod"] = bounds
    return repeat


def dosage_instructions(regimen: Regimen) -> list[dict]:
    phases = list(regimen.phases.all())
    spans = scheduling.phase_spans([p.plan for p in phases])
    return [{
        "sequence": phase.order,
        "text": f"{phase.get_kind_display()}: {phase.dose_text} "
                f"{phase.get_product_display().lower()} {phase.recurrence.describe()}",
        "timing": {"repeat": _repeat(phase, span)},
        "route": ROUTE_IM,
        "doseAndRate": [{"doseQuantity": {"value": number(phase.dose),
                                          "unit": phase.get_unit_display(), "system": UCUM,
                                          "code": DOSE_UCUM.get(phase.unit, phase.unit)}}],
    } for phase, span in zip(phases, spans, strict=True)]


def medication_request(regimen: Regimen, patient: PatientProfile) -> dict:
    phases = list(regimen.phases.all())
    product = phases[0].get_product_display() if phases else "Vitamin B12"
    return {
        "resourceType": "MedicationRequest", "id": entry_id("regimen", regimen.pk),
        "status": "active" if regimen.status == RegimenStatus.ACTIVE else "completed",
        "intent": "order",
        "medicationCodeableConcept": {"text": product},
        "subject": ref("patient", patient.pk),
        "authoredOn": regimen.created_at.isoformat(),
        "note": [{"text": regimen.name}],
        "dosageInstruction": dosage_instructions(regimen),
    }


def _performer(injection: Injection, patient: PatientProfile) -> dict:
    function = {"coding": [{"system": f"{HL7}/med-admin-perform-function", "code": "performer",
                            "display": "Performer"}]}
    who = PERFORMER.get(injection.administered_by)
    if who is None:
        actor = {**ref("patient", patient.pk), "type": "Patient", "display": "Self"}
    else:
        actor = {"type": who[0], "display": who[1]}
    return {"function": function, "actor": actor}


def _medication(injection: Injection) -> dict:
    """The medicine given: a contained Medication carrying the batch when one was recorded."""
    code = {"text": injection.get_product_display()}
    if not (injection.lot_number or injection.expiry_date):
        return {"medicationCodeableConcept": code}
    batch = {}
    if injection.lot_number:
        batch["lotNumber"] = injection.lot_number
    if injection.expiry_date:
        batch["expirationDate"] = injection.expiry_date.isoformat()
    return {"contained": [{"resourceType": "Medication", "id": "med", "code": code,
                           "batch": batch}],
            "medicationReference": {"reference": "#med"}}


def medication_administration(injection: Injection, patient: PatientProfile) -> dict:
    resource = {
        "resourceType": "MedicationAdministration", "id": entry_id("injection", injection.pk),
        "status": "completed", **_medication(injection),
        "subject": ref("patient", patient.pk),
        "effectiveDateTime": injection.taken_at.astimezone(patient.tz).isoformat(),
        "performer": [_performer(injection, patient)],
        "dosage": {
            "site": {"coding": [{"system": local_system("injection-site"),
                                 "code": injection.site,
                                 "display": injection.get_site_display()}],
                     "text": injection.get_site_display()},
            "route": ROUTE_IM,
            "dose": {"value": number(injection.dose), "unit": injection.get_unit_display(),
                     "system": UCUM, "code": DOSE_UCUM.get(injection.unit, injection.unit)},
        },
    }
    dose = getattr(injection, "planned_dose", None)
    if dose is not None:
        resource["request"] = ref("regimen", dose.regimen_id)
    reactions = injection.local_reactions + injection.systemic_reactions
    if reactions:
        resource["note"] = [{"text": "Reactions: " + ", ".join(reactions)}]
    return resource


def _reference_range(result: LabResult, sex: str) -> list[dict]:
    low, high = result.analyte.range_for(sex)
    if low is None and high is None:
        return []
    unit = result.analyte.canonical_unit
    rng = {"text": result.analyte.range_text(sex)}
    if low is not None:
        rng["low"] = quantity(low, unit)
    if high is not None:
        rng["high"] = quantity(high, unit)
    return [rng]


def lab_observation(result: LabResult, patient: PatientProfile) -> dict:
    analyte = result.analyte
    resource = {
        "resourceType": "Observation", "id": entry_id("lab", result.pk), "status": "final",
        "category": [{"coding": [{"system": f"{HL7}/observation-category",
                                  "code": "laboratory", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": analyte.loinc, "display": analyte.name}],
                 "text": analyte.name},
        "subject": ref("patient", patient.pk),
        "effectiveDateTime": result.sampled_at.astimezone(patient.tz).isoformat(),
    }
    if result.value is not None:
        resource["valueQuantity"] = quantity(result.value, analyte.canonical_unit)
    else:
        resource["valueString"] = result.qualitative
    if result.flag in INTERPRETATION:
        code, display = INTERPRETATION[result.flag]
        resource["interpretation"] = [{"coding": [{
            "system": f"{HL7}/v3-ObservationInterpretation", "code": code, "display": display}]}]
    ranges = _reference_range(result, patient.sex)
    if ranges:
        resource["referenceRange"] = ranges
    return resource


def diary_observation(score: SymptomScore, patient: PatientProfile) -> dict:
    """A diary score (0-10) on the patient's local day."""
    resource = {
        "resourceType": "Observation", "id": entry_id("score", score.pk), "status": "final",
        "category": [{"coding": [{"system": f"{HL7}/observation-category", "code": "survey",
                                  "display": "Survey"}]}],
        "code": {"coding": [{"system": local_system("symptom"), "code": score.symptom.code,
                             "display": score.symptom.name}],
                 "text": f"{score.symptom.name} (0 = none, 10 = worst)"},
        "subject": ref("patient", patient.pk),
        "effectiveDateTime": score.checkin.local_date.isoformat(),
        "valueInteger": score.severity,
    }
    if score.location:
        resource["bodySite"] = {"text": score.location}
    return resource


def flag(alert: Alert, patient: PatientProfile) -> dict:
    return {
        "resourceType": "Flag", "id": entry_id("alert", alert.pk), "status": "active",
        "category": [{"coding": [{"system": f"{HL7}/flag-category", "code": "clinical",
                                  "display": "Clinical"}]}],
        "code": {"coding": [{"system": local_system("alert-rule"), "code": alert.rule.code,
                             "display": alert.rule.name}],
                 "text": f"{alert.get_severity_display()}: {alert.rule.name}"},
        "subject": ref("patient", patient.pk),
        "period": {"start": alert.first_seen_at.astimezone(patient.tz).isoformat()},
    }


def _clean(value):
    """Drop empty values (FHIR forbids empty strings, lists and objects)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_clean(v) for v in value) if v not in (None, "", [], {})]
    return value


def bundle(patient: PatientProfile, *, now: dt.datetime) -> dict:
    """Everything of one patient as a collection Bundle (fixed number of queries)."""
    resources = [patient_resource(patient)]
    resources += [medication_request(r, patient) for r in data.regimens(patient)]
    resources += [medication_administration(i, patient) for i in data.injections(patient)]
    resources += [lab_observation(r, patient) for r in data.lab_results(patient)]
    resources += [diary_observation(s, patient) for s in data.scores(patient)]
    resources += [flag(a, patient) for a in data.alerts(patient, active_only=True)]
    return _clean({
        "resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    })
