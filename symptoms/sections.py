"""This app's sections of the patient home and clinician review page
(arranged by b12care/clinic/pages.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User
from b12care.core import clock

from . import selectors


def _summary(patient: PatientProfile, now: dt.datetime) -> dict:
    day, scores = selectors.latest_summary(patient)
    return {
        "patient": patient,
        "latest_day": day,
        "done_today": day == clock.local_day(now, patient.tz),
        "worst": sorted(scores, key=lambda s: (-s["severity"], s["position"]))[:4],
        "nerves": [s for s in scores if s["neurological"] and s["severity"] > 0][:4],
    }


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    return {"title": "Symptom diary", "template": "symptoms/_home_section.html",
            "context": _summary(patient, now)}


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    return {"title": "Symptom diary", "template": "symptoms/_review_section.html",
            "context": _summary(patient, now)}
