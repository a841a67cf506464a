"""Hand work to the Celery workers by task name, so writers need not import ``tasks``.

Best effort only: the outbox rows are already committed, so a broker that is down delays a
message (the periodic relay and reconciler send it later) but never loses one.

The relay kick after a commit never waits on the network in the request: it is registered once
per transaction and handed to one background thread per process through a queue of one slot
(a kick already waiting covers any new one). That thread publishes with the broker's connect
and read timeouts (settings.CELERY_BROKER_TRANSPORT_OPTIONS) and no retry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading

from celery import current_app
from django.db import connection, transaction

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
    current_app.send_task(DELIVER_BATCH_TASK, args=[ids], retry=False, ignore_result=True)


def relay_publish() -> None:
    """Ask a worker to deliver now; if the broker is down, the periodic relay will."""
    try:
        # Its own connection, not the producer pool shared with request threads.
        with current_app.connection_for_write() as conn:
            current_app.send_task(RELAY_TASK, retry=False, connection=conn, ignore_result=True)
    except Exception as exc:  # broker down: the rows are safe in the database
        log.warning("Could not reach the broker to relay notifications now (%s); "
                    "the periodic relay will deliver them.", type(exc).__name__)


class _Kicker:
    """One daemon thread per process that publishes relay kicks; callers never wait."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: queue.Queue[None] = queue.Queue(maxsize=1)
        self.lock = threading.Lock()

    def request(self) -> None:
        self._ensure_thread()
        # Full: a kick is already waiting, and it relays every due row, this one's included.
        with contextlib.suppress(queue.Full):
            self.pending.put_nowait(None)

    def _ensure_thread(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:  # after a fork the parent's thread is gone: start this process's own
            if self.pid != os.getpid():
                self.pending = queue.Queue(maxsize=1)
                threading.Thread(target=self._run, name="relay-kick", daemon=True).start()
                self.pid = os.getpid()

    def _run(self) -> None:
        while True:
            self.pending.get()
            try:
                publish()
            except Exception:  # never let the thread die: the next kick must still go out
                log.exception("Relay kick failed")


publish = relay_publish  # what the kicker thread calls (tests replace it)
_kicker = _Kicker()


def relay_kick() -> None:
    """Request a relay now without waiting for the broker (returns at once)."""
    _kicker.request()


def _kick_after_commit() -> None:
    relay_kick()


def relay_kick_on_commit() -> None:
    """One kick after the current transaction commits, however many alerts or steps it wrote.
    Django drops the callback on rollback (and a rolled-back savepoint's), so the check below
    never suppresses a kick that is still needed."""
    if connection.in_atomic_block and any(
            entry[1] is _kick_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_kick_after_commit, robust=True)
