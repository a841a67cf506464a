"""Device tokens: hashed at rest, shown once, per device, revocable (401 at once)."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from b12care.api import services
from b12care.api.models import DeviceToken

from .conftest import NOW, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]

ME = reverse("api:me")


def test_the_raw_token_is_not_stored_only_its_sha256(patient):
    token, raw = services.device_token_create(user=patient.user, name="Phone", now=NOW)
    secret = raw.split("_", 2)[2]
    row = DeviceToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(f"b12_{row['prefix']}_")


def test_a_device_token_authenticates_and_records_when_it_was_used(patient, patient_api,
                                                                   fixed_clock):
    assert patient_api.get(ME).json()["id"] == patient.pk
    token = DeviceToken.objects.get(user=patient.user)
    assert token.last_used_at == NOW
    fixed_clock.shift(dt.timedelta(minutes=1))
    patient_api.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == NOW  # refreshed at most every few minutes
    fixed_clock.shift(dt.timedelta(minutes=10))
    patient_api.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == NOW + dt.timedelta(minutes=11)


def test_a_revoked_token_gets_401_at_once_and_other_devices_keep_working(patient):
    phone, tablet = token_client(patient.user, "Phone"), token_client(patient.user, "Tablet")
    token = DeviceToken.objects.get(name="Phone")
    services.device_token_revoke(token=token, by=patient.user, now=NOW)
    response = phone.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert tablet.get(ME).status_code == 200


@pytest.mark.parametrize("header", [
    "Bearer b12_00000000_not-a-real-token", "Bearer nonsense", "Bearer", "Bearer a b"])
def test_an_unknown_or_malformed_token_gets_401(patient, header):
    token_client(patient.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(ME).status_code == 401


def test_a_token_with_a_guessed_secret_but_a_real_prefix_gets_401(patient, patient_api):
    prefix = DeviceToken.objects.get().prefix
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer b12_{prefix}_{'x' * 43}")
    assert client.get(ME).status_code == 401


def test_no_credentials_get_401(db):
    assert APIClient().get(ME).status_code == 401


def test_a_deactivated_users_token_stops_working(patient, patient_api):
    patient.user.is_active = False
    patient.user.save()
    assert patient_api.get(ME).status_code == 401


# --- Managing tokens: the Devices page and the session-only API ------------------------------

def test_the_devices_page_shows_a_new_token_once(patient_client, patient):
    response = patient_client.post(reverse("devices"), {"name": "My phone"})
    page = response.content.decode()
    token = DeviceToken.objects.get(user=patient.user)
    raw = page.split('id="new-token" type="text" value="')[1].split('"')[0]
    assert raw.startswith(f"b12_{token.prefix}_")
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert "no-store" in response["Cache-Control"]
    again = patient_client.get(reverse("devices")).content.decode()
    assert "My phone" in again and raw not in again
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(ME).status_code == 200


def test_the_devices_page_revokes_a_device(patient_client, patient):
    api = token_client(patient.user, "Old phone")
    token = DeviceToken.objects.get()
    response = patient_client.post(reverse("device_revoke", args=[token.pk]), follow=True)
    assert "Old phone” is disconnected" in response.content.decode()
    assert api.get(ME).status_code == 401


def test_nobody_revokes_someone_elses_device(client, patient, outsider_patient):
    api = token_client(patient.user)
    token = DeviceToken.objects.get()
    client.force_login(outsider_patient.user)
    assert client.post(reverse("device_revoke", args=[token.pk])).status_code == 404
    assert api.get(ME).status_code == 200


def test_the_devices_page_needs_sign_in(client):
    assert client.get(reverse("devices")).status_code == 302


def test_the_devices_api_creates_and_revokes_with_a_session_and_its_csrf_token(patient):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(patient.user)
    refused = session.post(reverse("api:devices"), {"name": "Watch"}, format="json")
    assert refused.status_code == 403  # no CSRF token
    session.get(reverse("api:docs"))  # sets the CSRF cookie
    csrf = session.cookies["csrftoken"].value
    created = session.post(reverse("api:devices"), {"name": "Watch"}, format="json",
                           HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201
    raw = created.json()["token"]
    device = APIClient()
    device.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert device.get(ME).status_code == 200
    listed = session.get(reverse("api:devices")).json()["results"]
    assert [d["name"] for d in listed] == ["Watch"] and "token" not in listed[0]
    revoked = session.delete(reverse("api:device", args=[created.json()["id"]]),
                             HTTP_X_CSRFTOKEN=csrf)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert device.get(ME).status_code == 401


def test_a_device_token_cannot_create_or_revoke_tokens(patient, patient_api):
    assert patient_api.post(reverse("api:devices"), {"name": "Another"},
                            format="json").status_code == 403
    token = DeviceToken.objects.get()
    assert patient_api.delete(reverse("api:device", args=[token.pk])).status_code == 403
    assert DeviceToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_device_needs_a_name_and_a_person_has_a_bounded_number(patient):
    with pytest.raises(ValidationError, match="Name the device"):
        services.device_token_create(user=patient.user, name="  ", now=NOW)
    for n in range(services.ACTIVE_TOKENS_PER_USER):
        services.device_token_create(user=patient.user, name=f"Device {n}", now=NOW)
    with pytest.raises(ValidationError, match="Revoke one"):
        services.device_token_create(user=patient.user, name="One more", now=NOW)
