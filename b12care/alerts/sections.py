"""Alerts' sections of the patient home and review page (arranged by b12care/clinic/pages.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User

from . import selectors
from .forms import AlertNoteForm


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    """What the patient needs to act on from their red flags; nothing when there is nothing to
    act on (the nav's Messages link, with its unread badge, is always there)."""
    active = list(selectors.active_alerts(patient))
    alerts = [a for a in active if a.patient_message]
    if not alerts:
        return None
    return {
        "title": "Messages and alerts",
        "template": "alerts/_home_section.html",
        "context": {
            "alerts": alerts,
            "urgent": any(selectors.is_guidance(a, now=now) for a in active),
            "unread": selectors.unread_count_once(patient.user),
        },
    }


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    """Open and acknowledged alerts with acknowledge/resolve (the caller checked access)."""
    active, resolved = selectors.active_and_recent_resolved(patient)
    return {
        "title": "Alerts",
        "template": "alerts/_review_section.html",
        "context": {"patient": patient, "alerts": active, "resolved": resolved,
                    "form": AlertNoteForm()},
    }
