"""Demo data of the alerts app for `manage.py seed_demo` (idempotent).

Alerts are never invented here: the real rules run over the demo history the other apps
seeded (e.g. Maria's worsening numbness -> one urgent alert for Dr Shah, one email row). Dedup
keys make every re-run update the same alerts, so seeding or sweeping again adds nothing.

So that the demo shows the emergency tier first, Sam logs a clinic-given injection 20 minutes
ago with breathing difficulty (through the injections service, whose rules raise the
emergency alert; its form token makes a re-run return the same injection). Every care team's
escalation contact is the other demo clinician.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError

from injections.services import injection_record

from .lifecycle import patient_rules_evaluate

log = logging.getLogger(__name__)
REACTION_PATIENT = "patient@b12care.example"  # Sam


def seed(*, patients, clinicians, now) -> None:
    for profile, _spec in patients:
        _escalation_contact(profile, clinicians)
        if profile.user.email == REACTION_PATIENT:
            _reaction(profile, now=now)
        patient_rules_evaluate(patient=profile, now=now)


def _escalation_contact(profile, clinicians) -> None:
    team = set(profile.care_team.values_list("clinician_id", flat=True))
    others = [c for c in clinicians if c.pk not in team] or list(clinicians)
    if profile.escalation_contact_id is None and others:
        profile.escalation_contact = others[0]
        profile.save(update_fields=["escalation_contact"])


def _reaction(profile, *, now: dt.datetime) -> None:
    regimen = profile.regimens.filter(status="active").first()
    last_phase = regimen.phases.order_by("order").last() if regimen else None
    product = last_phase.product if last_phase else "hydroxocobalamin"
    try:
        injection_record(
            patient=profile, recorded_by=profile.user, now=now,
            form_token="demo-sam-reaction", taken_at=now - dt.timedelta(minutes=20),
            product=product, dose="1", unit="mg", site="left_deltoid", administered_by="nurse",
            breathing_difficulty=True, hives=True, notes="Felt wheezy soon after the injection.")
    except ValidationError as exc:  # demo only: never stop the seed over it
        log.warning("Demo reaction not recorded: %s", exc.messages)
