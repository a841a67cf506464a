"""Hand work to the Celery workers by task name, so writers need not import ``tasks``.

Best effort only: the outbox rows are already committed, so a broker that is down delays a
message (the periodic relay and reconciler send it later) but never loses one.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

# Stable names: beat schedules (b12care/celery.py) and queued messages refer to them.
RELAY_TASK = "b12care.alerts.tasks.relay"
DELIVER_BATCH_TASK = "b12care.alerts.tasks.deliver_batch"
RECONCILE_TASK = "b12care.alerts.tasks.reconcile"
SWEEP_REMINDERS_TASK = "b12care.alerts.tasks.sweep_reminders"
SWEEP_RULES_TASK = "b12care.alerts.tasks.sweep_rules"


def deliver_batch_enqueue(ids: list[int]) -> None:
    """One ``deliver_batch`` task for these outbox ids. Raises if the broker is down
    (retry=False: fail fast, the caller hands the rows back to the relay)."""
    current_app.send_task(DELIVER_BATCH_TASK, args=[ids], retry=False)


def relay_kick() -> None:
    """Ask a worker to deliver now; if the broker is down, the periodic relay will."""
    try:
        current_app.send_task(RELAY_TASK, retry=False)
    except Exception as exc:  # broker down: the rows are safe in the database
        log.warning("Could not reach the broker to relay notifications now (%s); "
                    "the periodic relay will deliver them.", type(exc).__name__)


def relay_kick_on_commit() -> None:
    transaction.on_commit(relay_kick)
