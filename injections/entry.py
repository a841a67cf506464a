"""What the log-an-injection form starts from: the dose being logged, its phase, the suggested
site, whether "I injected myself" is offered, and the form's first values.

The view parses the request and renders; everything it shows is decided here, from the
patient and a ``now`` the caller passes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db.models import Q

from b12care.accounts.models import PatientProfile

from . import plausibility, scheduling, selectors, services
from .models import AdministeredBy, DoseStatus, Injection, Phase, PlannedDose

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


def _dose_near(patient: PatientProfile, taken_at: dt.datetime,
               exclude_pk: int | None = None) -> tuple[PlannedDose | None, bool]:
    """The planned dose an injection at ``taken_at`` would fulfil (and True), else the next
    open dose after it (and False), else (None, False). Reads only; the service matches.
    ``exclude_pk``: the entry being corrected (the dose it fulfils is free again)."""
    active = PlannedDose.objects.select_related("phase").filter(
        patient=patient, regimen__status="active")
    untaken = Q(status__in=[DoseStatus.OPEN, DoseStatus.MISSED])
    candidates = list(active.filter(
        untaken | Q(injection_id=exclude_pk) if exclude_pk else untaken,
        due_at__gte=taken_at - scheduling.MAX_MATCH_WINDOW,
        due_at__lte=taken_at + scheduling.MAX_MATCH_WINDOW))
    key = scheduling.nearest_open_dose(
        [scheduling.OpenDose(d.pk, d.due_at, d.window) for d in candidates], taken_at)
    if key is not None:
        return next(d for d in candidates if d.pk == key), True
    following = active.filter(status=DoseStatus.OPEN, due_at__gt=taken_at).order_by("due_at")
    return following.first(), False


def _nearest_injection(patient: PatientProfile, taken_at: dt.datetime, *, within: dt.timedelta,
                       exclude_pk: int | None, form_token: str) -> dt.datetime | bool | None:
    """When the patient's other injection nearest to ``taken_at`` (closer than ``within``) was
    given; None: none that close; False: this very form was already recorded (a double
    submit, which the service answers with the entry it recorded). One query."""
    near = list(Injection.objects.filter(
        patient=patient, taken_at__gt=taken_at - within, taken_at__lt=taken_at + within,
    ).exclude(pk=exclude_pk).values_list("taken_at", "form_token"))
    if form_token and any(token == form_token for _, token in near):
        return False
    return min((t for t, _ in near), key=lambda t: abs(t - taken_at), default=None)


def log_verdict(patient: PatientProfile, *, taken_at: dt.datetime, product: str, dose, unit: str,
                exclude_pk: int | None = None, form_token: str = "",
                on_behalf: bool = False) -> plausibility.Verdict:
    """The guard rails on one logged injection (injections/plausibility.py): its dose against
    the phase's and the product's range, another injection close by, and whether it comes long
    before the next dose. ``exclude_pk``: the entry being corrected. A form already recorded
    (double submit) has nothing to check: the service returns the entry it recorded.
    ``on_behalf``: a clinician logs for the patient (the words name the patient's dose)."""
    planned, matched = _dose_near(patient, taken_at, exclude_pk)
    window = planned.window if planned is not None else None
    other = _nearest_injection(patient, taken_at, within=plausibility.min_gap(window),
                               exclude_pk=exclude_pk, form_token=form_token)
    if other is False:
        return plausibility.verdict()
    phase = planned.phase if planned is not None else _first_phase(patient)
    usual = (phase.dose, phase.unit) if phase is not None else None
    return plausibility.verdict(
        *plausibility.dose_findings(product=product, dose=dose, unit=unit, usual=usual,
                                    usual_words="their usual" if on_behalf else "your usual"),
        plausibility.gap_finding(taken_at=taken_at, other=other, window=window, tz=patient.tz),
        plausibility.early_finding(taken_at=taken_at, matched=matched, tz=patient.tz,
                                   next_due=planned.due_at if planned else None,
                                   next_window=window, whose="Their" if on_behalf else "Your"),
    )


def _first_phase(patient: PatientProfile) -> Phase | None:
    return Phase.objects.filter(regimen__patient=patient, regimen__status="active").order_by(
        "order").first()
