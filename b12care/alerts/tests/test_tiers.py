"""Tiers: emergency > urgent > review, one ordering for every surface, newest first within a
tier; an admin can put any rule in the emergency tier."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from b12care.alerts import delivery, lifecycle, selectors, summary, tiers
from b12care.alerts.config import findings_tiered
from b12care.alerts.models import AlertRule, AlertSummary, Notification
from b12care.alerts.rules import Finding

from .conftest import NOW

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def emergency():
    return Finding("systemic_reaction", "emergency", "systemic_reaction:injection:1",
                   "Call emergency services now.", "Possible anaphylaxis", ("hives",))


def urgent():
    return Finding("neuro_worsening", "urgent", "neuro_worsening",
                   "Your nerve symptoms are getting worse.", "Neurological worsening",
                   ("numbness_hands",))


def review():
    return Finding("missed_doses", "review", "missed_doses", "A dose looks missed.",
                   "1 dose late", ("dose:1",))


def record_oldest_emergency_newest_review(patient):
    """Seen in the order emergency, urgent, review, so "newest first" alone would invert it."""
    lifecycle.findings_record(patient=patient, findings=[emergency()], now=NOW - 30 * MIN)
    lifecycle.findings_record(patient=patient, findings=[urgent()], now=NOW - 20 * MIN)
    lifecycle.findings_record(patient=patient, findings=[review()], now=NOW - 10 * MIN)


def test_tier_rank_orders_emergency_above_urgent_above_review_above_info():
    ranks = [tiers.tier_rank(t) for t in ("emergency", "urgent", "review", "info", "")]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks[:4])) == 4
    assert tiers.higher_tier("urgent", "emergency") == "emergency"
    assert tiers.higher_tier("review", "urgent") == "urgent"


def test_active_alerts_are_ordered_by_tier_then_newest(patient):
    record_oldest_emergency_newest_review(patient)
    lifecycle.findings_record(patient=patient, findings=[Finding(
        "new_visual_symptoms", "urgent", "visual:vision", "Get checked today.", "Vision")],
        now=NOW)
    order = [(a.severity, a.rule.code) for a in selectors.active_alerts(patient)]
    assert order == [("emergency", "systemic_reaction"), ("urgent", "new_visual_symptoms"),
                     ("urgent", "neuro_worsening"), ("review", "missed_doses")]


def test_the_summary_counts_emergencies_and_its_top_alert_is_the_emergency(patient):
    record_oldest_emergency_newest_review(patient)
    row = AlertSummary.objects.get(patient=patient)
    assert (row.emergency_open, row.urgent_open, row.review_open) == (1, 1, 1)
    assert row.top_alert.severity == "emergency"
    assert summary.alert_summaries_refresh_all() == 0  # the live definition agrees


@time_machine.travel(NOW, tick=False)
def test_the_guidance_page_puts_the_emergency_first(patient_client, patient):
    record_oldest_emergency_newest_review(patient)
    html = patient_client.get(reverse("alerts:guidance")).content.decode()
    assert html.index("Call emergency services now") < html.index("Contact your clinician")
    assert 'data-tier="review"' not in html  # review findings are not "what to do now"


@time_machine.travel(NOW, tick=False)
def test_the_patient_home_puts_the_emergency_first(patient_client, patient):
    record_oldest_emergency_newest_review(patient)
    html = patient_client.get(reverse("patient_home")).content.decode()
    positions = [html.index(f'data-tier="{t}"') for t in ("emergency", "urgent", "review")]
    assert positions == sorted(positions)


@time_machine.travel(NOW, tick=False)
def test_the_clinicians_alert_page_puts_the_emergency_first(clinician_client, patient):
    record_oldest_emergency_newest_review(patient)
    html = clinician_client.get(reverse("alerts:patient_alerts", args=[patient.pk])).content
    html = html.decode()
    positions = [html.index(f'data-tier="{t}"') for t in ("emergency", "urgent", "review")]
    assert positions == sorted(positions)
    # Times in the patient's zone, labelled.
    assert "(London time)" in html


@time_machine.travel(NOW, tick=False)
def test_the_clinicians_inbox_lists_unread_emergencies_first_with_the_tier_in_the_title(
    client, patient, clinician
):
    record_oldest_emergency_newest_review(patient)
    for pk in Notification.objects.filter(channel="in_app").values_list("pk", flat=True):
        delivery.notification_deliver(notification_id=pk, now=NOW)
    client.force_login(clinician)
    html = client.get(reverse("alerts:inbox")).content.decode()
    positions = [html.index(s) for s in ("Emergency: a patient needs you now",
                                         "Urgent: a patient needs you today",
                                         "Review: a patient&#x27;s alert needs review")]
    assert positions == sorted(positions)
    assert "(London time)" in html
    emergency_alert = patient.alerts.get(severity="emergency")
    assert f'href="/alerts/patients/{patient.pk}/#alert-{emergency_alert.pk}"' in html


def test_an_admin_can_put_any_rule_in_the_emergency_tier(patient):
    AlertRule.objects.filter(code="neuro_worsening").update(severity="emergency")
    stored = {r.code: r for r in AlertRule.objects.all()}
    [tiered] = findings_tiered([urgent()], stored)
    assert tiered.severity == "emergency"
    [alert] = lifecycle.findings_record(patient=patient, findings=[tiered], now=NOW)
    assert alert.severity == "emergency"
    assert Notification.objects.filter(alert=alert, channel="email").first().subject == (
        "Emergency: a patient needs you now")


def test_a_blank_rule_tier_keeps_the_rules_own_tier():
    stored = {r.code: r for r in AlertRule.objects.all()}
    assert AlertRule.objects.get(code="neuro_worsening").severity == ""
    assert findings_tiered([urgent()], stored)[0].severity == "urgent"


def test_the_database_refuses_an_unknown_tier(patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[urgent()], now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(alert).objects.filter(pk=alert.pk).update(severity="critical")
