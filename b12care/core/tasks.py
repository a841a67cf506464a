"""Tasks of the core app: thin wrappers around plain functions."""

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="b12care.core.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a beat-scheduled task (shown by /healthz)."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": now})
    return now.isoformat()


@shared_task(name="b12care.core.tasks.ping", ignore_result=False)
def ping() -> str:
    """Round trip through the broker and a worker; used by tests and ops checks."""
    return "pong"
