"""Alerts' sections of the patient home and review page (see b12care/core/sections.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    return None  # issue D: open red-flag guidance for the patient


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    return None  # issue D: open alerts with acknowledge/resolve
