"""All my data: one ZIP with the FHIR bundle, the CSV files, the profile and the messages."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
import time_machine
from django.urls import reverse

from b12care.alerts.lifecycle import findings_record
from b12care.alerts.models import Alert, InAppMessage, Notification
from b12care.alerts.rules import Finding
from b12care.exports.archive import archive

from .conftest import NOW

pytestmark = pytest.mark.django_db

URL = "/exports/all-my-data.zip"


def _open(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def _tell_in_app(patient, title: str) -> None:
    """An in-app message about the patient's open alert, as the outbox delivers it."""
    alert = Alert.objects.filter(patient=patient).first()
    notification = Notification.objects.create(
        kind="alert", alert=alert, recipient=patient.user, channel="in_app", subject=title,
        body="Open B12 Care", created_at=NOW, next_attempt_at=NOW, sent_at=NOW)
    InAppMessage.objects.create(user=patient.user, notification=notification, title=title,
                                body="What to do now", created_at=NOW)


def test_the_patient_downloads_everything_as_one_machine_readable_zip(client, treated):
    _tell_in_app(treated, "A new message about your symptoms")
    client.force_login(treated.user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="b12care-all-my-data-2026-11-24.zip"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    files = _open(response.content)
    assert set(files.namelist()) == {
        "README.txt", "fhir.json", "injections.csv", "diary.csv", "labs.csv", "profile.json",
        "messages.json", "notifications.json"}
    bundle = json.loads(files.read("fhir.json"))
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "MedicationAdministration", "Observation"} <= kinds
    injections = list(csv.reader(io.StringIO(files.read("injections.csv").decode("utf-8-sig"))))
    assert len(injections) == 1 + 6  # heading and the six injections
    profile = json.loads(files.read("profile.json"))
    assert profile["email"] == "pat@example.org"
    assert profile["date_of_birth"] == "1970-05-04"
    assert profile["care_team"] == [{"name": "Alex Jones", "primary": True}]
    titles = [m["title"] for m in json.loads(files.read("messages.json"))]
    assert "A new message about your symptoms" in titles
    assert len(titles) == InAppMessage.objects.filter(user=treated.user).count()
    notes = json.loads(files.read("notifications.json"))
    assert len(notes) == Notification.objects.filter(recipient=treated.user).count() > 0


def test_the_archive_holds_only_the_patients_own_data(treated, outsider_patient):
    with time_machine.travel(NOW, tick=False):
        findings_record(patient=outsider_patient, findings=[
            Finding("neuro_worsening", "urgent", "neuro", "Call us", "Olive's numbness")], now=NOW)
    files = _open(archive(treated, now=NOW))
    everything = b"".join(files.read(name) for name in files.namelist())
    assert b"Olive" not in everything and b"outsider@example.org" not in everything
    own = InAppMessage.objects.filter(user=treated.user).count()
    assert len(json.loads(files.read("messages.json"))) == own


@pytest.mark.parametrize("who", ["clinician", "admin_user", "outsider_clinician"])
def test_only_the_patient_can_download_their_archive(client, treated, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404


def test_signing_in_is_required_for_the_archive(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_downloads_page_offers_all_my_data_and_closing_the_account(patient_client):
    page = patient_client.get(reverse("exports:mine")).content.decode()
    assert URL in page
    assert reverse("account_closure") in page
