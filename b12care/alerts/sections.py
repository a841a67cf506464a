"""Alerts' sections of the patient home and review page (arranged by b12care/clinic/pages.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.clinics import patient_clinic
from b12care.accounts.models import PatientProfile, User

from . import selectors
from .forms import AlertNoteForm
from .lifecycle import may_handle_alerts


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    """What the patient needs to act on from their red flags; nothing when there is nothing to
    act on (the nav's Messages link, with its unread badge, is always there). One indexed
    query whatever the patient's history or alert state, and one more for the clinic's contact
    card when there is something to show. With each alert, whether and when the team saw it;
    notes the clinician shared (also of alerts resolved in the last two weeks)."""
    active, shared = selectors.patient_home_alerts(patient, now=now)
    alerts = [a for a in active if a.patient_message]
    if not alerts and not shared:
        return None
    return {
        "title": "Messages and alerts",
        "template": "alerts/_home_section.html",
        "context": {
            "patient": patient,
            "alerts": alerts,
            "shared": shared,
            "urgent": any(selectors.is_guidance(a, now=now) for a in active),
            "unread": selectors.unread_count_once(patient.user),
            "clinic": patient_clinic(patient),
        },
    }


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    """Open and acknowledged alerts, with acknowledge/resolve for a viewer who may handle
    them (the caller checked access)."""
    # One query for both lists: asking the summary first would add one whenever there are
    # alerts and save nothing when there are none (an empty index probe).
    active, resolved = selectors.active_and_recent_resolved(patient)
    return {
        "title": "Alerts",
        "template": "alerts/_review_section.html",
        "context": {"patient": patient, "alerts": active, "resolved": resolved,
                    "form": AlertNoteForm(), "can_handle": may_handle_alerts(viewer)},
    }
