"""Health checks for /healthz: can we reach the database and the broker right now?"""

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


def worker_last_seen() -> dt.datetime | None:
    from .models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="worker").first()
    except Exception:
        return None
    return beat.seen_at if beat else None


def health_report() -> tuple[bool, dict]:
    db = check_database()
    broker = check_broker()
    seen = worker_last_seen() if db.ok else None
    report = {
        "status": "ok" if db.ok and broker.ok else "degraded",
        "database": {"vendor": connection.vendor, **asdict(db)},
        "broker": {"scheme": settings.BROKER_SCHEME, **asdict(broker)},
        # Informational: a worker that has not beaten for minutes is worth a look, but the web
        # tier stays up without it (reminders are swept again when it returns).
        "worker": {
            "last_seen": seen.isoformat() if seen else None,
            "seconds_ago": int((timezone.now() - seen).total_seconds()) if seen else None,
        },
    }
    return db.ok and broker.ok, report
