"""Delivery logs name notifications by id: never a phone number, an address or the words of a
message (health data)."""

import logging

import pytest

from b12care.alerts import delivery, services
from b12care.alerts.channels import sms
from b12care.alerts.models import Notification
from b12care.alerts.rules import Finding

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_console_text_backend_logs_neither_the_number_nor_the_message(settings, caplog):
    settings.B12_SMS_BACKEND = "b12care.alerts.channels.sms.ConsoleBackend"
    with caplog.at_level(logging.DEBUG):
        sms.get_backend().send_sms(to="+44 7700 900123", body="Your B12 injection is due today",
                                   idempotency_key="notification-7")
    assert "notification-7" in caplog.text
    assert "7700" not in caplog.text
    assert "injection" not in caplog.text


def test_a_failed_delivery_is_logged_without_the_providers_message(patient, caplog):
    services.record_findings(patient, [Finding(
        "neuro_worsening", "urgent", "neuro_worsening:balance", "Contact your clinician today.",
        "Balance rose from 2 to 6/10")], now=NOW)
    email = Notification.objects.get(channel="email")

    def refused(_):
        raise ConnectionError("550 mailbox dr.jones@example.org refused")

    with caplog.at_level(logging.DEBUG):
        delivery.deliver(email.pk, now=NOW, send=refused)
    assert f"Notification {email.pk}" in caplog.text
    assert "dr.jones" not in caplog.text
    email.refresh_from_db()
    assert "dr.jones@example.org" in email.last_error  # kept for the admin, not the log
