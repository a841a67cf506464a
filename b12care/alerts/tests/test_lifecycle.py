"""Findings become alerts and outbox rows in one transaction; the alert lifecycle."""

import datetime as dt
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from b12care.accounts.tests.factories import CareTeamFactory, ClinicianFactory
from b12care.alerts import config, lifecycle, rules
from b12care.alerts.models import Alert, AlertRule, Notification
from b12care.alerts.rules import Finding

from .conftest import NOW

pytestmark = pytest.mark.django_db


def neuro(message="Numbness rose from 3 to 6/10", key="neuro_worsening:numbness_hands",
          evidence=("numbness_hands",)):
    return Finding("neuro_worsening", "urgent", key, "Contact your clinician today.", message,
                   evidence)


def missed():
    return Finding("missed_doses", "review", "missed_doses", "Ask your clinic.", "1 dose late")


def test_the_data_migration_seeds_every_rule_with_the_code_defaults():
    seeded = import_module("b12care.alerts.migrations.0002_seed_alert_rules").DEFAULTS
    assert set(seeded) == set(rules.REGISTRY)
    for code, (_name, thresholds) in seeded.items():
        assert thresholds == rules.REGISTRY[code].defaults
    assert AlertRule.objects.count() == len(rules.REGISTRY)


def test_an_admin_threshold_overrides_the_default_and_the_rest_stay_default():
    AlertRule.objects.filter(code="neuro_worsening").update(thresholds={"delta": 2})
    thresholds = config.rule_config()
    assert thresholds["neuro_worsening"]["delta"] == 2
    assert thresholds["neuro_worsening"]["absolute"] == 8


def test_a_disabled_rule_has_no_config():
    AlertRule.objects.filter(code="hb_critical").update(enabled=False)
    assert config.rule_config()["hb_critical"] is None


def test_the_admin_cannot_save_an_unknown_or_negative_threshold():
    rule = AlertRule.objects.get(code="neuro_worsening")
    rule.thresholds = {"delat": 2}
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.thresholds = {"delta": -1}
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.thresholds = {"delta": 2, "codes": ["numbness_hands"]}
    rule.full_clean()


def test_an_urgent_neuro_finding_opens_one_alert_and_tells_the_care_team(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    assert alert.status == "open" and alert.severity == "urgent"
    rows = Notification.objects.filter(alert=alert)
    assert {(r.recipient, r.channel) for r in rows} == {(clinician, "email"),
                                                       (clinician, "in_app")}
    assert all(r.next_attempt_at == NOW and r.sent_at is None for r in rows)


def test_the_same_finding_again_updates_the_open_alert_and_sends_nothing_new(patient):
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    later = NOW + dt.timedelta(hours=2)
    [alert] = lifecycle.findings_record(
        patient=patient, findings=[neuro("Numbness rose from 3 to 7/10")], now=later)
    assert Alert.objects.count() == 1
    assert alert.occurrences == 2 and alert.last_seen_at == later
    assert alert.clinician_message.endswith("7/10")
    assert Notification.objects.count() == 2  # still only the first alert's email + in-app


def test_an_identical_repeat_from_a_sweep_does_not_inflate_the_occurrence_count(patient):
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()],
                                        now=NOW + dt.timedelta(minutes=15))
    assert alert.occurrences == 1


def test_acknowledging_one_alert_never_silences_another(patient, clinician):
    first, second = lifecycle.findings_record(patient=patient, findings=[neuro(), missed()],
                                              now=NOW)
    lifecycle.alert_acknowledge(alert=first, by=clinician, now=NOW)
    second.refresh_from_db()
    assert second.status == "open"
    # a new, different finding still opens and notifies
    [third] = lifecycle.findings_record(
        patient=patient, findings=[neuro(key="neuro_worsening:balance")], now=NOW)
    assert third.status == "open" and third.notifications.count() == 2


