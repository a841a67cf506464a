"""The per-patient data version that keys cached page fragments (b12care/core/fragments.py)."""

import datetime as dt

import pytest
from django.apps import apps

from b12care.accounts.models import PatientProfile
from b12care.clinic.models import TriageState
from b12care.clinic.state import bump_versions, refresh_at_end, refresh_triage_state

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def version(patient) -> int:
    return TriageState.objects.get(patient=patient).version


def test_every_refresh_and_bump_raises_the_version_by_one(patient, outsider_patient):
    refresh_triage_state([patient.pk, outsider_patient.pk], now=NOW)
    assert (version(patient), version(outsider_patient)) == (1, 1)
    refresh_triage_state([patient.pk], now=NOW)  # same facts, same clock: still a new version
    bump_versions([patient.pk])
    assert (version(patient), version(outsider_patient)) == (3, 1)


def test_bumps_inside_refresh_at_end_become_its_one_refresh(patient):
    refresh_triage_state([patient.pk], now=NOW)
    with refresh_at_end():
        bump_versions([patient.pk])
        bump_versions([patient.pk])
        assert version(patient) == 1  # deferred: the lock is taken last
    assert version(patient) == 2


# Models holding a patient's data, by how their writes raise the version. A new model must be
# placed here, after making sure its writes do (see b12care/clinic/state.py).
REFRESHED_BY_THEIR_SERVICES_AND_ADMIN = {
    "injections.Regimen", "injections.PlannedDose", "injections.Injection",
    "symptoms.CheckIn", "labs.LabResult", "labs.PlannedLab", "alerts.Alert",
    "injections.SuitabilityAssessment", "injections.TrainingRecord", "injections.Supply",
    "clinic.ClinicianNote",
}
NOT_ON_CACHED_FRAGMENTS = {
    "accounts.AccessLog",  # audit, shown in the admin only
    "accounts.CareTeamMembership",  # decides who sees a page, not what it shows
    "alerts.ReminderStep", "alerts.ReminderPlan", "alerts.ReminderSnooze",  # messages page
    "clinic.TriageState",  # holds the version itself
}


def test_every_model_of_patient_data_is_declared():
    holding = set()
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        if any(getattr(f, "related_model", None) is PatientProfile and f.concrete
               for f in model._meta.get_fields()):
            holding.add(model._meta.label)
    assert holding == REFRESHED_BY_THEIR_SERVICES_AND_ADMIN | NOT_ON_CACHED_FRAGMENTS
