"""Re-authentication before changing email, password, MFA or phone; a notice to the old
address; a new address verified with a code before it replaces the old one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from .signin import PASSWORD

pytestmark = pytest.mark.django_db
REAUTH = "/accounts/reauthenticate/"
EMAIL = "/accounts/email/"
THIEF = "thief@attacker.example"


def reauthenticate(client, password=PASSWORD, next_url=None):
    url = REAUTH + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"password": password})


def verification_code(message) -> str:
    lines = [line.strip() for line in message.body.splitlines() if line.strip()]
    return lines[lines.index(next(x for x in lines if "enter this code" in x)) + 1]


def test_a_stolen_session_cookie_cannot_add_an_email_make_it_primary_or_remove_the_old_one(
    patient_client, patient
):
    """The reported takeover: add an address, make it primary, remove the old one, reset."""
    response = patient_client.post(EMAIL, {"action_add": "", "email": THIEF})
    assert response.status_code == 302 and response.url.startswith(REAUTH)
    assert not EmailAddress.objects.filter(email=THIEF).exists()
    # Even with an address of theirs already on the account, the next steps are refused.
    EmailAddress.objects.create(user=patient.user, email=THIEF, verified=False, primary=False)
    for data in ({"action_primary": "", "email": THIEF},
                 {"action_remove": "", "email": "pat@example.org"}):
        response = patient_client.post(EMAIL, data)
        assert response.status_code == 302 and response.url.startswith(REAUTH), data
    EmailAddress.objects.filter(email=THIEF).delete()
    assert not EmailAddress.objects.filter(email=THIEF).exists()
    assert EmailAddress.objects.get(user=patient.user).email == "pat@example.org"
    patient.user.refresh_from_db()
    assert patient.user.email == "pat@example.org"
    patient_client.post("/accounts/password/reset/", {"email": THIEF})
    # The thief's address has no account, so no reset link goes there.
    assert all("/password/reset/key/" not in m.body for m in mail.outbox if THIEF in m.to)


def test_with_the_password_a_new_address_needs_its_code_and_the_old_one_is_told(
    patient_client, patient
):
    reauthenticate(patient_client)
    response = patient_client.post(EMAIL, {"action_add": "", "email": "pat.new@example.org"})
    assert response.status_code == 302
    code_mail = mail.outbox[-1]
    assert code_mail.to == ["pat.new@example.org"]
    patient.user.refresh_from_db()
    assert patient.user.email == "pat@example.org"  # not yet: the code must come back first
    patient_client.post(EMAIL, {"action_primary": "", "email": "pat.new@example.org"})
    patient.user.refresh_from_db()
    assert patient.user.email == "pat@example.org"  # an unverified address cannot take over
    patient_client.post(reverse("account_email_verification_sent"),
                        {"code": verification_code(code_mail)})
    patient.user.refresh_from_db()
    assert patient.user.email == "pat.new@example.org"
    notice = [m for m in mail.outbox if m.to == ["pat@example.org"]]
    assert notice and "pat.new@example.org" in notice[-1].body


def test_re_authentication_lasts_five_minutes(patient_client):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        patient_client.force_login(_user(patient_client))
        reauthenticate(patient_client)
        clock.shift(dt.timedelta(minutes=6))
        response = patient_client.post(EMAIL, {"action_add": "", "email": "later@example.org"})
    assert response.url.startswith(REAUTH)


def _user(client):
    from b12care.accounts.models import User

    return User.objects.get(pk=client.session["_auth_user_id"])


def test_a_wrong_password_does_not_re_authenticate(patient_client):
    response = reauthenticate(patient_client, password="not-it")
    assert response.status_code == 200
    response = patient_client.post(EMAIL, {"action_add": "", "email": "x@example.org"})
    assert response.url.startswith(REAUTH)


def test_a_new_mobile_number_needs_the_password_and_is_saved_after_it(patient_client, patient):
    url = reverse("alerts:preferences")
    form = {"remind_in_app": "on", "remind_by_sms": "on", "phone": "+447700900999",
            "reminder_time": "08:00", "timezone": "Europe/London"}
    response = patient_client.post(url, form)
    assert response.status_code == 302 and response.url.startswith(REAUTH)
    patient.refresh_from_db()
    assert patient.phone == ""
    # allauth keeps the submitted form and completes it once the password is entered.
    reauthenticate(patient_client, next_url=url)
    patient.refresh_from_db()
    assert (patient.phone, patient.remind_by_sms) == ("+447700900999", True)


def test_settings_that_leave_the_number_alone_are_saved_without_asking(patient_client, patient):
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "07:30", "timezone": "Europe/London"})
    assert response.url == reverse("alerts:preferences")
    patient.refresh_from_db()
    assert patient.reminder_time == dt.time(7, 30)


def test_a_password_change_needs_the_current_password_and_the_owner_is_told(
    patient_client, patient
):
    url = reverse("account_change_password")
    new = {"password1": "violet-harbour-lamp", "password2": "violet-harbour-lamp"}
    response = patient_client.post(url, {"oldpassword": "guess", **new})
    assert response.status_code == 200
    patient.user.refresh_from_db()
    assert patient.user.check_password(PASSWORD)
    patient_client.post(url, {"oldpassword": PASSWORD, **new})
    patient.user.refresh_from_db()
    assert patient.user.check_password("violet-harbour-lamp")
    assert any(m.to == ["pat@example.org"] and "password" in m.subject.lower()
               for m in mail.outbox)


def test_changing_two_step_sign_in_needs_the_password_again(clinician_client):
    for url in (reverse("mfa_deactivate_totp"), reverse("mfa_generate_recovery_codes")):
        response = clinician_client.post(url)
        assert response.status_code == 302 and "reauthenticate" in response.url, url
