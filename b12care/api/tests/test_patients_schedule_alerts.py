"""Who the patient is, their schedule and alerts; clinicians' reads and acknowledging."""

import datetime as dt

import pytest
from django.urls import reverse

from b12care.accounts.models import AccessLog
from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory
from b12care.alerts.models import Alert
from injections import protocols
from injections import services as injection_services
from injections.models import ProtocolTemplate

from .conftest import NOW, injection_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


@pytest.fixture
def regimen(patient, clinician):
    template = ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NO_NEURO)
    return injection_services.regimen_create_from_template(
        patient=patient, template=template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(9, 0), created_by=clinician, now=NOW)


@pytest.fixture
def alert(patient_api, patient):
    """An urgent alert raised by the patient's own report of a systemic reaction."""
    patient_api.post(reverse("api:me_injections"),
                     injection_body(systemic_reactions=["face_throat_swelling"]), format="json")
    return Alert.objects.get(patient=patient)


# --- Who --------------------------------------------------------------------------------------

def test_me_is_the_patients_own_profile_with_links(patient_api, patient):
    body = patient_api.get(reverse("api:me")).json()
    assert (body["id"], body["name"], body["timezone"]) == (patient.pk, "Pat Lee",
                                                            "Europe/London")
    assert body["links"]["schedule"] == "http://testserver" + reverse("api:me_schedule")


def test_a_clinician_lists_only_their_care_teams_patients(clinician_api, clinician, patient,
                                                          outsider_patient):
    other = PatientFactory(user__first_name="Ann", user__last_name="Able")
    CareTeamFactory(patient=other, clinician=clinician)
    body = clinician_api.get(reverse("api:patients")).json()
    assert [p["id"] for p in body["results"]] == [other.pk, patient.pk]  # by last name


def test_a_clinician_reads_one_patient_and_the_read_is_audited(clinician_api, clinician,
                                                               patient):
    body = clinician_api.get(reverse("api:patient", args=[patient.pk])).json()
    assert body["name"] == "Pat Lee"
    assert body["links"]["injections"].endswith(
        reverse("api:patient_injections", args=[patient.pk]))
    log = AccessLog.objects.get(kind="read")
    assert (log.user, log.patient, log.action) == (clinician, patient, "api.patient")


def test_wrong_role_and_unassigned_clinician_get_404(clinician_api, patient_api,
                                                     outsider_clinician_api, patient):
    assert clinician_api.get(reverse("api:me")).status_code == 404
    assert patient_api.get(reverse("api:patients")).status_code == 404
    assert patient_api.get(reverse("api:patient", args=[patient.pk])).status_code == 404
    assert outsider_clinician_api.get(reverse("api:patient", args=[patient.pk])).status_code \
        == 404
    assert outsider_clinician_api.get(reverse("api:patients")).json()["count"] == 0


# --- Schedule ---------------------------------------------------------------------------------

def test_the_schedule_says_the_regimen_in_words_and_lists_planned_doses(patient_api, regimen):
    body = patient_api.get(reverse("api:me_schedule")).json()
    assert body["regimen"]["name"] == regimen.name
    assert body["regimen"]["phases"][0]["in_words"].startswith(
        "Induction: 1 mg hydroxocobalamin, ")
    assert body["next_dose"]["label"] == "induction dose 1 of 6"
    assert body["next_dose"]["due_local"] == "2026-11-25T09:00:00+00:00"
    assert body["next_dose"]["phrase"] == "due tomorrow"
    assert len(body["upcoming"]) >= 5


def test_without_a_regimen_the_schedule_is_empty(patient_api):
    body = patient_api.get(reverse("api:me_schedule")).json()
    assert body["regimen"] is None and body["next_dose"] is None and body["upcoming"] == []


def test_a_clinician_reads_the_schedule_of_their_patient_only(clinician_api,
                                                              outsider_clinician_api,
                                                              patient, regimen):
    url = reverse("api:patient_schedule", args=[patient.pk])
    assert clinician_api.get(url).json()["regimen"]["name"] == regimen.name
    assert outsider_clinician_api.get(url).status_code == 404


# --- Alerts -----------------------------------------------------------------------------------

def test_the_patient_sees_their_alert_and_when_it_was_acknowledged(patient_api, clinician_api,
                                                                   patient, alert):
    mine = patient_api.get(reverse("api:me_alerts")).json()
    assert [a["id"] for a in mine] == [alert.pk]
    assert mine[0]["message"] == alert.patient_message and mine[0]["acknowledged_at"] is None
    assert "clinician_message" not in mine[0]
    clinician_api.post(reverse("api:alert_acknowledge", args=[patient.pk, alert.pk]),
                       {"note": "Phoned"}, format="json")
    assert patient_api.get(reverse("api:me_alerts")).json()[0]["acknowledged_at"]


def test_a_clinician_acknowledges_an_alert_once(clinician_api, clinician, patient, alert):
    url = reverse("api:alert_acknowledge", args=[patient.pk, alert.pk])
    response = clinician_api.post(url, {"note": "Phoned, seen today"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "Alex Jones"
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.note) == (
        "acknowledged", clinician, "Phoned, seen today")
    again = clinician_api.post(url, {}, format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [
        "This alert was already acknowledged or resolved."]}
    listed = clinician_api.get(reverse("api:patient_alerts", args=[patient.pk])).json()
    assert [a["status"] for a in listed["active"]] == ["acknowledged"]


def test_patients_and_unassigned_clinicians_cannot_acknowledge(patient_api,
                                                               outsider_clinician_api,
                                                               patient, alert):
    url = reverse("api:alert_acknowledge", args=[patient.pk, alert.pk])
    assert patient_api.post(url, {}, format="json").status_code == 404
    assert outsider_clinician_api.post(url, {}, format="json").status_code == 404
    assert outsider_clinician_api.get(reverse("api:patient_alerts",
                                              args=[patient.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_an_alert_of_another_patient_is_404_under_this_patient(clinician_api, clinician,
                                                               patient, alert):
    other = PatientFactory()
    CareTeamFactory(patient=other, clinician=clinician)
    url = reverse("api:alert_acknowledge", args=[other.pk, alert.pk])
    assert clinician_api.post(url, {}, format="json").status_code == 404
