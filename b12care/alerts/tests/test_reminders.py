"""Dose reminders from the periodic sweep: local time, DST, quiet hours, repeats, escalation,
exactly once per step (or skipped with a reason)."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory
from b12care.alerts import reminder_plans, reminder_sweep
from b12care.alerts.models import Alert, AlertRule, Notification, ReminderStep
from b12care.core.tests.concurrency import run_at_once
from labs.models import Analyte, PlannedLab

from .conftest import make_dose

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


# --- DST (pure) -----------------------------------------------------------------------------------
@pytest.mark.parametrize("zone, day, expected_utc", [
    # New York: clocks go forward Sun 8 Mar 2026, back Sun 1 Nov 2026.
    ("America/New_York", dt.date(2026, 3, 7), utc(2026, 3, 7, 13, 0)),
    ("America/New_York", dt.date(2026, 3, 8), utc(2026, 3, 8, 12, 0)),
    ("America/New_York", dt.date(2026, 10, 31), utc(2026, 10, 31, 12, 0)),
    ("America/New_York", dt.date(2026, 11, 1), utc(2026, 11, 1, 13, 0)),
    # London: forward Sun 29 Mar 2026, back Sun 25 Oct 2026.
    ("Europe/London", dt.date(2026, 3, 28), utc(2026, 3, 28, 8, 0)),
    ("Europe/London", dt.date(2026, 3, 29), utc(2026, 3, 29, 7, 0)),
    ("Europe/London", dt.date(2026, 10, 24), utc(2026, 10, 24, 7, 0)),
    ("Europe/London", dt.date(2026, 10, 25), utc(2026, 10, 25, 8, 0)),
    # Sydney (southern hemisphere): back Sun 5 Apr 2026, forward Sun 4 Oct 2026.
    ("Australia/Sydney", dt.date(2026, 4, 4), utc(2026, 4, 3, 21, 0)),
    ("Australia/Sydney", dt.date(2026, 4, 5), utc(2026, 4, 4, 22, 0)),
    ("Australia/Sydney", dt.date(2026, 10, 3), utc(2026, 10, 2, 22, 0)),
    ("Australia/Sydney", dt.date(2026, 10, 4), utc(2026, 10, 3, 21, 0)),
])
def test_the_first_reminder_is_at_local_eight_on_each_side_of_a_dst_change(zone, day,
                                                                            expected_utc):
    tz = zoneinfo.ZoneInfo(zone)
    due = dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz).astimezone(UTC)
    fire = reminder_plans.first_reminder_at(due, tz, dt.time(8, 0))
    assert fire == expected_utc
    assert fire.astimezone(tz).time() == dt.time(8, 0)


def test_a_reminder_time_in_the_spring_gap_fires_once_at_the_end_of_the_gap():
    tz = zoneinfo.ZoneInfo("America/New_York")
    due = dt.datetime(2026, 3, 8, 9, 0, tzinfo=tz).astimezone(UTC)
    fire = reminder_plans.first_reminder_at(due, tz, dt.time(2, 30))
    assert fire == utc(2026, 3, 8, 7, 0)  # 03:00 EDT, where the clocks jumped to


def test_a_reminder_time_that_happens_twice_fires_at_the_first_occurrence():
    tz = zoneinfo.ZoneInfo("Europe/London")
    due = dt.datetime(2026, 10, 25, 9, 0, tzinfo=tz).astimezone(UTC)
    fire = reminder_plans.first_reminder_at(due, tz, dt.time(1, 30))
    assert fire == utc(2026, 10, 25, 0, 30)  # 01:30 BST, not 01:30 GMT an hour later


@pytest.mark.parametrize("at, start, end, quiet", [
    (dt.time(23, 0), dt.time(22, 0), dt.time(7, 0), True),
    (dt.time(6, 59), dt.time(22, 0), dt.time(7, 0), True),
    (dt.time(7, 0), dt.time(22, 0), dt.time(7, 0), False),
    (dt.time(13, 0), dt.time(12, 0), dt.time(14, 0), True),
    (dt.time(13, 0), None, None, False),
])
def test_quiet_hours_are_recognised_including_over_midnight(at, start, end, quiet):
    assert reminder_plans.in_quiet_hours(at, start, end) is quiet


def test_a_reminder_in_quiet_hours_waits_until_they_end():
    tz = zoneinfo.ZoneInfo("Europe/London")
    evening = local("Europe/London", 2026, 11, 24, 23, 0).astimezone(UTC)
    moved = reminder_plans.respect_quiet_hours(evening, tz, dt.time(22, 0), dt.time(7, 30))
    assert moved == local("Europe/London", 2026, 11, 25, 7, 30).astimezone(UTC)


# --- The sweep ------------------------------------------------------------------------------------
DUE = local("Europe/London", 2026, 11, 24, 9, 0).astimezone(UTC)  # 09:00 UTC (winter)


def steps_of(dose):
    return {s.step: s for s in ReminderStep.objects.filter(subject="dose", subject_id=dose.pk)}


def test_nothing_is_sent_before_the_patients_reminder_time(patient):
    make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 7, 59))
    assert not ReminderStep.objects.exists() and not Notification.objects.exists()


def test_the_first_reminder_goes_out_once_however_many_sweeps_run(patient):
    dose = make_dose(patient, DUE)
    for minute in (0, 5, 10, 15):
        reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 8, minute))
    step = steps_of(dose)[0]
    assert (step.status, step.fire_at) == ("sent", utc(2026, 11, 24, 8, 0))
    rows = Notification.objects.filter(reminder=step)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "in_app"]
    assert {r.subject for r in rows} == {"A dose is due"}


def test_reminders_repeat_while_the_dose_is_not_logged_then_stop_when_it_is(patient):
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 8, 0))
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 12, 0))  # first repeat (4 h)
    assert steps_of(dose)[1].status == "sent"
    dose.status = "taken"
    dose.save()
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 16, 0))
    assert set(steps_of(dose)) == {0, 1}  # no second repeat: the dose was logged
    assert Notification.objects.count() == 4


def test_a_step_due_when_the_dose_gets_logged_is_skipped_with_the_reason(patient):
    dose = make_dose(patient, DUE)
    reminder_plans.dose_steps_plan(now=utc(2026, 11, 24, 8, 0), policy=reminder_plans.Policy())
    dose.status = "taken"
    dose.save()
    reminder_sweep.reminder_batch_process(now=utc(2026, 11, 24, 8, 1))
    step = steps_of(dose)[0]
    assert (step.status, step.reason) == ("skipped", "dose already logged")
    assert not Notification.objects.exists()


def test_quiet_hours_hold_the_reminder_until_they_end(patient):
    patient.quiet_hours_start, patient.quiet_hours_end = dt.time(21, 0), dt.time(9, 30)
    patient.save()
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 8, 0))
    assert not ReminderStep.objects.exists()
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 9, 30))
    assert steps_of(dose)[0].status == "sent"


def test_the_patients_own_reminder_time_is_used(patient):
    patient.reminder_time = dt.time(6, 45)
    patient.save()
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 6, 45))
    assert steps_of(dose)[0].fire_at == utc(2026, 11, 24, 6, 45)


def test_after_an_outage_only_the_latest_due_reminder_is_sent(patient):
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 17, 0))  # sweeps were down all day
    steps = steps_of(dose)
    assert [(n, steps[n].status) for n in sorted(steps)] == [
        (0, "skipped"), (1, "skipped"), (2, "sent")]
    assert "superseded" in steps[0].reason
    assert Notification.objects.count() == 2  # one reminder, on two channels


def test_a_patient_who_chose_no_channel_gets_a_recorded_skip(patient):
    patient.remind_in_app = patient.remind_by_email = False
    patient.save()
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 8, 0))
    step = steps_of(dose)[0]
    assert (step.status, step.reason) == ("skipped", "patient chose no reminder channel")


def test_a_deleted_planned_dose_is_skipped_with_the_reason(patient):
    dose = make_dose(patient, DUE)
    reminder_plans.dose_steps_plan(now=utc(2026, 11, 24, 8, 0), policy=reminder_plans.Policy())
    dose.delete()
    reminder_sweep.reminder_batch_process(now=utc(2026, 11, 24, 8, 0))
    step = ReminderStep.objects.get()
    assert step.status == "skipped" and "no longer exists" in step.reason


def test_a_snoozed_reminder_comes_back_when_the_snooze_ends(patient):
    dose = make_dose(patient, DUE)
    now = utc(2026, 11, 24, 8, 0)
    reminder_plans.reminder_snooze(patient=patient, subject="dose", subject_id=dose.pk,
                              until=now + dt.timedelta(hours=1), now=now)
    reminder_sweep.reminders_sweep(now=now)
    assert steps_of(dose)[0].status == "pending"
    assert not Notification.objects.exists()
    reminder_sweep.reminders_sweep(now=now + dt.timedelta(hours=1))
    assert steps_of(dose)[0].status == "sent"


def test_a_patient_cannot_snooze_someone_elses_dose(patient, outsider_patient):
    dose = make_dose(outsider_patient, DUE)
    now = utc(2026, 11, 24, 8, 0)
    with pytest.raises(ValidationError):
        reminder_plans.reminder_snooze(patient=patient, subject="dose", subject_id=dose.pk,
                                  until=now + dt.timedelta(hours=1), now=now)


def test_an_induction_dose_not_logged_24_hours_later_escalates_to_the_care_team(patient,
                                                                              clinician):
    dose = make_dose(patient, DUE, kind="induction")
    reminder_sweep.reminders_sweep(now=DUE + dt.timedelta(hours=24))
    assert not Alert.objects.exists()
    reminder_sweep.reminders_sweep(now=DUE + dt.timedelta(hours=24, minutes=1))
    assert steps_of(dose)[99].status == "sent"
    alert = Alert.objects.get()
    assert alert.rule.code == "missed_doses"
    assert set(alert.notifications.values_list("recipient_id", flat=True)) == {
        patient.user_id, clinician.pk}
    reminder_sweep.reminders_sweep(now=DUE + dt.timedelta(hours=30))
    assert Alert.objects.count() == 1


def test_a_maintenance_dose_escalates_only_after_14_days(patient):
    dose = make_dose(patient, DUE, kind="maintenance")
    reminder_sweep.reminders_sweep(now=DUE + dt.timedelta(days=13))
    assert 99 not in steps_of(dose)
    reminder_sweep.reminders_sweep(now=DUE + dt.timedelta(days=14, minutes=1))
    assert steps_of(dose)[99].status == "sent"
    assert Alert.objects.get().rule.code == "missed_doses"


def test_reminder_repeats_follow_the_admins_settings(patient):
    rule = AlertRule.objects.get(code="missed_doses")
    rule.thresholds = {**rule.thresholds, "reminder_repeat_count": 1,
                       "reminder_repeat_hours": 2}
    rule.save()
    dose = make_dose(patient, DUE)
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 10, 0))
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 20, 0))
    assert sorted(steps_of(dose)) == [0, 1]
    assert steps_of(dose)[1].fire_at == utc(2026, 11, 24, 10, 0)


@pytest.mark.parametrize("zone, days", [
    ("America/New_York", [dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9)]),
    ("Europe/London", [dt.date(2026, 10, 24), dt.date(2026, 10, 25), dt.date(2026, 10, 26)]),
    ("Australia/Sydney", [dt.date(2026, 10, 3), dt.date(2026, 10, 4), dt.date(2026, 10, 5)]),
])
def test_sweeps_every_15_minutes_across_a_dst_change_remind_at_local_eight_once_a_day(zone,
                                                                                      days):
    tz = zoneinfo.ZoneInfo(zone)
    patient = PatientFactory(timezone=zone)
    CareTeamFactory(patient=patient)
    doses = [make_dose(patient, dt.datetime.combine(d, dt.time(9, 0), tzinfo=tz).astimezone(UTC))
             for d in days]
    start = dt.datetime.combine(days[0], dt.time(0, 0), tzinfo=tz).astimezone(UTC)
    instant = start
    while instant < start + dt.timedelta(hours=72):
        reminder_sweep.reminders_sweep(now=instant)
        for dose in doses:  # the patient logs each dose at 08:30 local
            if dose.status == "open" and instant >= dose.due_at - dt.timedelta(minutes=30):
                dose.status = "taken"
                dose.save()
        instant += dt.timedelta(minutes=15)
    firsts = ReminderStep.objects.filter(step=0).order_by("fire_at")
    assert [s.fire_at.astimezone(tz).replace(tzinfo=None) for s in firsts] == [
        dt.datetime.combine(d, dt.time(8, 0)) for d in days]
    assert ReminderStep.objects.count() == 3  # no repeats: each dose was logged
    assert Notification.objects.filter(channel="email").count() == 3


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_one_reminder_per_dose():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SKIP LOCKED); SQLite serialises writers")
    patients = [PatientFactory() for _ in range(10)]
    doses = [make_dose(p, DUE + dt.timedelta(minutes=i)) for i, p in enumerate(patients)]
    now = utc(2026, 11, 24, 8, 30)

    def run():
        return reminder_sweep.reminders_sweep(now=now, batch_size=3)

    _, errors = run_at_once(run, run)
    assert errors == []
    assert ReminderStep.objects.filter(step=0, status="sent").count() == len(doses)
    assert Notification.objects.filter(channel="email").count() == len(doses)
    assert Notification.objects.filter(channel="in_app").count() == len(doses)


def test_a_planned_blood_test_is_reminded_once_at_the_reminder_time_on_its_due_day(patient):
    planned = PlannedLab.objects.create(
        patient=patient, analyte=Analyte.objects.get(loinc="718-7"), label="Blood count",
        due_date=dt.date(2026, 11, 24), window_start=dt.date(2026, 11, 20),
        window_end=dt.date(2026, 11, 28),
    )
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 7, 59))
    assert not ReminderStep.objects.exists()
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 8, 0))
    reminder_sweep.reminders_sweep(now=utc(2026, 11, 24, 9, 0))
    step = ReminderStep.objects.get(subject="lab", subject_id=planned.pk)
    assert step.status == "sent"
    assert set(Notification.objects.values_list("subject", flat=True)) == {"A blood test is due"}


def test_a_blood_test_done_before_its_reminder_is_processed_is_skipped_with_the_reason(patient):
    planned = PlannedLab.objects.create(
        patient=patient, analyte=Analyte.objects.get(loinc="718-7"), label="Blood count",
        due_date=dt.date(2026, 11, 24), window_start=dt.date(2026, 11, 20),
        window_end=dt.date(2026, 11, 28),
    )
    reminder_plans.lab_steps_plan(now=utc(2026, 11, 24, 8, 0))
    planned.status = "done"
    planned.save()
    reminder_sweep.reminder_batch_process(now=utc(2026, 11, 24, 8, 0))
    step = ReminderStep.objects.get()
    assert (step.status, step.reason) == ("skipped", "lab test done or no longer planned")
