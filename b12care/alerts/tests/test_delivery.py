"""Outbox delivery: claim with a lease, send once, retry with backoff, relay and reconcile."""

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.db import connection

from b12care.alerts import delivery, lifecycle, outbox, reminder_sweep, tasks
from b12care.alerts.channels import DeliveryError, in_app
from b12care.alerts.models import InAppMessage, Notification
from b12care.alerts.rules import Finding
from b12care.celery import app
from b12care.core.tests.concurrency import run_at_once

from .conftest import NOW, make_dose

pytestmark = pytest.mark.django_db


def deliver(notification_id: int, **kwargs) -> str:
    return delivery.notification_deliver(notification_id=notification_id, **kwargs)


def claim(notification_id: int, **kwargs) -> bool:
    return delivery.notification_claim(notification_id=notification_id, **kwargs)


@pytest.fixture
def rows(patient):
    finding = Finding("neuro_worsening", "urgent", "neuro_worsening:balance",
                      "Contact your clinician today.", "Balance rose from 2 to 6/10")
    lifecycle.findings_record(patient=patient, findings=[finding], now=NOW)
    return {r.channel: r for r in Notification.objects.all()}


@pytest.fixture
def review_rows(patient):
    """Outbox rows of an alert for review (not urgent): the 5-minute lease applies."""
    finding = Finding("missed_doses", "review", "missed_doses", "Ask your clinic.", "late")
    lifecycle.findings_record(patient=patient, findings=[finding], now=NOW)
    return {r.channel: r for r in Notification.objects.all()}


def test_an_email_is_sent_once_and_recorded(rows, clinician):
    assert deliver(rows["email"].pk, now=NOW) == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [clinician.email]
    assert sent.subject == "Urgent: a patient needs you today"  # the tier, not what
    assert sent.body.startswith("Urgent: a patient needs you today.\n")
    assert "balance" not in sent.body.lower()  # no clinical detail in the email
    assert sent.extra_headers["Message-ID"] == f"<notification-{rows['email'].pk}@testserver>"
    rows["email"].refresh_from_db()
    assert rows["email"].sent_at == NOW and rows["email"].attempts == 1


def test_a_row_claimed_twice_is_sent_once(rows):
    email = rows["email"].pk
    assert claim(email, now=NOW) is True
    # a second worker (duplicate message) tries while the first holds the lease
    assert deliver(email, now=NOW + dt.timedelta(seconds=5)) == "skipped"
    assert mail.outbox == []


def test_a_delivered_row_is_never_sent_again(rows):
    email = rows["email"].pk
    deliver(email, now=NOW)
    assert deliver(email, now=NOW + dt.timedelta(hours=1)) == "skipped"
    assert len(mail.outbox) == 1


def test_an_expired_lease_lets_another_worker_send_it(rows):
    email = rows["email"].pk
    claim(email, now=NOW)  # this worker dies before sending
    later = NOW + delivery.LEASE + dt.timedelta(seconds=1)
    assert deliver(email, now=later) == "sent"
    assert len(mail.outbox) == 1


def test_in_app_delivery_adds_one_unread_message_to_the_notification_centre(rows, clinician):
    deliver(rows["in_app"].pk, now=NOW)
    message = InAppMessage.objects.get()
    assert message.user == clinician and message.read_at is None
    # re-delivery after a crash does not add a second row
    in_app.send(rows["in_app"])
    assert InAppMessage.objects.count() == 1


