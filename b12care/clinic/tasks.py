"""Celery tasks of the clinic app: thin, they only call plain functions."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .state import refresh_all


@shared_task(name="b12care.clinic.tasks.refresh_triage_states")
def refresh_triage_states() -> int:
    """Reconcile the triage read model with the clinical tables (the safety net for writes
    that bypass the services, e.g. the admin site). Beat runs it every 5 minutes."""
    return refresh_all(now=timezone.now())
