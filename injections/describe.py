"""A schedule in plain words, generated from its phases (never typed, never an RRULE).

Works for template phases and a regimen's phases alike, so the clinician's template picker,
the patient's schedule and the regimen page say the same thing.
"""

from __future__ import annotations

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
