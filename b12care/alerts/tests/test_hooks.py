"""Saving patient data through the other apps runs the rules in the same transaction (the
change is announced through b12care.core.events, alerts subscribes)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from b12care.alerts import sweeps
from b12care.alerts.models import Alert, Notification
from b12care.core import events
from injections.models import Regimen
from injections.services import injection_record
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

from .conftest import NOW, make_dose

pytestmark = pytest.mark.django_db


def record_injection(patient, **reactions):
    return injection_record(
        patient=patient, recorded_by=patient.user, now=NOW, taken_at=NOW - dt.timedelta(hours=1),
        product="hydroxocobalamin", dose="1", unit="mg", site="left_vastus_lateralis",
        administered_by="nurse", **reactions,
    )


@time_machine.travel(NOW, tick=False)
def test_logging_an_injection_with_breathing_difficulty_opens_an_emergency_alert(patient,
                                                                                 clinician):
    recorded = record_injection(patient, breathing_difficulty=True)
    assert events.needs_guidance(recorded.findings)
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.severity, alert.dedup_key) == (
        "systemic_reaction", "emergency", f"systemic_reaction:injection:{recorded.injection.pk}")
    assert set(Notification.objects.values_list("recipient_id", "channel")) == {
        (clinician.pk, "email"), (clinician.pk, "in_app")}


@time_machine.travel(NOW, tick=False)
def test_an_injection_without_reactions_raises_nothing(patient):
    recorded = record_injection(patient)
    assert recorded.findings == [] and not Alert.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_announcing_the_change_again_returns_findings_and_adds_no_alert(patient):
    record_injection(patient, face_throat_swelling=True)
    findings = events.patient_data_changed([patient.pk], {events.INJECTIONS}, now=NOW)
    assert [f.rule for f in findings] == ["systemic_reaction"]
    assert Alert.objects.count() == 1 and Notification.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_patient_logging_anaphylaxis_signs_is_sent_to_the_guidance_page(patient_client,
                                                                          patient):
    response = patient_client.get(reverse("injections:log"))
    if response.status_code != 200:
        pytest.skip("injections log page not available")
    form = response.context["form"]
    data = {name: field.initial if field.initial is not None else ""
            for name, field in form.fields.items()}
    data.update({
        "taken_at": (NOW - dt.timedelta(hours=1)).astimezone(patient.tz).strftime(
            "%Y-%m-%dT%H:%M"),
        "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
        "site": "left_vastus_lateralis", "administered_by": "nurse",
        "systemic_reactions": ["breathing_difficulty"],
    })
    data = {k: v for k, v in data.items() if v not in (None, False, "")}
    response = patient_client.post(reverse("injections:log"), data, follow=True)
    assert response.redirect_chain, response.context["form"].errors
    assert response.redirect_chain[-1][0] == reverse("alerts:guidance")
    assert "Call emergency services now: 999" in response.content.decode()


def test_the_rule_sweep_finds_missed_doses_with_the_passage_of_time_alone(patient, clinician):
    make_dose(patient, NOW - dt.timedelta(hours=30))
    assert sweeps.rules_sweep(now=NOW) == 1
    assert Alert.objects.get().rule.code == "missed_doses"
    sweeps.rules_sweep(now=NOW + dt.timedelta(minutes=15))
    assert Alert.objects.count() == 1


def test_a_diary_entry_with_rapidly_worsening_numbness_opens_one_urgent_alert(patient,
                                                                           clinician):
    checkin_save(patient=patient, scores={"numbness_feet": (2, "Both sides")}, by=patient.user,
                 now=NOW - dt.timedelta(days=6))
    saved = checkin_save(patient=patient, scores={"numbness_feet": (6, "Both sides")},
                         by=patient.user, now=NOW)
    assert events.needs_guidance(saved.findings)
    alert = Alert.objects.get()
    assert alert.dedup_key == "neuro_worsening"
    assert "numbness feet rose from 2 to 6" in alert.clinician_message
    # the patient updates today's diary again: the same alert, no new messages
    checkin_save(patient=patient, scores={"numbness_feet": (7, "Both sides")},
                 by=patient.user, now=NOW + dt.timedelta(hours=3))
    assert Alert.objects.count() == 1 and Notification.objects.count() == 2


def test_low_potassium_in_the_first_days_of_treatment_alerts_the_care_team(patient, clinician):
    Regimen.objects.create(patient=patient, name="Induction", start_date=NOW.date()
                           - dt.timedelta(days=2))
    potassium = Analyte.objects.get(loinc="2823-3")
    recorded = result_record(patient=patient, analyte=potassium, sampled_on=NOW.date(),
                             sampled_time=dt.time(8, 0), value="3.1", unit="mmol/L",
                             by=clinician, now=NOW)
    assert [f.rule for f in recorded.findings] == ["potassium_low"]
    alert = Alert.objects.get()
    assert alert.severity == "urgent" and "3.1 mmol/L" in alert.clinician_message
    assert not alert.notifications.filter(recipient=patient.user).exists()
