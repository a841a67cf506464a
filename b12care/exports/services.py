"""Writes of the exports app: the calendar feed's secret address."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from b12care.accounts.models import PatientProfile

from .models import CalendarFeed

TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so a lookup by hash is safe to answer


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, patient: PatientProfile, now: dt.datetime) -> str:
    """A new secret token for the patient's feed (replacing any earlier one); shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.update_or_create(
        patient=patient, defaults={"token_hash": token_hash(token), "created_at": now})
    return token


def calendar_feed_revoke(*, patient: PatientProfile) -> bool:
    """Forget the feed's address; calendars that still ask get 404. True if there was one."""
    deleted, _ = CalendarFeed.objects.filter(patient=patient).delete()
    return bool(deleted)


def feed_patient(token: str) -> PatientProfile | None:
    """The patient whose current feed token is ``token``, or None.

    The database compares hashes, never the token: how long the lookup takes says nothing
    about how close a guess was."""
    if not token or len(token) > 100:
        return None
    feed = (CalendarFeed.objects.select_related("patient", "patient__user")
            .filter(token_hash=token_hash(token), patient__user__is_active=True).first())
    return feed.patient if feed else None
