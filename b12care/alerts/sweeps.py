"""Periodic rule evaluation for findings that appear with the passage of time alone
(missed doses, no reticulocyte rise by day 10, no Hb/MCV improvement by week 8)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from b12care.accounts.models import PatientProfile
from b12care.core import batches
from injections.models import RegimenStatus

from .lifecycle import patient_rules_evaluate


def patients_on_treatment() -> QuerySet[PatientProfile]:
    return (PatientProfile.objects.filter(regimens__status=RegimenStatus.ACTIVE,
                                          user__is_active=True)
            .select_related("user").distinct())


def rules_sweep(*, now: dt.datetime, batch_size: int = batches.BATCH_SIZE) -> int:
    """Run every patient's rules, one transaction per patient (a failure for one patient is
    logged and does not stop the others). Idempotent: dedup keys make re-runs update, not add."""
    return batches.each_in_own_transaction(
        patients_on_treatment(), lambda patient: patient_rules_evaluate(patient=patient, now=now),
        what="Rule sweep", batch_size=batch_size)
