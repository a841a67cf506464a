"""The escalation ladder: unacknowledged alerts climb it from stored due times, each rung is
sent once (even with two sweeps at once), and acknowledgement stops it."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.urls import reverse

from b12care.accounts.tests.factories import ClinicianFactory
from b12care.alerts import escalation, lifecycle
from b12care.alerts.models import AlertEscalation, EscalationLadder, Notification
from b12care.alerts.rules import Finding
from b12care.core.tests.concurrency import run_at_once

from .conftest import NOW

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)
LONDON = zoneinfo.ZoneInfo("Europe/London")


def reaction():
    return Finding("systemic_reaction", "emergency", "systemic_reaction:injection:1",
                   "Call emergency services now.", "Possible anaphylaxis", ("hives",))


def neuro():
    return Finding("neuro_worsening", "urgent", "neuro_worsening", "Contact your clinician.",
                   "Neurological worsening", ("numbness_hands",))


def hb():
    return Finding("hb_critical", "review", "hb_critical", "", "Hb 7.5 g/dL")


@pytest.fixture
def contact(patient):
    person = ClinicianFactory(email="lead@example.org", first_name="Lee", last_name="Lead")
    patient.escalation_contact = person
    patient.save(update_fields=["escalation_contact"])
    return person


def escalated_to(alert) -> set[str]:
    return set(Notification.objects.filter(alert=alert, escalation_step=1)
               .values_list("recipient__email", flat=True))


def test_an_emergency_escalates_to_the_team_and_the_contact_15_minutes_after_it_opened(
    patient, clinician, contact
):
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    assert set(Notification.objects.filter(alert=alert, escalation_step=0)
               .values_list("recipient__email", flat=True)) == {clinician.email}

    assert escalation.escalations_sweep(now=NOW + 15 * MIN - dt.timedelta(seconds=1)) == 0
    assert escalated_to(alert) == set()

    assert escalation.escalations_sweep(now=NOW + 15 * MIN) == 1
    assert escalated_to(alert) == {clinician.email, contact.email}
    sent = Notification.objects.filter(alert=alert, escalation_step=1, channel="email")
    assert {n.subject for n in sent} == {"Emergency: a patient needs you now "
                                         "(not acknowledged yet)"}


def test_each_rung_is_sent_once_however_often_the_sweep_runs(patient, clinician, contact):
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    assert escalation.escalations_sweep(now=NOW + 15 * MIN) == 1
    assert escalation.escalations_sweep(now=NOW + 16 * MIN) == 0
    assert escalation.escalations_sweep(now=NOW + 60 * MIN) == 0
    # Two people, two channels each, once.
    assert Notification.objects.filter(alert=alert, escalation_step=1).count() == 4
    rung = AlertEscalation.objects.get(alert=alert, step=1)
    assert (rung.status, rung.processed_at, rung.recipients) == ("sent", NOW + 15 * MIN, 2)


def test_two_sweeps_at_once_send_once(patient, clinician, contact):
    """Sweep A reads the due rung, sweep B runs in full meanwhile, then A tries to claim the
    same rung: the conditional update finds it no longer pending and A sends nothing."""
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    seen_by_a = escalation.due_escalations(now=NOW + 15 * MIN)
    assert len(seen_by_a) == 1

    assert escalation.escalations_sweep(now=NOW + 15 * MIN) == 1  # sweep B
    assert escalation.escalation_run(row=seen_by_a[0], now=NOW + 15 * MIN) is False  # sweep A
    assert Notification.objects.filter(alert=alert, escalation_step=1).count() == 4


def test_acknowledging_stops_the_ladder(patient, clinician, contact):
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW + 14 * MIN)

    assert escalation.escalations_sweep(now=NOW + 15 * MIN) == 0
    assert escalated_to(alert) == set()
    rung = AlertEscalation.objects.get(alert=alert, step=1)
    assert (rung.status, rung.processed_at) == ("stopped", NOW + 14 * MIN)


def test_a_rung_read_before_an_acknowledgement_is_not_sent_after_it(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    [row] = escalation.due_escalations(now=NOW + 15 * MIN)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW + 15 * MIN)
    assert escalation.escalation_run(row=row, now=NOW + 15 * MIN) is False
    assert escalated_to(alert) == set()


def test_resolving_stops_the_ladder(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_resolve(alert=alert, by=clinician, now=NOW + MIN, note="Seen in clinic")
    assert escalation.escalations_sweep(now=NOW + 5 * 60 * MIN) == 0
    assert AlertEscalation.objects.get(alert=alert, step=1).status == "stopped"


def test_an_urgent_alert_escalates_after_four_hours(patient, clinician, contact):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    assert escalation.escalations_sweep(now=NOW + 4 * 60 * MIN - MIN) == 0
    assert escalation.escalations_sweep(now=NOW + 4 * 60 * MIN) == 1
    assert escalated_to(alert) == {clinician.email, contact.email}
    assert (Notification.objects.filter(alert=alert, escalation_step=1).first().subject
            == "Urgent: a patient needs you today (not acknowledged yet)")


def test_a_review_alert_escalates_at_the_start_of_the_next_working_day(patient, clinician):
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)
    [alert] = lifecycle.findings_record(patient=patient, findings=[hb()], now=friday_evening)
    monday_nine = dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)
    assert AlertEscalation.objects.get(alert=alert, step=1).due_at == monday_nine
    assert escalation.escalations_sweep(now=monday_nine - MIN) == 0
    assert escalation.escalations_sweep(now=monday_nine) == 1
    assert escalated_to(alert) == {clinician.email}


def test_next_working_day_is_in_the_patients_zone_across_a_dst_change():
    # Friday 27 March 2026, evening in London; clocks go forward on Sunday 29 March.
    after = dt.datetime(2026, 3, 27, 20, 0, tzinfo=dt.UTC)
    start = escalation.next_working_day_start(after, tz=LONDON, starts=dt.time(9))
    assert start == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)  # 09:00 BST


def test_an_admin_sets_a_tiers_delay_and_can_switch_it_off(patient, clinician):
    EscalationLadder.objects.create(tier="urgent", delay_minutes=30, to_escalation_contact=False)
    EscalationLadder.objects.create(tier="review", enabled=False)
    [urgent] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    [review] = lifecycle.findings_record(patient=patient, findings=[hb()], now=NOW)
    assert AlertEscalation.objects.get(alert=urgent, step=1).due_at == NOW + 30 * MIN
    assert not AlertEscalation.objects.filter(alert=review, step=1).exists()


def test_the_escalation_contact_is_told_once_even_when_on_the_team(patient, clinician):
    patient.escalation_contact = clinician
    patient.save(update_fields=["escalation_contact"])
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    escalation.escalations_sweep(now=NOW + 15 * MIN)
    assert Notification.objects.filter(alert=alert, escalation_step=1).count() == 2


def test_a_reopened_alert_climbs_a_new_ladder(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW + MIN)
    worse = Finding("neuro_worsening", "urgent", "neuro_worsening", "Contact your clinician.",
                    "Neurological worsening", ("numbness_hands", "balance"))
    later = NOW + 60 * MIN
    [alert] = lifecycle.findings_record(patient=patient, findings=[worse], now=later)
    assert alert.round == 2
    assert escalation.escalations_sweep(now=later + 4 * 60 * MIN) == 1
    assert AlertEscalation.objects.filter(alert=alert, step=1, status="sent").get().round == 2


def test_the_clinicians_alert_page_shows_the_ladder_in_the_patients_zone(
    clinician_client, patient, clinician
):
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    url = reverse("alerts:patient_alerts", args=[patient.pk])
    html = clinician_client.get(url).content.decode()
    assert ("Escalates to the care team and the escalation contact at Tue 24 Nov, 10:15 "
            "(London time)") in html

    escalation.escalations_sweep(now=NOW + 15 * MIN)
    html = clinician_client.get(url).content.decode()
    assert "Escalated Tue 24 Nov, 10:15 (London time) to 1 people" in html
    assert f'id="alert-{alert.pk}"' in html


def test_an_outsider_clinician_cannot_see_the_alert_page(client, patient, outsider_clinician):
    lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)
    client.force_login(outsider_clinician)
    url = reverse("alerts:patient_alerts", args=[patient.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_two_connections_at_once_send_each_rung_once(patient, clinician, contact):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers; SQLite serialises them")
    [alert] = lifecycle.findings_record(patient=patient, findings=[reaction()], now=NOW)

    def run():
        return escalation.escalations_sweep(now=NOW + 15 * MIN)

    sent, errors = run_at_once(run, run)
    assert errors == []
    assert sorted(sent) == [0, 1]
    assert Notification.objects.filter(alert=alert, escalation_step=1).count() == 4
