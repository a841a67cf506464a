"""Phone-first journeys at 390×844: a due dose logged with one tap from the home, a
diary check-in and a message read from the bottom navigation bar. Every tap is counted."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from b12care.alerts.lifecycle import findings_record
from b12care.alerts.models import InAppMessage, Notification
from b12care.alerts.rules import Finding
from b12care.core.tests.browser import (
    DESKTOP,
    PHONE,
    click_and_wait,
    login_as,
    open_disclosures,
    too_small,
)
from b12care.core.tests.browser import shot as browser_shot
from injections import services
from injections.models import Injection
from symptoms.models import CheckIn

from .conftest import NOW, injection_values

pytestmark = pytest.mark.browser

EARLIER = NOW - dt.timedelta(days=10)


def shot(page, name):
    browser_shot(page, name, prefix="one-tap-")


class Taps:
    """Clicks a person makes, counted."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator, *, navigates=True):
        self.count += 1
        if navigates:
            click_and_wait(self.page, locator)
        else:
            locator.click()


@pytest.fixture
def due_patient(patient, clinician, regimen):
    """Pat: dose 1 of the regimen due today at 09:00 London; an earlier injection from a box of
    batch LOT-42 given by a carer in the left thigh."""
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    services.injection_record(
        patient=patient, recorded_by=clinician, now=EARLIER,
        **injection_values(taken_at=EARLIER, lot_number="LOT-42",
                           expiry_date=dt.date(2027, 5, 31), administered_by="carer"))
    return patient


def test_a_due_dose_is_logged_with_one_tap_from_the_home(browser_page, live_server,
                                                          due_patient):
    page = browser_page
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, due_patient.user.email, settings.DEMO_PASSWORD)
        assert page.url.endswith("/me/")
        quick = page.get_by_test_id("quick-log")
        card = " ".join(page.get_by_test_id("next-dose").inner_text().split())
        assert "1 mg hydroxocobalamin" in card
        assert "Batch LOT-42 (expires May 2027), as last time" in card
        assert quick.get_by_role("radio", name="Carer or family").is_checked()  # as last time
        suggested = quick.get_by_role("radio", name="Right thigh (suggested)")
        assert suggested.is_checked()
        save = quick.get_by_role("button", name="Taken now")
        box = save.bounding_box()
        bar_top = page.get_by_test_id("bottom-nav").bounding_box()["y"]
        assert bar_top < PHONE["height"]
        assert box["y"] + box["height"] <= bar_top, (box, bar_top)  # first screen, above the bar
        shot(page, "home-due-phone")
        open_disclosures(page)
        assert not too_small(page), too_small(page)  # chips, reactions, links: 44 px or more
        page.reload()

        taps = Taps(page)
        taps.tap(save)
        assert page.get_by_text("Injection recorded for").is_visible()
    assert taps.count <= 3
    taken = Injection.objects.filter(patient=due_patient).latest("taken_at")
    assert (taken.product, taken.dose, taken.unit) == ("hydroxocobalamin", 1, "mg")
    assert (taken.lot_number, taken.expiry_date) == ("LOT-42", dt.date(2027, 5, 31))
    assert (taken.site, taken.administered_by) == ("right_vastus_lateralis", "carer")
    assert taken.planned_dose.sequence == 1
    assert Injection.objects.filter(patient=due_patient).count() == 2


def test_another_site_and_a_reaction_take_two_more_taps(browser_page, live_server, due_patient):
    page = browser_page
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, due_patient.user.email, settings.DEMO_PASSWORD)
        quick = page.get_by_test_id("quick-log")
        taps = Taps(page)
        taps.tap(quick.get_by_text("Left arm"), navigates=False)
        taps.tap(quick.get_by_text("Any problems?"), navigates=False)
        taps.tap(quick.get_by_text("Bruising"), navigates=False)
        taps.tap(quick.get_by_role("button", name="Taken now"))
        assert page.get_by_text("Injection recorded for").is_visible()
    assert taps.count == 4  # the choices are optional: the save itself is one tap
    taken = Injection.objects.filter(patient=due_patient).latest("taken_at")
    assert taken.site == "left_deltoid" and taken.bruising and not taken.redness


def test_a_diary_check_in_from_the_bottom_bar(browser_page, live_server, due_patient):
    page = browser_page
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, due_patient.user.email, settings.DEMO_PASSWORD)
        bar = page.get_by_test_id("bottom-nav")
        assert bar.is_visible()
        assert bar.get_by_role("link", name="Home").get_attribute("aria-current") == "page"
        taps = Taps(page)
        taps.tap(bar.get_by_role("link", name="Diary"))
        assert bar.get_by_role("link", name="Diary").get_attribute("aria-current") == "page"
        first = page.locator("fieldset.diary-item").first
        taps.tap(first.locator("label.scale-btn").nth(3), navigates=False)
        shot(page, "diary-phone")
        taps.tap(page.get_by_role("button", name="Save today's diary"))
    assert taps.count == 3
    assert CheckIn.objects.filter(patient=due_patient).count() == 1


def test_a_message_is_read_from_the_bottom_bar_and_its_count_goes(browser_page, live_server,
                                                                  due_patient):
    page = browser_page
    alert = findings_record(patient=due_patient, now=NOW, findings=[
        Finding("hb_critical", "review", "hb", "Hb low", "Please book a blood test.")])[0]
    notification = Notification.objects.create(
        kind="alert", alert=alert, recipient=due_patient.user, channel="in_app",
        subject="Your clinic wrote", body="Open B12 Care", created_at=NOW, next_attempt_at=NOW,
        sent_at=NOW)
    InAppMessage.objects.create(user=due_patient.user, notification=notification,
                                title="Your clinic wrote", body="Please book a blood test.",
                                created_at=NOW)
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, due_patient.user.email, settings.DEMO_PASSWORD)
        bar = page.get_by_test_id("bottom-nav")
        assert bar.get_by_test_id("bottom-unread-badge").inner_text().startswith("1")
        taps = Taps(page)
        taps.tap(bar.get_by_role("link", name="Messages"))
        assert page.get_by_text("Your clinic wrote").is_visible()
        shot(page, "messages-phone")
        taps.tap(page.get_by_role("button", name="Mark as read").first)
        assert bar.get_by_test_id("bottom-unread-badge").count() == 0
    assert taps.count == 2
    assert InAppMessage.objects.get().read_at is not None


def test_screenshots_of_home_log_and_diary_on_phone_and_desktop(browser_page, live_server,
                                                                due_patient):
    """For a person to look at (B12_SCREENSHOTS); checks only that the bottom bar is on phones
    only and that it covers nothing at the end of a page."""
    page = browser_page
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, due_patient.user.email, settings.DEMO_PASSWORD)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            for name, path in (("home", "/me/"), ("log", "/injections/log/"),
                               ("diary", "/diary/")):
                page.goto(live_server.url + path)
                shot(page, f"{name}-{size}")
                bar = page.get_by_test_id("bottom-nav")
                assert bar.is_visible() == (size == "phone"), (name, size)
                if size == "phone":
                    # Scrolled to the end, the footer's last line sits above the bar.
                    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                    footer = page.locator("footer").bounding_box()
                    top = bar.bounding_box()["y"]
                    assert footer["y"] + footer["height"] <= top + 1, (name, footer, top)
