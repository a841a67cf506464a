"""The demo: Maria (neuro_worsening story) gets exactly one urgent alert and one email row,
however many times the seed and the sweeps run."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from b12care.accounts.models import PatientProfile, User
from b12care.alerts import reminder_sweep, sweeps
from b12care.alerts.models import Alert, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug_run")]


def maria_counts():
    maria = PatientProfile.objects.get(user__email="maria@b12care.example")
    urgent = Alert.objects.filter(patient=maria, severity="urgent")
    emails = Notification.objects.filter(alert__in=urgent, channel="email")
    return urgent, emails


def test_maria_gets_one_urgent_alert_and_one_email_however_often_seed_and_sweeps_run():
    call_command("seed_demo", stdout=None)
    urgent, emails = maria_counts()
    assert urgent.count() == 1
    [alert] = urgent
    assert alert.rule.code == "neuro_worsening"
    assert "numbness" in alert.clinician_message
    assert [e.recipient.email for e in emails] == ["clinician@b12care.example"]
    call_command("seed_demo", stdout=None)
    now = timezone.now()
    sweeps.rules_sweep(now=now)
    reminder_sweep.reminders_sweep(now=now)
    sweeps.rules_sweep(now=now)
    urgent, emails = maria_counts()
    assert urgent.count() == 1 and emails.count() == 1


def test_the_demo_shows_sams_emergency_first_on_dr_shahs_dashboard_however_often_seeded(
    client
):
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    sam = PatientProfile.objects.get(user__email="patient@b12care.example")
    [alert] = Alert.objects.filter(patient=sam, severity="emergency")
    assert alert.rule.code == "systemic_reaction"
    assert sam.escalation_contact.email == "clinician2@b12care.example"
    assert alert.escalations.filter(step=1, status="pending").count() == 1
    client.force_login(User.objects.get(email="clinician@b12care.example"))
    board = client.get("/clinic/").context["board"]
    assert board.patients[0] == sam
