"""The core loop in a real browser (390 px wide): a clinician assigns the no-neuro
hydroxocobalamin template to a new patient in Sydney; the patient sees dose 1 of 6 due, logs
it with the suggested site, and the home then shows dose 2 on the right local date (not yet
due: no "Taken now")."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from b12care.core.tests.browser import login_as
from injections.models import Injection

pytestmark = pytest.mark.browser

# Tue 24 Nov 2026 22:00 UTC = Wed 25 Nov 09:00 in Sydney (AEDT, UTC+11).
FROZEN = dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC)


def test_a_clinician_assigns_a_regimen_and_the_patient_logs_dose_one(browser_page, live_server,
                                                                      patient, clinician):
    page = browser_page
    patient.timezone = "Australia/Sydney"
    patient.save()
    for user in (patient.user, clinician):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()

    with time_machine.travel(FROZEN, tick=True):
        login_as(page, live_server, clinician.email, settings.DEMO_PASSWORD)
        page.get_by_role("link", name="Pat Lee").click()
        page.get_by_role("link", name="Set up a regimen").click()
        page.get_by_label("Hydroxocobalamin, no neurological involvement").check()
        page.get_by_label("Time of day").fill("08:00")
        page.get_by_role("button", name="Preview doses").click()
        assert page.get_by_text("Wed 25 Nov 2026 at 08:00 · induction dose 1 of 6").is_visible()
        page.get_by_role("button", name="Save regimen").click()
        assert page.get_by_text("now has the regimen").is_visible()

        page.context.clear_cookies()
        login_as(page, live_server, "pat@example.org", settings.DEMO_PASSWORD)
        next_dose = page.get_by_test_id("next-dose")
        assert "Induction dose 1 of 6 due today" in " ".join(next_dose.inner_text().split())
        next_dose.get_by_role("link", name="Log with more details").click()

        suggested = page.get_by_test_id("suggested-site").inner_text()
        assert "Left outer thigh (vastus lateralis)" in suggested
        assert page.get_by_role("radio", name="Left outer thigh (vastus lateralis)").is_checked()
        assert page.get_by_role("radio", name="Myself").count() == 0  # not trained yet
        page.get_by_role("button", name="Save injection").click()

        assert page.get_by_text("Injection recorded for induction dose 1 of 6").is_visible()
        card = page.get_by_test_id("next-dose")
        next_dose = " ".join(card.inner_text().split())
        # Dose 2 is not due yet (its window opens Thu): no "Taken now", only the date.
        assert "Next dose: Fri 27 Nov (due in 2 days)" in next_dose
        assert "Induction dose 2 of 6 at 08:00" in next_dose  # Thu 26 Nov 21:00 UTC
        assert card.get_by_role("button", name="Taken now").count() == 0
        assert card.get_by_role("link", name="Log an injection").is_visible()

    injection = Injection.objects.get()
    assert injection.site == "left_vastus_lateralis"
    assert injection.planned_dose.sequence == 1
