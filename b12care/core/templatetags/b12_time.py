"""Times in templates, by the one rule of ``b12care.core.clock.local_text``: in the zone of the
patient whose data it is, in one format per kind of page, the zone named where it could confuse.

    {% load b12_time %}
    {{ message.created_at|local_time:patient }}     Wed 7 Oct 2026, 17:59
    {% when message.created_at patient %}           the same; "(New York time)" added when the
                                                    reader is not that patient (a clinician)
    {% when dose.due_at patient "time" %}           17:59
    {% when alert.first_seen_at patient "short" label=True %}

``patient`` is a PatientProfile (or anything with ``timezone``, an IANA name) or a zone name.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django import template

from b12care.core.clock import local_text, zone_name

register = template.Library()


@functools.lru_cache(maxsize=1024)
def _known(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone(whose) -> str:
    """The zone to show in: ``whose``'s, else UTC (a missing variable, an unknown name)."""
    name = whose if isinstance(whose, str) else getattr(whose, "timezone", None)
    return name if name and _known(name) else "UTC"


def _text(value, whose, kind: str, label: bool) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        # A calendar day (a sample date, a diary day) is already the patient's own day.
        return local_text(dt.datetime.combine(value, dt.time(12), dt.UTC), "UTC", "date")
    if not isinstance(value, dt.datetime):
        return ""  # not a time at all: nothing rather than a broken page
    if value.tzinfo is None:  # stored times are UTC; a naive one is read as such
        value = value.replace(tzinfo=dt.UTC)
    return local_text(value, _zone(whose), kind, label=label)


@register.filter
def local_time(value, whose):
    """``value`` in the zone of ``whose``, as "Wed 7 Oct 2026, 17:59" (no zone named)."""
    return _text(value, whose, "datetime", False)


def reader_is(context, whose) -> bool:
    """Whether the signed-in reader is the patient ``whose`` (their own data needs no label)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and getattr(whose, "user_id", None) == user.pk)


@register.simple_tag(takes_context=True)
def when(context, value, whose, kind: str = "datetime", label=None):
    """``value`` in the zone of ``whose``, formatted as ``kind``; the zone is named unless the
    reader is that patient (``label`` True/False overrides)."""
    if label is None:
        label = not reader_is(context, whose)
    return _text(value, whose, kind, bool(label))


@register.filter
def zone_label(whose) -> str:
    """The zone of ``whose`` as people say it: "New York time"."""
    return zone_name(_zone(whose))
