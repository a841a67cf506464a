"""The FHIR export: a collection Bundle that the R4(B) models accept, with the right content."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from fhir.resources.R4B.bundle import Bundle

from b12care.accounts.models import AccessLog
from b12care.exports import fhir

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(treated):
    data = fhir.bundle(treated, now=NOW)
    Bundle.model_validate(data)  # raises on any element R4B (= R4 for these resources) refuses
    return data


def resources(bundle, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_a_valid_collection_with_one_resource_per_record(bundle):
    assert bundle["type"] == "collection"
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    # 4 lab results + 5 check-ins x 3 scores; a Flag per active alert (neuro, missed doses).
    assert kinds == {"Patient": 1, "MedicationRequest": 1, "MedicationAdministration": 6,
                     "Observation": 4 + 15, "Flag": 2}


def test_every_reference_points_at_an_entry_of_the_bundle(bundle):
    urls = {e["fullUrl"] for e in bundle["entry"]}
    text = json.dumps(bundle)
    refs = {part.split('"')[0] for part in text.split('"reference": "')[1:]}
    assert refs - {"#med"} <= urls


def test_the_patient_carries_name_birth_date_and_gender(bundle):
    (patient,) = resources(bundle, "Patient")
    assert patient["name"][0] == {"text": "Pat Lee", "family": "Lee", "given": ["Pat"]}
    assert (patient["birthDate"], patient["gender"]) == ("1970-05-04", "female")


def test_the_medication_request_has_one_dosage_instruction_per_phase(bundle):
    (request,) = resources(bundle, "MedicationRequest")
    assert request["status"] == "active"
    induction, maintenance = request["dosageInstruction"]
    assert induction["sequence"] == 1
    assert induction["timing"]["repeat"] == {
        "frequency": 3, "period": 1, "periodUnit": "wk", "dayOfWeek": ["mon", "wed", "fri"],
        "timeOfDay": ["09:00:00"], "count": 6,
        "boundsPeriod": {"start": "2026-06-01", "end": "2026-06-12"}}
    assert induction["route"]["coding"][0]["code"] == "78421000"
    assert induction["doseAndRate"][0]["doseQuantity"] == {
        "value": 1, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert maintenance["sequence"] == 2
    repeat = maintenance["timing"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 3, "mo")
    assert "count" not in repeat and repeat["boundsPeriod"] == {"start": "2026-06-12"}


def test_each_injection_is_an_administration_with_time_performer_site_and_batch(bundle):
    given = resources(bundle, "MedicationAdministration")
    first = given[0]
    assert first["status"] == "completed"
    assert first["effectiveDateTime"] == "2026-06-01T09:05:00+01:00"
    assert first["performer"][0]["actor"] == {"type": "Practitioner",
                                              "display": "Nurse or clinic"}
    assert first["contained"][0]["batch"] == {"lotNumber": "LOT-01",
                                              "expirationDate": "2027-08-31"}
    assert first["medicationReference"] == {"reference": "#med"}
    assert first["dosage"]["site"]["text"] == "Right upper arm (deltoid)"
    assert first["dosage"]["route"]["coding"][0]["system"] == "http://snomed.info/sct"
    (request,) = resources(bundle, "MedicationRequest")
    assert first["request"]["reference"] == f"urn:uuid:{request['id']}"
    assert given[1]["note"] == [{"text": "Reactions: Redness"}]
    assert given[2]["performer"][0]["actor"]["type"] == "RelatedPerson"
    (patient,) = resources(bundle, "Patient")
    assert given[3]["performer"][0]["actor"]["reference"] == f"urn:uuid:{patient['id']}"


def test_lab_results_are_observations_with_loinc_ucum_range_and_interpretation(bundle):
    labs = [o for o in resources(bundle, "Observation")
            if o["category"][0]["coding"][0]["code"] == "laboratory"]
    hb = next(o for o in labs if o["code"]["coding"][0]["code"] == "718-7")
    assert hb["code"]["coding"][0]["system"] == "http://loinc.org"
    assert hb["valueQuantity"] == {"value": 9.4, "unit": "g/dL",
                                   "system": "http://unitsofmeasure.org", "code": "g/dL"}
    assert hb["referenceRange"][0]["low"]["value"] == 12
    assert hb["referenceRange"][0]["high"]["value"] == 15.5  # the female range
    assert hb["interpretation"][0]["coding"][0]["code"] == "L"
    ifab = next(o for o in labs if o["code"]["coding"][0]["code"] == "31444-3")
    assert ifab["valueString"] == "positive"
    assert ifab["interpretation"][0]["coding"][0]["code"] == "A"


def test_diary_scores_are_survey_observations_on_the_local_day(bundle):
    scores = [o for o in resources(bundle, "Observation")
              if o["category"][0]["coding"][0]["code"] == "survey"]
    first = scores[0]
    assert (first["code"]["coding"][0]["code"], first["valueInteger"]) == ("fatigue", 8)
    assert first["effectiveDateTime"] == "2026-06-01"


def test_only_active_alerts_become_flags(bundle):
    texts = sorted(f["code"]["text"] for f in resources(bundle, "Flag"))
    assert texts == ["Review: Missed doses",
                     "Urgent: New or rapidly worsening neurological symptoms"]


def test_the_json_download_is_the_same_bundle_for_patient_and_clinician(
    client, clinician, treated, django_assert_num_queries
):
    client.force_login(treated.user)
    with django_assert_num_queries(9):
        mine = client.get("/exports/fhir.json")
    assert mine["Content-Type"] == "application/fhir+json; charset=utf-8"
    client.force_login(clinician)
    theirs = client.get(f"/exports/patients/{treated.pk}/fhir.json")
    for response in (mine, theirs):
        Bundle.model_validate(json.loads(response.content))
    assert (json.loads(mine.content)["entry"] == json.loads(theirs.content)["entry"])
    assert AccessLog.objects.filter(user=clinician, action="exports.fhir").count() == 1


def test_an_unassigned_clinician_and_another_patient_get_404(
    client, treated, outsider_clinician, outsider_patient
):
    client.force_login(outsider_clinician)
    assert client.get(f"/exports/patients/{treated.pk}/fhir.json").status_code == 404
    client.force_login(outsider_patient.user)
    assert client.get(f"/exports/patients/{treated.pk}/fhir.json").status_code == 404
    own = json.loads(client.get("/exports/fhir.json").content)
    assert "Lee" not in json.dumps(own) and "pat@example.org" not in json.dumps(own)
    assert len(own["entry"]) == 1
