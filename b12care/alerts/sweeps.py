"""Periodic rule evaluation for findings that appear with the passage of time alone
(missed doses, no reticulocyte rise by day 10, no Hb/MCV improvement by week 8)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from b12care.accounts.models import PatientProfile

from .services import evaluate_patient

log = logging.getLogger(__name__)

BATCH_SIZE = 200


def patients_on_treatment():
    from injections.models import RegimenStatus

    return (PatientProfile.objects.filter(regimens__status=RegimenStatus.ACTIVE,
                                          user__is_active=True)
            .select_related("user").distinct().order_by("pk"))


def evaluate_patients(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Run every patient's rules, one transaction per patient (a failure for one patient is
    logged and does not stop the others). Idempotent: dedup keys make re-runs update, not add."""
    count = 0
    last_pk = 0
    while True:
        batch = list(patients_on_treatment().filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return count
        for patient in batch:
            try:
                with transaction.atomic():
                    evaluate_patient(patient, now=now)
            except Exception:
                log.exception("Rule sweep failed for patient %s", patient.pk)
            count += 1
        last_pk = batch[-1].pk
