"""A per-address limit on unknown calendar-feed addresses (the feed needs no sign-in).

The cache holds only a counter per client address and minute, never anything about a patient.
Calendar apps that use a valid address are never counted.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW = 60  # seconds


def _key(request: HttpRequest, now: dt.datetime) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return f"exports:feed-misses:{address}:{int(now.timestamp()) // WINDOW}"


def blocked(request: HttpRequest, *, now: dt.datetime) -> bool:
    return (cache.get(_key(request, now)) or 0) >= settings.CALENDAR_FEED_MISSES_PER_MINUTE


def count_miss(request: HttpRequest, *, now: dt.datetime) -> None:
    key = _key(request, now)
    if not cache.add(key, 1, timeout=WINDOW * 2):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls: this miss starts a new count
            cache.add(key, 1, timeout=WINDOW * 2)
