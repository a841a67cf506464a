"""What the clinician meets first on the review page: the next step for a new patient, resending
an invitation, and a timeline to filter by kind and page back through."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b12care.accounts.models import AccessLog
from b12care.alerts.lifecycle import findings_record
from b12care.alerts.rules import Finding
from b12care.clinic import timeline
from b12care.clinic.models import ClinicianNote
from b12care.clinic.tests.test_review import NOW, history, review_queries

pytestmark = pytest.mark.django_db


def review_url(patient) -> str:
    return reverse("clinic:patient_detail", args=[patient.pk])


def actions(body: str) -> list[tuple[str, str]]:
    """The header's action buttons as (class, text), in page order."""
    group = body.split('aria-label="Actions for this patient"')[1].split("</div>")[0]
    return [(cls, re.sub(r"<[^>]+>", "", text).strip())
            for cls, text in re.findall(r'class="btn ([^"]+)"[^>]*>(.*?)</(?:a|button)>',
                                        group, re.S)]


# --- The first action for a new patient -----------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_a_patient_without_a_regimen_is_offered_setting_one_up_first(clinician_client, patient):
    body = clinician_client.get(review_url(patient)).content.decode()
    buttons = actions(body)
    assert buttons[0] == ("btn-primary", "Set up a regimen")
    assert [cls for cls, _ in buttons].count("btn-primary") == 1
    assert ("btn-outline-primary", "Log injection") in buttons  # a one-off dose stays possible
    assert body.count(reverse("injections:regimen_new", args=[patient.pk])) == 1  # one way in


@time_machine.travel(NOW, tick=False)
def test_once_there_is_a_schedule_logging_a_dose_comes_first(clinician_client, clinician,
                                                             patient):
    history(patient, clinician, days=1)
    buttons = actions(clinician_client.get(review_url(patient)).content.decode())
    assert buttons[0] == ("btn-primary", "Log injection")
    assert "Set up a regimen" not in [text for _, text in buttons]


def test_print_summary_is_an_ordinary_secondary_button(clinician_client, patient):
    buttons = actions(clinician_client.get(review_url(patient)).content.decode())
    assert ("btn-outline-primary", "Print summary") in buttons


# --- Resending an invitation ----------------------------------------------------------------

@pytest.fixture
def invited(patient):
    """``patient`` has been invited and has not chosen a password yet."""
    patient.user.set_unusable_password()
    patient.user.save()
    return patient


def resend(client, patient, capture):
    with capture(execute=True):
        return client.post(reverse("clinic:invite_resend", args=[patient.pk]), follow=True)


def link_in(message) -> str:
    return re.search(r"http://testserver(/welcome/\S+/)", message.body).group(1)


def test_the_clinician_resends_an_invitation_and_only_the_new_link_works(
    clinician_client, client, clinician, invited, django_capture_on_commit_callbacks
):
    from b12care.accounts.services import invite_email_send

    invite_email_send(user=invited.user, invited_by=clinician)  # the first invitation
    first = link_in(mail.outbox[0])
    body = clinician_client.get(review_url(invited)).content.decode()
    assert "password not chosen yet" in body and "Resend invitation" in body
    with time_machine.travel(NOW, tick=False):
        response = resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert "We emailed pat@example.org a new link" in response.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["pat@example.org"]
    assert "links in earlier emails from us no longer work" in mail.outbox[1].body
    second = link_in(mail.outbox[1])
    assert b"expired or was already used" in client.get(first, follow=True).content
    assert b"Choose your password" in client.get(second, follow=True).content
    row = AccessLog.objects.get(action="resent the invitation")
    assert (row.user, row.patient_id, row.kind) == (clinician, invited.pk, "write")


