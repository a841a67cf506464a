"""Sign-in journeys in a real phone-sized browser: setting up two-step sign-in, and the idle
warning with "Stay signed in" and the sign-in page that says why the session ended."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone
from playwright.sync_api import expect

from b12care.accounts.mfa import totp_code
from b12care.core.tests.browser import login_as

from .factories import CareTeamFactory, ClinicianFactory
from .signin import PASSWORD

pytestmark = pytest.mark.browser


def test_a_new_clinician_sets_up_two_step_sign_in_on_a_phone_then_sees_patients(
    browser_page, live_server, patient
):
    page = browser_page
    doctor = ClinicianFactory(email="new.doctor@example.org", mfa=False)
    CareTeamFactory(patient=patient, clinician=doctor)
    login_as(page, live_server, doctor.email, PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    page.goto(f"{live_server.url}/clinic/")  # no way round it
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret, at=time.time()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("Authenticator app activated")).to_be_visible()
    page.goto(f"{live_server.url}/clinic/")
    expect(page.get_by_role("link", name="Pat Lee")).to_be_visible()


def test_an_idle_patient_is_warned_can_stay_and_is_later_told_why_they_were_signed_out(
    browser_page, live_server, patient
):
    page = browser_page
    page.clock.install()  # the page's timers; the server's clock moves with time-machine
    login_as(page, live_server, patient.user.email, PASSWORD)
    signed_in_at = timezone.now()
    warning = page.locator("#session-timeout")
    expect(warning).to_be_hidden()
    with time_machine.travel(signed_in_at + dt.timedelta(minutes=28, seconds=10)):
        page.clock.fast_forward("28:10")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("You will be signed out in 2 minutes")
        page.get_by_role("button", name="Stay signed in").click()
        expect(warning).to_be_hidden()
    with time_machine.travel(signed_in_at + dt.timedelta(minutes=59, seconds=20)):
        page.clock.fast_forward("31:00")
        expect(page.get_by_text("You were signed out after 30 minutes without activity")
               ).to_be_visible()
    assert "/accounts/login/" in page.url


def test_a_clinician_can_use_a_passkey_instead_of_an_authenticator_app(
    browser_page, live_server, patient
):
    page = browser_page
    cdp = page.context.new_cdp_session(page)  # Chromium's built-in virtual authenticator
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    doctor = ClinicianFactory(email="key.doctor@example.org", mfa=False)
    CareTeamFactory(patient=patient, clinician=doctor)
    login_as(page, live_server, doctor.email, PASSWORD)
    page.get_by_role("link", name="Use a security key or passkey instead").click()
    page.get_by_role("button", name="Add key or passkey").click()
    # The browser's credential ceremony is asynchronous: wait for the form to post and leave.
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert Authenticator.objects.filter(user=doctor, type="webauthn").exists()
    page.goto(f"{live_server.url}/clinic/")
    expect(page.get_by_role("link", name="Pat Lee")).to_be_visible()
    _sign_out(page, live_server)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(doctor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_role("button", name="Use your security key or passkey").click()
    page.wait_for_url(f"{live_server.url}/clinic/")
    expect(page.get_by_role("link", name="Pat Lee")).to_be_visible()


def _sign_out(page, live_server):
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
