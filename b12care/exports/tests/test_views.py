"""The downloads pages, their links from the patient's and the clinician's pages, and access."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

PATIENT_URLS = ["/exports/", "/exports/report/", "/exports/report.pdf", "/exports/fhir.json",
                "/exports/injections.csv", "/exports/diary.csv", "/exports/labs.csv"]


def test_the_patient_finds_download_my_data_on_home_and_settings(patient_client):
    for page in ("/me/", "/alerts/preferences/"):
        html = patient_client.get(page).content.decode()
        assert re.search(r'<a class="btn[^"]*" href="/exports/">Download my data</a>', html)
    html = patient_client.get("/exports/").content.decode()
    for url in ("/exports/report.pdf", "/exports/fhir.json", "/exports/injections.csv",
                "/exports/diary.csv", "/exports/labs.csv", "/exports/calendar/"):
        assert f'"{url}"' in html
    assert "Make a calendar address" in html


def test_the_clinician_finds_export_on_the_review_page(clinician_client, patient):
    html = clinician_client.get(f"/clinic/patients/{patient.pk}/").content.decode()
    assert f'<a class="btn btn-outline-primary" href="/exports/patients/{patient.pk}/">Export</a>' \
        in html
    page = clinician_client.get(f"/exports/patients/{patient.pk}/").content.decode()
    assert f'"/exports/patients/{patient.pk}/fhir.json"' in page
    assert "calendar address" not in page  # the feed is the patient's own to share


@pytest.mark.parametrize("url", PATIENT_URLS)
def test_signing_in_is_required(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("suffix", ["", "report/", "fhir.json", "injections.csv"])
def test_an_unassigned_clinician_a_patient_and_an_unknown_id_get_404(
    client, patient, outsider_clinician, outsider_patient, suffix
):
    client.force_login(outsider_clinician)
    assert client.get(f"/exports/patients/{patient.pk}/{suffix}").status_code == 404
    assert client.get(f"/exports/patients/999999/{suffix}").status_code == 404
    client.force_login(outsider_patient.user)
    assert client.get(f"/exports/patients/{patient.pk}/{suffix}").status_code == 404


def test_downloads_are_never_cached(patient_client):
    for url in ("/exports/fhir.json", "/exports/labs.csv", "/exports/"):
        assert "no-store" in patient_client.get(url)["Cache-Control"]
