"""Template context for the idle-logoff warning (static/js/session-timeout.js)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from . import sessions


def session_timeout(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    instants = sessions.read_instants(request.session)
    if instants is None:
        return {}
    started_at, seen_at = instants
    limits = sessions.limits_for(user)
    left, rule = sessions.seconds_left(started_at=started_at, seen_at=seen_at,
                                       now=timezone.now(), limits=limits)
    return {"session_timeout": {
        "seconds_left": left,
        "ends_by": rule.value,
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "idle_minutes": int(limits.idle.total_seconds() // 60),
    }}
