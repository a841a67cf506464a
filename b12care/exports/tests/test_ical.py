"""The calendar feed: parsed by two independent parsers, local times right across DST."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import icalendar
import pytest
import time_machine
import vobject
from vobject.icalendar import registerTzid

from b12care.exports import ical
from b12care.exports.models import CalendarFeed
from injections.models import PlannedDose, ProtocolTemplate
from injections.protocols import HYDROXO_NEURO
from injections.services import regimen_create_from_template
from labs.models import Analyte, PlannedLab

pytestmark = pytest.mark.django_db
UTC = dt.UTC

# (zone, first dose day, day the clocks change, UTC offset before, after) for 2026.
DST_CHANGES = [
    ("Europe/London", dt.date(2026, 3, 24), dt.date(2026, 3, 29), 0, 1),
    ("Europe/London", dt.date(2026, 10, 20), dt.date(2026, 10, 25), 1, 0),
    ("America/New_York", dt.date(2026, 3, 3), dt.date(2026, 3, 8), -5, -4),
    ("America/New_York", dt.date(2026, 10, 27), dt.date(2026, 11, 1), -4, -5),
]


def alternate_days(patient, clinician, start: dt.date, zone: str) -> dt.datetime:
    """Doses every other day at 09:00 local from ``start``; returns the creation time."""
    patient.timezone = zone
    patient.reminder_time = dt.time(8, 0)
    patient.save()
    now = dt.datetime.combine(start, dt.time(0), tzinfo=UTC) - dt.timedelta(days=1)
    with time_machine.travel(now, tick=False):
        regimen_create_from_template(
            patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NEURO),
            start_date=start, time_of_day=dt.time(9, 0), created_by=clinician, now=now)
    return now


def events_by_icalendar(body: bytes, prefix: str = "dose-") -> list:
    return [c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")
            if str(c["uid"]).startswith(prefix)]


def events_by_vobject(body: bytes, prefix: str = "dose-") -> list:
    return [e for e in vobject.readOne(body.decode()).vevent_list
            if e.uid.value.startswith(prefix)]


@pytest.mark.parametrize(("zone", "start", "change", "before", "after"), DST_CHANGES)
def test_doses_stay_at_nine_local_across_the_change_in_both_parsers(
    patient, clinician, zone, start, change, before, after
):
    now = alternate_days(patient, clinician, start, zone)
    body = ical.calendar(patient, now=now)
    assert b"BEGIN:VTIMEZONE" in body and f"TZID:{zone}".encode() in body
    for events in (events_by_icalendar(body), events_by_vobject(body)):
        starts = [e.decoded("dtstart") if hasattr(e, "decoded") else e.dtstart.value
                  for e in events]
        assert len(starts) >= 10
        assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
        offsets = {s.date(): s.utcoffset() for s in starts}
        assert offsets[start] == dt.timedelta(hours=before)
        assert offsets[start + dt.timedelta(days=10)] == dt.timedelta(hours=after)
        assert any(day < change for day in offsets) and any(day > change for day in offsets)


@pytest.mark.parametrize(("zone", "start", "change", "before", "after"), DST_CHANGES)
def test_our_vtimezone_alone_gives_the_stored_instants(
    patient, clinician, zone, start, change, before, after
):
    """vobject knows "Europe/London" itself; under an unknown TZID it must build the zone from
    the feed's VTIMEZONE rules, as a calendar app without the IANA database would."""
    now = alternate_days(patient, clinician, start, zone)
    body = ical.calendar(patient, now=now).replace(zone.encode(), b"B12-Test-Zone")
    for vtimezone in vobject.readOne(body.decode()).vtimezone_list:
        # vobject parses a VTIMEZONE (dateutil's tzical) but registers it for later reads only
        registerTzid(vtimezone.tzid.value, vtimezone.gettzinfo())
    stored = {f"dose-{pk}@b12care": due for pk, due in
              PlannedDose.objects.filter(patient=patient).values_list("pk", "due_at")}
    parsed = {e.uid.value: e.dtstart.value for e in events_by_vobject(body)}
    assert parsed.keys() == stored.keys()
    assert all(parsed[uid] == stored[uid] for uid in stored)
    assert {(t.hour, t.minute) for t in parsed.values()} == {(9, 0)}
    assert "pytz" not in type(next(iter(parsed.values())).tzinfo).__module__


