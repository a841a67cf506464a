"""Clinician pages: only their own patients; other roles and outsiders get 404."""

import pytest

from b12care.accounts.models import AccessLog
from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_only_the_clinicians_own_patients(
    clinician_client, patient, outsider_patient
):
    body = clinician_client.get("/clinic/").content.decode()
    assert "Pat Lee" in body
    assert "Olive" not in body


def test_the_dashboard_shows_an_empty_state_for_a_new_clinician(client, outsider_clinician):
    client.force_login(outsider_clinician)
    assert "You have no patients yet" in client.get("/clinic/").content.decode()


def test_the_dashboard_searches_by_name(clinician_client, clinician, patient):
    CareTeamFactory(clinician=clinician, patient__user__first_name="Zed")
    body = clinician_client.post("/clinic/", {"q": "zed"}, follow=True).content.decode()
    assert "Zed" in body and "Pat Lee" not in body


def test_the_dashboard_paginates(clinician_client, clinician):
    for _ in range(30):
        CareTeamFactory(clinician=clinician)
    response = clinician_client.get("/clinic/?page=2")
    assert "Page 2 of 2" in response.content.decode()
    assert len(response.context["board"].patients) == 5


def test_a_clinician_opens_their_patients_page_and_the_read_is_logged(
    clinician_client, clinician, patient
):
    response = clinician_client.get(f"/clinic/patients/{patient.pk}/")
    assert response.status_code == 200
    assert AccessLog.objects.filter(user=clinician, patient=patient, kind="read").count() == 1


def test_an_outsider_clinician_gets_404_for_another_clinicians_patient(
    client, outsider_clinician, patient
):
    client.force_login(outsider_clinician)
    assert client.get(f"/clinic/patients/{patient.pk}/").status_code == 404
    assert not AccessLog.objects.filter(kind="read").exists()
    assert AccessLog.objects.filter(kind="denied", user=outsider_clinician).count() == 1


def test_a_patient_gets_404_on_clinician_pages_even_for_their_own_record(patient_client, patient):
    assert patient_client.get("/clinic/").status_code == 404
    assert patient_client.get(f"/clinic/patients/{patient.pk}/").status_code == 404


def test_a_patient_gets_404_for_another_patient(patient_client, outsider_patient):
    assert patient_client.get(f"/clinic/patients/{outsider_patient.pk}/").status_code == 404


def test_a_clinician_gets_404_on_the_patient_home(clinician_client):
    assert clinician_client.get("/me/").status_code == 404


def test_home_sends_each_role_to_its_own_page(client, patient, clinician):
    client.force_login(patient.user)
    assert client.get("/")["Location"] == "/me/"
    client.force_login(clinician)
    assert client.get("/")["Location"] == "/clinic/"


def test_an_unknown_patient_id_is_404_not_500(clinician_client):
    assert clinician_client.get("/clinic/patients/999999/").status_code == 404
    PatientFactory()  # exists but not on the team
    assert clinician_client.get("/clinic/patients/99999999999999999999/").status_code == 404


def test_a_404_is_our_own_page_and_says_nothing_about_the_record(client, outsider_clinician,
                                                                  patient):
    client.force_login(outsider_clinician)
    body = client.get(f"/clinic/patients/{patient.pk}/").content.decode()
    assert "Page not found" in body
    assert "Pat Lee" not in body and "pat@example.org" not in body
    assert "Go to your home page" in body
