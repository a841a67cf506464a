"""MFA: required for clinicians and admins before any patient data, optional for patients; the
Django admin signs in through the same allauth flow."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from b12care.accounts.mfa import decrypt_secret, totp_code
from b12care.accounts.models import AccessLog

from .factories import TEST_TOTP_SECRET, AdminFactory, CareTeamFactory, ClinicianFactory
from .signin import PASSWORD, is_signed_in, post_code, post_password, sign_in

pytestmark = pytest.mark.django_db
SETUP = "/accounts/2fa/totp/activate/"


@pytest.fixture
def clinician_without_mfa(patient):
    user = ClinicianFactory(email="new.doctor@example.org", mfa=False)
    CareTeamFactory(patient=patient, clinician=user)
    return user


def test_a_clinician_without_an_authenticator_sees_no_patient_page_until_they_set_one_up(
    client, clinician_without_mfa, patient
):
    client.force_login(clinician_without_mfa)
    for url in ("/clinic/", f"/clinic/patients/{patient.pk}/",
                reverse("labs:patient_overview", args=[patient.pk]), "/admin/"):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, SETUP), url
    assert not AccessLog.objects.filter(kind="read").exists()


def test_an_admin_without_an_authenticator_cannot_open_the_django_admin(client):
    admin = AdminFactory(mfa=False)
    client.force_login(admin)
    assert client.get("/admin/accounts/user/").url == SETUP


def test_a_clinician_sets_up_an_authenticator_app_right_after_signing_in_and_then_sees_patients(
    client, clinician_without_mfa, patient
):
    assert post_password(client, clinician_without_mfa.email).url == "/"
    assert client.get("/clinic/").url == SETUP
    page = client.get(SETUP)  # a password entered moments ago counts: no second prompt
    assert page.status_code == 200 and b"Set up two-step sign-in" in page.content
    secret = page.context["form"].secret
    response = client.post(SETUP, {"code": totp_code(secret, at=time.time())})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=clinician_without_mfa, type="totp").exists()
    assert Authenticator.objects.filter(user=clinician_without_mfa, type="recovery_codes").exists()
    assert client.get(f"/clinic/patients/{patient.pk}/").status_code == 200


def test_signing_in_asks_a_clinician_for_the_code_and_refuses_a_wrong_one(client, clinician):
    response = post_password(client, clinician.email)
    assert response.url == reverse("mfa_authenticate")
    assert not is_signed_in(client)
    assert client.get("/clinic/").url.startswith("/accounts/login/")
    current = totp_code(TEST_TOTP_SECRET, at=time.time())
    wrong = post_code(client, "000000" if current != "000000" else "111111")
    assert wrong.status_code == 200 and b"Incorrect code" in wrong.content
    assert not is_signed_in(client)
    assert post_code(client).status_code == 302
    assert is_signed_in(client)
    assert client.get("/clinic/").status_code == 200


def test_a_recovery_code_signs_a_clinician_in_once(client, clinician):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(clinician).get_unused_codes()[0]
    post_password(client, clinician.email)
    post_code(client, code)
    assert is_signed_in(client)
    client.post(reverse("account_logout"))
    post_password(client, clinician.email)
    assert b"Incorrect code" in post_code(client, code).content


def test_a_clinician_cannot_switch_off_their_only_authenticator(client, clinician):
    sign_in(client, clinician.email)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=clinician, type="totp").exists()


def test_a_patient_signs_in_with_a_password_alone_and_is_invited_to_turn_on_mfa(
    client, patient
):
    sign_in(client, patient.user.email)
    assert client.get("/").url == "/me/"
    page = client.get(reverse("alerts:preferences")).content.decode()
    assert 'data-testid="mfa-prompt"' in page
    assert "Turn on two-step sign-in" in page


def test_a_patient_who_turned_on_mfa_is_asked_for_the_code_and_no_longer_prompted(
    client, patient
):
    from b12care.accounts import mfa

    mfa.totp_activate(patient.user, secret=TEST_TOTP_SECRET)
    assert post_password(client, patient.user.email).url == reverse("mfa_authenticate")
    post_code(client)
    page = client.get(reverse("alerts:preferences")).content.decode()
    assert 'data-testid="mfa-prompt"' not in page


def test_the_django_admin_signs_in_through_allauth_and_asks_for_the_code(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    # The admin's own form never checks a password any more.
    client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert not is_signed_in(client)
    sign_in(client, admin_user.email)
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_patient_who_tries_the_admin_login_is_refused(patient_client):
    assert patient_client.get("/admin/login/").status_code == 403


def test_demo_staff_have_the_documented_authenticator_secret(settings):
    from b12care.accounts.demo import seed_people

    settings.DEBUG = True  # demo data is created only in DEBUG runs
    from b12care.accounts.mfa import totp_activate

    admin, clinicians, _ = seed_people()
    for user in (admin, *clinicians):
        totp = Authenticator.objects.get(user=user, type="totp")
        assert totp_activate(user, secret="IGNORED") == totp  # idempotent
        assert decrypt_secret(totp.data["secret"]) == settings.DEMO_TOTP_SECRET


@override_settings(DEBUG=False)
def test_the_demo_code_command_refuses_to_run_outside_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_mfa_code")


@time_machine.travel(1_800_000_000, tick=False)
def test_the_demo_code_command_prints_the_current_code(settings, capsys):
    settings.DEBUG = True
    call_command("demo_mfa_code")
    assert capsys.readouterr().out.startswith(
        totp_code(settings.DEMO_TOTP_SECRET, at=1_800_000_000))


def test_a_security_key_counts_as_the_second_factor_and_lets_the_app_be_switched_off(
    client, clinician_without_mfa, patient
):
    Authenticator.objects.create(user=clinician_without_mfa, type="webauthn",
                                 data={"name": "Desk key", "credential": {}})
    client.force_login(clinician_without_mfa)
    assert client.get(f"/clinic/patients/{patient.pk}/").status_code == 200
    from b12care.accounts.mfa import MFAAdapter, totp_activate

    totp = totp_activate(clinician_without_mfa, secret=TEST_TOTP_SECRET)
    assert MFAAdapter().can_delete_authenticator(totp)


def test_authenticator_secrets_are_stored_encrypted_and_still_work(client, clinician, settings):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    totp = Authenticator.objects.get(user=clinician, type="totp")
    assert TEST_TOTP_SECRET not in str(totp.data)
    assert totp.data["secret"].startswith("fernet:")
    codes = RecoveryCodes.activate(clinician)
    assert codes.instance.data["seed"].startswith("fernet:")
    # After a key rotation the old key, kept in SECRET_KEY_FALLBACKS, still reads them.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    sign_in(client, clinician.email)
    assert is_signed_in(client)


def test_secrets_written_before_encryption_are_encrypted_by_the_migration(clinician):
    import importlib

    from django.apps import apps

    totp = Authenticator.objects.get(user=clinician, type="totp")
    Authenticator.objects.filter(pk=totp.pk).update(data={"secret": TEST_TOTP_SECRET})
    migration = importlib.import_module("b12care.accounts.migrations.0005_encrypt_mfa_secrets")
    migration.encrypt_stored_secrets(apps, None)
    totp.refresh_from_db()
    assert decrypt_secret(totp.data["secret"]) == TEST_TOTP_SECRET
    assert totp.data["secret"].startswith("fernet:")
