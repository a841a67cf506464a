"""First journeys in a real browser: signing in as each role, and a wrong password."""

import pytest
from django.conf import settings

from b12care.core.tests.browser import login_as

pytestmark = pytest.mark.browser


def test_a_patient_signs_in_and_sees_their_home(browser_page, live_server, patient):
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    login_as(browser_page, live_server, "pat@example.org", settings.DEMO_PASSWORD)
    assert browser_page.url.endswith("/me/")
    assert browser_page.get_by_role("heading", name="Hello Pat").is_visible()


def test_a_clinician_signs_in_and_sees_their_patients(browser_page, live_server, patient):
    clinician = patient.care_team.get().clinician
    clinician.set_password(settings.DEMO_PASSWORD)
    clinician.save()
    login_as(browser_page, live_server, clinician.email, settings.DEMO_PASSWORD)
    assert browser_page.get_by_role("heading", name="Your patients").is_visible()
    assert browser_page.get_by_role("link", name="Pat Lee").is_visible()


def test_a_wrong_password_shows_an_error_and_stays_signed_out(browser_page, live_server, patient):
    login_as(browser_page, live_server, "pat@example.org", "not-the-password")
    assert "/accounts/login/" in browser_page.url
    assert browser_page.get_by_text("not correct").is_visible()
