"""Reads of injection data for other apps (issue B implements them)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile


def injection_times(
    patient: PatientProfile, *, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """UTC instants of the patient's logged injections in [since, until), oldest first
    (used to mark injections on symptom and lab charts)."""
    return []
