"""Every control a patient can tap on the main patient pages is at least 44×44 CSS px on a
390×844 phone (WCAG 2.2 2.5.5; 44 px for people with numb fingers). Measured in chromium."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from b12care.accounts.models import PatientProfile
from b12care.alerts.lifecycle import findings_record
from b12care.alerts.models import InAppMessage, Notification
from b12care.alerts.rules import Finding
from b12care.core.tests.browser import login_as, open_disclosures, too_small

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    with override_settings(DEBUG=True):  # demo data is created only in DEBUG runs
        call_command("seed_demo", stdout=io.StringIO())
    maria = PatientProfile.objects.get(user__email="maria@b12care.example")
    # An unread message with a link, so the inbox shows its "Open" and "Mark as read".
    now = timezone.now()
    alert = findings_record(patient=maria, now=now, findings=[
        Finding("hb_critical", "review", "hb-targets", "Hb low", "Hb low")])[0]
    notification = Notification.objects.create(
        kind="alert", alert=alert, recipient=maria.user, channel="in_app", subject="Hb low",
        body="Open B12 Care", created_at=now, next_attempt_at=now, sent_at=now)
    InAppMessage.objects.create(user=maria.user, notification=notification, title="Hb low",
                                body="Please book a blood test.", link="/labs/", created_at=now)
    return maria


PAGES = ["/me/", "/injections/log/", "/diary/", "/labs/", "/alerts/messages/"]


def test_every_control_on_the_main_patient_pages_is_at_least_44_px(browser_page, live_server,
                                                                    demo):
    page = browser_page
    login_as(page, live_server, demo.user.email, settings.DEMO_PASSWORD)
    offenders = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        open_disclosures(page)
        found = too_small(page)
        if found:
            offenders[path] = found
    assert not offenders, "Controls smaller than 44×44 px:\n" + "\n".join(
        f"{path}: {', '.join(found)}" for path, found in offenders.items())


# WCAG contrast of two computed CSS colours ("rgb(r, g, b)" or "rgba(r, g, b, a)"); a
# translucent foreground (Bootstrap's 55 % white nav links) is blended over the background.
CONTRAST = """([fg, bg]) => {
  const parse = (css) => { const v = css.match(/[\\d.]+/g).map(Number);
    return {rgb: v.slice(0, 3), a: v.length > 3 ? v[3] : 1}; };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const f = parse(fg), b = parse(bg);
  const mixed = f.rgb.map((c, i) => f.a * c + (1 - f.a) * b.rgb[i]);
  const [x, y] = [lum(mixed), lum(b.rgb)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}"""


def contrast(page, fg: str, bg: str) -> float:
    return round(page.evaluate(CONTRAST, [fg, bg]), 2)


def test_nav_links_text_and_control_borders_have_enough_contrast(browser_page, live_server,
                                                                 demo):
    page = browser_page
    login_as(page, live_server, demo.user.email, settings.DEMO_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})  # the top bar's links show
    page.goto(live_server.url + "/injections/log/")
    bar = page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).backgroundColor")
    links = page.locator("nav.navbar .nav-link")
    for i in range(links.count()):
        colour = links.nth(i).evaluate("e => getComputedStyle(e).color")
        assert contrast(page, colour, bar) >= 4.5, (links.nth(i).inner_text(), colour, bar)
    # The keyboard focus ring on the bar (skip link, then the first link) is thick and clear.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return "
                         "[s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; })()")
    assert ring[0] == "solid" and ring[1] >= 3 and contrast(page, ring[2], bar) >= 3, ring
    # An unticked box and a text box must be seen as controls against the white page (3:1).
    for selector in (".form-check-input:not(:checked)", ".form-control"):
        border = page.locator(selector).first.evaluate(
            "e => getComputedStyle(e).borderTopColor")
        assert contrast(page, border, "rgb(255, 255, 255)") >= 3, (selector, border)
    # Tabs and pills: the brand colour, not Bootstrap's blue.
    page.goto(live_server.url + "/diary/")
    active = page.locator(".nav-pills .nav-link.active").evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert active == "rgb(11, 92, 122)"
