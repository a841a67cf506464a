"""Outbox delivery: relay (enqueue), claim with a lease, send, record; retries; reconciler.

Guarantee: **at least once, recorded once**. A row is claimed by a conditional UPDATE
(``claimed_at`` lease, row count == 1 wins), sent, then ``sent_at`` is set. If a worker dies
after sending but before recording, the lease expires and the row is sent again (hence "at
least once"; email carries a stable Message-ID, SMS an idempotency key, in-app is idempotent).
Two workers never hold the same row at the same time, so a row claimed twice is sent once.

Every function takes ``now`` and does one unit of work; tasks.py calls them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F, Q

from . import channels
from .models import Notification

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)  # longer than any send; shorter than a patient should wait
# Urgent alerts (emergency guidance included) are re-driven within a minute of a worker dying:
# their lease plus the reconcile cadence (b12care/celery.py, every 20 s) stays under 60 s.
# Still longer than any send (an SMTP send gives up after settings.EMAIL_TIMEOUT, 10 s).
URGENT_LEASE = dt.timedelta(seconds=30)
URGENT_SEVERITIES = ("emergency", "urgent")
MAX_ATTEMPTS = 8
BASE_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)
BATCH_SIZE = 100


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the n-th failed attempt, at most an hour."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _unsent() -> Q:
    return Q(sent_at__isnull=True, failed_at__isnull=True)


# --- Claim, send, record --------------------------------------------------------------------------
def notification_claim(*, notification_id: int, now: dt.datetime) -> bool:
    """Take the lease on one row. True only for the one caller whose UPDATE matched."""
    due = Notification.objects.filter(_unsent(), pk=notification_id, next_attempt_at__lte=now)
    updated = due.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)).update(
        claimed_at=now, attempts=F("attempts") + 1)
    if updated or not _urgent(notification_id):
        return updated == 1
    # An urgent row held past its short lease (its worker died): take it over. The UPDATE
    # re-checks the lease on the row, so of two callers at once exactly one wins.
    return due.filter(claimed_at__lt=now - URGENT_LEASE).update(
        claimed_at=now, attempts=F("attempts") + 1) == 1


def _urgent(notification_id: int) -> bool:
    return Notification.objects.filter(
        pk=notification_id, alert__severity__in=URGENT_SEVERITIES).exists()


def notification_deliver(*, notification_id: int, now: dt.datetime,
            send: Callable[[Notification], None] = channels.send) -> str:
    """Claim, send and record one row. Returns "sent", "retry", "failed" or "skipped"."""
    if not notification_claim(notification_id=notification_id, now=now):
        return "skipped"  # sent already, failed for good, not due yet, or another worker has it
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        send(notification)
    except Exception as exc:
        return _record_failure(notification, exc, now=now)
    # Recorded once: only the holder of this lease (claimed_at == now) marks the row sent.
    Notification.objects.filter(pk=notification_id, claimed_at=now, sent_at__isnull=True).update(
        sent_at=now, last_error=""
    )
    return "sent"


def _record_failure(notification: Notification, exc: Exception, *, now: dt.datetime) -> str:
    permanent = isinstance(exc, channels.DeliveryError) and exc.permanent
    error = f"{type(exc).__name__}: {exc}"[:2000]
    rows = Notification.objects.filter(pk=notification.pk, claimed_at=now, sent_at__isnull=True)
    if permanent or notification.attempts >= MAX_ATTEMPTS:
        rows.update(failed_at=now, claimed_at=None, last_error=error)
        # The log names only the error's type: a provider's message may quote the address or
        # number. The whole error is kept on the row (last_error) for the admin.
        log.error("Notification %s failed for good after %s attempt(s): %s",
                  notification.pk, notification.attempts, type(exc).__name__)
        return "failed"
    # Retried by the relay once next_attempt_at passes: no countdown task is ever scheduled.
    rows.update(claimed_at=None, enqueued_at=None, last_error=error,
                next_attempt_at=now + backoff(notification.attempts))
    log.warning("Notification %s attempt %s failed, will retry: %s",
                notification.pk, notification.attempts, type(exc).__name__)
    return "retry"


def notifications_deliver(*, ids: Iterable[int],
                          now_func: Callable[[], dt.datetime]) -> dict[str, int]:
    outcome: dict[str, int] = {}
    for notification_id in ids:
        result = notification_deliver(notification_id=notification_id, now=now_func())
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


# --- Relay and reconciler -------------------------------------------------------------------------
def _take_batch(query: Q, *, now: dt.datetime, batch_size: int) -> list[int]:
    """Mark up to ``batch_size`` matching rows enqueued and return their ids. Two relays at once
    take different rows (skip_locked); on SQLite the write lock serialises them."""
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(_unsent(), query, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def outbox_relay(*, now: dt.datetime, enqueue: Callable[[list[int]], None],
                 batch_size: int = BATCH_SIZE, max_batches: int = 50) -> int:
    """Enqueue due rows never handed to a worker, one task per batch of ids."""
    return _drain(Q(enqueued_at__isnull=True), now=now, enqueue=enqueue,
                  batch_size=batch_size, max_batches=max_batches)


def outbox_reconcile(*, now: dt.datetime, enqueue: Callable[[list[int]], None],
                     batch_size: int = BATCH_SIZE, max_batches: int = 50) -> int:
    """Re-enqueue rows handed to a worker that never finished: enqueued and not claimed for a
    lease, or claimed and the lease expired (worker crash, lost message, Redis restart)."""
    query = _stale(now - LEASE) | (_stale(now - URGENT_LEASE)
                                   & Q(alert__severity__in=URGENT_SEVERITIES))
    return _drain(query, now=now, enqueue=enqueue, batch_size=batch_size,
                  max_batches=max_batches)


def _stale(before: dt.datetime) -> Q:
    return Q(enqueued_at__lt=before) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=before))


def _drain(query: Q, *, now, enqueue, batch_size, max_batches) -> int:
    total = 0
    for _ in range(max_batches):
        ids = _take_batch(query, now=now, batch_size=batch_size)
        if not ids:
            break
        try:
            enqueue(ids)
        except Exception as exc:
            # Broker down: hand the rows back so the next relay run tries again.
            Notification.objects.filter(pk__in=ids, enqueued_at=now).update(enqueued_at=None)
            log.warning("Broker unavailable (%s); %s notification(s) stay queued in the "
                        "database.", type(exc).__name__, len(ids))
            break
        total += len(ids)
        if len(ids) < batch_size:
            break
    return total


def notifications_enqueue(*, ids: list[int], now: dt.datetime,
                          enqueue: Callable[[list[int]], None],
                          batch_size: int | None = None) -> int:
    """Hand rows already stamped ``enqueued_at=now`` (in the transaction that wrote them) to
    workers, one task per batch of ids. If the broker refuses, the stamp of every row not
    handed over is cleared so the relay sends them; if the process dies first, the
    reconciler does once the lease passes."""
    batch_size = batch_size or BATCH_SIZE
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        try:
            enqueue(chunk)
        except Exception as exc:
            Notification.objects.filter(pk__in=ids[start:], enqueued_at=now,
                                        claimed_at__isnull=True).update(enqueued_at=None)
            log.warning("Broker unavailable (%s); %s notification(s) stay queued in the "
                        "database for the relay.", type(exc).__name__, len(ids) - start)
            break
        done += len(chunk)
    return done


def notifications_redrive(*, ids: Iterable[int] | None = None, include_failed: bool = False,
                          now: dt.datetime) -> int:
    """Ops: make stuck (or permanently failed, if asked) rows due again right now."""
    qs = Notification.objects.filter(sent_at__isnull=True)
    if not include_failed:
        qs = qs.filter(failed_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(enqueued_at=None, claimed_at=None, failed_at=None, next_attempt_at=now,
                     attempts=0 if include_failed else F("attempts"))
