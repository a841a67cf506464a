"""Layout a person would notice, in chromium at phone and desktop sizes: each
diary question inside its card's border, each lab value beside its name, the review page's
timeline filters."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from b12care.core.tests.browser import DESKTOP, PHONE, click_and_wait, login_as
from b12care.core.tests.browser import shot as browser_shot
from labs.models import Analyte
from labs.services import result_record

pytestmark = pytest.mark.browser



def shot(page, name):
    browser_shot(page, name, prefix="flows-")


def box(locator) -> dict:
    return locator.bounding_box()


def test_diary_questions_sit_inside_their_cards_and_lab_values_beside_their_names(
    browser_page, live_server, patient, clinician
):
    page = browser_page
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    now = timezone.now()
    result_record(patient=patient, analyte=Analyte.objects.get(key="hb"),
                  sampled_on=now.date() - dt.timedelta(days=2), value=Decimal("12.9"),
                  unit="g/dL", by=clinician, now=now)
    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)

    page.goto(f"{live_server.url}/diary/")
    items = page.locator("fieldset.diary-item")
    assert items.count() > 3
    wrapped = 0
    for i in range(items.count()):
        card, question = items.nth(i), items.nth(i).locator("legend")
        if box(question)["height"] > 30:
            wrapped += 1  # a question on two lines (or more) on a phone
        assert box(question)["y"] >= box(card)["y"] + 1, question.inner_text()
    assert wrapped, "no question wraps at 390 px: the check above proves nothing"
    shot(page, "diary-phone")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/labs/")
    row = page.locator(".lab-latest li").first
    name = row.get_by_role("link", name="Haemoglobin")
    value = row.get_by_text("12.9 g/dL")
    gap = box(value)["x"] - (box(name)["x"] + box(name)["width"])
    assert 0 < gap < 450, gap  # was ~900 px across a full-width card
    shot(page, "labs-desktop")
    page.set_viewport_size(PHONE)


def test_the_clinician_filters_the_timeline_to_blood_tests(browser_page, live_server, patient,
                                                           clinician):
    from b12care.accounts import mfa
    from b12care.clinic.models import ClinicianNote

    page = browser_page
    clinician.set_password(settings.DEMO_PASSWORD)
    clinician.save()
    mfa.totp_activate(clinician, secret=settings.DEMO_TOTP_SECRET)
    now = timezone.now()
    result_record(patient=patient, analyte=Analyte.objects.get(key="hb"),
                  sampled_on=now.date() - dt.timedelta(days=2), value=Decimal("12.9"),
                  unit="g/dL", by=clinician, now=now)
    ClinicianNote.objects.create(patient=patient, author=clinician, text="Reviewed bloods.")
    login_as(page, live_server, clinician.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/")
    timeline = page.locator("#timeline")
    assert timeline.locator(".timeline-note").count() == 1
    click_and_wait(page, timeline.get_by_role("link", name="Blood tests"))
    assert "kind=lab" in page.url
    assert page.locator("#timeline .timeline-item").count() == 1
    assert page.locator("#timeline .timeline-lab").count() == 1
    assert page.locator("#timeline").get_by_role("link", name="Blood tests").get_attribute(
        "aria-current") == "true"
    shot(page, "timeline-labs-phone")
