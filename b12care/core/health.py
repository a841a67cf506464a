"""Health checks for /healthz: can we reach the database and the broker right now, and has a
worker been seen lately?

Status, most serious first: ``degraded`` (database or broker unreachable: HTTP 503),
``starting`` (no worker seen since this web process started, which was less than
``WORKER_STALE_SECONDS`` ago), ``stale`` (no worker seen for longer than that), ``ok``. Only
``degraded`` is a 503: the web tier serves every page without a worker (reminders are swept
again when one returns), so a load balancer must not take it out of rotation for a late worker;
monitoring alerts on any status but ``ok``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from b12care.celery import app


@dataclass
class Check:
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the detail says which
        return Check(False, f"{type(exc).__name__}: {exc}".strip()[:200])
    return Check(True, f"{connection.vendor} reachable")


def check_broker() -> Check:
    scheme = settings.BROKER_SCHEME
    if scheme == "filesystem":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".healthz"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            return Check(False, f"filesystem broker folder not writable: {exc}")
        return Check(True, "filesystem broker folder writable")
    if scheme in ("redis", "rediss"):
        return _check_redis(app.conf.broker_url)
    return Check(True, f"{scheme} broker in this process")


def _check_redis(url: str) -> Check:
    """PING on a fresh connection with connect and read timeouts (a frozen Redis answers
    nothing; a refusing one fails at once)."""
    timeout = settings.HEALTH_PROBE_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                  retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    except Exception as exc:
        return Check(False, f"{type(exc).__name__}: {exc}".strip()[:200])
    finally:
        client.close()
    return Check(True, "redis broker reachable")


# When this web process started (CoreConfig.ready sets it): a worker not seen since then is
# "starting" for WORKER_STALE_SECONDS, then "stale".
PROCESS_STARTED: dt.datetime = timezone.now()


def worker_last_seen() -> dt.datetime | None:
    from .models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="worker").first()
    except Exception:
        return None
    return beat.seen_at if beat else None


def record_worker_seen(now: dt.datetime | None = None) -> dt.datetime:
    """A worker proves it is alive: on start-up (worker_ready) and on every heartbeat task."""
    from .models import Heartbeat

    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": now})
    return now


def worker_status(last_seen: dt.datetime | None, *, now: dt.datetime,
                  process_started: dt.datetime, stale_after: dt.timedelta) -> str:
    """``ok`` when a worker was seen within ``stale_after``; otherwise ``starting`` while this
    web process is younger than ``stale_after`` (a worker from an earlier run does not count),
    else ``stale``."""
    if last_seen is not None and now - last_seen <= stale_after:
        return "ok"
    if now - process_started <= stale_after:
        return "starting"
    return "stale"


def health_report(now: dt.datetime | None = None) -> tuple[bool, dict]:
    """``(serving, report)``: serving is False only when the database or the broker is down."""
    now = now or timezone.now()
    db = check_database()
    broker = check_broker()
    seen = worker_last_seen() if db.ok else None
    worker = worker_status(seen, now=now, process_started=PROCESS_STARTED,
                           stale_after=dt.timedelta(seconds=settings.WORKER_STALE_SECONDS))
    serving = db.ok and broker.ok
    report = {
        "status": worker if serving else "degraded",
        "database": {"vendor": connection.vendor, **asdict(db)},
        "broker": {"scheme": settings.BROKER_SCHEME, **asdict(broker)},
        "worker": {
            "status": worker if db.ok else "unknown",
            "last_seen": seen.isoformat() if seen else None,
            "seconds_ago": int((now - seen).total_seconds()) if seen else None,
        },
    }
    return serving, report
