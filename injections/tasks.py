"""Celery tasks of the injections app: thin, they only call services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="injections.roll_planned_doses")
def roll_planned_doses() -> int:
    """Keep every active patient's rolling horizon of planned doses filled and mark doses
    whose window closed as missed (hourly, b12care/celery.py)."""
    return services.planned_doses_roll(now=timezone.now())
