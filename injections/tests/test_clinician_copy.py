"""The clinician's injection pages speak to the clinician, and put the next step first."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from injections.models import SuitabilityAssessment, TrainingRecord

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    body = response.content.decode().split('id="main"')[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_readiness_page_names_the_patient_instead_of_calling_them_you(clinician_client,
                                                                          patient):
    page = text(clinician_client.get(reverse("injections:readiness", args=[patient.pk])))
    assert "Not cleared for self-injection yet. Pat cannot log injections they give" in page
    assert "No suitability assessment recorded." in page
    assert "No observed first injection recorded." in page
    status = page.split("Not cleared")[1].split("Record what you")[0]
    assert not re.search(r"\byou(r)?\b", status, re.I), status
    assert "Your clinician" not in page and "watched you" not in page


def test_the_readiness_page_says_what_is_still_missing(clinician_client, clinician, patient):
    SuitabilityAssessment.objects.create(
        patient=patient, assessed_by=clinician, assessed_on=dt.date(2026, 11, 1),
        **{item: True for item in SuitabilityAssessment.ITEMS})
    TrainingRecord.objects.create(patient=patient, observed_by=clinician,
                                  observed_on=dt.date(2026, 11, 2))  # checklist not ticked
    page = text(clinician_client.get(reverse("injections:readiness", args=[patient.pk])))
    assert "Training checklist not complete." in page
    assert "suitability assessment recorded" not in page


def test_a_cleared_patient_reads_as_cleared_with_the_dates(clinician_client, patient,
                                                            ready_for_self):
    page = text(clinician_client.get(reverse("injections:readiness", args=[patient.pk])))
    assert ("Cleared for self-injection. Pat can log injections they give themselves: assessed "
            "suitable on 1 Nov 2026, first injection observed on 2 Nov 2026.") in page


def test_the_regimen_page_speaks_to_the_clinician_about_self_injection(clinician_client,
                                                                        patient):
    page = text(clinician_client.get(reverse("injections:patient_regimen", args=[patient.pk])))
    assert "Not yet: No suitability assessment recorded." in page
    assert "Your clinician" not in page and "watched you" not in page


def first_button(response) -> str:
    body = response.content.decode().split('id="main"')[1]
    return re.sub(r"<[^>]+>", "", re.search(r'class="btn btn-primary"[^>]*>(.*?)</a>',
                                            body, re.S).group(1)).strip()


def test_a_new_patients_regimen_page_offers_a_regimen_before_logging(clinician_client, patient):
    response = clinician_client.get(reverse("injections:patient_regimen", args=[patient.pk]))
    assert first_button(response) == "Set up a regimen"
    assert "btn-outline-secondary\" href=\"" + reverse(
        "injections:log_for_patient", args=[patient.pk]) in response.content.decode()


def test_with_a_regimen_logging_comes_first(clinician_client, patient, regimen):
    response = clinician_client.get(reverse("injections:patient_regimen", args=[patient.pk]))
    assert first_button(response) == "Log an injection"
    assert "Replace regimen" in response.content.decode()


def test_logging_for_a_patient_tells_the_clinician_about_the_patient(clinician_client,
                                                                      patient):
    page = text(clinician_client.get(reverse("injections:log_for_patient", args=[patient.pk])))
    assert "Self-injection not cleared. Pat Lee has not been cleared to inject themselves" in page
    assert "Not offered: Pat Lee is not cleared for self-injection yet." in page
    assert "Injecting yourself" not in page and "Your clinician" not in page


def test_the_patient_still_reads_the_reasons_in_their_own_words(patient_client):
    page = text(patient_client.get(reverse("injections:log")))
    assert "Injecting yourself? Your clinician has not yet assessed" in page
