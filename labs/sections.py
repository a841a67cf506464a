"""This app's sections of the patient home and clinician review page
(arranged by b12care/clinic/pages.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User

from . import selectors


def _summary(patient: PatientProfile, now: dt.datetime, keys: tuple[str, ...]) -> dict:
    today = now.astimezone(patient.tz).date()
    latest, next_due = selectors.latest_and_next_due(patient, keys=keys, today=today)
    return {"patient": patient, "latest": latest, "next": next_due}


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_home_section.html",
            "context": _summary(patient, now, selectors.HOME_ANALYTES)}


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_review_section.html",
            "context": _summary(patient, now, selectors.KEY_ANALYTES)}
