"""Throttled sign-in that an attacker cannot turn into a lockout of the account owner; the
trusted-proxy setting; password rules that need no network."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from .factories import PatientFactory
from .signin import ATTACKER, HOME, is_signed_in, post_password, sign_in

pytestmark = pytest.mark.django_db
TOO_MANY = "Too many failed login attempts"
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def guess(client, email, times, *, addr=ATTACKER, **extra):
    for n in range(times):
        client.post("/accounts/login/", {"login": email, "password": f"guess-{n}"},
                    REMOTE_ADDR=addr, **extra)


def test_thirty_wrong_passwords_from_an_attacker_do_not_stop_the_patient_signing_in_from_home(
    client, patient
):
    guess(client, patient.user.email, 30)
    sign_in(client, patient.user.email, addr=HOME)
    assert is_signed_in(client)


def test_thirty_wrong_passwords_do_not_stop_a_clinician_either(client, clinician):
    guess(client, clinician.email, 30)
    sign_in(client, clinician.email, addr=HOME)
    assert is_signed_in(client)


def test_the_attackers_address_is_refused_even_the_right_password_after_five_guesses(
    client, patient
):
    guess(client, patient.user.email, 5)
    response = post_password(client, patient.user.email, addr=ATTACKER)
    assert TOO_MANY in response.content.decode()
    assert not is_signed_in(client)


def test_the_wait_grows_with_every_round_of_guesses(client, patient):
    email = patient.user.email
    with time_machine.travel(START, tick=False) as clock:
        guess(client, email, 5)
        assert TOO_MANY in post_password(client, email, addr=ATTACKER).content.decode()
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        guess(client, email, 5)  # allowed again after five minutes ...
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        # ... but ten in the hour: five minutes are no longer enough
        assert TOO_MANY in post_password(client, email, addr=ATTACKER).content.decode()
        clock.shift(dt.timedelta(hours=1))
        sign_in(client, email, addr=ATTACKER)
        assert is_signed_in(client)


def test_one_address_guessing_many_accounts_is_slowed_down(client, patient):
    others = [PatientFactory().user.email for _ in range(10)]
    for email in others:
        guess(client, email, 1)
    response = post_password(client, patient.user.email, addr=ATTACKER)
    assert TOO_MANY in response.content.decode()
    sign_in(client, patient.user.email, addr=HOME)
    assert is_signed_in(client)


def test_the_admin_login_is_throttled_like_every_other_sign_in(client, admin_user):
    for n in range(30):
        client.post("/admin/login/", {"username": admin_user.email, "password": f"g{n}"},
                    REMOTE_ADDR=ATTACKER)
    assert not is_signed_in(client)
    guess(client, admin_user.email, 5)
    assert TOO_MANY in post_password(client, admin_user.email, addr=ATTACKER).content.decode()
    sign_in(client, admin_user.email, addr=HOME)
    assert client.get("/admin/").status_code == 200


def test_behind_one_proxy_each_visitor_has_their_own_limits(client, patient, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    guess(client, patient.user.email, 30, addr=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    client.post("/accounts/login/", {"login": patient.user.email,
                                     "password": "correct-horse-battery"},
                REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=HOME)
    assert is_signed_in(client)


def test_a_forged_forwarded_address_does_not_escape_the_limit(client, patient, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The proxy appends the real client address; whatever the client sent stays in front.
    for n in range(6):
        client.post("/accounts/login/", {"login": patient.user.email, "password": f"g{n}"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    response = client.post("/accounts/login/", {"login": patient.user.email,
                                                "password": "correct-horse-battery"},
                           REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert TOO_MANY in response.content.decode()


def test_clinicians_and_admins_need_twelve_characters_patients_ten(clinician, admin_user,
                                                                   patient):
    validate_password("tabby-kettle", user=patient.user)  # 12
    validate_password("tabby-kett", user=patient.user)  # 10: fine for a patient
    for user in (clinician, admin_user):
        with pytest.raises(ValidationError, match="at least 12 characters"):
            validate_password("tabby-kett", user=user)
        validate_password("tabby-kettle-lamp", user=user)


def test_a_common_password_is_refused_from_the_bundled_list(patient):
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234", user=patient.user)
