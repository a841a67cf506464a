"""Drafts of a phase change: the clinician's form writes into an unsaved copy, which is
previewed among the regimen's other phases before the services save it."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User

from . import services
from .models import Phase, PhaseKind, Regimen


def new_phase(regimen: Regimen) -> Phase:
    """An unsaved maintenance phase after the regimen's last one (the "add a phase" form)."""
    return Phase(regimen=regimen, order=len(services.phases_of(regimen)) + 1,
                 kind=PhaseKind.MAINTENANCE, dose=1)


def draft_of(phase: Phase) -> Phase:
    """A detached copy of ``phase`` for a form to write into: the stored phase keeps its
    values until a service saves the change."""
    return Phase(**{f.attname: getattr(phase, f.attname) for f in Phase._meta.concrete_fields})


def with_draft(phases: list[Phase], draft: Phase, *, replaces: Phase) -> list[Phase]:
    """The regimen's ``phases`` with ``draft`` in place of the stored phase it ``replaces``;
    a draft of a new phase (no pk yet) comes last."""
    if replaces.pk is None:
        return [*phases, draft]
    return [draft if p.pk == replaces.pk else p for p in phases]


def draft_preview(*, phase: Phase, draft: Phase, values: dict, patient: PatientProfile,
                  now: dt.datetime) -> list[dict]:
    """The next doses of ``draft`` (``phase`` with the form's ``values``) in its regimen.
    Raises ValidationError, with a readable message, for a schedule that cannot run."""
    for name, value in values.items():
        setattr(draft, name, value)
    phases = with_draft(services.phases_of(phase.regimen), draft, replaces=phase)
    return services.preview(phases, patient=patient, now=now, only=draft)


def phase_save(*, phase: Phase, values: dict, by: User, now: dt.datetime) -> Phase:
    """Save the form's ``values``: a change to a stored phase, or a new phase of its regimen."""
    if phase.pk:
        return services.phase_update(phase=phase, by=by, now=now, **values)
    return services.phase_add(regimen=phase.regimen, by=by, now=now, **values)