def test_a_transient_failure_is_retried_later_with_growing_backoff(rows):
    email = rows["email"].pk

    def flaky(_):
        raise ConnectionError("SMTP server not answering")

    assert deliver(email, now=NOW, send=flaky) == "retry"
    row = Notification.objects.get(pk=email)
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert row.claimed_at is None and "SMTP" in row.last_error
    assert deliver(email, now=NOW + dt.timedelta(seconds=30)) == "skipped"  # not yet
    second = NOW + dt.timedelta(minutes=1)
    assert deliver(email, now=second, send=flaky) == "retry"
    row.refresh_from_db()
    assert row.next_attempt_at == second + dt.timedelta(minutes=2)
    assert deliver(email, now=row.next_attempt_at) == "sent"


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [delivery.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert delivery.backoff(20) == dt.timedelta(hours=1)


def test_a_permanent_failure_is_recorded_and_not_retried(rows):
    email = rows["email"].pk

    def no_address(_):
        raise DeliveryError("recipient has no email address", permanent=True)

    assert deliver(email, now=NOW, send=no_address) == "failed"
    row = Notification.objects.get(pk=email)
    assert row.failed_at == NOW and "no email" in row.last_error
    assert deliver(email, now=NOW + dt.timedelta(days=1)) == "skipped"


def test_after_the_last_attempt_the_row_fails_for_good(rows):
    email = rows["email"].pk
    Notification.objects.filter(pk=email).update(attempts=delivery.MAX_ATTEMPTS - 1)

    def down(_):
        raise ConnectionError("down")

    assert deliver(email, now=NOW, send=down) == "failed"


def test_the_relay_enqueues_due_rows_in_batches_of_ids_once(rows):
    batches = []
    assert delivery.outbox_relay(now=NOW, enqueue=batches.append, batch_size=1) == 2
    assert sorted(i for b in batches for i in b) == sorted(r.pk for r in rows.values())
    assert all(len(b) == 1 for b in batches)
    assert delivery.outbox_relay(now=NOW, enqueue=batches.append) == 0  # already handed over


def test_when_the_broker_is_down_the_relay_leaves_rows_for_the_next_run(rows):
    def broker_down(ids):
        raise ConnectionRefusedError("redis down")

    assert delivery.outbox_relay(now=NOW, enqueue=broker_down) == 0
    assert Notification.objects.filter(enqueued_at__isnull=True).count() == 2
    batches = []
    assert delivery.outbox_relay(now=NOW + dt.timedelta(minutes=1), enqueue=batches.append) == 2


def test_the_reconciler_re_enqueues_rows_whose_task_was_lost(review_rows):
    delivery.outbox_relay(now=NOW, enqueue=lambda ids: None)  # the message vanished (Redis restart)
    batches = []
    assert delivery.outbox_reconcile(now=NOW + dt.timedelta(minutes=1), enqueue=batches.append) == 0
    later = NOW + delivery.LEASE + dt.timedelta(minutes=1)
    assert delivery.outbox_reconcile(now=later, enqueue=batches.append) == len(rows_all := list(
        Notification.objects.all()))
    assert {i for b in batches for i in b} == {r.pk for r in rows_all}
    for notification_id in batches[0]:
        assert deliver(notification_id, now=later) == "sent"


def test_the_reconciler_leaves_rows_a_live_worker_holds(review_rows):
    rows = review_rows
    delivery.outbox_relay(now=NOW, enqueue=lambda ids: None)
    later = NOW + delivery.LEASE + dt.timedelta(minutes=1)
    claim(rows["email"].pk, now=later - dt.timedelta(minutes=1))
    batches = []
    delivery.outbox_reconcile(now=later, enqueue=batches.append)
    others = set(Notification.objects.exclude(pk=rows["email"].pk).values_list("pk", flat=True))
    assert {i for b in batches for i in b} == others


# --- A worker that died holding an urgent row: re-driven within a minute -----------------------
RECONCILE_EVERY = dt.timedelta(seconds=20)  # b12care/celery.py beat schedule
MINUTE = dt.timedelta(seconds=60)


def test_the_reconcile_cadence_and_urgent_lease_re_drive_within_sixty_seconds():
    every = app.conf.beat_schedule["alerts-reconcile"]["schedule"]
    assert dt.timedelta(seconds=every) == RECONCILE_EVERY
    assert delivery.URGENT_LEASE + RECONCILE_EVERY <= MINUTE


def test_an_urgent_row_abandoned_by_a_dead_worker_is_sent_by_another_within_a_minute(rows):
    email = rows["email"].pk
    delivery.outbox_relay(now=NOW, enqueue=lambda ids: None)
    assert claim(email, now=NOW)  # this worker dies before sending
    soon = NOW + dt.timedelta(seconds=20)
    assert deliver(email, now=soon) == "skipped"  # a live worker's lease is respected
    batches = []
    delivery.outbox_reconcile(now=soon, enqueue=batches.append)
    assert email not in [i for b in batches for i in b]

    redrive = NOW + delivery.URGENT_LEASE + dt.timedelta(seconds=1)
    assert redrive - NOW <= MINUTE - RECONCILE_EVERY
    delivery.outbox_reconcile(now=redrive, enqueue=batches.append)
    assert email in [i for b in batches for i in b]
    assert deliver(email, now=redrive) == "sent"
    assert deliver(email, now=redrive + dt.timedelta(seconds=1)) == "skipped"
    assert len(mail.outbox) == 1
    row = Notification.objects.get(pk=email)
    assert row.sent_at == redrive and row.attempts == 2  # recorded once, by the second worker


def test_a_reminder_abandoned_by_a_dead_worker_waits_for_the_full_lease(review_rows):
    email = review_rows["email"].pk
    delivery.outbox_relay(now=NOW, enqueue=lambda ids: None)
    assert claim(email, now=NOW)
    after_urgent_lease = NOW + delivery.URGENT_LEASE + dt.timedelta(seconds=1)
    assert deliver(email, now=after_urgent_lease) == "skipped"
    batches = []
    delivery.outbox_reconcile(now=after_urgent_lease, enqueue=batches.append)
    assert batches == []
    assert deliver(email, now=NOW + delivery.LEASE + dt.timedelta(seconds=1)) == "sent"


def test_a_dose_reminder_abandoned_by_a_dead_worker_is_not_re_claimed_after_a_minute(patient):
    make_dose(patient, dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC))
    sweep_at = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    reminder_sweep.reminders_sweep(now=sweep_at, enqueue=lambda ids: None)
    email = Notification.objects.get(kind="reminder", channel="email").pk
    claim(email, now=sweep_at)  # this worker dies before sending
    assert claim(email, now=sweep_at + dt.timedelta(seconds=61)) is False
    assert claim(email, now=sweep_at + delivery.LEASE + dt.timedelta(seconds=1)) is True


