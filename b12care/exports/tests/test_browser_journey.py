"""In a phone-sized browser: from the home page to the downloads, a calendar address made and
copied with the copy button (static JavaScript), every button at least 44 px tall."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from b12care.core.tests.browser import login_as
from b12care.exports.models import CalendarFeed

pytestmark = pytest.mark.browser


def test_a_patient_makes_a_calendar_address_and_copies_it(browser_page, live_server, patient):
    page = browser_page
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    page.get_by_role("link", name="Download my data").click()
    page.get_by_role("button", name="Make a calendar address").click()
    address = page.get_by_label("Calendar address")
    assert "/exports/calendar/" in address.input_value()
    page.get_by_role("button", name="Copy the address").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address.input_value()
    heights = page.eval_on_selector_all(
        "main .btn", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44
    folder = Path(settings.BASE_DIR) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / "exports-downloads-phone.png"), full_page=True)
    assert CalendarFeed.objects.filter(patient=patient).exists()
