"""This app's sections of the patient home and clinician review page (core/sections.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_home_section.html", "context": {}}


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    return {"title": "Blood tests", "template": "labs/_review_section.html", "context": {}}
