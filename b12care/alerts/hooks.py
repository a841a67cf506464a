"""How alerts hears that a patient's data changed (``b12care.core.events``): the red-flag rules
run in the writer's transaction and their findings go back to the writer, which shows the
patient what to do now when one needs it (``alerts:guidance``)."""

from __future__ import annotations

from b12care.accounts.models import PatientProfile
from b12care.core import events

from .lifecycle import patient_rules_evaluate
from .rules import Finding

RULE_KINDS = frozenset({events.INJECTIONS, events.SYMPTOMS, events.LABS})


def on_patient_data_changed(changes: list[events.Change]) -> list[Finding]:
    """Subscriber (``AlertsConfig.ready``): run every enabled rule for each changed patient."""
    now = max(change.now for change in changes)
    patients = PatientProfile.objects.filter(pk__in=events.patient_ids(changes)).select_related(
        "user").order_by("pk")
    return [finding for patient in patients
            for finding in patient_rules_evaluate(patient=patient, now=now)]
