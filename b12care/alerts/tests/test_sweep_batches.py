"""The set-based sweep: plans made once ahead, many steps per transaction, one
outbox row per channel per step, one delivery task per batch of ids."""

import datetime as dt

import pytest

from b12care.accounts.tests.factories import PatientFactory
from b12care.alerts import delivery, reminder_sweep
from b12care.alerts.models import Notification, ReminderPlan, ReminderStep

from .conftest import make_dose

UTC = dt.UTC
pytestmark = pytest.mark.django_db
DUE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 09:00 in London (winter)
AT_EIGHT = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_a_dose_is_planned_once_ahead_and_its_first_step_becomes_a_record_when_due(patient):
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=6))
    plans = {p.step: p.fire_at for p in ReminderPlan.objects.filter(subject_id=dose.pk)}
    assert plans[0] == AT_EIGHT and set(plans) == {0, 1, 2, 99}
    assert not ReminderStep.objects.exists()
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=5))
    assert ReminderPlan.objects.count() == 4  # nothing planned twice
    reminder_sweep.reminders_sweep(now=AT_EIGHT)
    assert not ReminderPlan.objects.filter(step=0).exists()
    assert ReminderStep.objects.get(subject_id=dose.pk).status == "sent"


def test_many_steps_in_one_batch_get_one_row_per_channel_and_one_task_per_batch_of_ids(
        django_capture_on_commit_callbacks):
    patients = [PatientFactory() for _ in range(7)]
    patients[0].remind_by_sms, patients[0].phone = True, "+447700900123"
    patients[0].save()
    for p in patients:
        make_dose(p, DUE)
    sent_batches = []
    with django_capture_on_commit_callbacks(execute=True):
        result = reminder_sweep.reminders_sweep(now=AT_EIGHT, enqueue=sent_batches.append)
    assert result["processed"] == 7
    rows = Notification.objects.filter(kind="reminder")
    assert rows.count() == 7 * 2 + 1  # in-app and email each, plus one text message
    for step in ReminderStep.objects.all():
        channels = list(rows.filter(reminder=step).values_list("channel", flat=True))
        assert len(channels) == len(set(channels))
    assert len(sent_batches) == 1  # 15 ids, one deliver_batch task, not one per row
    assert sorted(sent_batches[0]) == sorted(rows.values_list("pk", flat=True))
    assert not rows.filter(enqueued_at=None).exists()


def test_ids_are_handed_over_in_tasks_of_the_delivery_batch_size(
        django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(delivery, "BATCH_SIZE", 4)
    for _ in range(5):
        make_dose(PatientFactory(), DUE)
    sent_batches = []
    with django_capture_on_commit_callbacks(execute=True):
        reminder_sweep.reminders_sweep(now=AT_EIGHT, enqueue=sent_batches.append)
    assert [len(b) for b in sent_batches] == [4, 4, 2]


def test_a_broker_outage_leaves_the_rows_for_the_relay(django_capture_on_commit_callbacks):
    make_dose(PatientFactory(), DUE)

    def broker_down(ids):
        raise ConnectionError("redis is down")

    with django_capture_on_commit_callbacks(execute=True):
        reminder_sweep.reminders_sweep(now=AT_EIGHT, enqueue=broker_down)
    assert Notification.objects.filter(enqueued_at=None).count() == 2
    relayed = []
    assert delivery.outbox_relay(now=AT_EIGHT, enqueue=relayed.append) == 2


def test_without_a_broker_hook_the_relay_is_kicked_once_per_batch_not_per_step(
        _no_broker_kicks):
    for _ in range(6):
        make_dose(PatientFactory(), DUE)
    reminder_sweep.reminders_sweep(now=AT_EIGHT, batch_size=4)
    assert len(_no_broker_kicks) <= 2


def test_a_reminder_time_changed_after_planning_is_followed(patient):
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=6))
    patient.reminder_time = dt.time(7, 0)
    patient.save()
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=1))
    step = ReminderStep.objects.get(subject_id=dose.pk, step=0)
    assert (step.fire_at, step.status) == (AT_EIGHT - dt.timedelta(hours=1), "sent")
    assert Notification.objects.filter(reminder=step).count() == 2


def test_a_planned_step_of_a_dose_logged_in_the_meantime_is_dropped_without_a_message(patient):
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=6))
    dose.status = "taken"
    dose.save()
    reminder_sweep.reminders_sweep(now=AT_EIGHT)
    assert not ReminderStep.objects.exists() and not Notification.objects.exists()
    assert not ReminderPlan.objects.filter(step=0).exists()


def test_a_deactivated_patient_gets_no_reminder(patient):
    make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=AT_EIGHT - dt.timedelta(hours=6))
    patient.user.is_active = False
    patient.user.save()
    reminder_sweep.reminders_sweep(now=AT_EIGHT)
    assert not Notification.objects.exists()
