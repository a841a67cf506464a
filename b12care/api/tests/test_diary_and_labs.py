"""Diary check-ins and lab results through the API: the same services and scope as the web."""

import datetime as dt

import pytest
from django.urls import reverse

from b12care.accounts.models import AccessLog
from labs import services as lab_services
from labs.models import Analyte, LabResult
from symptoms import services as diary_services
from symptoms.models import CheckIn

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]

CHECKINS = reverse("api:me_checkins")
LABS = reverse("api:me_labs")


def b12_result(patient, by, *, value="250", when=NOW):
    return lab_services.result_record(
        patient=patient, analyte=Analyte.objects.get(key="b12"), sampled_on=when.date(),
        value=value, unit="ng/L", by=by, now=when).result


# --- Diary -----------------------------------------------------------------------------------

def test_the_symptom_catalogue_lists_the_diary_questions(patient_api):
    symptoms = patient_api.get(reverse("api:symptoms")).json()
    fatigue = next(s for s in symptoms if s["code"] == "fatigue")
    assert fatigue["question"] == "How tired or low in energy have you felt today?"
    assert next(s for s in symptoms if s["code"] == "numbness_feet")["locations"]


def test_a_patient_saves_todays_diary_and_updates_it_the_same_day(patient_api):
    first = patient_api.post(CHECKINS, {"scores": [{"symptom": "fatigue", "severity": 4}],
                                        "notes": "Long day"}, format="json")
    assert first.status_code == 201
    assert first.json()["checkin"]["local_date"] == "2026-11-24"
    again = patient_api.post(CHECKINS, {"scores": [{"symptom": "fatigue", "severity": 2}]},
                             format="json")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["checkin"]["scores"] == [
        {"symptom": "fatigue", "name": "Tiredness", "severity": 2, "location": ""}]
    assert CheckIn.objects.count() == 1


def test_the_diarys_own_rules_come_back_as_400(patient_api):
    unknown = patient_api.post(CHECKINS, {"scores": [{"symptom": "hiccups", "severity": 1}]},
                               format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"scores": {"hiccups": ["This symptom is not in the diary."]}}
    empty = patient_api.post(CHECKINS, {"scores": [], "notes": ""}, format="json")
    assert empty.json() == {"non_field_errors": ["Answer at least one question or write a note."]}
    twice = patient_api.post(CHECKINS, {"scores": [{"symptom": "fatigue", "severity": 1},
                                                   {"symptom": "fatigue", "severity": 2}]},
                             format="json")
    assert twice.status_code == 400
    assert not CheckIn.objects.exists()


def test_an_urgent_diary_entry_tells_the_app_to_show_guidance(patient_api):
    response = patient_api.post(CHECKINS, {"scores": [{"symptom": "numbness_feet",
                                                       "severity": 9}]}, format="json")
    assert response.json()["needs_guidance"] is True
    assert response.json()["guidance_url"].endswith(reverse("alerts:guidance"))


def test_a_clinician_reads_a_patients_diary_and_outsiders_get_404(
        clinician_api, outsider_clinician_api, patient_api, patient):
    diary_services.checkin_save(patient=patient, scores={"fatigue": (3, "")}, by=patient.user,
                                now=NOW)
    url = reverse("api:patient_checkins", args=[patient.pk])
    assert clinician_api.get(url).json()["results"][0]["scores"][0]["severity"] == 3
    assert clinician_api.post(url, {"notes": "x"}, format="json").status_code == 405
    assert outsider_clinician_api.get(url).status_code == 404
    assert patient_api.get(url).status_code == 404
    assert AccessLog.objects.filter(action="api.diary.list").count() == 1


def test_a_patient_sees_only_their_own_diary(patient_api, outsider_patient):
    diary_services.checkin_save(patient=outsider_patient, scores={"fatigue": (3, "")},
                                by=outsider_patient.user, now=NOW)
    assert patient_api.get(CHECKINS).json()["count"] == 0


# --- Labs ------------------------------------------------------------------------------------

def test_the_analyte_catalogue_lists_units(patient_api):
    analytes = patient_api.get(reverse("api:analytes")).json()
    b12 = next(a for a in analytes if a["key"] == "b12")
    assert b12["loinc"] == "2132-9" and "pmol/L" in b12["units"]


def test_a_patient_records_a_result_converted_to_the_canonical_unit(patient_api):
    response = patient_api.post(LABS, {"analyte": "b12", "sampled_on": "2026-11-20",
                                       "value": "150", "unit": "pmol/l"}, format="json")
    assert response.status_code == 201
    result = response.json()["result"]
    assert (result["unit_entered"], result["unit"]) == ("pmol/L", "pg/mL")
    assert result["value"].startswith("203.")  # 150 × 1.355
    assert result["can_delete"] is True
    assert LabResult.objects.get().source == "patient"


def test_the_lab_services_refusals_come_back_as_400(patient_api):
    unit = patient_api.post(LABS, {"analyte": "b12", "sampled_on": "2026-11-20",
                                   "value": "150", "unit": "furlongs"}, format="json")
    assert unit.status_code == 400 and "unit" in unit.json()
    future = patient_api.post(LABS, {"analyte": "b12", "sampled_on": "2026-12-20",
                                     "value": "150", "unit": "ng/L"}, format="json")
    assert future.status_code == 400 and "future" in future.json()["sampled_on"][0]
    unknown = patient_api.post(LABS, {"analyte": "unobtainium", "sampled_on": "2026-11-20",
                                      "value": "1"}, format="json")
    assert unknown.status_code == 400 and "analyte" in unknown.json()
    assert not LabResult.objects.exists()


def test_a_patient_deletes_their_own_entry_within_24_hours_only(patient_api, patient,
                                                                fixed_clock):
    recent = b12_result(patient, patient.user)
    assert patient_api.delete(reverse("api:me_lab", args=[recent.pk])).status_code == 204
    older = b12_result(patient, patient.user)
    fixed_clock.shift(dt.timedelta(hours=25))
    refused = patient_api.delete(reverse("api:me_lab", args=[older.pk]))
    assert refused.status_code == 403
    assert list(LabResult.objects.values_list("pk", flat=True)) == [older.pk]


def test_another_patients_result_is_404(patient_api, outsider_patient):
    theirs = b12_result(outsider_patient, outsider_patient.user)
    assert patient_api.get(reverse("api:me_lab", args=[theirs.pk])).status_code == 404
    assert patient_api.delete(reverse("api:me_lab", args=[theirs.pk])).status_code == 404
    assert patient_api.get(LABS).json()["count"] == 0
    assert LabResult.objects.filter(pk=theirs.pk).exists()


def test_a_clinician_reads_a_patients_results_and_outsiders_get_404(
        clinician_api, outsider_clinician_api, patient, clinician):
    result = b12_result(patient, clinician)
    url = reverse("api:patient_lab", args=[patient.pk, result.pk])
    assert clinician_api.get(url).json()["source"] == "clinician"
    assert clinician_api.delete(url).status_code == 405
    assert outsider_clinician_api.get(url).status_code == 404
    assert outsider_clinician_api.get(reverse("api:patient_labs",
                                              args=[patient.pk])).status_code == 404
