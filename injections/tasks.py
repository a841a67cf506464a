"""Celery tasks of the injections app: thin, they only call services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from b12care.accounts.models import PatientProfile

from . import services
from .models import RegimenStatus

log = logging.getLogger(__name__)
BATCH_SIZE = 200


@shared_task(name="injections.roll_planned_doses")
def roll_planned_doses() -> int:
    """Keep every active patient's rolling horizon of planned doses filled and mark doses
    whose window closed as missed. Idempotent, so running it twice (two beats) is harmless.
    Schedule it hourly in the beat schedule (b12care/celery.py)."""
    now = timezone.now()
    count, last_pk = 0, 0
    patients = (PatientProfile.objects.filter(regimens__status=RegimenStatus.ACTIVE,
                                              user__is_active=True)
                .distinct().order_by("pk"))
    while True:
        batch = list(patients.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            return count
        for patient in batch:
            try:
                with transaction.atomic():
                    services.regenerate_planned_doses(patient, now=now)
            except Exception:
                log.exception("Could not roll planned doses for patient %s", patient.pk)
            count += 1
        last_pk = batch[-1].pk
