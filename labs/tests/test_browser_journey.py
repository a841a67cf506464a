"""The blood-test journey in a real browser (390 px wide): a patient records a B12 result in pmol/L
and sees it normalised to pg/mL and flagged low, records a symptom check-in, and sees both on
their trend charts with their injection marked."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.conf import settings

from b12care.core.tests.browser import login_as
from injections import services as injection_services
from labs.catalogue import seed_catalogue
from labs.models import LabResult
from symptoms.catalogue import seed_symptoms
from symptoms.models import CheckIn

pytestmark = pytest.mark.browser

FROZEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)  # 10:00 in London


def test_a_patient_records_b12_in_pmol_and_a_check_in_and_sees_both_trends(
        browser_page, live_server, patient, clinician):
    page = browser_page
    # A transactional test before this one may have flushed the migrations' seed rows.
    seed_catalogue(apps, None)
    seed_symptoms(apps, None)
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    injection_services.injection_record(
        patient=patient, recorded_by=clinician, now=FROZEN - dt.timedelta(days=3),
        taken_at=FROZEN - dt.timedelta(days=3, hours=1), product="hydroxocobalamin", dose="1",
        unit="mg", site="left_vastus_lateralis", administered_by="nurse",
    )

    with time_machine.travel(FROZEN, tick=True):
        login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)
        labs_card = page.locator("section", has=page.get_by_role("heading", name="Blood tests"))
        labs_card.get_by_role("link", name="Add a result").click()
        page.get_by_role("link", name="Vitamin B12 (cobalamin)").click()
        page.get_by_label("Date the blood was taken").fill("2026-11-23")
        page.get_by_role("textbox", name="Result").fill("100")
        page.get_by_label("pmol/L").check()
        page.get_by_role("button", name="Save result").click()

        status = " ".join(page.get_by_role("status").first.inner_text().split())
        assert "B12 100 pmol/L saved (= 136 pg/mL). Low. Deficiency likely." in status
        row = " ".join(page.get_by_test_id("result-row").inner_text().split())
        assert "136 pg/mL" in row and "Low" in row and "Entered as 100 pmol/L" in row
        chart = page.get_by_test_id("trend-chart")
        assert chart.locator("svg[role=img] .chart-point").count() == 1
        assert chart.locator("svg .chart-band").count() == 1
        assert chart.locator("svg .chart-marker").count() == 1  # the injection 3 days ago
        chart.get_by_text("Show as a table").click()
        assert chart.get_by_role("cell", name="135.5 pg/mL").is_visible()

        page.goto(f"{live_server.url}/me/")
        page.get_by_role("link", name="Fill in today's diary").click()
        page.locator('label[for="id_s_fatigue_6"]').click()
        page.locator('label[for="id_s_numbness_feet_2"]').click()
        page.get_by_label("Anything else? (optional)").fill("Tired after work")
        page.get_by_role("button", name="Save today's diary").click()

        assert page.get_by_text("Today's diary is saved.").is_visible()
        fatigue = page.get_by_test_id("trend-chart").filter(has_text="Tiredness")
        assert fatigue.locator("svg[role=img] .chart-point").count() == 1
        assert fatigue.locator("svg .chart-marker").count() == 1
        fatigue.get_by_text("Show as a table").click()
        assert fatigue.get_by_role("cell", name="6/10").is_visible()
        assert page.get_by_test_id("trend-chart").filter(has_text="Numbness or tingling in "
                                                                   "the feet").count() == 1

    result = LabResult.objects.get(patient=patient)
    assert (result.unit_entered, result.value) == ("pmol/L", Decimal("135.5"))
    checkin = CheckIn.objects.get(patient=patient)
    assert dict(checkin.scores.values_list("symptom__code", "severity")) == {
        "fatigue": 6, "numbness_feet": 2}