def test_two_workers_taking_over_an_urgent_row_at_once_send_it_once(rows):
    email = rows["email"].pk
    claim(email, now=NOW)
    redrive = NOW + delivery.URGENT_LEASE + dt.timedelta(seconds=1)
    assert claim(email, now=redrive) is True
    assert claim(email, now=redrive + dt.timedelta(seconds=2)) is False


def test_redrive_makes_failed_rows_due_again(rows):
    Notification.objects.filter(pk=rows["email"].pk).update(failed_at=NOW, attempts=8)
    assert delivery.notifications_redrive(include_failed=True, now=NOW) == 2
    assert deliver(rows["email"].pk, now=NOW) == "sent"


def test_the_deliver_batch_task_sends_every_id_it_is_given(rows):
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        outcome = tasks.deliver_batch.run([r.pk for r in rows.values()])
    assert outcome == {"sent": 2}
    assert len(mail.outbox) == 1


def test_text_messages_go_through_the_file_backend_with_an_idempotency_key(patient, settings,
                                                                          tmp_path):
    settings.B12_SMS_BACKEND = "b12care.alerts.channels.sms.FileBackend"
    settings.B12_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    patient.remind_by_sms, patient.phone = True, "+447700900123"
    patient.save()
    finding = Finding("missed_doses", "review", "missed_doses", "Ask your clinic.", "late")
    lifecycle.findings_record(patient=patient, findings=[finding], now=NOW)
    sms = Notification.objects.get(channel="sms")
    assert deliver(sms.pk, now=NOW) == "sent"
    [line] = (tmp_path / "sms.jsonl").read_text().splitlines()
    assert json.loads(line) == {"to": "+447700900123", "body": sms.body,
                                "key": f"notification-{sms.pk}"}
    assert sms.body == outbox.MESSAGE_BODY_PATIENT  # no clinical detail in a text


def test_a_text_to_someone_without_a_number_fails_permanently(patient):
    patient.remind_by_sms, patient.phone = True, "+447700900123"
    patient.save()
    finding = Finding("missed_doses", "review", "missed_doses", "Ask your clinic.", "late")
    lifecycle.findings_record(patient=patient, findings=[finding], now=NOW)
    patient.phone = ""
    patient.save()
    assert deliver(Notification.objects.get(channel="sms").pk, now=NOW) == "failed"


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_row_at_once_send_it_once(patient, clinician):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers; SQLite serialises them")
    finding = Finding("neuro_worsening", "urgent", "neuro_worsening:balance", "p", "c")
    lifecycle.findings_record(patient=patient, findings=[finding], now=NOW)
    email = Notification.objects.get(channel="email").pk
    sends = []

    def slow_send(notification):
        sends.append(notification.pk)

    def run():
        return deliver(email, now=NOW, send=slow_send)

    outcomes, errors = run_at_once(run, run)
    assert errors == []
    assert sorted(outcomes) == ["sent", "skipped"]
    assert sends == [email]
