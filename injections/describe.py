"""A schedule in plain words, generated from its phases (never typed, never an RRULE).

Works for template phases and a regimen's phases alike, so the clinician's template picker,
the patient's schedule and the regimen page say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from . import scheduling

KIND_WORDS = {"induction": "Induction", "maintenance": "Maintenance", "other": "Phase"}
UNIT_WORDS = {"mg": "mg", "microgram": "µg"}


def _dose(phase) -> str:
    return f"{phase.dose.normalize():f} {UNIT_WORDS.get(phase.unit, phase.unit)}"


def _end(phase) -> str:
    if phase.end_kind == "count" and phase.count:
        return f" for {phase.count} dose{'s' if phase.count != 1 else ''}"
    until = getattr(phase, "until", None)
    if phase.end_kind == "until" and until:
        return f" until {until:%-d %b %Y}"
    days = getattr(phase, "until_after_days", None)
    if phase.end_kind == "until" and days:
        return f" for {days} day{'s' if days != 1 else ''}"
    if phase.kind == "maintenance":
        return ""  # open maintenance is the lifelong default: nothing to add
    return " until your clinician ends it"


def phase_in_words(phase, *, product: bool = False) -> str:
    """ "1 mg every 2 days until your clinician ends it" (no kind, no full stop); with
    ``product``: "1 mg hydroxocobalamin every 2 days ..."."""
    rec = scheduling.Recurrence(repeat=phase.repeat, interval=phase.interval,
                                weekdays=tuple(c for c in (phase.weekdays or "").split(",") if c))
    what = _dose(phase)
    if product:
        what += f" {phase.get_product_display().lower()}"
    return f"{what} {rec.frequency()}{_end(phase)}"


def phases_in_words(phases: Iterable) -> str:
    """ "Induction: 1 mg every 2 days until your clinician ends it. Maintenance: 1 mg every 2
    months." Phases in their order; an empty list says so."""
    parts = [f"{KIND_WORDS.get(p.kind, 'Phase')}: {phase_in_words(p)}."
             for p in sorted(phases, key=lambda p: p.order)]
    return " ".join(parts) or "No phases yet."


_FREQ_REPEATS = {"DAILY": scheduling.DAYS, "WEEKLY": scheduling.WEEKS,
                 "MONTHLY": scheduling.MONTHS}
UNREADABLE = "a custom schedule"


def rrule_in_words(rule: str) -> str:
    """A stored RFC 5545 RRULE in the same words as a phase: "every 3 months", "on alternate
    days, 10 doses", "Mon, Wed and Fri every week, until 31 Dec 2026". For the places that
    only have the rule (the admin, imported data); a rule B12 Care would not write (hourly,
    yearly, by month...) reads as "a custom schedule", never as the raw text."""
    parts: dict[str, str] = {}
    for piece in (rule or "").strip().removeprefix("RRULE:").split(";"):
        if not piece.strip():
            continue
        key, sep, value = piece.partition("=")
        if not sep or not value:
            return UNREADABLE
        parts[key.strip().upper()] = value.strip().upper()
    repeat = _FREQ_REPEATS.get(parts.pop("FREQ", ""))
    interval, count, until, weekdays = parts.pop("INTERVAL", "1"), parts.pop("COUNT", None), \
        parts.pop("UNTIL", None), parts.pop("BYDAY", "")
    # Our own month-end rule (BYMONTHDAY=d,-1;BYSETPOS=1) is still "every N months".
    if repeat == scheduling.MONTHS and parts.get("BYSETPOS") == "1":
        parts.pop("BYSETPOS")
        parts.pop("BYMONTHDAY", None)
    if repeat is None or parts or (count and until):
        return UNREADABLE
    if weekdays:
        codes = tuple(weekdays.split(","))
        if repeat != scheduling.WEEKS or not set(codes) <= set(scheduling.WEEKDAY_CODES):
            return UNREADABLE
        repeat = scheduling.WEEKDAYS
    else:
        codes = ()
    try:
        end_day = None
        if until:
            end_day = dt.datetime.strptime(until[:8], "%Y%m%d").date()
        rec = scheduling.Recurrence(repeat=repeat, interval=int(interval), weekdays=codes,
                                    count=int(count) if count else None, until=end_day)
        rec.validate()
    except (ValueError, scheduling.ScheduleError):
        return UNREADABLE
    return rec.describe().replace(", until a clinician ends it", "")
