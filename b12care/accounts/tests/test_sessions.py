"""Idle logoff per role, an absolute lifetime, the warning before, a clear page after; one's
own sessions listed and ended; everything ended on deactivation and password change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from django.urls import reverse

from .signin import PASSWORD, is_signed_in, sign_in

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
STATUS = "/accounts/session/status/"
KEEP_ALIVE = "/accounts/session/keep-alive/"


@pytest.fixture
def clock():
    """A fixed clock; request it before any fixture that signs in."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_out_page(client, url) -> str:
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url
    return response.content.decode()


def test_a_clinician_is_signed_out_after_fifteen_idle_minutes_and_told_why(
    client, clinician, clock
):
    client.force_login(clinician)
    clock.shift(14 * MINUTE)
    assert client.get("/clinic/").status_code == 200
    clock.shift(14 * MINUTE)  # activity moved the deadline
    assert client.get("/clinic/").status_code == 200
    clock.shift(15 * MINUTE)
    page = signed_out_page(client, "/clinic/")
    assert "You were signed out after 15 minutes without activity" in page
    assert not is_signed_in(client)


def test_a_patient_is_signed_out_after_thirty_idle_minutes(clock, patient_client):
    clock.shift(29 * MINUTE)
    assert patient_client.get("/me/").status_code == 200
    clock.shift(30 * MINUTE)
    assert "after 30 minutes without activity" in signed_out_page(patient_client, "/me/")


def test_the_patients_idle_time_is_configurable(client, patient, settings, clock):
    settings.SESSION_IDLE_MINUTES_PATIENT = 45
    client.force_login(patient.user)
    clock.shift(44 * MINUTE)
    assert client.get("/me/").status_code == 200
    clock.shift(45 * MINUTE)
    assert "after 45 minutes without activity" in signed_out_page(client, "/me/")


def test_every_session_ends_after_twelve_hours_however_busy(client, clinician, clock):
    client.force_login(clinician)
    for _ in range(71):  # a page every ten minutes for 11 h 50 min
        clock.shift(10 * MINUTE)
        assert client.get("/clinic/").status_code == 200
    clock.shift(10 * MINUTE)
    assert "a session lasts at most 12 hours" in signed_out_page(client, "/clinic/")


def test_asking_how_long_is_left_does_not_count_as_activity(clock, patient_client):
    clock.shift(20 * MINUTE)
    assert patient_client.get(STATUS).json() == {
        "signed_in": True, "seconds_left": 600, "ends_by": "idle"}
    clock.shift(10 * MINUTE)
    response = patient_client.get(STATUS)
    assert (response.status_code, response.json()["signed_in"]) == (401, False)
    assert "after 30 minutes without activity" in signed_out_page(patient_client, "/me/")


def test_stay_signed_in_gives_the_full_idle_time_again(clock, patient_client):
    clock.shift(28 * MINUTE)
    state = patient_client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json").json()
    assert (state["signed_in"], state["seconds_left"]) == (True, 1800)
    clock.shift(29 * MINUTE)
    assert patient_client.get("/me/").status_code == 200


def test_stay_signed_in_too_late_says_the_session_is_over(clock, patient_client):
    clock.shift(31 * MINUTE)
    response = patient_client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["signed_in"]) == (401, False)
    assert patient_client.post(KEEP_ALIVE, {"next": "/me/"}).url.startswith("/accounts/login/")


def test_stay_signed_in_without_script_returns_to_the_page(patient_client):
    response = patient_client.post(KEEP_ALIVE, {"next": "/labs/"})
    assert response.url == "/labs/"
    assert patient_client.post(KEEP_ALIVE, {"next": "https://evil.example/"}).url == "/"


def test_pages_carry_the_warning_and_its_script_and_no_inline_script(clock, patient_client):
    clock.shift(dt.timedelta(seconds=30))
    page = patient_client.get("/me/").content.decode()
    assert 'id="session-timeout"' in page
    assert 'data-seconds-left="1770"' in page
    assert "You will be signed out in" in page and "Stay signed in" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert any("js/session-timeout.js" in tag for tag in scripts)
    assert all("src=" in tag for tag in scripts), scripts


def test_the_sign_in_page_has_no_warning(client):
    assert 'id="session-timeout"' not in client.get("/accounts/login/").content.decode()


# --- Listing and ending sessions ------------------------------------------------------------------
def two_browsers(email):
    phone, laptop = Client(HTTP_USER_AGENT="Phone"), Client(HTTP_USER_AGENT="Laptop")
    sign_in(phone, email)
    sign_in(laptop, email)
    assert is_signed_in(phone) and is_signed_in(laptop)
    return phone, laptop


def test_the_sessions_page_lists_ones_sessions_and_signs_out_the_others(patient):
    phone, laptop = two_browsers(patient.user.email)
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Phone" in page and "Laptop" in page and "This browser" in page
    laptop.post(reverse("usersessions_list"))
    assert phone.get("/me/").url.startswith("/accounts/login/")
    assert laptop.get("/me/").status_code == 200
    assert UserSession.objects.filter(user=patient.user).count() == 1


def test_the_sessions_page_leaves_out_and_ends_sessions_that_timed_out(patient):
    with time_machine.travel(START, tick=False) as clock:
        _phone, laptop = two_browsers(patient.user.email)
        clock.shift(31 * MINUTE)  # the phone was put away; the laptop signs in again
        sign_in(laptop, patient.user.email)
        page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Phone" not in page and "You are signed in only here" in page
    assert UserSession.objects.filter(user=patient.user).count() == 1


def test_a_password_change_signs_out_every_other_session(patient):
    phone, laptop = two_browsers(patient.user.email)
    laptop.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": "violet-harbour-lamp",
        "password2": "violet-harbour-lamp"})
    assert phone.get("/me/").url.startswith("/accounts/login/")
    assert laptop.get("/me/").status_code == 200
    assert UserSession.objects.filter(user=patient.user).count() == 1


def test_a_password_reset_signs_out_every_session(client, patient):
    phone, laptop = two_browsers(patient.user.email)
    client.post("/accounts/password/reset/", {"email": patient.user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    form_url = client.get(link.group(1)).url
    client.post(form_url, {"password1": "violet-harbour-lamp",
                           "password2": "violet-harbour-lamp"})
    patient.user.refresh_from_db()
    assert patient.user.check_password("violet-harbour-lamp")
    for browser in (phone, laptop):
        assert browser.get("/me/").url.startswith("/accounts/login/")
    assert not UserSession.objects.filter(user=patient.user).exists()


def test_deactivating_a_user_ends_all_their_sessions(patient):
    phone, laptop = two_browsers(patient.user.email)
    patient.user.is_active = False
    patient.user.save()
    assert not UserSession.objects.filter(user=patient.user).exists()
    for browser in (phone, laptop):
        assert browser.get("/me/").url.startswith("/accounts/login/")


def test_flash_messages_stay_on_the_server(patient_client, settings):
    assert settings.MESSAGE_STORAGE.endswith("SessionStorage")
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "07:30", "timezone": "Europe/London"})
    assert "messages" not in response.cookies
    assert "Your settings are saved." in patient_client.get(response.url).content.decode()


def test_a_session_begun_from_the_invitation_link_is_listed_too(client, patient):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = patient.user
    user.set_unusable_password()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    form_url = client.get(f"/welcome/{uid}/{default_token_generator.make_token(user)}/").url
    client.post(form_url, {"new_password1": "violet-harbour-lamp",
                           "new_password2": "violet-harbour-lamp"})
    assert is_signed_in(client)
    assert UserSession.objects.filter(user=user).count() == 1
