"""This app's sections of the patient home and clinician review page (core/sections.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User

from . import selectors


def _summary(patient: PatientProfile, now: dt.datetime, keys: tuple[str, ...]) -> dict:
    today = now.astimezone(patient.tz).date()
    return {
        "patient": patient,
        "latest": selectors.latest_per_analyte(patient, keys=keys),
        "next": selectors.next_due(patient, today=today),
    }


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_home_section.html",
            "context": _summary(patient, now, selectors.HOME_ANALYTES)}


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_review_section.html",
            "context": _summary(patient, now, selectors.KEY_ANALYTES)}
