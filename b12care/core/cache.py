"""The Redis cache, with a per-process memory cache while Redis is unreachable.

The cache holds only allauth's rate-limit counters (never pages or health data). When a Redis
call fails (refused, timed out: settings.REDIS_*_TIMEOUT bound every call) this backend logs
once, serves that call and every call for ``settings.CACHE_FALLBACK_SECONDS`` from a
``LocMemCache`` in this process, then tries Redis again. Sign-in keeps working; rate limits
count per web process for that time (each process still limits, none shares its counts).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WRAPPED = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "decr",
           "set_many", "delete_many", "clear", "get_or_set")


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._local = LocMemCache(f"fallback-{id(self)}", {
            "TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", ""),
            "VERSION": params.get("VERSION", 1), "OPTIONS": {"MAX_ENTRIES": 10000}})
        self._down_until = 0.0

    def redis_down(self) -> bool:
        """True while this process is serving from its fallback."""
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args, **kwargs):
        if self.redis_down():
            return getattr(self._local, name)(*args, **kwargs)
        try:
            return getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as exc:
            self._down_until = time.monotonic() + settings.CACHE_FALLBACK_SECONDS
            log.warning("Redis cache unreachable (%s): using this process's memory cache for "
                        "%.0f s.", type(exc).__name__, settings.CACHE_FALLBACK_SECONDS)
            return getattr(self._local, name)(*args, **kwargs)


def _wrap(name: str):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)
    method.__name__ = name
    return method


for _name in WRAPPED:
    setattr(FallbackRedisCache, _name, _wrap(_name))
