"""Alerts' sections of the patient home and review page (see b12care/core/sections.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User

from . import selectors
from .forms import AlertNoteForm


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    """What the patient needs to act on from their red flags; nothing when there is nothing to
    act on (the nav's Messages link, with its unread badge, is always there)."""
    alerts = list(selectors.patient_visible_alerts(patient))
    if not alerts:
        return None
    return {
        "title": "Messages and alerts",
        "template": "alerts/_home_section.html",
        "context": {
            "alerts": alerts,
            "urgent": bool(selectors.guidance_alerts(patient, now=now)),
            "unread": selectors.unread_count(patient.user),
        },
    }


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    """Open and acknowledged alerts with acknowledge/resolve (the caller checked access)."""
    return {
        "title": "Alerts",
        "template": "alerts/_review_section.html",
        "context": {"patient": patient, "alerts": list(selectors.active_alerts(patient)),
                    "resolved": selectors.recent_resolved(patient), "form": AlertNoteForm()},
    }
