"""Demo data of this app for `manage.py seed_demo` (idempotent, deterministic).

Each demo patient's ``story`` (b12care/accounts/demo.py) picks a regimen; past planned doses get
injections that mostly land on time, a few late and a couple missed, with sites that rotate
the way a real patient's do (mostly the suggested site, now and then the same side twice).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib

from django.db.models import F
from simple_history.utils import bulk_create_with_history

from . import protocols, scheduling, services
from .models import (
    DoseStatus,
    Injection,
    PlannedDose,
    ProtocolTemplate,
    Regimen,
    SuitabilityAssessment,
    Supply,
    TrainingRecord,
)

STORY_TEMPLATES = {
    "maintenance_stable": protocols.HYDROXO_NO_NEURO,
    "neuro_worsening": protocols.HYDROXO_NEURO,
    "induction_now": protocols.HYDROXO_NO_NEURO,
    "neuro_recovering": protocols.HYDROXO_NEURO,
    "cyanocobalamin": protocols.CYANO_US_LABEL,
    "prophylaxis": protocols.PROPHYLAXIS,
}
# Per story: (dose time, doses missed, doses late, who injects at maintenance, ampoules at home)
STORY_HABITS = {
    "maintenance_stable": (dt.time(9, 0), 0, 1, "self", 3),
    "neuro_worsening": (dt.time(8, 30), 2, 3, "nurse", None),
    "induction_now": (dt.time(10, 0), 0, 0, "nurse", None),
    "neuro_recovering": (dt.time(18, 0), 1, 2, "carer", 2),
    "cyanocobalamin": (dt.time(7, 30), 2, 3, "self", 5),
    "prophylaxis": (dt.time(11, 0), 0, 1, "nurse", None),
}
NEURO_INDUCTION_DAYS = 90  # neuro_recovering: the clinician ended induction after ~3 months
ROTATION = list(services.ROTATION)


def _rng(email: str) -> random.Random:
    return random.Random(zlib.crc32(email.encode()))


def _readiness(profile, clinician, start: dt.date) -> None:
    SuitabilityAssessment.objects.create(
        patient=profile, assessed_by=clinician, assessed_on=start + dt.timedelta(days=14),
        **{item: True for item in SuitabilityAssessment.ITEMS},
    )
    TrainingRecord.objects.create(
        patient=profile, observed_by=clinician, observed_on=start + dt.timedelta(days=21),
        notes="Observed first self-injection into the left thigh; good technique.",
        **{item: True for item in TrainingRecord.ITEMS},
    )


def _seed_patient(profile, spec, clinician, now: dt.datetime) -> None:
    rng = _rng(spec.email)
    time_of_day, n_missed, n_late, maintenance_by, ampoules = STORY_HABITS[spec.story]
    template = ProtocolTemplate.objects.get(slug=STORY_TEMPLATES[spec.story])
    today = scheduling.local_day(now, profile.tz)
    start = today - dt.timedelta(days=spec.started_days_ago)
    regimen = services.regimen_create_from_template(
        patient=profile, template=template, start_date=start, time_of_day=time_of_day,
        created_by=clinician, now=now,
    )
    if spec.story == "neuro_recovering":
        induction = regimen.phases.get(order=1)
        services.phase_end(phase=induction,
                           end_date=start + dt.timedelta(days=NEURO_INDUCTION_DAYS),
                           by=clinician, now=now)
    if maintenance_by in ("self", "carer") or spec.story == "maintenance_stable":
        _readiness(profile, clinician, start)

    past = list(
        PlannedDose.objects.filter(regimen=regimen, due_at__lte=now - dt.timedelta(hours=2))
        .select_related("phase").order_by("due_at")
    )
    # Never miss the very first doses or the latest one: the story stays readable.
    middle = list(range(3, max(3, len(past) - 1)))
    missed = set(rng.sample(middle, min(n_missed, len(middle))))
    late = set(rng.sample([i for i in middle if i not in missed],
                          min(n_late, max(0, len(middle) - len(missed)))))
    injections, fulfilled = [], []
    rotation_at = rng.randrange(len(ROTATION))
    for index, dose in enumerate(past):
        if index in missed:
            continue
        if index in late and dose.window > dose.grace:
            offset = dose.grace + (dose.window - dose.grace) * rng.uniform(0.3, 0.8)
        else:
            offset = dt.timedelta(minutes=rng.randint(-90, 240))
        taken_at = min(dose.due_at + offset, now - dt.timedelta(minutes=30))
        site = ROTATION[rotation_at % len(ROTATION)]
        rotation_at += 1 if rng.random() < 0.85 else 2
        phase = dose.phase
        by = "nurse" if phase.kind == "induction" else maintenance_by
        reaction = rng.random()
        injections.append(Injection(
            patient=profile, taken_at=taken_at, product=phase.product, dose=phase.dose,
            unit=phase.unit, site=site, administered_by=by,
            lot_number=f"{phase.product[:2].upper()}{rng.randint(10000, 99999)}",
            expiry_date=scheduling.local_day(taken_at, profile.tz) + dt.timedelta(
                days=rng.randint(120, 700)),
            pain=rng.choice([0, 1, 1, 2, 2, 3, 4]),
            bruising=reaction < 0.08, redness=0.08 <= reaction < 0.12,
            notes=rng.choice(["", "", "", "Slight sting, fine after.", "Went smoothly."]),
            recorded_by=profile.user if by != "nurse" else clinician,
        ))
        fulfilled.append(dose)
    created = bulk_create_with_history(injections, Injection)
    if not all(i.pk for i in created):  # backends without RETURNING: fetch the ids back
        created = list(Injection.objects.filter(patient=profile).order_by("taken_at"))
    for dose, injection in zip(fulfilled, created, strict=True):
        dose.status = DoseStatus.TAKEN
        dose.injection = injection
    PlannedDose.objects.bulk_update(fulfilled, ["status", "injection"])
    # Entries were logged at the time they were given (patients edit for 24 h after that).
    Injection.objects.filter(patient=profile).update(created_at=F("taken_at"),
                                                     updated_at=F("taken_at"))
    services.planned_doses_regenerate(patient=profile, now=now)
    if ampoules is not None:
        Supply.objects.create(patient=profile, ampoules_on_hand=ampoules,
                              counted_at=now - dt.timedelta(days=rng.randint(1, 20)),
                              updated_by=profile.user)


def seed(*, patients, clinicians, now) -> None:
    by_email = {c.email: c for c in clinicians}
    for profile, spec in patients:
        if spec.story not in STORY_TEMPLATES:
            continue  # "new": just invited, no regimen yet
        if Regimen.objects.filter(patient=profile).exists():
            continue  # already seeded
        clinician = by_email.get(spec.clinicians[0]) or clinicians[0]
        _seed_patient(profile, spec, clinician, now)

