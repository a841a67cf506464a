"""Everything B12 Care holds about one patient, as one ZIP a machine can read (the right of
access and to data portability): the FHIR bundle, the CSV files, the profile, and the messages
and notifications sent to them. Built in memory from the same modules as the single files."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import InAppMessage, Notification

from . import csv_export, fhir

README = """B12 Care: all your data, exported {when} (UTC).

fhir.json           everything clinical as a FHIR R4 bundle (for health records and apps)
injections.csv      every injection (times in your time zone, named in the heading)
diary.csv           your symptom diary
labs.csv            your blood test results
profile.json        your account, settings and care team
messages.json       messages shown to you in the app
notifications.json  emails and text messages sent to you (or queued)
"""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def profile(patient: PatientProfile) -> dict:
    user = patient.user
    return {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "joined": _iso(user.date_joined), "time_zone": patient.timezone,
        "country": patient.country, "date_of_birth": _iso(patient.date_of_birth),
        "sex": patient.sex, "cause": patient.cause,
        "neurological_involvement": patient.neurological_involvement,
        "severe_anaemia": patient.severe_anaemia, "phone": patient.phone,
        "reminders": {"email": patient.remind_by_email, "sms": patient.remind_by_sms,
                      "in_app": patient.remind_in_app, "time": _iso(patient.reminder_time),
                      "quiet_hours_start": _iso(patient.quiet_hours_start),
                      "quiet_hours_end": _iso(patient.quiet_hours_end)},
        "care_team": [{"name": m.clinician.get_full_name() or m.clinician.email,
                       "primary": m.is_primary}
                      for m in patient.care_team.select_related("clinician")],
    }


def messages(patient: PatientProfile) -> list[dict]:
    return [{"title": m.title, "body": m.body, "created_at": _iso(m.created_at),
             "read_at": _iso(m.read_at)}
            for m in InAppMessage.objects.filter(user=patient.user).order_by("created_at")]


def notifications(patient: PatientProfile) -> list[dict]:
    return [{"channel": n.channel, "subject": n.subject, "body": n.body,
             "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at)}
            for n in Notification.objects.filter(recipient=patient.user).order_by("created_at")]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def archive(patient: PatientProfile, *, now: dt.datetime) -> bytes:
    files = {
        "README.txt": README.format(when=f"{now:%Y-%m-%d %H:%M}"),
        "fhir.json": _json(fhir.bundle(patient, now=now)),
        **{f"{kind}.csv": csv_export.export(patient, kind) for kind in csv_export.KINDS},
        "profile.json": _json(profile(patient)),
        "messages.json": _json(messages(patient)),
        "notifications.json": _json(notifications(patient)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
