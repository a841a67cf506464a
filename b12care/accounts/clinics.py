"""Reads about a patient's clinic and person: the contact card and the review header's facts."""

from __future__ import annotations

import datetime as dt

from .models import Clinic, PatientProfile


def patient_clinic(patient: PatientProfile) -> Clinic | None:
    """The clinic a patient contacts: the one of their primary clinician's care-team link,
    else of the earliest link that names one (active clinicians only). One query."""
    return (Clinic.objects
            .filter(memberships__patient=patient, memberships__clinician__is_active=True)
            .order_by("-memberships__is_primary", "memberships__pk").first())


def age_on(date_of_birth: dt.date | None, day: dt.date) -> int | None:
    """Whole years of age on ``day`` (a 29 February birthday counts on 1 March in other
    years); None without a date of birth."""
    if date_of_birth is None:
        return None
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday
