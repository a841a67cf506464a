"""Every control a patient can tap on the main patient pages is at least 44×44 CSS px on a
390×844 phone (WCAG 2.2 2.5.5; issue J: people with numb fingers). Measured in chromium."""

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