def test_a_resend_the_mail_server_refuses_changes_nothing_and_says_so(
    clinician_client, client, clinician, invited, django_capture_on_commit_callbacks, monkeypatch
):
    import smtplib

    from b12care.accounts import services

    services.invite_email_send(user=invited.user, invited_by=clinician)
    first = link_in(mail.outbox[0])

    def refuse(**kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(services, "invite_email_send", refuse)
    with time_machine.travel(NOW, tick=False):
        response = resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "could not be sent just now, so nothing has changed" in response.content.decode()
    assert b"Choose your password" in client.get(first, follow=True).content  # still valid
    assert not AccessLog.objects.filter(action="resent the invitation").exists()


def test_resending_is_held_back_for_a_few_minutes_and_to_five_a_day(
    clinician_client, clinician, invited, django_capture_on_commit_callbacks
):
    start = NOW
    with time_machine.travel(start, tick=False):
        resend(clinician_client, invited, django_capture_on_commit_callbacks)
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        held = resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert "you can send another in 3 minutes" in held.content.decode()
    assert len(mail.outbox) == 1
    for n in range(1, 5):
        with time_machine.travel(start + dt.timedelta(minutes=6 * n), tick=False):
            resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 5
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        refused = resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert "already resent 5 times in the last 24 hours" in refused.content.decode()
    with time_machine.travel(start + dt.timedelta(days=1, minutes=1), tick=False):
        clinician_client.force_login(clinician)  # a new working day, a new session
        resend(clinician_client, invited, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 6


def test_no_resend_once_the_patient_has_a_password(clinician_client, patient,
                                                   django_capture_on_commit_callbacks):
    assert "Resend invitation" not in clinician_client.get(review_url(patient)).content.decode()
    response = resend(clinician_client, patient, django_capture_on_commit_callbacks)
    assert "has already chosen a password" in response.content.decode()
    assert not mail.outbox and patient.user.has_usable_password()


def test_only_a_clinician_of_the_patient_can_resend_and_only_by_post(
    client, outsider_clinician, admin_user, clinician, invited,
    django_capture_on_commit_callbacks
):
    url = reverse("clinic:invite_resend", args=[invited.pk])
    for user in (outsider_clinician, admin_user, invited.user):
        client.force_login(user)
        assert resend(client, invited, django_capture_on_commit_callbacks).status_code == 404
    client.force_login(clinician)
    assert client.get(url).status_code == 405
    assert not mail.outbox


# --- The timeline: by kind, page by page ----------------------------------------------------

@pytest.fixture
def long_history(clinician, patient):
    history(patient, clinician, days=40)  # 20 injections, 40 check-ins, 6 Hb results
    findings_record(patient=patient, findings=[Finding("hb_critical", "review", "hb", "p",
                                                       "Hb low")], now=NOW)
    ClinicianNote.objects.create(patient=patient, author=clinician, text="Reviewed bloods.")
    return patient


@time_machine.travel(NOW, tick=False)
def test_the_timeline_shows_one_kind_when_asked(clinician_client, long_history):
    response = clinician_client.get(review_url(long_history), {"kind": "lab"})
    events = response.context["timeline"]
    assert len(events) == 6 and {e.kind for e in events} == {"lab"}
    body = response.content.decode()
    assert 'aria-current="true" href="?kind=lab#timeline">Blood tests' in body
    assert "Older" not in body
    assert "Reviewed bloods." in body  # the notes list is not filtered
    assert "· Blood test</div>" in body


@time_machine.travel(NOW, tick=False)
def test_the_timeline_pages_back_through_older_events(clinician_client, long_history):
    first = clinician_client.get(review_url(long_history))
    assert len(first.context["timeline"]) == timeline.PAGE_SIZE
    assert 'href="?page=2#timeline">Older' in first.content.decode()
    assert "· Diary</div>" in first.content.decode() and "· Checkin" not in first.content.decode()
    second = clinician_client.get(review_url(long_history), {"page": "2"})
    older = second.context["timeline"]
    assert older and older[0].at <= first.context["timeline"][-1].at
    assert 'href="?#timeline">Newer' in second.content.decode()
    diary = clinician_client.get(review_url(long_history), {"kind": "checkin", "page": "2"})
    assert {e.kind for e in diary.context["timeline"]} == {"checkin"}
    assert len(diary.context["timeline"]) == 10  # 40 check-ins: 30, then 10
    assert 'href="?kind=checkin#timeline">Newer' in diary.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("params", [
    {"kind": "bogus"}, {"kind": ""}, {"page": "abc"}, {"page": "0"}, {"page": "-3"},
    {"page": "99999999999999999999999"}, {"page": "1.5"}, {"kind": "lab'--", "page": "2e3"},
])
def test_bad_timeline_parameters_show_the_default_view(clinician_client, long_history, params):
    response = clinician_client.get(review_url(long_history), params)
    assert response.status_code == 200
    assert response.context["timeline_page"].query == timeline.TimelineQuery()
    assert len(response.context["timeline"]) == timeline.PAGE_SIZE


@time_machine.travel(NOW, tick=False)
def test_the_last_timeline_page_offers_no_older_link_and_says_where_older_events_are(
    long_history
):
    # 40 check-ins, 1 a page: page 20 is the last the timeline pages to, and more exist.
    last = timeline.TimelineQuery(("checkin",), timeline.MAX_PAGE)
    page = timeline.patient_timeline_and_notes(long_history, limit=1, query=last)
    assert len(page.events) == 1 and not page.has_next and page.older_elsewhere
    before = timeline.TimelineQuery(("checkin",), timeline.MAX_PAGE - 1)
    page = timeline.patient_timeline_and_notes(long_history, limit=1, query=before)
    assert page.has_next and not page.older_elsewhere


@time_machine.travel(NOW, tick=False)
def test_a_page_past_the_end_says_so_and_links_back(clinician_client, long_history):
    body = clinician_client.get(review_url(long_history), {"kind": "alert", "page": "4"}).content
    assert b"No older events." in body and b'href="?kind=alert#timeline">Back to the newest' in body


def test_a_filtered_page_costs_the_same_queries(clinician_client, clinician, patient):
    history(patient, clinician, days=5)
    plain = review_queries(clinician_client, patient)
    filtered = f"{review_url(patient)}?kind=injection&kind=note&page=2"
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        assert clinician_client.get(filtered).status_code == 200
    assert len(queries.captured_queries) == len(plain)


def test_an_injection_without_a_pain_score_says_so_on_the_timeline(clinician, patient):
    from injections import services as injection_services

    injection_services.injection_record(
        patient=patient, recorded_by=clinician, now=NOW, taken_at=NOW - dt.timedelta(hours=1),
        product="hydroxocobalamin", dose="1", unit="mg", site="left_deltoid",
        administered_by="nurse", pain=None, form_token="no-pain")
    [event] = timeline.patient_timeline_and_notes(patient).events
    assert event.detail == "Left upper arm (deltoid); by a nurse or clinic; pain not recorded"
