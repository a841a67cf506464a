"""One time rule: a time is shown in the zone of the patient whose data it is, in one format,
named where it could confuse (a clinician reading it), never as raw UTC or ISO."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from b12care.accounts.tests.factories import CareTeamFactory, ClinicianFactory, PatientFactory
from b12care.alerts import delivery, messaging
from b12care.alerts.models import InAppMessage, Notification
from b12care.core.clock import local_text, zone_name

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("instant, zone, shown", [
    # London springs forward at 01:00 UTC on 29 March 2026 (GMT 00:59, then BST 02:00) ...
    (at(2026, 3, 29, 0, 59), "Europe/London", "Sun 29 Mar 2026, 00:59"),
    (at(2026, 3, 29, 1, 0), "Europe/London", "Sun 29 Mar 2026, 02:00"),
    # ... and falls back at 01:00 UTC on 25 October (BST 01:59, then GMT 01:00 again).
    (at(2026, 10, 25, 0, 59), "Europe/London", "Sun 25 Oct 2026, 01:59"),
    (at(2026, 10, 25, 1, 0), "Europe/London", "Sun 25 Oct 2026, 01:00"),
    # New York: 8 March 07:00 UTC (EST 01:59 -> EDT 03:00); 1 November 06:00 UTC (back to 01:00).
    (at(2026, 3, 8, 6, 59), "America/New_York", "Sun 8 Mar 2026, 01:59"),
    (at(2026, 3, 8, 7, 0), "America/New_York", "Sun 8 Mar 2026, 03:00"),
    (at(2026, 11, 1, 5, 59), "America/New_York", "Sun 1 Nov 2026, 01:59"),
    (at(2026, 11, 1, 6, 0), "America/New_York", "Sun 1 Nov 2026, 01:00"),
    # A late evening in New York is the next day in UTC: the day shown is New York's.
    (at(2026, 12, 2, 3, 30), "America/New_York", "Tue 1 Dec 2026, 22:30"),
])
def test_the_filter_shows_the_patients_wall_clock_across_daylight_saving(instant, zone, shown):
    patient = type("P", (), {"timezone": zone, "user_id": None})()
    with time_machine.travel(instant, tick=False):
        now = timezone.now()  # the moment a page would stamp, read from the frozen clock
    html = Template("{% load b12_time %}{{ now|local_time:patient }}").render(
        Context({"now": now, "patient": patient}))
    assert html == shown


def test_each_kind_has_one_format_and_the_label_names_the_zone():
    value = at(2026, 10, 7, 21, 59)
    assert local_text(value, "America/New_York") == "Wed 7 Oct 2026, 17:59"
    assert local_text(value, "America/New_York", "date") == "Wed 7 Oct 2026"
    assert local_text(value, "America/New_York", "time") == "17:59"
    assert local_text(value, "America/New_York", "short") == "Wed 7 Oct, 17:59"
    assert local_text(value, "America/New_York", label=True) == (
        "Wed 7 Oct 2026, 17:59 (New York time)")
    assert zone_name("America/Argentina/Buenos_Aires") == "Buenos Aires time"
    assert zone_name("UTC") == "UTC"
    with pytest.raises(ValueError):
        local_text(dt.datetime(2026, 10, 7, 21, 59), "Europe/London")  # naive: no instant
    with pytest.raises(ValueError):
        local_text(value, "Europe/London", "iso")


@pytest.mark.django_db
def test_the_tag_names_the_zone_for_a_clinician_and_not_for_the_patient_herself():
    maria = PatientFactory(timezone="America/New_York")
    clinician = ClinicianFactory()
    template = Template("{% load b12_time %}{% when value patient 'time' %}")
    value = at(2026, 12, 1, 22, 59)
    for reader, shown in ((maria.user, "17:59"), (clinician, "17:59 (New York time)")):
        request = RequestFactory().get("/")
        request.user = reader
        assert template.render(Context({"value": value, "patient": maria,
                                        "request": request})) == shown


@pytest.fixture
def maria_and_her_clinician(db):
    clinician = ClinicianFactory(email="dr.shah@example.org")
    maria = PatientFactory(timezone="America/New_York", user__email="maria@example.org",
                           user__first_name="Maria", user__last_name="Garcia")
    CareTeamFactory(patient=maria, clinician=clinician)
    # 22:59 UTC on Tue 1 December is 17:59 in New York (EST, UTC-5).
    thread = messaging.thread_start(patient=maria, author=clinician, subject="Your feet",
                                    body="How is the numbness?", now=at(2026, 12, 1, 22, 59))
    return maria, clinician, thread


def _times(html: str) -> list[str]:
    return re.findall(r"\b\d{2}:\d{2}\b", html)


def test_a_message_shows_new_york_time_to_maria(client, maria_and_her_clinician):
    maria, _, thread = maria_and_her_clinician
    client.force_login(maria.user)
    page = client.get(reverse("alerts:thread", args=[thread.pk])).content.decode()
    assert "Tue 1 Dec 2026, 17:59" in page
    assert "22:59" not in _times(page) and "UTC" not in page
    listing = client.get(reverse("alerts:threads")).content.decode()
    assert "Tue 1 Dec, 17:59" in listing and "22:59" not in _times(listing)
    inbox = client.get(reverse("alerts:inbox")).content.decode()
    assert "22:59" not in _times(inbox)


def test_her_clinician_sees_the_same_time_with_the_zone_named(client, maria_and_her_clinician):
    maria, clinician, thread = maria_and_her_clinician
    client.force_login(clinician)
    page = client.get(reverse("alerts:patient_thread", args=[maria.pk, thread.pk]))
    assert "Tue 1 Dec 2026, 17:59 (New York time)" in page.content.decode()
    assert "22:59" not in _times(page.content.decode())
    listing = client.get(reverse("alerts:patient_threads", args=[maria.pk])).content.decode()
    assert "Tue 1 Dec, 17:59 (New York time)" in listing


def test_a_clinicians_inbox_shows_a_patients_message_in_her_zone_named(client, db):
    clinician = ClinicianFactory()
    maria = PatientFactory(timezone="America/New_York")
    CareTeamFactory(patient=maria, clinician=clinician)
    thread = messaging.thread_start(patient=maria, author=maria.user, subject="Feet",
                                    body="Numb again.", now=at(2026, 12, 1, 22, 59))
    for note in Notification.objects.filter(recipient=clinician, channel="in_app"):
        delivery.notification_deliver(notification_id=note.pk, now=at(2026, 12, 1, 23, 0))
    assert InAppMessage.objects.filter(user=clinician).exists()
    client.force_login(clinician)
    inbox = client.get(reverse("alerts:inbox")).content.decode()
    assert thread.subject and "Tue 1 Dec, 17:59 (New York time)" in inbox
    assert "22:59" not in _times(inbox)


def _visible_text(html: str) -> str:
    # Scripts, styles and the zone picker's options (a zone's name, not a time) are not read
    # as times.
    html = re.sub(r"(?is)<(script|style|option)\b.*?</\1>", " ", html)
    return re.sub(r"(?s)<[^>]+>", " ", html)


@pytest.mark.parametrize("who", ["maria@b12care.example", "clinician@b12care.example"])
@pytest.mark.django_db
def test_no_page_shows_a_raw_utc_time_or_an_iso_date(client, who):
    """Every HTML page a patient or a clinician opens (the resolver's walk over the demo data):
    no "UTC" and no 2026-10-07 in the text people read (attributes such as a <time datetime>
    or an input's value are for machines)."""
    from django.core.management import call_command
    from django.test import override_settings

    from b12care.accounts.models import User

    from .test_security_headers import demo_ids, kwargs_for, named_patterns

    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=__import__("io").StringIO())
    client.force_login(User.objects.get(email=who))
    ids, found = demo_ids(), {}
    for name, params in named_patterns():
        if name.startswith("api:"):
            continue
        response = client.get(reverse(name, kwargs=kwargs_for(name, params, ids)))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        text = _visible_text(response.content.decode())
        # And no Python value leaking into a sentence ("pain None/10"); "None added." and
        # "None (0): …" are English.
        hits = re.findall(r"\bUTC\b|\b\d{4}-\d{2}-\d{2}\b|\bNone\b(?!\.| added| \(0\))"
                          r"|\bnan\b", text)
        if hits:
            found[name] = sorted(set(hits))
    assert found == {}


def test_a_clinical_note_shows_the_patients_time_with_her_zone_named(client,
                                                                     maria_and_her_clinician):
    from b12care.clinic.models import ClinicianNote

    maria, clinician, _ = maria_and_her_clinician
    with time_machine.travel(at(2026, 12, 1, 22, 59), tick=False):
        ClinicianNote.objects.create(patient=maria, author=clinician, text="Feet numb again.")
    client.force_login(clinician)
    page = client.get(reverse("clinic:patient_detail", args=[maria.pk])).content.decode()
    assert "Tue 1 Dec 2026, 17:59 (New York time)" in page


def test_posix_style_zones_are_named_by_their_real_offset():
    # Etc/GMT+5 is five hours behind UTC (POSIX signs): "GMT+5 time" would mislead by 10 h.
    assert zone_name("Etc/GMT+5") == "UTC−5"
    assert zone_name("Etc/GMT-10") == "UTC+10"
    assert local_text(at(2026, 10, 7, 21, 59), "Etc/GMT+5", label=True) == (
        "Wed 7 Oct 2026, 16:59 (UTC−5)")


def test_the_template_tag_never_breaks_a_page_on_an_odd_value():
    from django.template import Context, Template

    page = Template('{% load b12_time %}[{% when value whose %}][{{ value|local_time:"" }}]')
    naive = dt.datetime(2026, 10, 7, 21, 59)
    assert page.render(Context({"value": naive})) == (  # a missing zone: UTC, named
        "[Wed 7 Oct 2026, 21:59 (UTC)][Wed 7 Oct 2026, 21:59]")
    assert page.render(Context({"value": at(2026, 10, 7, 21, 59), "whose": "Mars/Olympus"})) \
        == "[Wed 7 Oct 2026, 21:59 (UTC)][Wed 7 Oct 2026, 21:59]"
    assert page.render(Context({"value": "soon", "whose": "Europe/London"})) == "[][]"
