"""Build the ``PatientData`` snapshot the rules read, from the injections, symptoms and labs
apps. This is the only module of alerts that reads those apps' models; the queries are
bounded by time windows so the cost per patient stays constant as history grows."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Exists, OuterRef, Subquery

from b12care.accounts.models import PatientProfile
from b12care.core import clock
from injections.models import (
    FollowUpAnswer,
    FollowUpKind,
    Injection,
    InjectionFollowUp,
    PlannedDose,
    Regimen,
    RegimenStatus,
)
from labs.models import LabResult
from symptoms.selectors import recent_scores

from .rules import DoseFact, InjectionFact, LabFact, PatientData, SymptomFact

log = logging.getLogger(__name__)

INJECTION_DAYS = 30
SYMPTOM_DAYS = 120
LAB_DAYS = 200
DOSE_DAYS = 130

REACTION_FIELDS = ("redness", "swelling", "bruising", "persistent_pain", "rash", "itching",
                   "hives", "breathing_difficulty", "face_throat_swelling", "dizziness")


def treatment_start(patient: PatientProfile) -> dt.datetime | None:
    """When treatment began: the first injection on or after the active regimen's start day
    (local midnight in the patient's zone), else that midnight; None without a regimen."""
    regimen = (Regimen.objects.filter(patient=patient, status=RegimenStatus.ACTIVE)
               .only("start_date").first())
    if regimen is None:
        return None
    start = clock.to_utc(regimen.start_date, dt.time(0), patient.tz)
    first = (Injection.objects.filter(patient=patient, taken_at__gte=start)
             .order_by("taken_at").values_list("taken_at", flat=True).first())
    return first or start


def _followup_answers():
    """The injection's follow-up answers the rules read, as columns of the same query: a
    "yes" at the post-dose check-in, and when the patient said the site was still sore."""
    yes = InjectionFollowUp.objects.filter(injection=OuterRef("pk"), answer=FollowUpAnswer.YES)
    return {
        "checkin_yes": Exists(yes.filter(kind=FollowUpKind.CHECKIN)),
        "site_sore_at": Subquery(yes.filter(kind=FollowUpKind.SITE).values("answered_at")[:1]),
    }


def _injections(patient, now):
    rows = (Injection.objects.filter(patient=patient,
                                     taken_at__gte=now - dt.timedelta(days=INJECTION_DAYS),
                                     taken_at__lte=now)
            .annotate(**_followup_answers())
            .values("pk", "taken_at", "updated_at", "site", "checkin_yes", "site_sore_at",
                    *REACTION_FIELDS))
    return tuple(
        InjectionFact(
            id=r["pk"], taken_at=r["taken_at"], site=r["site"],
            reported_at=max(r["updated_at"], r["taken_at"]),
            reactions=frozenset(f for f in REACTION_FIELDS if r[f]),
            checkin_reaction=r["checkin_yes"], site_sore_at=r["site_sore_at"],
        )
        for r in rows
    )


def _doses(patient, now):
    rows = (PlannedDose.objects.filter(patient=patient,
                                       due_at__gte=now - dt.timedelta(days=DOSE_DAYS),
                                       due_at__lte=now)
            .values("pk", "due_at", "status", "phase__kind", "grace_end"))
    return tuple(DoseFact(id=r["pk"], due_at=r["due_at"], phase_kind=r["phase__kind"],
                          status=r["status"], grace_end=r["grace_end"]) for r in rows)


def _symptoms(patient, now):
    rows = recent_scores(patient, since=now - dt.timedelta(days=SYMPTOM_DAYS), until=now)
    return tuple(SymptomFact(code=code, severity=severity, recorded_at=at)
                 for code, severity, at in rows)


def _labs(patient, now):
    rows = (LabResult.objects.filter(patient=patient, value__isnull=False,
                                     sampled_at__gte=now - dt.timedelta(days=LAB_DAYS),
                                     sampled_at__lte=now)
            .values("pk", "analyte__loinc", "value", "sampled_at"))
    return tuple(LabFact(id=r["pk"], loinc=r["analyte__loinc"], value=r["value"],
                         taken_at=r["sampled_at"]) for r in rows)


def load_patient_data(patient: PatientProfile, *, now: dt.datetime) -> PatientData:
    return PatientData(
        patient_id=patient.pk,
        treatment_start=treatment_start(patient),
        timezone=patient.timezone,
        severe_anaemia=patient.severe_anaemia,
        injections=_injections(patient, now),
        symptoms=_symptoms(patient, now),
        labs=_labs(patient, now),
        doses=_doses(patient, now),
    )
