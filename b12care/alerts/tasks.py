"""Celery tasks: thin. They take ids (never health data) and call plain functions.

Beat runs ``relay``, ``reconcile`` (which also climbs the escalation ladder),
``sweep_reminders`` and ``sweep_rules`` periodically (see b12care/celery.py); ``relay`` is
also kicked after each commit that writes outbox rows (``relay.relay_kick``). Nothing is
ever scheduled with an ETA/countdown (docs/alerts.md).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import delivery, relay
from .escalation import escalations_sweep
from .reminder_sweep import reminders_sweep
from .sweeps import rules_sweep


@shared_task(name=relay.DELIVER_BATCH_TASK)
def deliver_batch(ids: list[int]) -> dict:
    """Deliver a batch of outbox rows (each claimed with a lease; already-sent ones skip)."""
    return delivery.notifications_deliver(ids=[int(i) for i in ids], now_func=timezone.now)


@shared_task(name=relay.RELAY_TASK)
def relay_outbox() -> int:
    """Hand due, never-enqueued outbox rows to workers, one task per batch."""
    return delivery.outbox_relay(now=timezone.now(), enqueue=relay.deliver_batch_enqueue)


@shared_task(name=relay.RECONCILE_TASK)
def reconcile() -> int:
    """Climb the escalation ladder of unacknowledged alerts whose next rung is due (its
    outbox rows go out with the relay kick), then re-enqueue rows whose worker never
    finished (lease expired or message lost). Every 20 s, so an emergency rung is late by
    seconds, never minutes."""
    escalations_sweep(now=timezone.now())
    return delivery.outbox_reconcile(now=timezone.now(), enqueue=relay.deliver_batch_enqueue)


@shared_task(name=relay.SWEEP_REMINDERS_TASK)
def sweep_reminders() -> dict:
    """Plan new reminder steps, then claim due ones in batches: outbox rows per batch, and
    one ``deliver_batch`` task per batch of ids after each commit."""
    return reminders_sweep(now=timezone.now(), enqueue=relay.deliver_batch_enqueue)


@shared_task(name=relay.SWEEP_RULES_TASK)
def sweep_rules() -> int:
    """Re-run the time-based rules (missed doses, no reticulocyte rise ...) for patients on
    treatment."""
    return rules_sweep(now=timezone.now())
