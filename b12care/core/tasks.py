"""Tasks of the core app: thin wrappers around plain functions."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection

from .health import record_worker_seen

logger = logging.getLogger(__name__)


@shared_task(name="b12care.core.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a beat-scheduled task (shown by /healthz)."""
    return record_worker_seen().isoformat()


@worker_ready.connect
def _worker_seen_on_start(**kwargs) -> None:
    """/healthz leaves "starting" as soon as a worker is up, not a minute later at the first
    heartbeat. Never stops the worker: with the database down the next heartbeat records it."""
    try:
        record_worker_seen()
    except Exception:
        logger.warning("could not record the worker's start-up heartbeat", exc_info=True)
    finally:
        connection.close()  # the worker's main process keeps no connection of its own


@shared_task(name="b12care.core.tasks.ping", ignore_result=False)
def ping() -> str:
    """Round trip through the broker and a worker; used by tests and ops checks."""
    return "pong"
