"""Monitoring plan: which labs are due when (issue C implements the default plan)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User


def create_default_plan(
    *, patient: PatientProfile, treatment_start: dt.date, created_by: User | None = None
) -> list:
    """Called by injections when a regimen starts: create the default plan from CLINICAL.md.
    Must be idempotent for the same patient and start date. Returns the planned labs."""
    return []