def test_a_finding_after_resolution_opens_a_new_alert_and_notifies_again(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_resolve(alert=alert, by=clinician, now=NOW, note="Seen in clinic")
    [again] = lifecycle.findings_record(patient=patient, findings=[neuro()],
                                        now=NOW + dt.timedelta(days=3))
    assert again.pk != alert.pk
    assert Notification.objects.filter(alert=again).count() == 2


def test_the_database_refuses_a_second_active_alert_with_the_same_key(patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(patient=patient, rule=alert.rule, severity="urgent",
                             dedup_key=alert.dedup_key, clinician_message="x",
                             first_seen_at=NOW, last_seen_at=NOW)


def test_the_database_refuses_a_second_notification_for_the_same_event_channel_and_person(
    patient, clinician
):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(kind="alert", alert=alert, recipient=clinician,
                                    channel="email", subject="s", body="b", created_at=NOW,
                                    next_attempt_at=NOW)


def test_missed_doses_tell_the_patient_on_their_chosen_channels_and_the_care_team(
    patient, clinician
):
    patient.remind_by_sms, patient.phone = True, "+447700900123"
    patient.save()
    [alert] = lifecycle.findings_record(patient=patient, findings=[missed()], now=NOW)
    pairs = {(r.recipient_id, r.channel) for r in alert.notifications.all()}
    assert pairs == {(patient.user_id, "in_app"), (patient.user_id, "email"),
                     (patient.user_id, "sms"), (clinician.pk, "email"), (clinician.pk, "in_app")}


def test_every_clinician_on_the_team_is_told_but_not_others(patient, clinician,
                                                            outsider_clinician):
    second = ClinicianFactory()
    CareTeamFactory(patient=patient, clinician=second)
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    recipients = set(alert.notifications.values_list("recipient_id", flat=True))
    assert recipients == {clinician.pk, second.pk}


def test_message_bodies_carry_the_tier_but_no_clinical_detail_or_name(patient):
    lifecycle.findings_record(patient=patient, findings=[neuro(), missed()], now=NOW)
    for row in Notification.objects.all():
        text = f"{row.subject} {row.body}"
        for word in ("numb", "neuro", "dose late", "missed"):
            assert word not in text.lower()
        for name in ("Pat", "Lee"):  # the patient's name
            assert name not in text
    to_team = Notification.objects.filter(recipient__role="clinician")
    assert {(n.alert.rule.code, n.subject) for n in to_team} == {
        ("neuro_worsening", "Urgent: a patient needs you today"),
        ("missed_doses", "Review: a patient's alert needs review")}
    assert all(n.body.startswith(n.subject + ".") for n in to_team)
    # In-app entries link to the alert itself.
    assert {n.link for n in to_team} == {
        f"/alerts/patients/{patient.pk}/#alert-{n.alert_id}" for n in to_team}


def test_if_the_saving_transaction_fails_neither_alert_nor_notification_remains(patient):
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
        raise RuntimeError("the patient's data failed to save")
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_a_new_alert_asks_for_a_relay_only_after_commit(patient, django_capture_on_commit_callbacks,
                                                        _no_broker_kicks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
        assert _no_broker_kicks == []
    assert _no_broker_kicks == [1]


def test_acknowledge_then_resolve_records_who_when_and_the_note(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW, note="Calling her")
    later = NOW + dt.timedelta(hours=1)
    lifecycle.alert_resolve(alert=alert, by=clinician, now=later, note="Seen today, B12 increased")
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == (
        "resolved", clinician, NOW)
    assert (alert.resolved_by, alert.resolved_at) == (clinician, later)
    # Both notes are kept, each in its own field, and the history has each step with its user.
    assert (alert.note, alert.resolve_note) == ("Calling her", "Seen today, B12 increased")
    steps = list(alert.history.order_by("history_id").values_list(
        "status", "note", "resolve_note", "history_user"))
    assert steps == [("open", "", "", None),
                     ("acknowledged", "Calling her", "", clinician.pk),
                     ("resolved", "Calling her", "Seen today, B12 increased", clinician.pk)]


def test_resolving_needs_a_note_and_a_patient_cannot_acknowledge(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    with pytest.raises(ValidationError):
        lifecycle.alert_resolve(alert=alert, by=clinician, now=NOW, note="  ")
    with pytest.raises(ValidationError):
        lifecycle.alert_acknowledge(alert=alert, by=patient.user, now=NOW)
    alert.refresh_from_db()
    assert alert.status == "open"


def test_acknowledging_twice_says_so_instead_of_overwriting(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW)
    with pytest.raises(ValidationError):
        lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW + dt.timedelta(hours=1))
    alert.refresh_from_db()
    assert alert.acknowledged_at == NOW


def test_an_admin_edits_a_threshold_and_the_rules_use_it(admin_client):
    rule = AlertRule.objects.get(code="neuro_worsening")
    url = f"/admin/alerts/alertrule/{rule.pk}/change/"
    assert admin_client.get(url).status_code == 200
    form = {"name": rule.name, "enabled": "on", "delta": "2", "absolute": "8",
            "window_days": "14", "reason": "Earlier warning", "confirm": "on",
            "codes": ["numbness_hands", "numbness_feet", "balance", "falls", "weakness"]}
    assert admin_client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert rule.thresholds["delta"] == 2
    assert config.rule_config()["neuro_worsening"]["delta"] == 2


def test_new_evidence_on_an_acknowledged_alert_re_opens_it_and_tells_the_team_again(
    patient, clinician
):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro(key="neuro_worsening")],
                                        now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW, note="Calling")
    # the same evidence again: stays acknowledged, nothing new sent
    lifecycle.findings_record(patient=patient, findings=[neuro(key="neuro_worsening")], now=NOW)
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and Notification.objects.count() == 2
    # balance now worsens too: the acknowledgement must not hide it
    later = NOW + dt.timedelta(days=2)
    [again] = lifecycle.findings_record(patient=patient, findings=[neuro(
        "Numbness 6/10; balance rose from 2 to 6", key="neuro_worsening",
        evidence=("balance", "numbness_hands"))], now=later)
    assert again.pk == alert.pk
    assert (again.status, again.round, again.acknowledged_by) == ("open", 2, None)
    assert again.evidence == ["balance", "numbness_hands"]
    assert again.note == "Calling"  # the clinician's note is kept
    second_round = Notification.objects.filter(alert=again, alert_round=2)
    assert {(n.recipient, n.channel) for n in second_round} == {
        (clinician, "email"), (clinician, "in_app")}


def test_new_evidence_on_an_open_alert_updates_it_without_a_second_message(patient):
    lifecycle.findings_record(patient=patient, findings=[neuro(key="neuro_worsening")], now=NOW)
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro(
        "more", key="neuro_worsening", evidence=("balance", "numbness_hands"))], now=NOW)
    assert (alert.status, alert.round, alert.occurrences) == ("open", 1, 2)
    assert Notification.objects.count() == 2
