"""Browser journey (390×844 phone): a patient reports anaphylaxis signs and is told at once
what to do; the clinician sees one urgent alert and acknowledges it."""


import pytest
from django.conf import settings

from b12care.core.tests.browser import click_and_wait, login_as
from b12care.core.tests.browser import shot as browser_shot

pytestmark = pytest.mark.browser



def shot(page, name):
    browser_shot(page, name, prefix="alerts-")


def test_a_patient_reporting_breathing_difficulty_is_told_to_call_999_and_the_clinician_acts(
    browser_page, live_server, patient, clinician
):
    page = browser_page
    for user in (patient.user, clinician):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/injections/log/")
    page.get_by_label("Difficulty breathing or wheeze").check()
    click_and_wait(page, page.get_by_role("button", name="Save injection"))
    assert page.url.endswith("/alerts/now/")
    assert page.get_by_role("heading", name="Call emergency services now: 999").is_visible()
    assert page.get_by_role("link", name="Call 999").get_attribute("href") == "tel:999"
    shot(page, "guidance")
    page.goto(f"{live_server.url}/alerts/preferences/")
    assert page.get_by_label("Remind me at").is_visible()
    shot(page, "preferences")
    page.goto(f"{live_server.url}/alerts/messages/")
    shot(page, "inbox-empty")
    page.context.clear_cookies()

    login_as(page, live_server, clinician.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/alerts/patients/{patient.pk}/")
    alert = page.locator("[data-testid^=alert-]")
    assert alert.count() == 1
    assert "Possible anaphylaxis" in alert.inner_text()
    shot(page, "clinician")
    page.get_by_label("Note (needed to resolve)").fill("Phoned: ambulance attended, well now")
    click_and_wait(page, page.get_by_role("button", name="Acknowledge"))
    assert page.get_by_text("Alert acknowledged. Other alerts stay open.").is_visible()
    assert "Acknowledged" in page.locator("[data-testid^=alert-]").inner_text()
