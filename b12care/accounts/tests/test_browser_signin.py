"""Sign-in journeys in a real phone-sized browser: setting up two-step sign-in, and the idle
warning with "Stay signed in" and the sign-in page that says why the session ended."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
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
