"""Session lifetime rules: idle logoff per role, an absolute lifetime, and ending sessions.

The rules are pure functions of stored instants and ``now``; ``SessionLimitsMiddleware`` only
reads and writes the two instants kept in the session and signs out when a rule says so.
Ending sessions goes through ``allauth.usersessions`` (its rows name every signed-in session).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings

from .models import Role, User

STARTED_KEY = "b12.session_started_at"
SEEN_KEY = "b12.session_seen_at"
# Writing the session on every request would cost a query per page: the last-seen instant is
# rewritten only when it is at least this old (idle logoff is that much less precise).
TOUCH_EVERY = dt.timedelta(seconds=60)


class Ended(Enum):
    IDLE = "idle"
    ABSOLUTE = "absolute"


@dataclass(frozen=True)
class Limits:
    idle: dt.timedelta
    absolute: dt.timedelta
    warning: dt.timedelta


def limits_for(user: User) -> Limits:
    """Clinicians and admins are signed out sooner when idle: they see many patients."""
    staff = user.role in (Role.CLINICIAN, Role.ADMIN) or user.is_staff
    idle = settings.SESSION_IDLE_MINUTES_STAFF if staff else settings.SESSION_IDLE_MINUTES_PATIENT
    return Limits(
        idle=dt.timedelta(minutes=idle),
        absolute=dt.timedelta(hours=settings.SESSION_ABSOLUTE_HOURS),
        warning=dt.timedelta(seconds=settings.SESSION_WARNING_SECONDS),
    )


def ended(*, started_at: dt.datetime, seen_at: dt.datetime, now: dt.datetime,
          limits: Limits) -> Ended | None:
    """Why a session with these instants is over at ``now``, or None while it is alive."""
    if now - started_at >= limits.absolute:
        return Ended.ABSOLUTE
    if now - seen_at >= limits.idle:
        return Ended.IDLE
    return None


def seconds_left(*, started_at: dt.datetime, seen_at: dt.datetime, now: dt.datetime,
                 limits: Limits) -> tuple[int, Ended]:
    """Seconds until the session ends if nothing happens, and which rule ends it."""
    idle_left = seen_at + limits.idle - now
    absolute_left = started_at + limits.absolute - now
    if absolute_left <= idle_left:
        return max(0, int(absolute_left.total_seconds())), Ended.ABSOLUTE
    return max(0, int(idle_left.total_seconds())), Ended.IDLE


def needs_touch(*, seen_at: dt.datetime, now: dt.datetime) -> bool:
    return now - seen_at >= TOUCH_EVERY


def signed_out_message(reason: Ended, limits: Limits) -> str:
    if reason is Ended.ABSOLUTE:
        hours = int(limits.absolute.total_seconds() // 3600)
        return (f"You were signed out because a session lasts at most {hours} hours. "
                "Sign in again to continue.")
    minutes = int(limits.idle.total_seconds() // 60)
    unit = "minute" if minutes == 1 else "minutes"
    return (f"You were signed out after {minutes} {unit} without activity. "
            "Sign in again to continue.")


# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("HeadlessChrome", "Chrome (automated)"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari")]
_SYSTEMS = [("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux")]


def describe_browser(user_agent: str) -> str:
    """'Firefox on Windows' from a User-Agent header, for the sessions page."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


# --- Reading and writing the instants kept in a session ----------------------------------------
def read_instants(session) -> tuple[dt.datetime, dt.datetime] | None:
    started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
    if started is None or seen is None:
        return None
    return _from_epoch(started), _from_epoch(seen)


def start(session, *, now: dt.datetime) -> None:
    session[STARTED_KEY] = now.timestamp()
    session[SEEN_KEY] = now.timestamp()


def touch(session, *, now: dt.datetime) -> None:
    session[SEEN_KEY] = now.timestamp()


def _from_epoch(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


# --- Ending sessions ----------------------------------------------------------------------------
def end_all_sessions(user: User) -> int:
    """Sign ``user`` out everywhere (deactivation, password reset). Returns how many ended."""
    sessions = list(UserSession.objects.filter(user_id=user.pk))
    get_usersessions_adapter().end_sessions(sessions)
    return len(sessions)


def end_other_sessions(user: User, *, keep_session_key: str | None) -> int:
    """Sign ``user`` out of every session but ``keep_session_key`` (a password change)."""
    sessions = list(UserSession.objects.filter(user_id=user.pk)
                    .exclude(session_key=keep_session_key or ""))
    get_usersessions_adapter().end_sessions(sessions)
    return len(sessions)


def end_lapsed(user_sessions: list[UserSession], *, user: User,
               now: dt.datetime) -> list[UserSession]:
    """End the sessions that the idle or absolute limit has already closed (their browser has
    not been back to be told) and return the others, for the sessions page."""
    limits = limits_for(user)
    lapsed = [s for s in user_sessions if not s.is_current() and ended(
        started_at=s.created_at, seen_at=s.last_seen_at, now=now, limits=limits)]
    get_usersessions_adapter().end_sessions(lapsed)
    return [s for s in user_sessions if s not in lapsed]


def record_activity(session_key: str, *, now: dt.datetime) -> None:
    """Show the time of last activity on the sessions page (written once a minute at most)."""
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=now)
