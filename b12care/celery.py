"""The Celery app: reliability settings and the beat schedule live here, in code.

Workers only carry messages: PostgreSQL holds every reminder and alert (see docs/alerts.md),
so a lost message is re-sent by the reconciler, never lost.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12care.settings")

app = Celery("b12care")
# Broker URL, transport options and result backend come from Django settings (CELERY_*).
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    # JSON only: tasks take ids, never pickled objects or health data.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Acknowledge after the task ran, and give the message back if the pool child dies
    # (acks_late alone loses a task whose worker process is killed: measured).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Hard limit well below Redis's visibility timeout (3600 s), so no task is redelivered
    # while it is still running.
    task_time_limit=300,
    task_soft_time_limit=240,
    task_ignore_result=True,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    enable_utc=True,
    worker_hijack_root_logger=False,
    # Beat runs as one process; every sweep stays correct if two run, because each claims
    # its rows atomically. Nothing far in the future is ever sent as an ETA task.
    beat_schedule={
        "heartbeat": {"task": "b12care.core.tasks.heartbeat", "schedule": 60.0},
        # alerts: the outbox relay and reconciler are the delivery guarantee; on_commit kicks
        # are only the fast path (docs/alerts.md).
        "alerts-relay": {"task": "b12care.alerts.tasks.relay", "schedule": 30.0},
        # Every 20 s: an urgent row whose worker died is re-driven once its 30 s lease passes
        # (delivery.URGENT_LEASE), within a minute; other rows after their 5-minute lease.
        "alerts-reconcile": {"task": "b12care.alerts.tasks.reconcile", "schedule": 20.0},
        "alerts-sweep-reminders": {"task": "b12care.alerts.tasks.sweep_reminders",
                                   "schedule": 300.0},
        "alerts-sweep-rules": {"task": "b12care.alerts.tasks.sweep_rules", "schedule": 900.0},
        # injections: keep every patient's rolling horizon of planned doses filled and mark
        # doses whose window closed as missed (idempotent, so two beats are harmless).
        "injections-roll-planned-doses": {"task": "injections.roll_planned_doses",
                                          "schedule": 3600.0},
        # clinic: reconcile the triage read model (services keep it current; this is the
        # safety net for writes that bypass them).
        "clinic-refresh-triage-states": {"task": "b12care.clinic.tasks.refresh_triage_states",
                                         "schedule": 300.0},
    },
)
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """The embedded filesystem broker (no REDIS_URL) needs its folders before the first message."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
