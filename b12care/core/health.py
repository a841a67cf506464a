"""Health checks for /healthz: can we reach the database and the broker right now?"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone


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
    from b12care.celery import app

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
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            if scheme == "redis":
                conn.default_channel.client.ping()
    except Exception as exc:
        return Check(False, f"{type(exc).__name__}: {exc}".strip()[:200])
    return Check(True, f"{scheme} broker reachable")


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
