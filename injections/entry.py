"""What the log-an-injection form starts from: the dose being logged, its phase, the suggested
site, whether "I injected myself" is offered, and the form's first values.

The view parses the request and renders; everything it shows is decided here, from the
patient and a ``now`` the caller passes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from b12care.accounts.models import PatientProfile

from . import selectors, services
from .models import AdministeredBy, DoseStatus, Phase, PlannedDose

# First values of the product fields when the patient has no regimen to take them from.
DEFAULT_PRODUCT = {"product": "hydroxocobalamin", "dose": "1", "unit": "mg"}


@dataclass(frozen=True)
class DoseToLog:
    """The planned dose a log form is for (None: an extra dose), its phase (else the regimen's
    first phase, for the product defaults) and the regimen's phases."""

    dose: PlannedDose | None
    phase: Phase | None
    phases: list[Phase]


def phase_for(dose: PlannedDose | None, phases: list[Phase]) -> Phase | None:
    """The phase ``dose`` belongs to among ``phases``; the first phase when the dose is none of
    theirs (or there is no dose); None without phases."""
    if dose is not None:
        own = next((p for p in phases if p.pk == dose.phase_id), None)
        if own is not None:
            return own
    return phases[0] if phases else None


def dose_to_log(patient: PatientProfile, *, dose_id: str = "") -> DoseToLog:
    """The dose a log form is for: the one its link names (``?dose=``, the patient's own only;
    a garbled or foreign id is ignored), else the active regimen's first open dose."""
    regimen = services.active_regimen(patient)
    phases = services.phases_of(regimen) if regimen else []
    dose = None
    if dose_id.isdigit():
        dose = PlannedDose.objects.filter(patient=patient, pk=int(dose_id)).first()
    if dose is None and regimen is not None:
        dose = PlannedDose.objects.filter(patient=patient, regimen=regimen,
                                          status=DoseStatus.OPEN).first()
    return DoseToLog(dose, phase_for(dose, phases), phases)


def readiness_for_choice(patient: PatientProfile,
                         administered_by: str | None) -> services.Readiness | None:
    """Readiness of a submitted entry, read only when it says "I injected myself": it decides
    nothing else about a valid entry (None: not needed)."""
    if administered_by == AdministeredBy.SELF:
        return services.self_injection_readiness(patient)
    return None


def self_reason(readiness: services.Readiness) -> str:
    """Why "I injected myself" is not offered, naming whom to ask ("" when it is offered)."""
    if readiness.ready:
        return ""
    return (f"Injecting yourself needs your clinician's sign-off first: ask "
            f"{readiness.contact}.")


def log_form_initial(*, now: dt.datetime, phase: Phase | None, site: str | None,
                     ready_for_self: bool, form_token: str) -> dict:
    """First values of a new log form: given now, at the suggested site, by the patient when
    they may inject themselves (else a nurse), the product and dose of the phase."""
    product = ({"product": phase.product, "dose": phase.dose, "unit": phase.unit}
               if phase else DEFAULT_PRODUCT)
    return {
        "taken_at": now,
        "form_token": form_token,
        "site": site,
        "administered_by": AdministeredBy.SELF if ready_for_self else AdministeredBy.NURSE,
        **product,
    }


def new_form_token() -> str:
    """A fresh token per form shown: a repeated submit of the same form records one entry."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class LogPage:
    """Everything the log form page shows besides the form itself."""

    readiness: services.Readiness
    self_reason: str
    suggestion: services.SiteSuggestion
    dose_row: dict | None
    initial: dict


def log_page(patient: PatientProfile, *, now: dt.datetime, dose_id: str = "",
             readiness: services.Readiness | None = None) -> LogPage:
    """The log page for ``patient`` at ``now``. ``readiness``: already read by the caller."""
    readiness = readiness or services.self_injection_readiness(patient)
    suggestion = services.suggest_site(patient, now=now)
    target = dose_to_log(patient, dose_id=dose_id)
    row = (selectors.dose_row(target.dose, {p.pk: p for p in target.phases}, patient.tz, now)
           if target.dose else None)
    initial = log_form_initial(now=now, phase=target.phase, site=suggestion.site,
                               ready_for_self=readiness.ready, form_token=new_form_token())
    return LogPage(readiness, self_reason(readiness), suggestion, row, initial)
