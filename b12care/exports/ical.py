"""The patient's calendar feed (RFC 5545): planned doses and planned blood tests.

- Doses are timed events in the patient's zone (``DTSTART;TZID=...`` with a ``VTIMEZONE``), so
  a 09:00 dose stays at 09:00 on both sides of a daylight-saving change, whatever zone the
  calendar app itself runs in.
- Blood tests are all-day events on their due day (a planned test has a day, not a time).
- Each event has a ``VALARM`` at the patient's reminder time on the due day (as the reminder
  sweep sends it), and a stable ``UID`` (``dose-<id>@b12care``) so a refreshed feed replaces
  events instead of adding copies.
- Event text says only "B12 injection" or "Blood test": calendars are synced to phones,
  laptops and other people's screens, so no diagnosis, product, dose or result appears.
"""

from __future__ import annotations

import datetime as dt

import icalendar

from b12care.accounts.models import PatientProfile
from b12care.core import clock
from injections.models import DoseStatus, PlannedDose
from labs.models import PlannedLab, PlanStatus

PAST = dt.timedelta(days=30)  # recent events stay, so a dose taken late does not vanish
MAX_EVENTS = 400  # per kind; the planned-dose horizon is about 90 days
DOSE_LENGTH = dt.timedelta(minutes=15)
DOSE_TEXT = "B12 injection"
LAB_TEXT = "Blood test"
DESCRIPTION = "Planned in B12 Care. Sign in for details."


def _alarm(trigger: dt.timedelta, text: str) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", trigger)  # relative to the event's start
    return alarm


def dose_event(dose_id: int, due_at: dt.datetime, patient: PatientProfile,
               now: dt.datetime) -> icalendar.Event:
    tz = patient.tz
    event = icalendar.Event()
    event.add("uid", f"dose-{dose_id}@b12care")
    event.add("dtstamp", now)
    event.add("dtstart", due_at.astimezone(tz))
    event.add("duration", DOSE_LENGTH)
    event.add("summary", DOSE_TEXT)
    event.add("description", DESCRIPTION)
    # The reminder sweep reminds at the reminder time on the local due day (as UTC instants,
    # so an offset crossing a DST change at night is still exact).
    reminder = clock.to_utc(clock.local_day(due_at, tz), patient.reminder_time, tz)
    event.add_component(_alarm(reminder - due_at, DOSE_TEXT))
    return event


def lab_event(lab_id: int, due_date: dt.date, patient: PatientProfile,
              now: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"lab-{lab_id}@b12care")
    event.add("dtstamp", now)
    event.add("dtstart", due_date)
    event.add("dtend", due_date + dt.timedelta(days=1))
    event.add("summary", LAB_TEXT)
    event.add("description", DESCRIPTION)
    event.add("transp", "TRANSPARENT")
    time = patient.reminder_time
    event.add_component(_alarm(dt.timedelta(hours=time.hour, minutes=time.minute), LAB_TEXT))
    return event


def planned(patient: PatientProfile, *, now: dt.datetime):
    """(dose id, due_at) and (lab id, due day) pairs from 30 days ago on (two queries)."""
    doses = list(PlannedDose.objects.filter(patient=patient, due_at__gte=now - PAST)
                 .exclude(status=DoseStatus.SKIPPED).order_by("due_at")
                 .values_list("pk", "due_at")[:MAX_EVENTS])
    today = clock.local_day(now, patient.tz)
    labs = list(PlannedLab.objects.filter(patient=patient, due_date__gte=today - PAST)
                .exclude(status=PlanStatus.CANCELLED).order_by("due_date", "pk")
                .values_list("pk", "due_date")[:MAX_EVENTS])
    return doses, labs


def calendar(patient: PatientProfile, *, now: dt.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//B12 Care//Planned doses and blood tests//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "B12 Care")
    cal.add("x-wr-timezone", patient.timezone)
    cal.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    doses, labs = planned(patient, now=now)
    for pk, due_at in doses:
        cal.add_component(dose_event(pk, due_at, patient, now))
    for pk, due_date in labs:
        cal.add_component(lab_event(pk, due_date, patient, now))
    # VTIMEZONE rules only for the years the events span (a full 1970-2038 table is 4 kB).
    days = [d.astimezone(patient.tz).date() for _, d in doses] + [day for _, day in labs]
    first = min(days, default=now.date()) - dt.timedelta(days=366)
    last = max(days, default=now.date()) + dt.timedelta(days=366)
    cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