def test_each_dose_has_an_alarm_at_the_reminder_time_and_says_only_b12_injection(
    patient, clinician
):
    now = alternate_days(patient, clinician, dt.date(2026, 3, 24), "Europe/London")
    body = ical.calendar(patient, now=now)
    for event in events_by_vobject(body):
        assert event.summary.value == "B12 injection"
        assert event.valarm.trigger.value == dt.timedelta(hours=-1)  # 08:00 for a 09:00 dose
        assert event.valarm.action.value == "DISPLAY"
    text = body.decode().lower()
    for secret in ("hydroxocobalamin", "1 mg", "deficien", "anaemia", "induction", "pat"):
        assert secret not in text


def test_uids_are_stable_so_a_refreshed_feed_replaces_events(patient, clinician):
    now = alternate_days(patient, clinician, dt.date(2026, 3, 24), "Europe/London")
    first = [str(e["uid"]) for e in events_by_icalendar(ical.calendar(patient, now=now))]
    later = now + dt.timedelta(hours=3)
    again = [str(e["uid"]) for e in events_by_icalendar(ical.calendar(patient, now=later))]
    assert first == again
    assert all(re.fullmatch(r"dose-\d+@b12care", uid) for uid in first)


def test_planned_blood_tests_are_all_day_events_with_an_alarm_at_the_reminder_time(patient):
    patient.reminder_time = dt.time(7, 30)
    patient.save()
    lab = PlannedLab.objects.create(
        patient=patient, analyte=Analyte.objects.get(key="hb"), label="Full blood count",
        due_date=dt.date(2026, 12, 1), window_start=dt.date(2026, 11, 28),
        window_end=dt.date(2026, 12, 4))
    body = ical.calendar(patient, now=dt.datetime(2026, 11, 24, tzinfo=UTC))
    (event,) = events_by_vobject(body, prefix="lab-")
    assert event.uid.value == f"lab-{lab.pk}@b12care"
    assert event.summary.value == "Blood test"
    assert event.dtstart.value == dt.date(2026, 12, 1)
    assert event.valarm.trigger.value == dt.timedelta(hours=7, minutes=30)
    assert b"blood count" not in body.lower()


# --- The secret address ---------------------------------------------------------------------
def make_feed(client, patient, action: str = "create"):
    client.force_login(patient.user)
    response = client.post("/exports/calendar/", {"action": action})
    assert response.status_code == 200
    match = re.search(r'value="(http://testserver/exports/calendar/[^"]+\.ics)"',
                      response.content.decode())
    return response, (match.group(1).removeprefix("http://testserver") if match else None)


def test_the_patient_makes_an_address_shown_once_and_stored_only_as_a_hash(
    client, patient, clinician
):
    alternate_days(patient, clinician, dt.date(2026, 3, 24), "Europe/London")
    response, url = make_feed(client, patient)
    assert url is not None
    token = url.split("/")[-1].removesuffix(".ics")
    assert len(token) >= 43
    feed = CalendarFeed.objects.get(patient=patient)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert 'data-copy="feed-url"' in response.content.decode()
    assert "onclick" not in response.content.decode()
    assert token not in client.get("/exports/").content.decode()
    client.logout()
    with time_machine.travel(dt.datetime(2026, 3, 25, tzinfo=UTC), tick=False):
        feed_response = client.get(url)  # calendar apps do not sign in
    assert feed_response.status_code == 200
    assert feed_response["Content-Type"] == "text/calendar; charset=utf-8"
    assert len(events_by_icalendar(feed_response.content)) >= 10


def test_rotating_retires_the_old_address_and_revoking_retires_every_address(client, patient):
    _, old = make_feed(client, patient)
    _, new = make_feed(client, patient)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    response, none = make_feed(client, patient, action="revoke")
    assert none is None and "no longer works" in response.content.decode()
    assert client.get(new).status_code == 404
    assert not CalendarFeed.objects.filter(patient=patient).exists()


def test_unknown_addresses_say_nothing_and_are_rate_limited(client, settings):
    settings.CALENDAR_FEED_MISSES_PER_MINUTE = 3
    answers = [client.get(f"/exports/calendar/guess{n}.ics") for n in range(4)]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert b"VCALENDAR" not in answers[0].content


def test_only_patients_manage_a_feed(clinician_client):
    assert clinician_client.post("/exports/calendar/", {"action": "create"}).status_code == 404
    assert not CalendarFeed.objects.exists()
