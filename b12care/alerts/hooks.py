"""The seam between data entry (injections, symptoms, labs) and red-flag rules (issue D).

Services that save patient data call ``patient_data_saved`` inside their transaction; the rules
run and their alerts and notification rows are written in that same transaction (outbox). If a
finding is urgent, the view shows the patient what to do now (``alerts:guidance``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from b12care.accounts.models import PatientProfile


def patient_data_saved(patient: PatientProfile, *, now: dt.datetime, source: str) -> list:
    """Run the red-flag rules for ``patient``; return the findings (objects with ``.severity``).
    ``source`` says what was saved: "injection", "symptoms" or "labs". Recording the findings
    also refreshes the patient's triage state (b12care.clinic.state) after the rules, in the
    caller's transaction, so call this after the data write."""
    from .services import evaluate_patient

    return evaluate_patient(patient, now=now)


def has_urgent(findings: Iterable) -> bool:
    return any(getattr(f, "severity", None) == "urgent" for f in findings)
