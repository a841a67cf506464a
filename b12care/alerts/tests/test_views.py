"""Alerts pages: guidance, notification centre, preferences, clinician alert review.
Every page is tested with an outsider (404) and with its query count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from b12care.alerts import delivery, lifecycle
from b12care.alerts.models import Alert, InAppMessage, Notification
from b12care.alerts.rules import Finding
from injections.models import DoseStatus, PlannedDose, ProtocolTemplate
from injections.protocols import HYDROXO_NO_NEURO
from injections.services import regimen_create_from_template

pytestmark = pytest.mark.django_db


def anaphylaxis(injection_id=1):
    return Finding("systemic_reaction", "urgent", f"systemic_reaction:injection:{injection_id}",
                   "Call emergency services now if you have difficulty breathing.",
                   "Possible anaphylaxis: breathing difficulty.")


def neuro(key="neuro_worsening:balance"):
    return Finding("neuro_worsening", "urgent", key, "Contact your clinician today.",
                   "Balance rose from 2 to 6/10.")


def site():
    return Finding("injection_site_infection", "review", "injection_site:injection:3",
                   "Do not inject into that site again until it has been checked.",
                   "Site still red and swollen 50 h later.")


# --- Guidance -------------------------------------------------------------------------------------
def test_guidance_tells_the_patient_to_call_their_countrys_emergency_number(patient_client,
                                                                           patient):
    lifecycle.findings_record(patient=patient, findings=[anaphylaxis()], now=timezone.now())
    response = patient_client.get(reverse("alerts:guidance"))
    assert response.status_code == 200
    assert "Call emergency services now: 999" in response.content.decode()
    assert 'href="tel:999"' in response.content.decode()


def test_guidance_uses_the_us_number_for_a_us_patient(patient_client, patient):
    patient.country = "US"
    patient.save()
    lifecycle.findings_record(patient=patient, findings=[anaphylaxis()], now=timezone.now())
    assert "Call emergency services now: 911" in patient_client.get(
        reverse("alerts:guidance")).content.decode()


def test_guidance_for_worsening_nerves_says_contact_your_clinician_today(patient_client,
                                                                        patient):
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    body = patient_client.get(reverse("alerts:guidance")).content.decode()
    assert "Contact your clinician today" in body
    assert "Call emergency services now" not in body


def test_guidance_ignores_urgent_alerts_older_than_an_hour(patient_client, patient):
    lifecycle.findings_record(patient=patient, findings=[anaphylaxis()],
                              now=timezone.now() - dt.timedelta(hours=2))
    body = patient_client.get(reverse("alerts:guidance")).content.decode()
    assert "Nothing urgent right now" in body


def test_guidance_shows_only_the_patients_own_alerts(patient_client, outsider_patient):
    lifecycle.findings_record(patient=outsider_patient, findings=[anaphylaxis()],
                              now=timezone.now())
    body = patient_client.get(reverse("alerts:guidance")).content.decode()
    assert "Nothing urgent right now" in body


def test_guidance_is_not_a_clinician_page(clinician_client):
    assert clinician_client.get(reverse("alerts:guidance")).status_code == 404


# --- Notification centre --------------------------------------------------------------------------
def _deliver_all():
    for pk in Notification.objects.values_list("pk", flat=True):
        delivery.notification_deliver(notification_id=pk,
                                      now=timezone.now() + dt.timedelta(seconds=1))


def test_the_nav_badge_counts_unread_messages_and_reading_clears_it(patient_client, patient):
    lifecycle.findings_record(patient=patient, findings=[site()], now=timezone.now())
    _deliver_all()
    home = patient_client.get(reverse("patient_home")).content.decode()
    assert 'data-testid="unread-badge">1<' in home
    page = patient_client.get(reverse("alerts:inbox")).content.decode()
    assert "Do not inject into that site again" in page  # details behind login
    patient_client.post(reverse("alerts:inbox_read"))
    home = patient_client.get(reverse("patient_home")).content.decode()
    assert "unread-badge" not in home


def test_the_inbox_shows_an_empty_state(patient_client):
    body = patient_client.get(reverse("alerts:inbox")).content.decode()
    assert "No messages yet" in body


def test_the_inbox_shows_only_the_users_own_messages(patient_client, patient, outsider_patient):
    lifecycle.findings_record(patient=outsider_patient, findings=[site()], now=timezone.now())
    _deliver_all()
    body = patient_client.get(reverse("alerts:inbox")).content.decode()
    assert "No messages yet" in body


def test_a_user_cannot_mark_someone_elses_message_read(patient_client, outsider_patient):
    lifecycle.findings_record(patient=outsider_patient, findings=[site()], now=timezone.now())
    _deliver_all()
    message = InAppMessage.objects.get()
    patient_client.post(reverse("alerts:inbox_read"), {"message": message.pk})
    message.refresh_from_db()
    assert message.read_at is None


def test_the_inbox_query_count_does_not_grow_with_messages(client, clinician, patient,
                                                           django_assert_max_num_queries):
    client.force_login(clinician)
    for i in range(3):
        lifecycle.findings_record(patient=patient, findings=[neuro(key=f"neuro_worsening:c{i}")],
                                  now=timezone.now())
    _deliver_all()
    with django_assert_max_num_queries(8):
        few = client.get(reverse("alerts:inbox"))
    for i in range(3, 15):
        lifecycle.findings_record(patient=patient, findings=[neuro(key=f"neuro_worsening:c{i}")],
                                  now=timezone.now())
    _deliver_all()
    with django_assert_max_num_queries(8):
        many = client.get(reverse("alerts:inbox"))
    assert few.status_code == many.status_code == 200
    # Each message: the title and the first line of its body carry the tier.
    assert many.content.decode().count("Urgent: a patient needs you today") == 2 * 15


def test_snoozing_needs_a_reminder_the_patient_owns(patient_client, outsider_patient):
    lifecycle.findings_record(patient=outsider_patient, findings=[site()], now=timezone.now())
    _deliver_all()
    message = InAppMessage.objects.get()
    response = patient_client.post(reverse("alerts:snooze", args=[message.pk]), {"hours": "1"})
    assert response.status_code == 404


# --- Preferences ----------------------------------------------------------------------------------
def test_a_patient_saves_reminder_time_quiet_hours_and_channels(patient_client, patient):
    # A new mobile number asks for the password first (b12care/accounts/tests/test_reauth.py).
    patient_client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "remind_by_sms": "on", "phone": "+447700900123",
        "reminder_time": "07:15", "quiet_hours_start": "22:00", "quiet_hours_end": "06:30",
        "timezone": "Europe/London",
    }, follow=True)
    assert "Your settings are saved." in response.content.decode()
    patient.refresh_from_db()
    assert (patient.reminder_time, patient.quiet_hours_start, patient.quiet_hours_end) == (
        dt.time(7, 15), dt.time(22, 0), dt.time(6, 30))
    assert (patient.remind_in_app, patient.remind_by_email, patient.remind_by_sms) == (
        True, False, True)


def test_a_patient_who_moves_changes_their_time_zone_and_doses_keep_their_local_time(
    patient_client, patient, clinician
):
    now = timezone.now()
    regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO),
        start_date=now.date() + dt.timedelta(days=2), time_of_day=dt.time(9),
        created_by=clinician, now=now)
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "08:00", "timezone": "Australia/Sydney",
    })
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.timezone == "Australia/Sydney"
    future = PlannedDose.objects.filter(patient=patient, status=DoseStatus.OPEN)
    assert {d.due_at.astimezone(patient.tz).time() for d in future} == {dt.time(9)}


def test_an_unknown_time_zone_is_refused_and_nothing_changes(patient_client, patient):
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "08:00", "timezone": "Mars/Olympus",
    })
    assert "Select a valid choice" in response.content.decode()
    patient.refresh_from_db()
    assert patient.timezone == "Europe/London"


def test_text_reminders_without_a_number_are_refused_with_a_clear_message(patient_client,
                                                                         patient):
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_by_sms": "on", "phone": "", "reminder_time": "08:00"})
    assert response.status_code == 200
    assert "Add a mobile number" in response.content.decode()
    patient.refresh_from_db()
    assert patient.remind_by_sms is False


def test_a_reminder_time_inside_quiet_hours_is_refused(patient_client):
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "23:00", "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00"})
    assert "inside your quiet hours" in response.content.decode()


def test_half_a_quiet_period_is_refused(patient_client):
    response = patient_client.post(reverse("alerts:preferences"), {
        "remind_in_app": "on", "reminder_time": "08:00", "quiet_hours_start": "22:00"})
    assert "both a start and an end" in response.content.decode()


def test_preferences_are_a_patient_page(clinician_client):
    assert clinician_client.get(reverse("alerts:preferences")).status_code == 404


# --- Clinician review -----------------------------------------------------------------------------
def test_the_clinician_sees_open_alerts_and_acknowledges_one_without_silencing_another(
    clinician_client, patient
):
    first, second = lifecycle.findings_record(patient=patient, findings=[neuro(), site()],
                                              now=timezone.now())
    url = reverse("alerts:patient_alerts", args=[patient.pk])
    body = clinician_client.get(url).content.decode()
    assert "Balance rose from 2 to 6/10." in body and "Site still red" in body
    clinician_client.post(reverse("alerts:acknowledge", args=[patient.pk, first.pk]),
                          {"note": "Calling now"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.note) == ("acknowledged", "Calling now")
    assert second.status == "open"


def test_resolving_without_a_note_is_refused_with_a_message(clinician_client, patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    response = clinician_client.post(reverse("alerts:resolve", args=[patient.pk, alert.pk]),
                                     {"note": ""}, follow=True)
    assert "Write what was done" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"
    clinician_client.post(reverse("alerts:resolve", args=[patient.pk, alert.pk]),
                          {"note": "Seen in clinic"})
    alert.refresh_from_db()
    assert alert.status == "resolved"


def test_acknowledge_and_resolve_are_post_only(clinician_client, patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    assert clinician_client.get(
        reverse("alerts:acknowledge", args=[patient.pk, alert.pk])).status_code == 405


def test_an_outsider_clinician_gets_404_everywhere(client, outsider_clinician, patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    client.force_login(outsider_clinician)
    assert client.get(reverse("alerts:patient_alerts", args=[patient.pk])).status_code == 404
    for name in ("acknowledge", "resolve"):
        response = client.post(reverse(f"alerts:{name}", args=[patient.pk, alert.pk]),
                               {"note": "x"})
        assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_an_alert_of_another_patient_cannot_be_reached_through_my_patient(
    clinician_client, patient, outsider_patient
):
    [other] = lifecycle.findings_record(patient=outsider_patient, findings=[neuro()],
                                        now=timezone.now())
    url = reverse("alerts:acknowledge", args=[patient.pk, other.pk])
    assert clinician_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.status == "open"


def test_patients_cannot_open_the_clinician_alert_page(patient_client, patient):
    url = reverse("alerts:patient_alerts", args=[patient.pk])
    assert patient_client.get(url).status_code == 404


def test_the_review_page_query_count_does_not_grow_with_alerts(clinician_client, patient,
                                                               django_assert_max_num_queries):
    url = reverse("alerts:patient_alerts", args=[patient.pk])
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    with django_assert_max_num_queries(10):
        clinician_client.get(url)
    lifecycle.findings_record(
        patient=patient, findings=[neuro(key=f"neuro_worsening:c{i}") for i in range(12)],
        now=timezone.now())
    for alert in Alert.objects.all()[:5]:
        lifecycle.alert_resolve(alert=alert, by=alert.patient.care_team.first().clinician,
                               now=timezone.now(), note="done")
    with django_assert_max_num_queries(10):
        response = clinician_client.get(url)
    assert response.content.decode().count("data-testid=\"alert-") == 8


def test_the_clinic_patient_page_shows_the_alerts_section(clinician_client, patient):
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=timezone.now())
    body = clinician_client.get(reverse("clinic:patient_detail", args=[patient.pk])).content
    assert b"Balance rose from 2 to 6/10." in body


# --- Sections -------------------------------------------------------------------------------------
def test_the_patient_home_shows_what_to_do_about_an_open_alert(patient_client, patient):
    lifecycle.findings_record(patient=patient, findings=[site()], now=timezone.now())
    body = patient_client.get(reverse("patient_home")).content.decode()
    assert "Do not inject into that site again" in body
    assert reverse("alerts:guidance") not in body  # not urgent: no "what to do now" button


def test_the_patient_home_links_to_guidance_while_an_urgent_alert_is_fresh(patient_client,
                                                                          patient):
    lifecycle.findings_record(patient=patient, findings=[anaphylaxis()], now=timezone.now())
    body = patient_client.get(reverse("patient_home")).content.decode()
    assert reverse("alerts:guidance") in body


def test_clinicians_reach_their_messages_page(clinician_client):
    response = clinician_client.get(reverse("alerts:inbox"))
    assert response.status_code == 200 and "No messages yet" in response.content.decode()
