"""The care loop: the patient sees the team's response to an alert (and only the notes shared
with them), secure messages with the care team, and the clinic's contact card."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from b12care.accounts.models import AccessLog, Clinic
from b12care.accounts.tests.factories import CareTeamFactory, ClinicianFactory
from b12care.alerts import delivery, lifecycle, messaging
from b12care.alerts.models import InAppMessage, Message, MessageThread, Notification
from b12care.alerts.rules import Finding

pytestmark = pytest.mark.django_db

# Tuesday 24 Nov 2026, 15:00 UTC = 10:00 in New York (EST, UTC-5).
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
SECRET = "Phoned Sam: the rash is from the new soap"


def neuro():
    return Finding("neuro_worsening", "urgent", "neuro_worsening", "Phone your clinic today.",
                   "Balance rose from 2 to 6/10.")


@pytest.fixture
def new_yorker(patient):
    patient.timezone = "America/New_York"
    patient.country = "US"
    patient.save()
    return patient


def get(client, user, url, *, at=NOW + dt.timedelta(minutes=10)):
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        return client.get(url)


def post(client, user, url, data, *, at=NOW + dt.timedelta(minutes=10)):
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        return client.post(url, data)


# --- 5. The patient sees the team's response ---------------------------------------------------
def test_the_patient_sees_when_the_team_saw_the_alert_in_their_own_time_zone(
        client, new_yorker, clinician):
    [alert] = lifecycle.findings_record(patient=new_yorker, findings=[neuro()], now=NOW)
    before = get(client, new_yorker.user, "/me/").content.decode()
    assert "saw this" not in before
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW + dt.timedelta(minutes=5))
    for url in ("/me/", reverse("alerts:guidance")):
        body = get(client, new_yorker.user, url).content.decode()
        assert "Alex Jones's team saw this at 10:05 on Tuesday 24 November" in body, url
        assert "15:05" not in body


def test_an_unshared_note_never_reaches_the_patient(client, patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    post(client, clinician, reverse("alerts:acknowledge", args=[patient.pk, alert.pk]),
         {"note": SECRET})
    alert.refresh_from_db()
    assert (alert.status, alert.note, alert.note_shared) == ("acknowledged", SECRET, False)
    for url in ("/me/", reverse("alerts:guidance"), reverse("alerts:inbox")):
        body = get(client, patient.user, url).content.decode()
        assert SECRET not in body, url
    assert "saw this" in get(client, patient.user, "/me/").content.decode()
    post(client, clinician, reverse("alerts:resolve", args=[patient.pk, alert.pk]),
         {"note": SECRET})
    assert SECRET not in get(client, patient.user, "/me/").content.decode()


def test_a_shared_note_is_shown_to_the_patient_also_after_resolution(client, patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    post(client, clinician, reverse("alerts:acknowledge", args=[patient.pk, alert.pk]),
         {"note": "We will phone you before noon", "share": "on"})
    body = get(client, patient.user, "/me/").content.decode()
    assert "Their note for you: We will phone you before noon" in body
    post(client, clinician, reverse("alerts:resolve", args=[patient.pk, alert.pk]),
         {"note": "Seen in clinic, all well", "share": "on"})
    body = get(client, patient.user, "/me/").content.decode()
    assert "Their note for you: Seen in clinic, all well" in body
    # Two weeks later the resolved alert's note is no longer on the home page.
    later = get(client, patient.user, "/me/", at=NOW + dt.timedelta(days=15)).content.decode()
    assert "Seen in clinic, all well" not in later


def test_the_clinician_sees_whether_a_note_was_shared(client, patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=NOW, note=SECRET)
    body = get(client, clinician, reverse("alerts:patient_alerts", args=[patient.pk])).content
    assert "(care team only)" in body.decode()
    assert "Share this note with the patient" in body.decode()


# --- 6. Secure messages ---------------------------------------------------------------------------
def test_a_patient_writes_and_the_care_team_is_told_without_content(client, patient, clinician):
    second = CareTeamFactory(patient=patient, clinician=ClinicianFactory()).clinician
    response = post(client, patient.user, reverse("alerts:threads"),
                    {"subject": "Tingling again", "body": SECRET})
    thread = MessageThread.objects.get(patient=patient)
    assert response.status_code == 302 and response.url == reverse("alerts:thread",
                                                                   args=[thread.pk])
    rows = Notification.objects.filter(kind="message")
    assert {(n.recipient_id, n.channel) for n in rows} == {
        (c.pk, ch) for c in (clinician, second) for ch in ("email", "in_app")}
    for n in rows:
        assert SECRET not in n.subject + n.body and "Tingling" not in n.subject + n.body
        assert delivery.notification_deliver(notification_id=n.pk,
                                             now=NOW + dt.timedelta(minutes=10)) == "sent"
    assert {m.subject for m in mail.outbox} == {"You have a new message in B12 Care"}
    assert all(SECRET not in m.body and "Tingling" not in m.body for m in mail.outbox)
    assert InAppMessage.objects.get(user=clinician).body == (
        "You have a new message in B12 Care. Sign in to read it.")


def test_unread_counts_for_the_clinician_and_the_patient_and_reading_clears_them(
        client, patient, clinician):
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="Dose",
                                    body="Can I move Friday's dose?", now=NOW)
    for n in Notification.objects.filter(kind="message"):
        delivery.notification_deliver(notification_id=n.pk, now=NOW)
    inbox = get(client, clinician, reverse("alerts:inbox")).content.decode()
    assert "Messages from your patients" in inbox and "1 unread" in inbox
    assert "1 unread" in get(client, clinician, reverse("alerts:team_unread")).content.decode()
    # The clinician opens it: read for the whole team, and the read is in the access log.
    get(client, clinician, reverse("alerts:patient_thread", args=[patient.pk, thread.pk]))
    assert Message.objects.get().read_at is not None
    assert AccessLog.objects.filter(user=clinician, patient=patient,
                                    action="alerts.thread").count() == 1
    assert not InAppMessage.objects.filter(user=clinician, read_at__isnull=True).exists()
    assert "No unread messages" in get(client, clinician,
                                       reverse("alerts:team_unread")).content.decode()
    # The reply: the patient's nav badge and the conversation list count it.
    post(client, clinician, reverse("alerts:patient_thread", args=[patient.pk, thread.pk]),
         {"body": "Yes, take it on Saturday."})
    for n in Notification.objects.filter(kind="message", recipient=patient.user):
        delivery.notification_deliver(notification_id=n.pk, now=NOW + dt.timedelta(minutes=11))
    home = get(client, patient.user, reverse("alerts:threads")).content.decode()
    assert 'data-testid="unread-badge">1<' in home and "1 unread" in home
    page = get(client, patient.user, reverse("alerts:thread", args=[thread.pk])).content.decode()
    assert "Yes, take it on Saturday." in page
    after = get(client, patient.user, reverse("alerts:threads")).content.decode()
    assert "unread-badge" not in after and "1 unread" not in after
    # The patient reading their own messages is not an access by someone else.
    assert AccessLog.objects.filter(user=patient.user, kind="read").count() == 0


def test_outsiders_see_nothing_of_a_conversation(client, patient, clinician, outsider_clinician,
                                                 outsider_patient):
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="Private",
                                    body=SECRET, now=NOW)
    urls = [reverse("alerts:patient_threads", args=[patient.pk]),
            reverse("alerts:patient_thread", args=[patient.pk, thread.pk])]
    for url in urls:
        assert get(client, outsider_clinician, url).status_code == 404
        assert post(client, outsider_clinician, url,
                    {"subject": "x", "body": "x"}).status_code == 404
    assert SECRET not in get(client, outsider_clinician,
                             reverse("alerts:team_unread")).content.decode()
    # Another patient: 404 on the thread, and the clinician's pages are not theirs either.
    assert get(client, outsider_patient.user,
               reverse("alerts:thread", args=[thread.pk])).status_code == 404
    assert post(client, outsider_patient.user, reverse("alerts:thread", args=[thread.pk]),
                {"body": "hi"}).status_code == 404
    assert get(client, outsider_patient.user, urls[1]).status_code == 404
    # A clinician on another patient's team cannot reach this thread through their patient.
    other = CareTeamFactory(clinician=outsider_clinician).patient
    assert get(client, outsider_clinician, reverse(
        "alerts:patient_thread", args=[other.pk, thread.pk])).status_code == 404
    assert Message.objects.count() == 1
    assert not Notification.objects.filter(recipient=outsider_clinician).exists()


def test_the_services_refuse_writers_outside_the_conversation(patient, outsider_clinician,
                                                              outsider_patient):
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="a", body="b",
                                    now=NOW)
    for user in (outsider_clinician, outsider_patient.user):
        with pytest.raises(ValidationError):
            messaging.message_send(thread=thread, author=user, body="hello", now=NOW)


@pytest.mark.parametrize("body, error", [
    ("x" * 2001, "at most 2000 characters"),
    ("   ", "This field is required."),
    ("hello\x00world", "Null characters are not allowed."),
])
def test_hostile_or_empty_messages_get_a_clear_message_and_lose_nothing(
        client, patient, body, error):
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="a",
                                    body="first", now=NOW)
    response = post(client, patient.user, reverse("alerts:thread", args=[thread.pk]),
                    {"body": body})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert list(thread.messages.values_list("body", flat=True)) == ["first"]


def test_bad_parameters_never_give_a_500(client, patient, clinician):
    assert get(client, clinician, reverse("alerts:patient_threads", args=[patient.pk])
               + "?alert=abc").status_code == 200
    assert get(client, clinician, reverse("alerts:patient_threads", args=[patient.pk])
               + "?alert=99999999999999999999999").status_code == 200
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="a",
                                    body="first", now=NOW)
    assert get(client, patient.user, reverse("alerts:thread", args=[thread.pk])
               + "?page=zzz").status_code == 200
    response = post(client, patient.user, reverse("alerts:threads"),
                    {"subject": "s" * 500, "body": "ok"})
    assert response.status_code == 200 and "at most 120 characters" in response.content.decode()


def test_a_clinician_starts_a_conversation_from_an_alert(client, patient, clinician,
                                                         outsider_patient):
    [alert] = lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    review = get(client, clinician, reverse("alerts:patient_alerts", args=[patient.pk]))
    start = reverse("alerts:patient_threads", args=[patient.pk]) + f"?alert={alert.pk}"
    assert start.replace("&", "&amp;") in review.content.decode()
    form = get(client, clinician, start).content.decode()
    assert 'value="About: New or rapidly worsening neurological symptoms"' in form
    post(client, clinician, reverse("alerts:patient_threads", args=[patient.pk]),
         {"alert": alert.pk, "subject": "About your nerves", "body": "I will call you at 2."})
    thread = MessageThread.objects.get()
    assert (thread.alert, thread.started_by) == (alert, clinician)
    assert {n.channel for n in Notification.objects.filter(recipient=patient.user)} == {
        "in_app", "email"}
    # An alert of another patient is ignored, never linked.
    [foreign] = lifecycle.findings_record(patient=outsider_patient, findings=[neuro()], now=NOW)
    post(client, clinician, reverse("alerts:patient_threads", args=[patient.pk]),
         {"alert": foreign.pk, "subject": "x", "body": "y"})
    assert MessageThread.objects.filter(alert=foreign).count() == 0


def test_a_long_conversation_opens_on_its_newest_page(client, patient, clinician):
    thread = messaging.thread_start(patient=patient, author=patient.user, subject="Long",
                                    body="message 0", now=NOW)
    for i in range(1, 25):
        messaging.message_send(thread=thread, author=clinician if i % 2 else patient.user,
                               body=f"message {i}", now=NOW + dt.timedelta(minutes=i))
    body = get(client, patient.user, reverse("alerts:thread", args=[thread.pk]),
               at=NOW + dt.timedelta(hours=1)).content.decode()
    assert "message 24" in body and "Page 2 of 2" in body and "message 3<" not in body
    first = get(client, patient.user, reverse("alerts:thread", args=[thread.pk]) + "?page=1",
                at=NOW + dt.timedelta(hours=1)).content.decode()
    assert "message 0" in first and "message 24" not in first


def test_the_messages_page_leads_the_patient_to_their_care_team(client, patient):
    body = get(client, patient.user, reverse("alerts:inbox")).content.decode()
    assert "Messages from your care team" in body
    assert reverse("alerts:threads") in body


# --- 7. The clinic's contact card -----------------------------------------------------------------
@pytest.fixture
def clinic(patient):
    clinic = Clinic.objects.create(name="Haematology, St Elsewhere", phone="+44 20 7946 0000",
                                   hours="Monday to Friday, 8am to 6pm",
                                   out_of_hours="Call NHS 111, or 999 in an emergency")
    patient.care_team.update(clinic=clinic)
    return clinic


def test_every_contact_your_clinic_message_shows_the_clinics_card(client, patient, clinic):
    site = Finding("injection_site_infection", "review", "injection_site:injection:3",
                   "Do not inject there; contact your clinic.", "Site red and swollen at 50 h.")
    lifecycle.findings_record(patient=patient, findings=[neuro(), site], now=NOW)
    for n in Notification.objects.filter(recipient=patient.user, channel="in_app"):
        delivery.notification_deliver(notification_id=n.pk, now=NOW)
    inbox = get(client, patient.user, reverse("alerts:inbox")).content.decode()
    assert "Do not inject there; contact your clinic." in inbox
    for url in ("/me/", reverse("alerts:guidance"), reverse("alerts:inbox")):
        body = get(client, patient.user, url).content.decode()
        assert 'href="tel:+442079460000"' in body, url
        assert "Monday to Friday, 8am to 6pm" in body and "Call NHS 111" in body, url


def test_without_a_clinic_the_pages_still_work(client, patient):
    lifecycle.findings_record(patient=patient, findings=[neuro()], now=NOW)
    for url in ("/me/", reverse("alerts:guidance"), reverse("alerts:inbox")):
        response = get(client, patient.user, url)
        assert response.status_code == 200 and "contact-card" not in response.content.decode()


def test_the_primary_clinicians_clinic_is_the_one_shown(patient, clinic):
    from b12care.accounts.clinics import patient_clinic

    other = Clinic.objects.create(name="Other", phone="01234 567890", hours="9-5",
                                  out_of_hours="111")
    CareTeamFactory(patient=patient, is_primary=False, clinic=other)
    assert patient_clinic(patient) == clinic
    assert other.tel == "01234567890"


@pytest.mark.parametrize("phone, ok", [
    ("+44 20 7946 0000", True), ("(01234) 567-890", True), ("call me", False),
    ("123", False), ("+44 20 7946 0000 <script>", False),
])
def test_a_clinic_phone_number_is_validated(phone, ok):
    clinic = Clinic(name="C", phone=phone, hours="9-5", out_of_hours="111")
    if ok:
        clinic.full_clean()
    else:
        with pytest.raises(ValidationError):
            clinic.full_clean()
